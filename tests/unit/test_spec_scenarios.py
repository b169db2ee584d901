"""The FIS scenario library generators: console equality, parameters, waivers, and the validator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaos_pulumi.spec import TemplateSpec, catalog, has_errors, validate
from chaos_pulumi.spec.durations import parse_duration
from chaos_pulumi.spec.explain import timeline
from chaos_pulumi.spec.guardrails import DEFAULT_WAIVER_TAG as WAIVER_TAG
from chaos_pulumi.spec.guardrails import evaluate, safe_defaults
from chaos_pulumi.spec.scenario_params import ScenarioError, scenario_declarations
from chaos_pulumi.spec.scenarios import render_scenario, scenario_names

ROLE = "arn:aws:iam::123456789012:role/fis-scenarios"
ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-errors"
CONTENT = yaml.safe_load((Path(__file__).parent / "data" / "fis-scenario-content.yaml").read_text())
OTHERS = ["us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"]

# Minimal parameters per scenario (besides role and stop conditions).
REQUIRED: dict[str, dict[str, Any]] = {
    "az-power-interruption": {"availability_zone": "us-east-1a"},
    "az-application-slowdown": {"availability_zone": "us-east-1a"},
    "cross-az-traffic-slowdown": {"availability_zone": "us-east-1a", "other_availability_zones": OTHERS},
    "cross-region-connectivity": {"destination_region": "eu-west-1"},
}


# The waiver each scenario's default template carries (with alarms given): the rules AWS's design breaks
# under the safe defaults, and why. The console's templates carry no such tag; ours must, visibly.
SELECTS_ALL = "ALL on its opt-in tags (the preflight caps runs)"
DESIGN_WAIVER = {
    "az-power-interruption": "max_selection, max_action_duration: az-power-interruption by AWS's design: "
    f"{SELECTS_ALL}, capacity errors span outage+recovery",
    "az-application-slowdown": f"max_selection: az-application-slowdown by AWS's design: {SELECTS_ALL}",
    "cross-az-traffic-slowdown": f"max_selection: cross-az-traffic-slowdown by AWS's design: {SELECTS_ALL}",
    "cross-region-connectivity": "max_selection, max_action_duration, max_duration: "
    f"cross-region-connectivity by AWS's design: {SELECTS_ALL}, 3 h default isolation",
}


def _render(name: str, **params: Any):
    return render_scenario(name, {"role_arn": ROLE, "stop_conditions": [ALARM], **REQUIRED[name], **params})


def _as_console(name: str, **fix: Any) -> TemplateSpec:
    """The page's JSON with our role and alarm, as the console would save it, plus the design waiver."""
    data = json.loads(json.dumps(CONTENT[name]))
    data["tags"] = {**data.get("tags", {}), WAIVER_TAG: DESIGN_WAIVER[name]}
    data["roleArn"] = ROLE
    data["stopConditions"] = [{"source": "aws:cloudwatch:alarm", "value": ALARM}]
    for target in data["targets"].values():
        if target["resourceType"] == "aws:eks:pod":
            target["parameters"]["clusterIdentifier"] = fix.get("eks_cluster", "")
    return TemplateSpec.from_dict(data)


def test_the_library_has_the_four_scenarios_of_the_user_guide() -> None:
    assert scenario_names() == [
        "az-power-interruption",
        "az-application-slowdown",
        "cross-az-traffic-slowdown",
        "cross-region-connectivity",
    ]
    for decl in scenario_declarations().values():
        assert decl.url.startswith("https://docs.aws.amazon.com/fis/latest/userguide/")
        assert decl.read and decl.verified in ("content", "prose")


@pytest.mark.parametrize("name", ["az-application-slowdown", "cross-az-traffic-slowdown"])
def test_defaults_equal_the_console_content(name: str) -> None:
    assert _render(name, eks_cluster="prod").spec == _as_console(name, eks_cluster="prod")


