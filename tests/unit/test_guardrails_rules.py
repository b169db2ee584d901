"""Guardrail rules on templates: verdicts, violations with field paths, waivers, unknown values."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from chaos_pulumi.spec import TemplateSpec, load_file, validate
from chaos_pulumi.spec.guardrails import Policy, evaluate, parse_policy, safe_defaults
from tests.harness.spec_strategies import valid_templates

from ._spec_fixtures import EXAMPLES, base_template

FIS_TRUST_OK = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "fis.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "123456789012"},
                "ArnLike": {"aws:SourceArn": "arn:aws:fis:us-east-1:123456789012:experiment/*"},
            },
        }
    ],
}


def policy(text: str) -> Policy:
    parsed, problems = parse_policy(yaml.safe_load(text), "test.yaml")
    assert parsed is not None, problems
    return parsed


def run(template: dict[str, Any], pol: Policy | None = None, **kwargs: Any):
    assert not [p for p in validate(template) if p.severity == "error"], validate(template)
    return evaluate(TemplateSpec.from_dict(template), pol or safe_defaults(), **kwargs)


def by_rule(evaluation) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in evaluation.problems:
        out.setdefault(p.rule, []).append(p.path)
    return out


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_complies_with_the_safe_defaults(path) -> None:
    result = evaluate(load_file(path).spec, safe_defaults())
    assert result.passed and result.problems == ()
    statuses = {v.rule: v.status for v in result.verdicts}
    assert statuses["stop_condition_required"] == "pass"
    assert statuses["role_trust"] == "not checked"  # no trust policy given
    assert statuses["require_logging"] == "off"


def test_missing_stop_condition_fails_with_the_path_and_how_to_comply() -> None:
    t = base_template()
    t["stopConditions"] = [{"source": "none"}]
    result = run(t)
    assert not result.passed
    (problem,) = result.problems
    assert problem.path == "stopConditions" and problem.rule == "stop_condition_required"
    assert problem.severity == "error"
    assert "aws:cloudwatch:alarm" in problem.message
    assert 'waive it visibly: tag chaos:waiver: "stop_condition_required: <reason>"' in problem.message
    assert str(problem).startswith("stopConditions: [stop_condition_required] has no CloudWatch alarm")
    assert problem.to_dict()["rule"] == "stop_condition_required"


def test_durations_use_the_start_after_critical_path() -> None:
    t = base_template()  # stop (instances restarted after PT5M) -> stress PT2M
    t["actions"]["wait"] = {
        "actionId": "aws:fis:wait",
        "parameters": {"duration": "PT55M"},
        "startAfter": ["stress"],
    }
    t["actions"]["side"] = {"actionId": "aws:fis:wait", "parameters": {"duration": "PT56M"}}
    result = run(t)
    assert by_rule(result) == {
        "max_duration": ["actions"],
        "max_action_duration": ["actions.wait.parameters.duration", "actions.side.parameters.duration"],
    }
    (whole,) = [p for p in result.problems if p.rule == "max_duration"]
    assert "runs up to 1h 2m (along stop → stress → wait)" in whole.message
    assert result.verdict("max_duration").note == "this template: 1h 2m"
    per_action = [p for p in result.problems if p.rule == "max_action_duration"]
    assert "set duration to at most PT30M" in per_action[0].message


def test_selection_caps_count_percent_and_all() -> None:
    t = base_template()
    t["targets"]["web"]["selectionMode"] = "COUNT(11)"
    t["targets"]["api"] = {
        "resourceType": "aws:ec2:instance",
        "resourceTags": {"app": "api"},
        "selectionMode": "PERCENT(60)",
    }
    t["targets"]["all-tagged"] = {
        "resourceType": "aws:ec2:instance",
        "resourceTags": {"app": "x"},
        "selectionMode": "ALL",
    }
    t["actions"]["more"] = {
        "actionId": "aws:ec2:reboot-instances",
        "targets": {"Instances": "api"},
    }
    t["actions"]["most"] = {"actionId": "aws:ec2:reboot-instances", "targets": {"Instances": "all-tagged"}}
    result = run(t)
    assert sorted(by_rule(result)["max_selection"]) == [
        "targets.all-tagged.selectionMode",
        "targets.api.selectionMode",
        "targets.web.selectionMode",
    ]
    text = {p.path: p.message for p in result.problems}
    assert "COUNT(11) selects up to 11 aws:ec2:instance resources" in text["targets.web.selectionMode"]
    assert "use COUNT(10) or fewer" in text["targets.web.selectionMode"]
    assert "use PERCENT(50) or less" in text["targets.api.selectionMode"]
    assert "ALL on a target chosen by tags hits every matching" in text["targets.all-tagged.selectionMode"]
    # ALL on listed ARNs (target db) is fine; COUNT(n) over fewer listed ARNs counts what can be hit.
    t2 = base_template()
    t2["targets"]["db"]["selectionMode"] = "COUNT(50)"
    assert run(t2).passed


def test_selection_per_type_and_all_never() -> None:
    pol = policy(
        """
        version: 1
        extends: none
        rules:
          max_selection:
            resource_types:
              "*": {count: 3}
              aws:ec2:instance: {all: never}
        """
    )
    result = run(base_template(), pol)
    assert by_rule(result) == {"max_selection": ["targets.db.selectionMode"]}
    assert "ALL is not allowed for aws:ec2:instance" in result.problems[0].message


def test_allowed_and_denied_actions_are_globs() -> None:
    pol = policy(
        """
        version: 1
        extends: none
        rules:
          allowed_actions: ['aws:ec2:*', 'aws:fis:wait']
          denied_actions: ['aws:ec2:stop-*']
        """
    )
    result = run(base_template(), pol)
    assert by_rule(result) == {
        "allowed_actions": ["actions.stress.actionId"],
        "denied_actions": ["actions.stop.actionId"],
    }
    t = base_template()
    t["actions"]["stop"]["actionId"] = "aws:ec2:terminate-instances"
    t["actions"]["stop"]["parameters"] = {}
    assert by_rule(run(t)) == {"denied_actions": ["actions.stop.actionId"]}


def test_required_tags_logging_and_report() -> None:
    pol = policy(
        """
        version: 1
        extends: none
        rules:
          required_tags: {tags: {team: null, env: [staging]}}
          require_logging: true
          require_report: {level: warning}
        """
    )
    t = base_template()
    t["tags"]["env"] = "production"
    result = run(t, pol)
    assert by_rule(result) == {
        "required_tags": ["tags.env"],
        "require_logging": ["logConfiguration"],
        "require_report": ["experimentReportConfiguration"],
    }
    report = next(p for p in result.problems if p.rule == "require_report")
    assert report.severity == "warning"
    assert not result.passed  # logging is an error
    del t["tags"]["env"]
    assert "add tags: {env: staging}" in next(p.message for p in run(t, pol).problems if p.path == "tags.env")


def test_role_trust_only_when_the_document_is_known() -> None:
    t = base_template()
    assert run(t).verdict("role_trust").status == "not checked"
    assert run(t, role_trust_policy=FIS_TRUST_OK).verdict("role_trust").status == "pass"
    assert run(t, role_trust_policy=json.dumps(FIS_TRUST_OK)).passed
    loose = json.loads(json.dumps(FIS_TRUST_OK))
    del loose["Statement"][0]["Condition"]["ArnLike"]
    result = run(t, role_trust_policy=loose)
    (problem,) = result.problems
    assert problem.path == "roleArn" and problem.rule == "role_trust"
    assert "without aws:SourceArn" in problem.message and "confused deputy" in problem.message
    assert '"aws:SourceAccount": "123456789012"' in problem.message
    anyone = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}
    assert "any principal" in run(t, role_trust_policy=anyone).problems[0].message
    assert "not valid JSON" in run(t, role_trust_policy="{nope").problems[0].message


def test_a_waiver_is_visible_and_bounded() -> None:
    t = base_template()
    t["stopConditions"] = [{"source": "none"}]
    t["targets"]["web"]["selectionMode"] = "COUNT(40)"
    t["tags"]["chaos:waiver"] = (
        "stop_condition_required, max_selection: staging game day, alarms land in OPS-123"
    )
    result = run(t)
    assert result.passed and result.problems == ()
    assert result.waiver.rules == ("stop_condition_required", "max_selection")
    assert result.waiver.reason == "staging game day, alarms land in OPS-123"
    assert result.verdict("stop_condition_required").status == "waived"
    assert result.verdict("max_selection").findings[0].path == "targets.web.selectionMode"
    # Waiving only one of two broken rules leaves the other failing.
    t["tags"]["chaos:waiver"] = "max_selection: staging game day, alarms land in OPS-123"
    assert by_rule(run(t)) == {"stop_condition_required": ["stopConditions"]}


@pytest.mark.parametrize(
    ("value", "severity", "words"),
    [
        ("stop_condition_required", "error", "names no rule"),
        ("stop_condition_required: ok", "error", "at least 10 characters"),
        (": a good long reason here", "error", "names no rule"),
        (
            "stop_condition_requird: a good long reason here",
            "error",
            "did you mean 'stop_condition_required'",
        ),
        ("require_logging: a good long reason here", "warning", "does not enforce"),
        ("max_duration: a good long reason here", "warning", "complies with"),
    ],
)
def test_broken_or_needless_waivers(value: str, severity: str, words: str) -> None:
    t = base_template()
    t["tags"]["chaos:waiver"] = value
    problems = [p for p in run(t).problems if p.rule == "waiver"]
    assert problems and problems[0].path == "tags.chaos:waiver"
    assert problems[0].severity == severity and words in problems[0].message


def test_a_rule_the_policy_keeps_unwaivable_stays_failed() -> None:
    pol = policy("version: 1\nrules: {stop_condition_required: {waivable: false}}")
    t = base_template()
    t["stopConditions"] = [{"source": "none"}]
    t["tags"]["chaos:waiver"] = "stop_condition_required: staging game day, alarms land in OPS-123"
    result = run(t, pol)
    assert sorted(by_rule(result)) == ["stop_condition_required", "waiver"]
    assert "does not let a template waive it" in result.problems[0].message


def test_policy_none_turns_everything_off_visibly() -> None:
    t = base_template()
    t["stopConditions"] = [{"source": "none"}]
    result = run(t, Policy.off("from --policy"))
    assert result.passed and {v.status for v in result.verdicts} == {"off"}
    assert Policy.off("from --policy").describe() == "none: guardrails are off, from --policy"


def test_unknown_values_leave_rules_undecided_not_passed() -> None:
    t = base_template()
    t["targets"]["web"]["selectionMode"] = "COUNT(99)"
    # selectionMode of web unknown: max_selection is undecided, the rest decides normally.
    result = run(t, unknown=["targets.web.selectionMode"])
    assert result.verdict("max_selection").status == "undecided"
    assert result.problems == ()
    t["stopConditions"] = [{"source": "none"}]
    result = run(t, unknown=["tags"])  # the waiver (a tag) is not known yet
    assert result.verdict("stop_condition_required").status == "undecided"
    assert result.verdict("max_selection").status == "undecided"
    # A definite violation next to an unknown is still a violation.
    t = base_template()
    t["targets"]["web"]["selectionMode"] = "COUNT(99)"
    result = run(t, unknown=["targets.db.selectionMode"])
    assert by_rule(result) == {"max_selection": ["targets.web.selectionMode"]}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_templates())
def test_evaluation_never_raises_and_problems_point_into_the_template(template) -> None:
    spec = TemplateSpec.from_dict(template)
    result = evaluate(spec, safe_defaults(), role_trust_policy=FIS_TRUST_OK)
    roots = {
        "stopConditions",
        "actions",
        "targets",
        "tags",
        "roleArn",
        "logConfiguration",
        "experimentReportConfiguration",
    }
    for problem in result.problems:
        assert problem.rule and problem.path.split(".")[0] in roots, problem
    assert {v.rule for v in result.verdicts} >= {"stop_condition_required", "max_selection"}
    if spec.stop_conditions and all(s.source == "aws:cloudwatch:alarm" for s in spec.stop_conditions):
        assert result.verdict("stop_condition_required").status == "pass"


def test_the_trust_policy_we_would_generate_passes_role_trust() -> None:
    from chaos_pulumi.spec.guardrails.trust import trust_problems
    from chaos_pulumi.spec.iam import trust_policy_for_role as trust_policy

    document = trust_policy("arn:aws-us-gov:iam::210987654321:role/fis", region="us-gov-west-1")
    assert trust_problems(document, "arn:aws-us-gov:iam::210987654321:role/fis") == []
    condition = document["Statement"][0]["Condition"]
    assert (
        condition["ArnLike"]["aws:SourceArn"] == "arn:aws-us-gov:fis:us-gov-west-1:210987654321:experiment/*"
    )
    assert run(base_template(), role_trust_policy=trust_policy(base_template()["roleArn"])).passed
