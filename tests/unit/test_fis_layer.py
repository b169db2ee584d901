"""The FIS layer's pure parts: template plans, tokens, the replay rule, the verdict, the typed args."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

import chaos_pulumi
from chaos_pulumi import spec
from chaos_pulumi.aws.experiments import DEFAULT_FAIL_ON, FAIL_ON_CHOICES, TERMINAL_STATES, run_failure
from chaos_pulumi.aws.templates import _replayed, create_template, plan_template, template_token
from chaos_pulumi.spec import TemplateSpec

from ._spec_fixtures import base_template


def spec_of(**changes: Any) -> TemplateSpec:
    return TemplateSpec.from_dict({**base_template(), **changes})


# ----- plan_template ----------------------------------------------------------------------------


def test_no_live_template_is_a_create_of_the_desired_one():
    desired = spec_of()
    change = plan_template(None, desired)
    assert change.create and change.changed and change.after == desired


def test_the_same_template_is_no_change():
    change = plan_template(spec_of(), spec_of())
    assert not change.changed and not change.update and not change.tags


def test_content_and_tags_are_planned_apart():
    live = spec_of(tags={"team": "sre", "old": "x", "aws:cloudformation:stack-name": "s"})
    desired = spec_of(description="Other", tags={"team": "ops", "new": "y"})
    change = plan_template(live, desired)
    assert change.update and not change.create
    assert dict(change.tags.to_set) == {"team": "ops", "new": "y"}
    assert change.tags.to_unset == ("old",)  # aws:* tags are AWS's: never removed
    assert change.after.description == "Other"
    assert change.after.tags == {"team": "ops", "new": "y", "aws:cloudformation:stack-name": "s"}


def test_without_purge_other_tags_stay():
    change = plan_template(spec_of(tags={"keep": "1"}), spec_of(tags={"Name": "web"}), purge_tags=False)
    assert not change.update and change.tags.to_unset == ()
    assert change.after.tags == {"keep": "1", "Name": "web"}


def test_a_create_only_field_is_named():
    live = spec_of()
    desired = spec_of(experimentOptions={"accountTargeting": "multi-account"})
    assert plan_template(live, desired).create_only == ("experimentOptions.accountTargeting",)
    assert TemplateSpec.create_only_paths() == [(("experimentOptions", "accountTargeting"), "single-account")]
    explicit_default = spec_of(experimentOptions={"accountTargeting": "single-account"})
    assert plan_template(live, explicit_default).create_only == ()


# ----- tokens and creates -----------------------------------------------------------------------


def test_template_tokens_are_derived_from_owner_and_content():
    a = template_token("proj/dev/web", spec_of())
    assert a == template_token("proj/dev/web", spec_of())
    assert a.startswith("chaos-pulumi-") and len(a) == len("chaos-pulumi-") + 48
    assert a != template_token("ansible:chaos.faults", spec_of())
    assert a != template_token("proj/dev/web", spec_of(description="Other"))
    assert a != template_token("proj/dev/web", spec_of(), attempt=1)


def _response(created: datetime, now: datetime, template_id: str = "EXT1") -> dict[str, Any]:
    return {
        "experimentTemplate": {**spec_of().to_create_request(), "id": template_id, "creationTime": created},
        "ResponseMetadata": {"HTTPHeaders": {"date": format_datetime(now, usegmt=True)}},
    }


def test_a_create_response_is_a_replay_when_the_template_is_older_than_the_response():
    now = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)
    assert not _replayed(_response(now - timedelta(seconds=0.5), now))
    assert not _replayed(_response(now + timedelta(seconds=0.7), now))  # Date is truncated to the second
    assert _replayed(_response(now - timedelta(minutes=3), now))
    assert _replayed({"experimentTemplate": {"id": "EXT1"}})  # cannot tell: read it back


class DeletedTokenFis:
    """FIS as it may behave for real: a token of a deleted template returns that template again."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.now = datetime(2026, 11, 29, 12, 0, 0, tzinfo=UTC)

    def create_experiment_template(self, **request: Any) -> dict[str, Any]:
        self.tokens.append(request["clientToken"])
        if len(self.tokens) == 1:  # the first token named a template deleted an hour ago
            return _response(self.now - timedelta(hours=1), self.now, "EXTgone")
        return _response(self.now, self.now, "EXTnew")

    def get_experiment_template(self, id: str) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "GetExperimentTemplate")