def test_cross_region_defaults_equal_the_console_content_with_its_placeholder_tags() -> None:
    placeholders = {
        "disrupt-transit-gateway-connectivity": {"TgwTag": "TgwValue"},
        "disrupt-subnet-connectivity": {"SubnetKey": "SubnetValue"},
        "disrupt-vpc-endpoint": {"DisruptPrivateLink": "Allowed"},
        "pause-s3-replication": {"S3Impact": "Allowed"},
        "pause-dynamodb-replication": {"DisruptDynamoDb": "Allowed"},
        "pause-memorydb-replication": {"DisruptMemoryDb": "Allowed"},
    }
    ours = _render("cross-region-connectivity", target_tags=placeholders).spec.to_dict()
    theirs = _as_console("cross-region-connectivity").to_dict()
    memorydb = "Pause-MemoryDB-Multi-Region-Cluster-Replication"
    if "region" not in catalog().actions["aws:memorydb:multi-region-cluster-pause-replication"].parameters:
        # The packaged catalog lacks this parameter (reported to the integrator); all else is equal.
        del theirs["actions"][memorydb]["parameters"]["region"]
    assert ours == theirs


def test_cross_region_default_tags_follow_the_prose() -> None:
    spec = _render("cross-region-connectivity").spec
    assert spec.targets["Transit-Gateway"].resource_tags == {"DisruptTransitGateway": "Allowed"}
    assert spec.targets["S3-Bucket"].resource_tags == {"DisruptS3": "Allowed"}
    assert spec.actions["Pause-S3-Replication"].parameters == {"duration": "PT3H", "region": "eu-west-1"}


def test_eks_sub_action_is_left_out_without_a_cluster_and_refused_when_asked_for() -> None:
    rendered = _render("az-application-slowdown")
    assert "latency-for-eks" in rendered.left_out
    assert set(rendered.actions) == {"LatencyForEC2", "LatencyForECS"}
    with pytest.raises(ScenarioError) as err:
        _render("az-application-slowdown", include=["latency-for-eks"])
    assert err.value.problems[0].path == "parameters.include"
    assert "eks_cluster" in err.value.problems[0].message


@pytest.mark.parametrize(
    ("params", "checks"),
    [
        (
            {"delay_milliseconds": "500", "flows_percent": 25, "duration": "PT2H"},
            {"delay": "500", "flows": "25"},
        ),
        ({"tag_key": "Team", "tag_value": "payments"}, {"tag": {"Team": "payments"}}),
    ],
)
def test_application_slowdown_shared_parameters_reach_every_action(params: dict, checks: dict) -> None:
    spec = _render("az-application-slowdown", eks_cluster="prod", **params).spec
    ec2 = json.loads(spec.actions["LatencyForEC2"].parameters["documentParameters"])
    if "delay" in checks:
        assert (
            ec2["DelayMilliseconds"] == spec.actions["LatencyForECS"].parameters["delayMilliseconds"] == "500"
        )
        assert spec.actions["LatencyForEKS"].parameters["flowsPercent"] == ec2["FlowsPercent"] == "25"
        assert ec2["DurationSeconds"] == "7200"
    if "tag" in checks:
        assert spec.targets["TargetsForEC2"].resource_tags == checks["tag"]
        assert spec.targets["TargetsForECS"].resource_tags == checks["tag"]
        assert spec.targets["TargetsForEKS"].parameters["selectorValue"] == "Team=payments"


def test_az_power_interruption_defaults() -> None:
    rendered = _render("az-power-interruption")
    spec = rendered.spec
    assert rendered.left_out == {
        "pause-instance-launches": "needs iam_roles (the roles that launch instances)"
    }
    assert spec.experiment_options.empty_target_resolution_mode == "skip"
    assert spec.targets["EC2-Instances"].resource_tags == {"AzImpairmentPower": "StopInstances"}
    assert [f.to_dict() for f in spec.targets["EC2-Instances"].filters] == [
        {"path": "State.Name", "values": ["running"]},
        {"path": "Placement.AvailabilityZone", "values": ["us-east-1a"]},
    ]
    assert spec.actions["Stop-Instances"].parameters["startInstancesAfterDuration"] == "PT30M"
    assert spec.actions["Pause-ASG-Scaling"].parameters == {
        "availabilityZoneIdentifiers": "us-east-1a",
        "duration": "PT1H",
        "percentage": "100",
    }
    assert spec.actions["Pause-Network-Connectivity"].parameters == {"duration": "PT2M", "scope": "all"}
    assert spec.actions["Pause-EBS-IO"].start_after == ("Stop-ASG-Instances", "Stop-Instances")
    assert spec.targets["RDS-Cluster"].parameters == {"writerAvailabilityZoneIdentifiers": "us-east-1a"}
    # 30 minutes of interruption, then 30 of recovery.
    assert timeline(spec).total_seconds == 3600


