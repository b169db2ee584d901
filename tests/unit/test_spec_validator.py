"""The validator: every rule, with the field path and a fix in the message; never raises."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaos_pulumi.spec import Problem, has_errors, load_file, load_text, validate

from ._spec_fixtures import EXAMPLES, base_template


def errors(data: Any) -> list[str]:
    return [str(p) for p in validate(data) if p.severity == "error"]


def warnings(data: Any) -> list[str]:
    return [str(p) for p in validate(data) if p.severity == "warning"]


def test_base_template_is_clean() -> None:
    assert validate(base_template()) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_validate_without_errors_or_warnings(path) -> None:
    result = load_file(path)
    assert result.valid
    assert result.problems == []


def test_problem_str_is_path_colon_message() -> None:
    p = Problem("actions.stop.targets.Instances", "target 'api' is not defined (defined: web, db)")
    assert str(p) == "actions.stop.targets.Instances: target 'api' is not defined (defined: web, db)"
    assert p.severity == "error"
    assert has_errors([p]) and not has_errors([Problem("x", "y", "warning")])


def test_undefined_target_names_the_defined_ones() -> None:
    t = base_template()
    t["actions"]["stop"]["targets"]["Instances"] = "api"
    assert "actions.stop.targets.Instances: target 'api' is not defined (defined: web, db)" in errors(t)


def test_unknown_action_id_suggests_the_close_one() -> None:
    t = base_template()
    t["actions"]["stop"]["actionId"] = "aws:ec2:stop-instance"
    (msg,) = [e for e in errors(t) if e.startswith("actions.stop.actionId")]
    assert "unknown action 'aws:ec2:stop-instance'" in msg and "did you mean 'aws:ec2:stop-instances'" in msg


def test_unknown_resource_type() -> None:
    t = base_template()
    t["targets"]["web"]["resourceType"] = "aws:ec2:instances"
    assert any(
        e.startswith("targets.web.resourceType: unknown resource type 'aws:ec2:instances'") for e in errors(t)
    )


@pytest.mark.parametrize("field", ["description", "roleArn", "stopConditions", "actions"])
def test_missing_required_top_level_field(field) -> None:
    t = base_template()
    del t[field]
    assert any(e.startswith(f"{field}: is required") for e in errors(t))


def test_missing_required_parameter_says_what_to_add() -> None:
    t = base_template()
    del t["actions"]["stress"]["parameters"]["duration"]
    assert (
        "actions.stress.parameters.duration: required parameter 'duration' of action aws:ssm:send-command "
        "is missing; add duration: 'PT5M'" in errors(t)
    )


def test_unknown_parameter_lists_the_allowed_ones() -> None:
    t = base_template()
    t["actions"]["stop"]["parameters"]["startInstancesAfter"] = "PT5M"
    (msg,) = [e for e in errors(t) if "startInstancesAfter:" in e]
    assert "did you mean 'startInstancesAfterDuration'" in msg
    assert "allowed: startInstancesAfterDuration, completeIfInstancesTerminated" in msg


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("five minutes", "'five minutes' is not an ISO-8601 duration; write e.g. PT5M"),
        ("PT", "'PT' is not an ISO-8601 duration"),
        ("5M", "'5M' is not an ISO-8601 duration"),
        ("PT30S", "PT30S is shorter than the minimum PT1M"),
        ("PT13H", "PT13H is longer than the maximum PT12H"),
    ],
)
def test_bad_durations(value, fragment) -> None:
    t = base_template()
    t["actions"]["stress"]["parameters"]["duration"] = value
    (msg,) = [e for e in errors(t) if e.startswith("actions.stress.parameters.duration")]
    assert fragment in msg


def test_duration_ranges_are_per_action() -> None:
    t = base_template()
    t["targets"]["vol"] = {
        "resourceType": "aws:ec2:ebs-volume",
        "resourceTags": {"a": "b"},
        "selectionMode": "COUNT(1)",
    }
    t["actions"]["pause"] = {
        "actionId": "aws:ebs:pause-volume-io",
        "parameters": {"duration": "PT30S"},
        "targets": {"Volumes": "vol"},
    }
    assert not [e for e in errors(t) if "pause" in e]  # EBS takes 1s..12h
    t["actions"]["spot"] = {
        "actionId": "aws:ec2:send-spot-instance-interruptions",
        "parameters": {"durationBeforeInterruption": "PT1M"},
        "targets": {"SpotInstances": "spot"},
    }
    t["targets"]["spot"] = {
        "resourceType": "aws:ec2:spot-instance",
        "resourceTags": {"a": "b"},
        "selectionMode": "COUNT(1)",
    }
    assert any("PT1M is shorter than the minimum PT2M" in e for e in errors(t))


@pytest.mark.parametrize(
    ("action", "params", "fragment"),
    [
        (
            "aws:fis:inject-api-throttle-error",
            {"duration": "PT5M", "service": "ec2", "percentage": "150", "operations": "DescribeInstances"},
            "150 is out of range; use 1-100",
        ),
        (
            "aws:fis:inject-api-throttle-error",
            {"duration": "PT5M", "service": "ec2", "percentage": "half", "operations": "DescribeInstances"},
            "'half' is not a whole number",
        ),
        (
            "aws:fis:inject-api-throttle-error",
            {"duration": "PT5M", "service": "s3", "percentage": "10", "operations": "DescribeInstances"},
            "'s3' is not one of ec2, kinesis",
        ),
        (
            "aws:fis:inject-api-throttle-error",
            {"duration": "PT5M", "service": "ec2", "percentage": "10", "operations": "A,,B"},
            "has an empty item",
        ),
    ],
)
def test_parameter_types(action, params, fragment) -> None:
    t = base_template()
    t["targets"]["role"] = {
        "resourceType": "aws:iam:role",
        "resourceArns": ["arn:aws:iam::123456789012:role/app"],
        "selectionMode": "ALL",
    }
    t["actions"]["api"] = {"actionId": action, "parameters": params, "targets": {"Roles": "role"}}
    assert any(fragment in e for e in errors(t)), errors(t)


def test_boolean_and_json_parameters() -> None:
    t = base_template()
    t["actions"]["stop"]["parameters"]["completeIfInstancesTerminated"] = "yes"
    t["actions"]["stress"]["parameters"]["documentParameters"] = "{DurationSeconds: 120}"
    errs = errors(t)
    assert any(
        "completeIfInstancesTerminated: 'yes' is not a boolean; use 'true' or 'false'" in e for e in errs
    )
    assert any(e.startswith("actions.stress.parameters.documentParameters: is not valid JSON") for e in errs)


def test_yaml_numbers_and_booleans_in_parameters_are_warnings_and_sent_as_strings() -> None:
    t = base_template()
    t["actions"]["stop"]["parameters"]["completeIfInstancesTerminated"] = True
    ws = warnings(t)
    assert any("completeIfInstancesTerminated: is a YAML boolean" in w and "'true'" in w for w in ws)
    assert not errors(t)


def test_list_parameter_limits() -> None:
    t = base_template()
    arns = ",".join(f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:a{i}" for i in range(6))
    t["actions"]["check"] = {
        "actionId": "aws:cloudwatch:assert-alarm-state",
        "parameters": {"alarmArns": arns, "alarmStates": "OK,BROKEN"},
    }
    errs = errors(t)
    assert "actions.check.parameters.alarmArns: has 6 items; the limit is 5" in errs
    assert any(e.startswith("actions.check.parameters.alarmStates: 'BROKEN' is not one of") for e in errs)


@pytest.mark.parametrize(
    "mode", ["SOME", "COUNT(n)", "PERCENT(101)", "PERCENT(0)", "COUNT(0)", "count(1)", 1]
)
def test_selection_mode_grammar(mode) -> None:
    t = base_template()
    t["targets"]["web"]["selectionMode"] = mode
    assert any(e.startswith("targets.web.selectionMode:") for e in errors(t))


@pytest.mark.parametrize("mode", ["ALL", "COUNT(3)", "PERCENT(1)", "PERCENT(100)"])
def test_selection_mode_accepts(mode) -> None:
    t = base_template()
    t["targets"]["web"]["selectionMode"] = mode
    assert not [e for e in errors(t) if "selectionMode" in e]


def test_target_key_the_action_does_not_take() -> None:
    t = base_template()
    t["actions"]["stop"]["targets"] = {"Clusters": "web"}
    errs = errors(t)
    assert (
        "actions.stop.targets.Clusters: aws:ec2:stop-instances has no target key 'Clusters' "
        "(it takes: Instances)" in errs
    )
    assert any(
        e.startswith("actions.stop.targets: aws:ec2:stop-instances needs a target for 'Instances'")
        for e in errs
    )


def test_target_resource_type_mismatch() -> None:
    t = base_template()
    t["targets"]["web"]["resourceType"] = "aws:ec2:subnet"
    assert (
        "actions.stop.targets.Instances: target 'web' has resourceType aws:ec2:subnet, but "
        "aws:ec2:stop-instances needs aws:ec2:instance for Instances"
    ) in errors(t)


def test_actions_without_targets_take_none() -> None:
    t = base_template()
    t["actions"]["wait"] = {
        "actionId": "aws:fis:wait",
        "parameters": {"duration": "PT1M"},
        "targets": {"Instances": "web"},
    }
    assert "actions.wait.targets.Instances: aws:fis:wait takes no targets; remove 'Instances'" in errors(t)


def test_start_after_undefined_and_self() -> None:
    t = base_template()
    t["actions"]["stress"]["startAfter"] = ["stopp", "stress"]
    errs = errors(t)
    assert "actions.stress.startAfter[0]: action 'stopp' is not defined (defined: stop)" in errs
    assert "actions.stress.startAfter[1]: action 'stress' cannot start after itself" in errs


def test_start_after_cycle_is_reported_once_with_the_loop() -> None:
    t = base_template()
    t["actions"]["stop"]["startAfter"] = ["stress"]
    cyc = [e for e in errors(t) if "cycle" in e]
    assert len(cyc) == 1
    assert "stop -> stress -> stop" in cyc[0] or "stress -> stop -> stress" in cyc[0]


def test_long_cycle() -> None:
    t = base_template()
    for i in range(5):
        t["actions"][f"w{i}"] = {
            "actionId": "aws:fis:wait",
            "parameters": {"duration": "PT1M"},
            "startAfter": [f"w{(i + 1) % 5}"],
        }
    cyc = [e for e in errors(t) if "cycle" in e]
    assert len(cyc) == 1 and cyc[0].count("->") == 5


@pytest.mark.parametrize(
    ("stop", "fragment"),
    [
        ([], "stopConditions: must have at least one entry"),
        (
            [{"source": "aws:cloudwatch:alarm"}],
            "stopConditions[0].value: is required for aws:cloudwatch:alarm",
        ),
        (
            [{"source": "aws:cloudwatch:alarm", "value": "web-5xx"}],
            "stopConditions[0].value: 'web-5xx' is not a CloudWatch alarm ARN",
        ),
        ([{"source": "cloudwatch"}], "stopConditions[0].source: 'cloudwatch' is not a stop-condition source"),
        (
            [{"source": "none", "value": "x"}],
            "stopConditions[0].value: must be omitted when source is 'none'",
        ),
        ({"source": "none"}, "stopConditions: must be a list"),
    ],
)
def test_stop_conditions(stop, fragment) -> None:
    t = base_template()
    t["stopConditions"] = stop
    assert any(e.startswith(fragment) for e in errors(t)), errors(t)


def test_no_stop_condition_is_a_warning() -> None:
    t = base_template()
    t["stopConditions"] = [{"source": "none"}]
    assert not errors(t)
    assert any(w.startswith("stopConditions: the experiment has no stop condition") for w in warnings(t))


@pytest.mark.parametrize(
    "role",
    [
        "arn:aws:iam::123456789012:user/bob",
        "chaos-role",
        "arn:aws:iam::1234:role/x",
        "arn:aws:sts::123456789012:role/x",
    ],
)
def test_role_arn(role) -> None:
    t = base_template()
    t["roleArn"] = role
    assert any(e.startswith(f"roleArn: '{role}' is not an IAM role ARN") for e in errors(t))


def test_size_limits() -> None:
    t = base_template()
    t["description"] = "x" * 513
    t["targets"]["db"]["resourceArns"] = [
        f"arn:aws:ec2:us-east-1:123456789012:instance/i-{i:017x}" for i in range(6)
    ]
    t["tags"] = {f"k{i}": "v" for i in range(51)}
    t["tags"]["k0"] = "v" * 257
    t["actions"]["x" * 65] = {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}}
    errs = errors(t)
    assert "description: is 513 characters long; the limit is 512, shorten it" in errs
    assert any(
        e.startswith("targets.db.resourceArns: has 6 ARNs; FIS takes at most 5") and "resourceTags" in e
        for e in errs
    )
    assert "tags: has 51 entries; the limit is 50" in errs
    assert "tags.k0: is 257 characters long; the limit is 256" in errs
    assert any(e.startswith("actions." + "x" * 65) and "1-64 characters" in e for e in errs)


def test_arn_must_match_the_resource_type() -> None:
    t = base_template()
    t["targets"]["db"]["resourceArns"] = ["arn:aws:rds:us-east-1:123456789012:db:orders"]
    assert any(
        e.startswith(
            "targets.db.resourceArns[0]: 'arn:aws:rds:us-east-1:123456789012:db:orders' is not "
            "an ARN of a aws:ec2:instance"
        )
        for e in errors(t)
    )


def test_arns_and_tags_together() -> None:
    t = base_template()
    t["targets"]["db"]["resourceTags"] = {"app": "db"}
    assert any(e.startswith("targets.db: takes resourceArns or resourceTags, not both") for e in errors(t))


def test_target_that_selects_nothing() -> None:
    t = base_template()
    del t["targets"]["db"]["resourceArns"]
    assert any(e.startswith("targets.db: selects nothing") for e in errors(t))


def eks_pod_template(target: dict) -> dict:
    t = base_template()
    t["targets"] = {"pods": target}
    t["actions"] = {
        "kill": {
            "actionId": "aws:eks:pod-delete",
            "parameters": {"kubernetesServiceAccount": "fis"},
            "targets": {"Pods": "pods"},
        }
    }
    return t


POD_PARAMS = {
    "clusterIdentifier": "prod",
    "namespace": "shop",
    "selectorType": "labelSelector",
    "selectorValue": "app=cart",
}


def test_eks_pod_takes_parameters_only() -> None:
    ok = eks_pod_template(
        {"resourceType": "aws:eks:pod", "parameters": POD_PARAMS, "selectionMode": "COUNT(1)"}
    )
    assert errors(ok) == []
    bad = eks_pod_template(
        {
            "resourceType": "aws:eks:pod",
            "selectionMode": "ALL",
            "resourceArns": ["arn:aws:eks:us-east-1:123456789012:cluster/prod"],
        }
    )
    errs = errors(bad)
    assert any(
        e.startswith(
            "targets.pods.resourceArns: aws:eks:pod does not support resourceArns; "
            "it is selected by parameters"
        )
        for e in errs
    )
    assert any(
        e.startswith(
            "targets.pods.parameters: aws:eks:pod is selected by parameters only; set "
            "clusterIdentifier, namespace, selectorType, selectorValue"
        )
        for e in errs
    )


def test_eks_pod_target_parameters_are_checked() -> None:
    params = dict(POD_PARAMS, selectorType="labels", colour="blue")
    del params["namespace"]
    errs = errors(
        eks_pod_template({"resourceType": "aws:eks:pod", "parameters": params, "selectionMode": "ALL"})
    )
    assert any(e.startswith("targets.pods.parameters.selectorType: 'labels' is not one of") for e in errs)
    assert any(
        e.startswith(
            "targets.pods.parameters.colour: unknown parameter 'colour' for resource type aws:eks:pod"
        )
        for e in errs
    )
    assert any(
        e.startswith("targets.pods.parameters.namespace: required parameter 'namespace'") for e in errs
    )


def test_s3_bucket_takes_tags_only() -> None:
    t = base_template()
    t["targets"]["b"] = {
        "resourceType": "aws:s3:bucket",
        "resourceArns": ["arn:aws:s3:::my-bucket"],
        "selectionMode": "ALL",
    }
    t["actions"]["pause"] = {
        "actionId": "aws:s3:bucket-pause-replication",
        "parameters": {"duration": "PT5M", "region": "us-west-2"},
        "targets": {"Buckets": "b"},
    }
    assert any(
        e.startswith("targets.b.resourceArns: aws:s3:bucket does not support resourceArns") for e in errors(t)
    )


def test_eks_cluster_takes_a_single_arn() -> None:
    t = base_template()
    t["targets"]["c"] = {
        "resourceType": "aws:eks:cluster",
        "selectionMode": "ALL",
        "resourceArns": [f"arn:aws:eks:us-east-1:123456789012:cluster/c{i}" for i in range(2)],
    }
    t["actions"]["cr"] = {
        "actionId": "aws:eks:inject-kubernetes-custom-resource",
        "targets": {"Cluster": "c"},
        "parameters": {
            "kubernetesApiVersion": "chaos-mesh.org/v1alpha1",
            "kubernetesKind": "PodChaos",
            "kubernetesNamespace": "default",
            "kubernetesSpec": "{}",
            "maxDuration": "PT5M",
        },
    }
    assert any(e.startswith("targets.c.resourceArns: has 2 ARNs; FIS takes at most 1") for e in errors(t))


def test_unknown_fields_everywhere_with_suggestions() -> None:
    t = base_template()
    t["roleARN"] = t.pop("roleArn")
    t["targets"]["web"]["selection_mode"] = "ALL"
    t["actions"]["stop"]["start_after"] = []
    errs = errors(t)
    assert any(e.startswith("roleARN: unknown field 'roleARN'; did you mean 'roleArn'?") for e in errs)
    assert any(
        e.startswith("targets.web.selection_mode: unknown field") and "selectionMode" in e for e in errs
    )
    assert any(e.startswith("actions.stop.start_after: unknown field") and "startAfter" in e for e in errs)


def test_exported_templates_with_server_fields_load_unchanged() -> None:
    t = base_template()
    t.update(
        id="EXT1",
        arn="arn:aws:fis:us-east-1:123456789012:experiment-template/EXT1",
        creationTime=1.0,
        lastUpdateTime=1.0,
        targetAccountConfigurationsCount=0,
    )
    assert errors(t) == []


def test_log_report_and_options() -> None:
    t = base_template()
    t["logConfiguration"] = {"cloudWatchLogsConfiguration": {"logGroupArn": "my-logs"}}
    t["experimentOptions"] = {"accountTargeting": "all-accounts", "emptyTargetResolutionMode": "skip"}
    t["experimentReportConfiguration"] = {
        "outputs": {"s3Configuration": {"bucketName": "Bad_Bucket"}},
        "dataSources": {"cloudWatchDashboards": [{"dashboardIdentifier": "orders"}]},
        "preExperimentDuration": "PT45M",
    }
    errs = errors(t)
    assert "logConfiguration.logSchemaVersion: is required; use 2" in errs
    assert any(
        e.startswith("logConfiguration.cloudWatchLogsConfiguration.logGroupArn: 'my-logs' is not a log group")
        for e in errs
    )
    assert (
        "experimentOptions.accountTargeting: 'all-accounts' is not one of single-account, multi-account"
        in errs
    )
    assert any(
        e.startswith("experimentReportConfiguration.outputs.s3Configuration.bucketName: 'Bad_Bucket'")
        for e in errs
    )
    assert any(
        e.startswith("experimentReportConfiguration.dataSources.cloudWatchDashboards[0].dashboardIdentifier")
        for e in errs
    )
    assert not [e for e in errs if "preExperimentDuration" in e]  # FIS documents no bounds
    t["experimentReportConfiguration"]["preExperimentDuration"] = "20 minutes"
    assert any(
        e.startswith("experimentReportConfiguration.preExperimentDuration: '20 minutes' is not an ISO-8601")
        for e in errors(t)
    )


def test_reserved_tag_prefix() -> None:
    t = base_template()
    t["tags"]["aws:owner"] = "me"
    assert "tags.aws:owner: tag keys starting with 'aws:' are reserved by AWS; rename it" in errors(t)


def test_risky_but_legal_warnings() -> None:
    t = base_template()
    t["targets"]["web"]["selectionMode"] = "ALL"
    del t["targets"]["web"]["filters"]
    t["actions"]["stress"]["parameters"]["duration"] = "PT2H"
    del t["actions"]["stop"]["parameters"]
    ws = warnings(t)
    assert any(
        w.startswith("targets.web.selectionMode: ALL selects every aws:ec2:instance with these tags")
        for w in ws
    )
    assert any(w.startswith("actions.stress.parameters.duration: runs for 2h, over one hour") for w in ws)
    assert any(w.startswith("actions.stop.parameters: has no startInstancesAfterDuration") for w in ws)
    assert not errors(t)


def test_unused_target_is_a_warning() -> None:
    t = base_template()
    t["targets"]["spare"] = dict(t["targets"]["db"])
    assert "targets.spare: is not used by any action; remove it or reference it from an action" in warnings(t)


def test_network_prefix_list_dependency() -> None:
    t = base_template()
    t["targets"]["sub"] = {
        "resourceType": "aws:ec2:subnet",
        "resourceTags": {"tier": "app"},
        "selectionMode": "COUNT(1)",
    }
    t["actions"]["cut"] = {
        "actionId": "aws:network:disrupt-connectivity",
        "targets": {"Subnets": "sub"},
        "parameters": {"duration": "PT1M", "scope": "prefix-list"},
    }
    assert any(
        e.startswith("actions.cut.parameters.prefixListIdentifier: is required when scope is 'prefix-list'")
        for e in errors(t)
    )


def test_wrong_types_become_problems() -> None:
    t = base_template()
    t["targets"] = ["web"]
    t["actions"]["stop"]["parameters"] = "PT5M"
    t["actions"]["stress"]["startAfter"] = "stop"
    t["tags"] = {"n": None}
    errs = errors(t)
    assert "targets: must be a mapping of target names to targets, not a list" in errs
    assert "actions.stop.parameters: must be a mapping of parameter names to values, not a string" in errs
    assert "actions.stress.startAfter: must be a list of action names, not a string" in errs
    assert "tags.n: must be a string, not null" in errs


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_broken_copy_of_each_example_shows_errors_with_paths(path) -> None:
    data = load_file(path).data
    assert data is not None
    name, action = next(iter(data["actions"].items()))
    action["actionId"] = action["actionId"] + "-typo"
    action.setdefault("parameters", {})["colour"] = "blue"
    data["stopConditions"] = [{"source": "aws:cloudwatch:alarm", "value": "not-an-arn"}]
    errs = errors(data)
    assert any(e.startswith(f"actions.{name}.actionId: unknown action") for e in errs)
    assert any(
        e.startswith("stopConditions[0].value: 'not-an-arn' is not a CloudWatch alarm ARN") for e in errs
    )
    if data.get("targets"):
        tname, target = next(iter(data["targets"].items()))
        target["selectionMode"] = "SOME(2)"
        assert any(e.startswith(f"targets.{tname}.selectionMode:") for e in errors(data))


# ------------------------------------------------------------------ never raises
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
nested = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=30,
)
KEYS = [
    "description",
    "roleArn",
    "stopConditions",
    "targets",
    "actions",
    "logConfiguration",
    "experimentOptions",
    "experimentReportConfiguration",
    "tags",
    "resourceType",
    "selectionMode",
    "resourceArns",
    "resourceTags",
    "filters",
    "parameters",
    "actionId",
    "startAfter",
    "source",
    "value",
    "path",
    "values",
]
shaped = st.recursive(
    json_scalars | st.sampled_from(["aws:ec2:instance", "aws:ec2:stop-instances", "COUNT(1)", "PT5M", "web"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), children, max_size=5)
    ),
    max_leaves=40,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(nested | shaped)
def test_validate_never_raises_on_garbage(data) -> None:
    problems = validate(data)
    assert isinstance(problems, list)
    assert all(isinstance(p, Problem) and p.severity in ("error", "warning") for p in problems)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(st.sampled_from(["targets", "actions", "stopConditions", "tags", "logConfiguration"]), shaped)
def test_validate_never_raises_on_a_mutated_template(field, garbage) -> None:
    t = base_template()
    t[field] = garbage
    assert isinstance(validate(t), list)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_load_text_never_raises_on_arbitrary_text(text) -> None:
    result = load_text(text)
    assert result.spec is None or not has_errors(result.problems)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(nested)
def test_load_text_never_raises_on_yaml_and_json_dumps(data) -> None:
    for text in (yaml.safe_dump(data), json.dumps(data)):
        assert isinstance(load_text(text).problems, list)


def test_deep_nesting_does_not_raise() -> None:
    deep: Any = "x"
    for _ in range(5000):
        deep = [deep]
    assert isinstance(validate({"targets": deep}), list)
    assert isinstance(load_text("[" * 5000 + "]" * 5000).problems, list)


def test_awsfis_document_duration_must_fit_the_action() -> None:
    t = base_template()
    t["actions"]["stress"]["parameters"]["documentParameters"] = '{"DurationSeconds": "600"}'
    assert any(
        w.startswith(
            "actions.stress.parameters.documentParameters: DurationSeconds 600 is longer than the action"
        )
        for w in warnings(t)
    )
    t["actions"]["stress"]["parameters"]["documentParameters"] = '{"LoadPercent": "80"}'
    assert any(
        e.startswith(
            "actions.stress.parameters.documentParameters: the AWSFIS-Run-* documents need DurationSeconds"
        )
        for e in errors(t)
    )


def test_arns_and_filters_together() -> None:
    t = base_template()
    t["targets"]["db"]["filters"] = [{"path": "State.Name", "values": ["running"]}]
    assert any(e.startswith("targets.db: takes resourceArns or filters, not both") for e in errors(t))


def test_filter_paths_are_pascal_case() -> None:
    t = base_template()
    t["targets"]["web"]["filters"][0]["path"] = "placement.availabilityZone"
    (msg,) = [e for e in errors(t) if e.startswith("targets.web.filters[0].path")]
    assert "write 'Placement.AvailabilityZone'" in msg


def test_decimal_percentages_and_spaced_sources() -> None:
    t = base_template()
    t["targets"]["vol"] = {
        "resourceType": "aws:ec2:ebs-volume",
        "resourceTags": {"a": "b"},
        "selectionMode": "COUNT(1)",
    }
    t["actions"]["slow"] = {
        "actionId": "aws:ebs:volume-io-latency",
        "parameters": {"duration": "PT5M", "readIOPercentage": "0.5", "writeIOPercentage": "0.05"},
        "targets": {"Volumes": "vol"},
    }
    errs = errors(t)
    assert not [e for e in errs if "readIOPercentage" in e]
    assert "actions.slow.parameters.writeIOPercentage: 0.05 is out of range; use 0.1-100" in errs
    t["targets"]["tasks"] = {
        "resourceType": "aws:ecs:task",
        "parameters": {"cluster": "c"},
        "selectionMode": "COUNT(1)",
    }
    t["actions"]["lat"] = {
        "actionId": "aws:ecs:task-network-latency",
        "parameters": {"duration": "PT5M", "sources": "S3, DYNAMODB", "installDependencies": "True"},
        "targets": {"Tasks": "tasks"},
    }
    errs = errors(t)
    assert any(
        e.startswith("actions.lat.parameters.sources: 'S3, DYNAMODB' has spaces") and "'S3,DYNAMODB'" in e
        for e in errs
    )
    assert not [e for e in errs if "installDependencies" in e]


def test_selection_against_listed_arns() -> None:
    t = base_template()
    t["targets"]["db"]["selectionMode"] = "COUNT(3)"
    assert any(
        w.startswith("targets.db.selectionMode: COUNT(3) asks for more resources than the 1 listed")
        for w in warnings(t)
    )
    t["targets"]["db"]["resourceArns"] = [
        f"arn:aws:ec2:us-east-1:123456789012:instance/i-{i:017x}" for i in range(4)
    ]
    t["targets"]["db"]["selectionMode"] = "PERCENT(20)"
    assert (
        "targets.db.selectionMode: PERCENT(20) of 4 listed ARNs selects no resource (FIS rounds down) "
        "and the experiment fails; use at least PERCENT(25) or COUNT(1)"
    ) in errors(t)
    t["targets"]["db"]["selectionMode"] = "PERCENT(25)"
    assert not [e for e in errors(t) if "selectionMode" in e]


def test_null_optional_fields_count_as_absent() -> None:
    from chaos_pulumi.spec import TemplateSpec

    t = base_template()
    t.update(logConfiguration=None, experimentOptions=None, experimentReportConfiguration=None, tags=None)
    t["targets"]["web"]["parameters"] = None
    t["actions"]["stop"]["startAfter"] = None
    t["actions"]["stop"]["description"] = None
    assert errors(t) == []
    assert (
        TemplateSpec.from_dict(t).to_dict()
        == TemplateSpec.from_dict({k: v for k, v in base_template().items() if k != "tags"}).to_dict()
    )
    t["roleArn"] = None
    assert "roleArn: must be a string, not null" in errors(t)


def test_placeholders_from_template_libraries_are_named() -> None:
    t = base_template()
    t["roleArn"] = "arn:aws:iam::<YOUR AWS ACCOUNT>:role/<YOUR ROLE NAME>"
    t["actions"]["stress"]["parameters"]["documentArn"] = (
        "arn:aws:ssm:{{ aws:region }}:123456789012:document/X"
    )
    errs = errors(t)
    assert any(
        e.startswith("roleArn:") and e.endswith("[fill in the placeholder <YOUR AWS ACCOUNT>]") for e in errs
    )
    assert any(
        e.startswith("actions.stress.parameters.documentArn:")
        and "[fill in the placeholder {{ aws:region }}]" in e
        for e in errs
    )