def test_a_token_of_a_deleted_template_makes_a_new_one_under_a_new_token():
    fis = DeletedTokenFis()
    stored = create_template(fis, spec_of(), owner="proj/dev/web")
    assert stored["id"] == "EXTnew"
    assert fis.tokens == [
        template_token("proj/dev/web", spec_of()),
        template_token("proj/dev/web", spec_of(), attempt=1),
    ]


# ----- the run verdict ----------------------------------------------------------------------------


def test_the_verdict_names_the_state_the_reason_and_unfinished_actions():
    experiment = {
        "id": "EXP1",
        "state": {"status": "failed", "reason": "Target resolution failed"},
        "actions": {"a": {"state": {"status": "completed"}}, "b": {"state": {"status": "failed"}}},
    }
    assert run_failure(experiment, ["failed", "stopped"]) == (
        "FIS experiment EXP1 ended failed: Target resolution failed (actions: b=failed)"
    )
    assert run_failure(experiment, ["stopped"]) is None
    assert run_failure({"state": {"status": "completed"}}, DEFAULT_FAIL_ON) is None
    assert set(FAIL_ON_CHOICES) == TERMINAL_STATES and set(DEFAULT_FAIL_ON) == TERMINAL_STATES - {"completed"}


# ----- one class per concept --------------------------------------------------------------------


def test_the_typed_pulumi_args_are_the_model_classes():
    for name in ("Target", "Action", "StopCondition", "Filter", "LogConfiguration", "ExperimentOptions"):
        assert getattr(chaos_pulumi, name) is getattr(spec, name)
    assert chaos_pulumi.ReportConfiguration is spec.ReportConfiguration
    assert spec.TargetFilter is spec.Filter


def test_hand_built_objects_write_inputs_where_fis_wants_them():
    later = object()  # stands for a Pulumi Output: written as it is, never inspected
    target = spec.Target(resource_type="aws:ec2:instance", resource_arns=[later], filters=[{"path": "p"}])
    assert target.to_dict() == {
        "resourceType": "aws:ec2:instance",
        "selectionMode": "ALL",
        "resourceArns": [later],
        "filters": [{"path": "p"}],
    }
    log = spec.LogConfiguration(cloudwatch_logs_log_group_arn=later, s3_bucket_name="b")
    assert log.to_dict() == {
        "cloudWatchLogsConfiguration": {"logGroupArn": later},
        "s3Configuration": {"bucketName": "b"},
        "logSchemaVersion": 2,
    }
    assert spec.ExperimentOptions(account_targeting=None, empty_target_resolution_mode="skip").to_dict() == {
        "emptyTargetResolutionMode": "skip"
    }


def test_template_document_maps_the_field_names_and_refuses_others():
    document = TemplateSpec.document(
        role_arn="arn:aws:iam::123456789012:role/r",
        report_configuration=spec.ReportConfiguration(cloudwatch_dashboards=["d"]),
        description=None,
    )
    assert document == {
        "roleArn": "arn:aws:iam::123456789012:role/r",
        "experimentReportConfiguration": {
            "dataSources": {"cloudWatchDashboards": [{"dashboardIdentifier": "d"}]}
        },
    }
    with pytest.raises(TypeError, match="unknown experiment template field 'rolearn'"):
        TemplateSpec.document(rolearn="x")


def test_experiment_template_takes_every_template_field_as_a_keyword():
    """A new top-level FIS field is a line in TemplateSpec plus this keyword: this test fails until both."""
    from chaos_pulumi import ExperimentTemplate

    keywords = set(inspect.signature(ExperimentTemplate.__init__).parameters)
    assert {f.name for f in dataclasses.fields(TemplateSpec)} <= keywords