def test_az_power_interruption_with_roles_and_autoshift() -> None:
    launcher = "arn:aws:iam::123456789012:role/ci-launcher"
    spec = _render(
        "az-power-interruption",
        iam_roles=[launcher],
        include=["pause-instance-launches", "start-arc-zonal-autoshift"],
        interruption_duration="PT20M",
        recovery_duration="PT10M",
    ).spec
    assert spec.targets["IAM-role"].resource_arns == (launcher,)
    assert spec.actions["Pause-Instance-Launches"].parameters["duration"] == "PT30M"
    assert spec.actions["Start-ARC-Zonal-Autoshift"].parameters["duration"] == "PT15M"
    assert spec.actions["Start-ARC-Zonal-Autoshift"].start_after == ("Wait-Before-Autoshift",)
    assert timeline(spec).total_seconds == 30 * 60


def test_ebs_pause_waits_out_the_interruption_without_the_stop_actions() -> None:
    spec = _render("az-power-interruption", include=["pause-ebs-io"], interruption_duration="PT10M").spec
    assert spec.actions["Wait-For-Recovery"].parameters == {"duration": "PT10M"}
    assert spec.actions["Pause-EBS-IO"].start_after == ("Wait-For-Recovery",)


def test_one_tag_for_every_target_like_the_console_targeting_tags() -> None:
    spec = _render("az-power-interruption", tag_value="Ready").spec
    assert {tuple(t.resource_tags.items()) for t in spec.targets.values()} == {
        (("AzImpairmentPower", "Ready"),)
    }


def test_no_stop_condition_needs_an_explicit_waiver() -> None:
    params = {"role_arn": ROLE, **REQUIRED["az-application-slowdown"]}
    with pytest.raises(ScenarioError) as err:
        render_scenario("az-application-slowdown", params)
    assert [p.path for p in err.value.problems] == ["parameters.stop_conditions"]
    assert "waiver" in err.value.problems[0].message
    spec = render_scenario("az-application-slowdown", {**params, "waiver": "staging, watched live"}).spec
    assert [s.to_dict() for s in spec.stop_conditions] == [{"source": "none"}]
    design = DESIGN_WAIVER["az-application-slowdown"].split(": ", 1)[1]
    assert spec.tags[WAIVER_TAG] == f"stop_condition_required, max_selection: staging, watched live; {design}"


def test_alarms_become_stop_conditions_and_no_stop_condition_waiver() -> None:
    spec = _render("cross-region-connectivity").spec
    assert [s.to_dict() for s in spec.stop_conditions] == [{"source": "aws:cloudwatch:alarm", "value": ALARM}]
    assert spec.tags[WAIVER_TAG] == DESIGN_WAIVER["cross-region-connectivity"]
    assert "stop_condition_required" not in spec.tags[WAIVER_TAG]


@pytest.mark.parametrize(
    ("name", "params", "path", "words"),
    [
        (
            "az-power-interruption",
            {"availability_zone": "use1-az1"},
            "parameters.availability_zone",
            "AZ name",
        ),
        (
            "az-power-interruption",
            {"interruption_duration": "half an hour"},
            "parameters.interruption_duration",
            "ISO-8601",
        ),
        ("az-power-interruption", {"recovery_duration": "PT13H"}, "parameters.recovery_duration", "maximum"),
        ("az-application-slowdown", {"flows_percent": 0}, "parameters.flows_percent", "range"),
        ("az-application-slowdown", {"delay_ms": 5}, "parameters.delay_ms", "delay_milliseconds"),
        (
            "cross-az-traffic-slowdown",
            {"other_availability_zones": ["us-east-1a"]},
            "parameters.other_availability_zones",
            "itself",
        ),
        ("cross-region-connectivity", {"include": ["pause-s3"]}, "parameters.include", "not a sub-action"),
        ("cross-region-connectivity", {"include": []}, "parameters.include", "no action"),
        (
            "cross-region-connectivity",
            {"stop_conditions": ["web-5xx"]},
            "parameters.stop_conditions[0]",
            "alarm ARN",
        ),
        ("cross-region-connectivity", {"role_arn": "fis-role"}, "parameters.role_arn", "IAM role ARN"),
    ],
)
def test_bad_parameters_name_the_field_and_the_fix(name: str, params: dict, path: str, words: str) -> None:
    with pytest.raises(ScenarioError) as err:
        _render(name, **params)
    assert any(p.path == path and words in p.message for p in err.value.problems), err.value.problems


