"""TemplateSpec: canonical form and the FIS request/response converters."""

from __future__ import annotations

import json

import pytest

from chaos_pulumi.spec import Action, StopCondition, Target, TemplateSpec, load_file

from ._spec_fixtures import EXAMPLES, base_template


def test_from_dict_reads_every_field() -> None:
    t = base_template()
    t["logConfiguration"] = {
        "logSchemaVersion": 2,
        "cloudWatchLogsConfiguration": {"logGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:fis:*"},
        "s3Configuration": {"bucketName": "logs-bucket", "prefix": "fis"},
    }
    t["experimentOptions"] = {"accountTargeting": "multi-account", "emptyTargetResolutionMode": "skip"}
    t["experimentReportConfiguration"] = {
        "outputs": {"s3Configuration": {"bucketName": "reports", "prefix": "r"}},
        "dataSources": {
            "cloudWatchDashboards": [{"dashboardIdentifier": "arn:aws:cloudwatch::123456789012:dashboard/d"}]
        },
        "preExperimentDuration": "PT5M",
        "postExperimentDuration": "PT10M",
    }
    spec = TemplateSpec.from_dict(t)
    assert spec.role_arn == t["roleArn"]
    assert spec.stop_conditions == (StopCondition("aws:cloudwatch:alarm", t["stopConditions"][0]["value"]),)
    web = spec.targets["web"]
    assert web.resource_type == "aws:ec2:instance" and web.selection_mode == "COUNT(1)"
    assert web.resource_tags == {"app": "web"} and web.filters[0].path == "State.Name"
    assert spec.actions["stress"].start_after == ("stop",)
    assert spec.log_configuration.s3_prefix == "fis"
    assert spec.experiment_options.account_targeting == "multi-account"
    assert spec.report_configuration.cloudwatch_dashboards == (
        "arn:aws:cloudwatch::123456789012:dashboard/d",
    )
    # Everything the file said comes back out.
    assert spec.to_dict() == TemplateSpec.from_dict(spec.to_dict()).to_dict()
    assert spec.to_dict()["experimentReportConfiguration"] == t["experimentReportConfiguration"]
    assert spec.to_dict()["logConfiguration"] == t["logConfiguration"]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_to_dict_is_a_fixed_point_and_json_serialisable(path) -> None:
    spec = load_file(path).spec
    once = spec.to_dict()
    assert TemplateSpec.from_dict(once) == spec
    assert TemplateSpec.from_dict(once).to_dict() == once
    assert json.loads(json.dumps(once)) == once


def test_canonical_form_ignores_order_defaults_and_empty_noise() -> None:
    a = base_template()
    b = base_template()
    b["targets"] = dict(reversed(list(b["targets"].items())))
    b["actions"]["stress"]["startAfter"] = ["stop", "stop"]
    b["actions"]["stop"]["description"] = ""
    b["actions"]["stop"]["startAfter"] = []
    b["targets"]["web"]["resourceArns"] = []
    b["targets"]["web"]["parameters"] = {}
    b["experimentOptions"] = {"accountTargeting": "single-account", "emptyTargetResolutionMode": "fail"}
    a["experimentReportConfiguration"] = {"outputs": {"s3Configuration": {"bucketName": "reports"}}}
    b["experimentReportConfiguration"] = {
        "outputs": {"s3Configuration": {"bucketName": "reports"}},
        "preExperimentDuration": "PT20M",  # FIS's default, filled in on its side
        "postExperimentDuration": "PT20M",
    }
    b["logConfiguration"] = {}
    assert TemplateSpec.from_dict(a) == TemplateSpec.from_dict(b)
    assert json.dumps(TemplateSpec.from_dict(a).to_dict()) == json.dumps(TemplateSpec.from_dict(b).to_dict())
    assert "experimentOptions" not in TemplateSpec.from_dict(b).to_dict()


def test_set_like_lists_are_sorted() -> None:
    t = base_template()
    t["targets"]["db"]["resourceArns"] = [
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b",
        "arn:aws:ec2:us-east-1:123456789012:instance/i-a",
    ]
    spec = TemplateSpec.from_dict(t)
    assert spec.targets["db"].resource_arns == tuple(sorted(t["targets"]["db"]["resourceArns"]))


def test_yaml_scalars_become_fis_strings() -> None:
    t = base_template()
    t["actions"]["stop"]["parameters"]["completeIfInstancesTerminated"] = False
    t["targets"]["web"]["resourceTags"]["replicas"] = 3
    spec = TemplateSpec.from_dict(t)
    assert spec.actions["stop"].parameters["completeIfInstancesTerminated"] == "false"
    assert spec.targets["web"].resource_tags["replicas"] == "3"


def test_create_request_shape() -> None:
    spec = TemplateSpec.from_dict(base_template())
    req = spec.to_create_request(client_token="tok-1")
    assert req["clientToken"] == "tok-1"
    assert set(req) == {
        "clientToken",
        "description",
        "roleArn",
        "stopConditions",
        "targets",
        "actions",
        "tags",
    }
    assert req["actions"]["stress"]["startAfter"] == ["stop"]
    assert "clientToken" not in spec.to_create_request()


def test_create_request_always_has_targets() -> None:
    t = base_template()
    t["targets"] = {}
    t["actions"] = {"wait": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}}}
    spec = TemplateSpec.from_dict(t)
    assert "targets" not in spec.to_dict()
    assert spec.to_create_request()["targets"] == {}


def test_update_request_has_no_tags_nor_account_targeting_and_clears_removed_parts() -> None:
    t = base_template()
    t["experimentOptions"] = {"accountTargeting": "multi-account", "emptyTargetResolutionMode": "skip"}
    req = TemplateSpec.from_dict(t).to_update_request("EXT123")
    assert req["id"] == "EXT123"
    assert "tags" not in req and "clientToken" not in req
    assert req["experimentOptions"] == {"emptyTargetResolutionMode": "skip"}
    assert req["logConfiguration"] == {} and req["experimentReportConfiguration"] == {}
    assert set(req["actions"]) == {"stop", "stress"}


def test_from_fis_drops_server_fields() -> None:
    t = base_template()
    live = dict(
        t,
        id="EXT1",
        arn="arn:aws:fis:us-east-1:123456789012:experiment-template/EXT1",
        creationTime=1,
        lastUpdateTime=2,
        targetAccountConfigurationsCount=0,
    )
    assert TemplateSpec.from_fis(live) == TemplateSpec.from_dict(t)


def test_action_order_respects_start_after() -> None:
    spec = TemplateSpec(
        description="d",
        role_arn="r",
        actions={
            "c": Action("aws:fis:wait", start_after=("b",)),
            "b": Action("aws:fis:wait", start_after=("a",)),
            "a": Action("aws:fis:wait"),
        },
    )
    assert spec.action_order() == ["a", "b", "c"]


def test_models_are_immutable() -> None:
    target = Target("aws:ec2:instance")
    with pytest.raises(AttributeError):
        target.selection_mode = "ALL"  # type: ignore[misc]
