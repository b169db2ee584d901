"""Typed arguments of ``ExperimentTemplate``: targets, actions, stop conditions and the optional blocks.

These are plain data classes with no Pulumi import, so ``from chaos_pulumi import Target`` stays cheap.
Every field may hold a Pulumi ``Input`` (for example an ARN that another resource outputs). Each class
turns itself into the camelCase file format of FIS (``to_dict``), which is what the validator checks
and what the provider sends, so a typed template and the same template in a YAML file are one thing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulumi import Input


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def to_file_format(value: Any) -> Any:
    """Typed args, plain dicts and lists (possibly holding Pulumi Outputs) -> the camelCase file format."""
    # isinstance, not duck typing: a Pulumi Output answers every getattr (``output.to_dict`` is an Output).
    if isinstance(value, _FileFormat):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): to_file_format(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_file_format(v) for v in value]
    return value


class _FileFormat:
    """Base of the typed arguments: each one knows its camelCase file-format shape."""

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError


def _list(value: Any) -> Any:
    """A sequence as a list, leaving a Pulumi Output (an unresolved list) alone."""
    return list(value) if isinstance(value, (list, tuple)) else value


@dataclass
class Filter(_FileFormat):
    """Keep only resources whose attribute at ``path`` (e.g. ``State.Name``) has one of ``values``."""

    path: Input[str]
    values: Sequence[Input[str]]

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "values": _list(self.values)}


@dataclass
class Target(_FileFormat):
    """The resources an action works on, chosen by type plus ARNs, tags, filters or parameters."""

    resource_type: Input[str]
    selection_mode: Input[str] = "ALL"
    resource_arns: Sequence[Input[str]] | None = None
    resource_tags: Mapping[str, Input[str]] | None = None
    filters: Sequence[Filter | Mapping[str, Any]] | None = None
    parameters: Mapping[str, Input[str]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return _drop_none(
            {
                "resourceType": self.resource_type,
                "resourceArns": _list(self.resource_arns) if self.resource_arns is not None else None,
                "resourceTags": dict(self.resource_tags) if self.resource_tags is not None else None,
                "filters": to_file_format(self.filters) if self.filters is not None else None,
                "parameters": dict(self.parameters) if self.parameters is not None else None,
                "selectionMode": self.selection_mode,
            }
        )


@dataclass
class Action(_FileFormat):
    """One FIS action (``action_id`` such as ``aws:ec2:stop-instances``) on named targets."""

    action_id: Input[str]
    parameters: Mapping[str, Input[str]] | None = None
    targets: Mapping[str, Input[str]] | None = None
    description: Input[str] | None = None
    start_after: Sequence[Input[str]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return _drop_none(
            {
                "actionId": self.action_id,
                "description": self.description,
                "parameters": dict(self.parameters) if self.parameters is not None else None,
                "targets": dict(self.targets) if self.targets is not None else None,
                "startAfter": _list(self.start_after) if self.start_after is not None else None,
            }
        )


@dataclass
class StopCondition(_FileFormat):
    """Stops the experiment when the CloudWatch alarm ``value`` fires (``source="none"`` opts out)."""

    source: Input[str] = "aws:cloudwatch:alarm"
    value: Input[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return _drop_none({"source": self.source, "value": self.value})


@dataclass
class LogConfiguration(_FileFormat):
    """Where FIS writes the experiment log: a CloudWatch Logs group, an S3 bucket, or both."""

    cloudwatch_logs_log_group_arn: Input[str] | None = None
    s3_bucket_name: Input[str] | None = None
    s3_prefix: Input[str] | None = None
    log_schema_version: Input[int] = 2

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"logSchemaVersion": self.log_schema_version}
        if self.cloudwatch_logs_log_group_arn is not None:
            out["cloudWatchLogsConfiguration"] = {"logGroupArn": self.cloudwatch_logs_log_group_arn}
        if self.s3_bucket_name is not None:
            out["s3Configuration"] = _drop_none({"bucketName": self.s3_bucket_name, "prefix": self.s3_prefix})
        return out


@dataclass
class ExperimentOptions(_FileFormat):
    """``account_targeting`` (``single-account``/``multi-account``; changing it replaces the template)
    and ``empty_target_resolution_mode`` (``fail``/``skip``)."""

    account_targeting: Input[str] | None = None
    empty_target_resolution_mode: Input[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return _drop_none(
            {
                "accountTargeting": self.account_targeting,
                "emptyTargetResolutionMode": self.empty_target_resolution_mode,
            }
        )


@dataclass
class ReportConfiguration(_FileFormat):
    """The experiment report: S3 destination, CloudWatch dashboards to include, time around the run."""

    s3_bucket_name: Input[str] | None = None
    s3_prefix: Input[str] | None = None
    cloudwatch_dashboards: Sequence[Input[str]] | None = None
    pre_experiment_duration: Input[str] | None = None
    post_experiment_duration: Input[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        # The spec layer owns the file-format layout; imported here so importing the typed args stays cheap.
        from chaos_pulumi.spec.model import report_configuration_dict

        s3 = None
        if self.s3_bucket_name is not None:
            s3 = _drop_none({"bucketName": self.s3_bucket_name, "prefix": self.s3_prefix})
        return report_configuration_dict(
            s3_configuration=s3,
            cloudwatch_dashboards=self.cloudwatch_dashboards,
            pre_experiment_duration=self.pre_experiment_duration,
            post_experiment_duration=self.post_experiment_duration,
        )


def template_document(
    *,
    description: Any = None,
    role_arn: Any = None,
    targets: Any = None,
    actions: Any = None,
    stop_conditions: Any = None,
    log_configuration: Any = None,
    experiment_options: Any = None,
    report_configuration: Any = None,
    tags: Any = None,
) -> dict[str, Any]:
    """The file-format document of a template given as typed arguments (``None`` fields left out)."""
    # to_file_format(None) is None, and _drop_none leaves such fields out.
    return _drop_none(
        {
            "description": description,
            "roleArn": role_arn,
            "targets": to_file_format(targets),
            "actions": to_file_format(actions),
            "stopConditions": to_file_format(stop_conditions),
            "logConfiguration": to_file_format(log_configuration),
            "experimentOptions": to_file_format(experiment_options),
            "experimentReportConfiguration": to_file_format(report_configuration),
            "tags": to_file_format(tags),
        }
    )