def test_missing_required_parameter_and_unknown_scenario() -> None:
    with pytest.raises(ScenarioError) as err:
        render_scenario("cross-region-connectivity", {"role_arn": ROLE, "waiver": "x"})
    assert err.value.problems[0].path == "parameters.destination_region"
    with pytest.raises(ScenarioError) as err:
        render_scenario("az-outage", {})
    assert "az-power-interruption" in str(err.value)


def test_cli_style_text_values_are_coerced() -> None:
    spec = _render(
        "cross-az-traffic-slowdown",
        other_availability_zones="us-east-1b, us-east-1c",
        loss_percent="40",
        tags="{team: sre}",
    ).spec
    assert spec.actions["PacketLossForECS"].parameters["sources"] == "us-east-1b,us-east-1c"
    assert spec.actions["PacketLossForECS"].parameters["lossPercent"] == "40"
    assert spec.tags["team"] == "sre"


PARAMETER_SETS = [
    ("az-power-interruption", {}),
    ("az-power-interruption", {"iam_roles": ["arn:aws:iam::123456789012:role/ci"], "tag_value": "Ready"}),
    (
        "az-power-interruption",
        {"include": ["start-arc-zonal-autoshift", "failover-rds"], "interruption_duration": "PT1H"},
    ),
    (
        "az-power-interruption",
        {
            "include": ["pause-ebs-io"],
            "log_group_arn": "arn:aws:logs:us-east-1:123456789012:log-group:/fis/scenarios",
        },
    ),
    ("az-application-slowdown", {}),
    ("az-application-slowdown", {"eks_cluster": "prod", "delay_milliseconds": 50, "duration": "PT5M"}),
    ("cross-az-traffic-slowdown", {"eks_cluster": "prod", "loss_percent": 100}),
    ("cross-az-traffic-slowdown", {"include": ["packet-loss-for-ecs"], "flows_percent": 10}),
    ("cross-region-connectivity", {}),
    ("cross-region-connectivity", {"duration": "PT12H", "include": ["pause-dynamodb-replication"]}),
]


@pytest.mark.parametrize(("name", "params"), PARAMETER_SETS)
def test_rendered_templates_pass_the_validator(name: str, params: dict) -> None:
    rendered = _render(name, **params)
    data = rendered.to_dict()
    problems = validate(data)
    assert not has_errors(problems), [str(p) for p in problems if p.severity == "error"]
    assert TemplateSpec.from_dict(data) == rendered.spec
    assert set(rendered.actions.values()) <= set(catalog().actions)


@pytest.mark.parametrize("name", ["az-power-interruption", "cross-region-connectivity"])
def test_waived_templates_pass_the_validator_with_the_no_stop_warning(name: str) -> None:
    rendered = render_scenario(name, {"role_arn": ROLE, "waiver": "game day, watched", **REQUIRED[name]})
    problems = validate(rendered.to_dict())
    assert not has_errors(problems)
    assert any(p.path == "stopConditions" and p.severity == "warning" for p in problems)


def test_front_end_scenario_option_fills_the_role_and_prefixes_paths() -> None:
    from chaos_pulumi.spec.scenarios import render_option

    option = {
        "name": "az-application-slowdown",
        "parameters": {"availability_zone": "us-east-1a", "waiver": "staging game day"},
    }
    rendered = render_option(option, role_arn=ROLE)
    assert rendered.spec.role_arn == ROLE
    with pytest.raises(ScenarioError) as err:
        render_option({"name": "az-application-slowdown", "parameters": {"availability_zone": "us-east-1a"}})
    assert {p.path for p in err.value.problems} == {"scenario.parameters.role_arn"}
    with pytest.raises(ScenarioError) as err:
        render_option({"name": "az-application-slowdown", "params": {}})
    assert err.value.problems[0].path == "scenario.params"
    with pytest.raises(ScenarioError) as err:
        render_option("az-application-slowdown")
    assert err.value.problems[0].path == "scenario"


