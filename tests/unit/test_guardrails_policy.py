"""Guardrail policy documents: the schema, the built-in defaults, hostile input, selection caps."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from chaos_pulumi.spec.guardrails import (
    RULES,
    SAFE_DEFAULTS,
    load_policy_file,
    parse_policy,
    safe_defaults,
    safe_defaults_text,
    selection_cap,
    selection_rule,
)


def parse(text: str):
    return parse_policy(yaml.safe_load(text), "test.yaml")


def errors(problems) -> dict[str, str]:
    return {p.path: p.message for p in problems if p.severity == "error"}


def test_safe_defaults_are_the_documented_file() -> None:
    policy = safe_defaults()
    assert policy.name == SAFE_DEFAULTS and policy.source == "built in" and policy.enabled
    assert list(policy.rules) == [
        "stop_condition_required",
        "max_duration",
        "max_action_duration",
        "max_selection",
        "denied_actions",
        "role_trust",
    ]
    assert policy.rules["max_duration"].params.seconds == 3600
    assert policy.rules["max_action_duration"].params.seconds == 1800
    assert "aws:*:terminate-*" in policy.rules["denied_actions"].params.patterns
    # The text users copy parses to the same policy.
    again, problems = parse_policy(yaml.safe_load(safe_defaults_text()), "copy.yaml")
    assert problems == [] and again is not None and again.rules == policy.rules


def test_a_policy_extends_the_defaults_rule_by_rule() -> None:
    policy, problems = parse(
        """
        version: 1
        name: acme
        rules:
          max_duration: PT30M
          denied_actions: false
          required_tags: [team, owner]
          require_logging: {level: warning}
        """
    )
    assert problems == [] and policy is not None
    assert policy.name == "acme"
    assert policy.rules["max_duration"].params.seconds == 1800
    assert "denied_actions" not in policy.rules
    assert policy.rules["stop_condition_required"] == safe_defaults().rules["stop_condition_required"]
    assert dict(policy.rules["required_tags"].params.tags) == {"team": None, "owner": None}
    assert policy.rules["require_logging"].level == "warning"
    # Rules keep the registry's order whatever order the document has.
    assert list(policy.rules) == [r for r in RULES if r in policy.rules]


def test_extends_none_starts_empty_and_long_forms_read() -> None:
    policy, problems = parse(
        """
        version: 1
        extends: none
        waiver_tag: acme:waiver
        rules:
          max_action_duration: {max: PT10M, waivable: false}
          allowed_actions: {actions: ['aws:ec2:*', 'aws:fis:wait'], level: warning}
          required_tags: {tags: {env: [staging, production], team: null}}
          max_selection:
            resource_types:
              "*": {count: 5}
              aws:rds:db: {count: 1, percent: 0, all: never}
              "aws:ec2:*": {percent: 25}
        """
    )
    assert problems == [] and policy is not None
    assert policy.name == "test"  # from the file name
    assert policy.waiver_tag == "acme:waiver"
    assert list(policy.rules) == ["max_action_duration", "max_selection", "allowed_actions", "required_tags"]
    assert policy.rules["max_action_duration"].waivable is False
    assert dict(policy.rules["required_tags"].params.tags) == {"env": ("staging", "production"), "team": None}
    assert selection_cap(policy, "aws:rds:db") == (1, 0)
    assert selection_rule(policy, "aws:rds:db").all == "never"
    assert selection_cap(policy, "aws:ec2:instance") == (5, 25)  # '*' overlaid by 'aws:ec2:*'
    assert selection_cap(policy, "aws:lambda:function") == (5, None)


def test_selection_cap_without_the_rule_is_unlimited() -> None:
    assert selection_cap(safe_defaults(), "aws:ec2:instance") == (10, 50)
    assert selection_cap(None, "aws:ec2:instance") == (None, None)
    policy, _ = parse("version: 1\nrules: {max_selection: false}")
    assert selection_cap(policy, "aws:ec2:instance") == (None, None)


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        ("name: x", "version", "is required"),
        ("version: 2", "version", "upgrade chaos-pulumi"),
        ("version: '1'", "version", "must be the number 1"),
        ("version: 1\nrule: {}", "rule", "did you mean 'rules'"),
        ("version: 1\nrules: {max_duraton: PT1H}", "rules.max_duraton", "did you mean 'max_duration'"),
        ("version: 1\nrules: {max_duration: 1 hour}", "rules.max_duration", "PT30M, PT1H"),
        ("version: 1\nrules: {max_duration: true}", "rules.max_duration", "needs a value"),
        ("version: 1\nrules: {max_duration: {maxx: PT1H}}", "rules.max_duration.maxx", "did you mean 'max'"),
        ("version: 1\nrules: {max_duration: {level: warning}}", "rules.max_duration.max", "is required"),
        (
            "version: 1\nrules: {stop_condition_required: yes please}",
            "rules.stop_condition_required",
            "true, false",
        ),
        (
            "version: 1\nrules: {stop_condition_required: {level: fatal}}",
            "rules.stop_condition_required.level",
            "error or warning",
        ),
        (
            "version: 1\nrules: {max_selection: {resource_types: {'*': {count: -1}}}}",
            "rules.max_selection.resource_types.*.count",
            "0 or more",
        ),
        (
            "version: 1\nrules: {max_selection: {resource_types: {'*': {percent: 150}}}}",
            "rules.max_selection.resource_types.*.percent",
            "0-100",
        ),
        (
            "version: 1\nrules: {max_selection: {resource_types: {'*': {count: true}}}}",
            "rules.max_selection.resource_types.*.count",
            "whole number",
        ),
        (
            "version: 1\nrules: {max_selection: {resource_types: {'*': {all: sometimes}}}}",
            "rules.max_selection.resource_types.*.all",
            "listed-arns",
        ),
        (
            "version: 1\nrules: {max_selection: {resource_types: {'*': {cout: 1}}}}",
            "rules.max_selection.resource_types.*.cout",
            "did you mean 'count'",
        ),
        ("version: 1\nrules: {denied_actions: aws:ec2:*}", "rules.denied_actions", "list of strings"),
        ("version: 1\nextends: strict", "extends", "safe-defaults or none"),
        ("version: 1\nwaiver_tag: aws:waiver", "waiver_tag", "reserved by AWS"),
        ("[1, 2]", "", "must be a mapping"),
    ],
)
def test_schema_errors_name_the_field_and_the_fix(text: str, path: str, words: str) -> None:
    policy, problems = parse(text)
    assert policy is None
    found = errors(problems)
    assert path in found, problems
    assert words in found[path]


def test_unknown_names_in_the_catalog_are_warnings() -> None:
    policy, problems = parse(
        "version: 1\nrules: {denied_actions: ['aws:ec2:terminate-instance'], "
        "max_selection: {resource_types: {'aws:ec2:instanse': {count: 1}}}}"
    )
    assert policy is not None
    assert [p.severity for p in problems] == ["warning", "warning"]
    assert {p.path for p in problems} == {
        "rules.max_selection.resource_types.aws:ec2:instanse",
        "rules.denied_actions[0]",
    }


def test_policy_file_hostile_input(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    lines = ["version: 1", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    lines.append("rules: {allowed_actions: *a11}")
    bomb.write_text("\n".join(lines))
    t0 = time.perf_counter()
    policy, problems = load_policy_file(bomb)
    assert time.perf_counter() - t0 < 10  # a 10^12-node expansion would never finish
    assert policy is None and problems

    big = tmp_path / "big.yaml"
    big.write_text("version: 1\n# " + "x" * 300_000)
    policy, problems = load_policy_file(big)
    assert policy is None and "larger than 256 KiB" in problems[0].message

    deep = tmp_path / "deep.yaml"
    deep.write_text("version: 1\nrules: " + "[" * 5000 + "]" * 5000)
    policy, problems = load_policy_file(deep)
    assert policy is None and problems

    dup = tmp_path / "dup.yaml"
    dup.write_text("version: 1\nversion: 1\n")
    policy, problems = load_policy_file(dup)
    assert policy is None and "duplicate key" in problems[0].message

    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    assert "not UTF-8" in load_policy_file(binary)[1][0].message
    assert "no such file" in load_policy_file(tmp_path / "missing.yaml")[1][0].message
    assert "is a directory" in load_policy_file(tmp_path)[1][0].message


def test_many_bad_entries_stop_at_a_bounded_number_of_problems() -> None:
    data = {"version": 1, "rules": {f"rule{i}": True for i in range(900)}}
    policy, problems = parse_policy(data, "many.yaml")
    assert policy is None and 0 < len(problems) <= 100


def test_the_example_production_policy_reads_cleanly_and_judges_the_examples() -> None:
    from chaos_pulumi.spec import load_file
    from chaos_pulumi.spec.guardrails import evaluate

    from ._spec_fixtures import EXAMPLES, ROOT

    policy, problems = load_policy_file(ROOT / "examples" / "guardrails" / "production.yaml")
    assert problems == [] and policy is not None and policy.name == "production"
    verdicts = {p.name: evaluate(load_file(p).spec, policy) for p in EXAMPLES}
    # ssm-cpu-stress takes half of the API instances: more than production's 25 %.
    assert [(x.path, x.rule, x.severity) for x in verdicts["ssm-cpu-stress.yaml"].problems] == [
        ("targets.api-instances.selectionMode", "max_selection", "error"),
        ("logConfiguration", "require_logging", "warning"),
    ]
    # The rest fit; those without logs get a warning, not an error.
    assert all(v.passed for name, v in verdicts.items() if name != "ssm-cpu-stress.yaml")
    assert verdicts["ec2-stop-one-instance.yaml"].verdict("require_logging").status == "fail"