# ----- the guardrail policy: scenarios pass the safe defaults, through a visible waiver --------------


def _durations_at_most_defaults(name: str, params: dict) -> bool:
    decls = scenario_declarations()[name].parameters
    return all(
        parse_duration(value) <= parse_duration(decls[key].default)
        for key, value in params.items()
        if decls[key].type == "duration"
    )


@pytest.mark.parametrize(("name", "params"), PARAMETER_SETS)
def test_rendered_templates_pass_the_safe_defaults_or_say_which_durations_need_a_waiver(
    name: str, params: dict
) -> None:
    rendered = _render(name, **params)
    evaluation = evaluate(rendered.spec, safe_defaults())
    broken = {p.rule for p in evaluation.problems if p.severity == "error"}
    if _durations_at_most_defaults(name, params):
        assert evaluation.passed, [str(p) for p in evaluation.problems]
    else:  # longer than AWS's defaults: the user's choice, never waived for them
        assert broken and broken <= {"max_action_duration", "max_duration"}, broken
        named = ", ".join(sorted(broken))
        approved = _render(name, **params, waiver=f"{named}: long drill approved in OPS-9")
        assert evaluate(approved.spec, safe_defaults()).passed
        assert approved.spec.tags[WAIVER_TAG].startswith(f"{named}")
    assert "stop_condition_required" not in rendered.spec.tags.get(WAIVER_TAG, "")


def test_a_design_rule_is_waived_only_when_the_template_breaks_it() -> None:
    # One listed IAM role and the EBS pause at COUNT(1): nothing selects ALL on tags, nothing runs long.
    rendered = _render(
        "az-power-interruption",
        include=["pause-instance-launches"],
        iam_roles=["arn:aws:iam::123456789012:role/ci"],
        interruption_duration="PT10M",
        recovery_duration="PT10M",
    )
    assert WAIVER_TAG not in rendered.spec.tags
    assert evaluate(rendered.spec, safe_defaults()).passed


def test_the_waiver_shows_in_explain_and_validate() -> None:
    from chaos_pulumi.spec.explain import explain

    rendered = render_scenario(
        "cross-region-connectivity",
        {"role_arn": ROLE, "destination_region": "eu-west-1", "waiver": "DR drill, on-call watching"},
    )
    evaluation = evaluate(rendered.spec, safe_defaults())
    assert evaluation.passed
    assert {v.rule for v in evaluation.verdicts if v.status == "waived"} == {
        "stop_condition_required",
        "max_selection",
        "max_action_duration",
        "max_duration",
    }
    text = explain(rendered.spec, guardrails=evaluation)
    assert "**Waiver** (tag `chaos:waiver`)" in text and "DR drill, on-call watching" in text


@pytest.mark.parametrize(
    ("waiver", "alarms", "words"),
    [
        ("x", False, "a reason a reviewer can judge"),
        ("staging drill, watched", True, "waives nothing: stop_conditions are given"),
        ("max_selection: " + "long " * 60, True, "over FIS's 256"),
    ],
)
def test_a_waiver_that_cannot_stand_is_refused(waiver: str, alarms: bool, words: str) -> None:
    params = {"role_arn": ROLE, **REQUIRED["az-application-slowdown"], "waiver": waiver}
    if alarms:
        params["stop_conditions"] = [ALARM]
    with pytest.raises(ScenarioError) as err:
        render_scenario("az-application-slowdown", params)
    assert [p.path for p in err.value.problems] == ["parameters.waiver"]
    assert words in err.value.problems[0].message


def test_a_waiver_naming_rules_keeps_the_alarms_and_a_colon_in_a_reason_is_a_reason() -> None:
    named = _render(
        "az-application-slowdown", duration="PT45M", waiver="max_action_duration: 45 min drill, OPS-9"
    )
    assert named.spec.stop_conditions[0].value == ALARM
    assert named.spec.tags[WAIVER_TAG].startswith("max_action_duration, max_selection: 45 min drill, OPS-9; ")
    assert evaluate(named.spec, safe_defaults()).passed
    params = {"role_arn": ROLE, **REQUIRED["az-application-slowdown"], "waiver": "DR drill: on-call watching"}
    plain = render_scenario("az-application-slowdown", params)
    assert plain.spec.tags[WAIVER_TAG].startswith("stop_condition_required, max_selection: DR drill: on-call")
