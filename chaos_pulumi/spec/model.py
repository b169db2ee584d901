"""Typed model of a FIS experiment template and its converters to and from the wire shape.

The file format is the camelCase shape of FIS's ``CreateExperimentTemplate`` request. The model
is *canonical*: everything FIS fills in on its side (empty maps, default options, sort order of
sets) is normalised the same way whether the model comes from a file or from
``GetExperimentTemplate``, so ``TemplateSpec.from_dict(file) == TemplateSpec.from_fis(live)`` holds
exactly when the two templates mean the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_ACCOUNT_TARGETING = "single-account"
DEFAULT_EMPTY_TARGET_RESOLUTION_MODE = "fail"
DEFAULT_REPORT_WINDOW = "PT20M"

# Fields of a GetExperimentTemplate response that describe the server object, not the template.
_SERVER_FIELDS = frozenset(
    {"id", "arn", "creationTime", "lastUpdateTime", "targetAccountConfigurationsCount", "clientToken"}
)


def scalar_text(value: Any) -> str:
    """How a YAML scalar is sent to FIS, where every parameter value is a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): scalar_text(v) for k, v in value.items()}


def _list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    return []


def _opt_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _report_window(value: Any) -> str | None:
    """FIS fills in PT20M for the report's pre/post windows; treat that default as absent."""
    text = _opt_str(value)
    return None if text == DEFAULT_REPORT_WINDOW else text


def _sorted_map(value: Mapping[str, Any]) -> dict[str, Any]:
    return {k: value[k] for k in sorted(value)}


@dataclass(frozen=True)
class StopCondition:
    source: str
    value: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StopCondition:
        return cls(source=str(data.get("source", "")), value=_opt_str(data.get("value")))

    def to_dict(self) -> dict[str, str]:
        out = {"source": self.source}
        if self.value is not None:
            out["value"] = self.value
        return out


@dataclass(frozen=True)
class TargetFilter:
    path: str
    values: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TargetFilter:
        return cls(path=str(data.get("path", "")), values=tuple(str(v) for v in _list(data.get("values"))))

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "values": list(self.values)}


@dataclass(frozen=True)
class Target:
    resource_type: str
    selection_mode: str = "ALL"
    resource_arns: tuple[str, ...] = ()
    resource_tags: dict[str, str] = field(default_factory=dict)
    filters: tuple[TargetFilter, ...] = ()
    parameters: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Target:
        return cls(
            resource_type=str(data.get("resourceType", "")),
            selection_mode=str(data.get("selectionMode") or "ALL"),
            # A set for FIS: order carries no meaning, so sort it for stable diffs.
            resource_arns=tuple(sorted(str(a) for a in _list(data.get("resourceArns")))),
            resource_tags=_map(data.get("resourceTags")),
            filters=tuple(
                TargetFilter.from_dict(f) for f in _list(data.get("filters")) if isinstance(f, Mapping)
            ),
            parameters=_map(data.get("parameters")),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"resourceType": self.resource_type}
        if self.resource_arns:
            out["resourceArns"] = list(self.resource_arns)
        if self.resource_tags:
            out["resourceTags"] = _sorted_map(self.resource_tags)
        if self.filters:
            out["filters"] = [f.to_dict() for f in self.filters]
        if self.parameters:
            out["parameters"] = _sorted_map(self.parameters)
        out["selectionMode"] = self.selection_mode
        return out


@dataclass(frozen=True)
class Action:
    action_id: str
    description: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)
    start_after: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Action:
        return cls(
            action_id=str(data.get("actionId", "")),
            description=_opt_str(data.get("description")),
            parameters=_map(data.get("parameters")),
            targets=_map(data.get("targets")),
            start_after=tuple(sorted({str(s) for s in _list(data.get("startAfter"))})),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"actionId": self.action_id}
        if self.description is not None:
            out["description"] = self.description
        if self.parameters:
            out["parameters"] = _sorted_map(self.parameters)
        if self.targets:
            out["targets"] = _sorted_map(self.targets)
        if self.start_after:
            out["startAfter"] = list(self.start_after)
        return out


@dataclass(frozen=True)
class S3Location:
    bucket_name: str
    prefix: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> S3Location:
        return cls(bucket_name=str(data.get("bucketName", "")), prefix=_opt_str(data.get("prefix")))

    def to_dict(self) -> dict[str, str]:
        out = {"bucketName": self.bucket_name}
        if self.prefix is not None:
            out["prefix"] = self.prefix
        return out


@dataclass(frozen=True)
class LogConfiguration:
    log_schema_version: int = 2
    cloud_watch_logs_log_group_arn: str | None = None
    s3_configuration: S3Location | None = None

    @classmethod
    def from_dict(cls, data: Any) -> LogConfiguration | None:
        if not isinstance(data, Mapping) or not data:
            return None
        cw = data.get("cloudWatchLogsConfiguration")
        s3 = data.get("s3Configuration")
        try:
            version = int(data.get("logSchemaVersion", 2))
        except (TypeError, ValueError):
            version = 2
        return cls(
            log_schema_version=version,
            cloud_watch_logs_log_group_arn=_opt_str(cw.get("logGroupArn"))
            if isinstance(cw, Mapping)
            else None,
            s3_configuration=S3Location.from_dict(s3) if isinstance(s3, Mapping) and s3 else None,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"logSchemaVersion": self.log_schema_version}
        if self.cloud_watch_logs_log_group_arn is not None:
            out["cloudWatchLogsConfiguration"] = {"logGroupArn": self.cloud_watch_logs_log_group_arn}
        if self.s3_configuration is not None:
            out["s3Configuration"] = self.s3_configuration.to_dict()
        return out


@dataclass(frozen=True)
class ExperimentOptions:
    """Only non-default values are kept, so an explicit default and an omitted field compare equal."""

    account_targeting: str = DEFAULT_ACCOUNT_TARGETING
    empty_target_resolution_mode: str = DEFAULT_EMPTY_TARGET_RESOLUTION_MODE

    @classmethod
    def from_dict(cls, data: Any) -> ExperimentOptions:
        if not isinstance(data, Mapping):
            return cls()
        return cls(
            account_targeting=str(data.get("accountTargeting") or DEFAULT_ACCOUNT_TARGETING),
            empty_target_resolution_mode=str(
                data.get("emptyTargetResolutionMode") or DEFAULT_EMPTY_TARGET_RESOLUTION_MODE
            ),
        )

    @property
    def is_default(self) -> bool:
        return self == ExperimentOptions()

    def to_dict(self) -> dict[str, str]:
        out = {}
        if self.account_targeting != DEFAULT_ACCOUNT_TARGETING:
            out["accountTargeting"] = self.account_targeting
        if self.empty_target_resolution_mode != DEFAULT_EMPTY_TARGET_RESOLUTION_MODE:
            out["emptyTargetResolutionMode"] = self.empty_target_resolution_mode
        return out


def report_configuration_dict(
    *,
    s3_configuration: Mapping[str, Any] | None,
    cloudwatch_dashboards: Sequence[Any] | None,
    pre_experiment_duration: Any,
    post_experiment_duration: Any,
) -> dict[str, Any]:
    """The file-format ``experimentReportConfiguration`` from its parts (``None`` parts and an empty
    dashboard list left out). Values are placed as given, so Pulumi Outputs pass through untouched."""
    out: dict[str, Any] = {}
    if s3_configuration is not None:
        out["outputs"] = {"s3Configuration": s3_configuration}
    if cloudwatch_dashboards:
        out["dataSources"] = {
            "cloudWatchDashboards": [{"dashboardIdentifier": d} for d in cloudwatch_dashboards]
        }
    if pre_experiment_duration is not None:
        out["preExperimentDuration"] = pre_experiment_duration
    if post_experiment_duration is not None:
        out["postExperimentDuration"] = post_experiment_duration
    return out


@dataclass(frozen=True)
class ReportConfiguration:
    s3_output: S3Location | None = None
    cloudwatch_dashboards: tuple[str, ...] = ()
    pre_experiment_duration: str | None = None
    post_experiment_duration: str | None = None

    @classmethod
    def from_dict(cls, data: Any) -> ReportConfiguration | None:
        if not isinstance(data, Mapping) or not data:
            return None
        outputs = data.get("outputs")
        s3 = outputs.get("s3Configuration") if isinstance(outputs, Mapping) else None
        sources = data.get("dataSources")
        dashboards = sources.get("cloudWatchDashboards") if isinstance(sources, Mapping) else None
        report = cls(
            s3_output=S3Location.from_dict(s3) if isinstance(s3, Mapping) and s3 else None,
            cloudwatch_dashboards=tuple(
                str(d.get("dashboardIdentifier", "")) for d in _list(dashboards) if isinstance(d, Mapping)
            ),
            pre_experiment_duration=_report_window(data.get("preExperimentDuration")),
            post_experiment_duration=_report_window(data.get("postExperimentDuration")),
        )
        return None if report == cls() else report

    def to_dict(self) -> dict[str, Any]:
        return report_configuration_dict(
            s3_configuration=self.s3_output.to_dict() if self.s3_output is not None else None,
            cloudwatch_dashboards=self.cloudwatch_dashboards,
            pre_experiment_duration=self.pre_experiment_duration,
            post_experiment_duration=self.post_experiment_duration,
        )


@dataclass(frozen=True)
class TemplateSpec:
    """A FIS experiment template (the ``CreateExperimentTemplate`` shape), canonicalised."""

    description: str
    role_arn: str
    stop_conditions: tuple[StopCondition, ...] = ()
    targets: dict[str, Target] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    log_configuration: LogConfiguration | None = None
    experiment_options: ExperimentOptions = field(default_factory=ExperimentOptions)
    experiment_report_configuration: ReportConfiguration | None = None
    tags: dict[str, str] = field(default_factory=dict)

    # ----- file format ---------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TemplateSpec:
        """File-format dict (camelCase) -> model. Assumes ``validate(data)`` found no errors;
        fields of the wrong type are dropped rather than raising."""
        targets = data.get("targets")
        actions = data.get("actions")
        stops = [
            StopCondition.from_dict(s) for s in _list(data.get("stopConditions")) if isinstance(s, Mapping)
        ]
        return cls(
            description=str(data.get("description") or ""),
            role_arn=str(data.get("roleArn") or ""),
            # A set for FIS; sorted so that order never shows up as a diff.
            stop_conditions=tuple(sorted(stops, key=lambda s: (s.source, s.value or ""))),
            targets={
                str(k): Target.from_dict(v)
                for k, v in (targets.items() if isinstance(targets, Mapping) else ())
                if isinstance(v, Mapping)
            },
            actions={
                str(k): Action.from_dict(v)
                for k, v in (actions.items() if isinstance(actions, Mapping) else ())
                if isinstance(v, Mapping)
            },
            log_configuration=LogConfiguration.from_dict(data.get("logConfiguration")),
            experiment_options=ExperimentOptions.from_dict(data.get("experimentOptions")),
            experiment_report_configuration=ReportConfiguration.from_dict(
                data.get("experimentReportConfiguration")
            ),
            tags=_map(data.get("tags")),
        )

    def to_dict(self) -> dict[str, Any]:
        """Canonical file-format dict: camelCase, sorted map keys, no None or empty noise."""
        out: dict[str, Any] = {
            "description": self.description,
            "roleArn": self.role_arn,
            "stopConditions": [s.to_dict() for s in self.stop_conditions],
        }
        if self.targets:
            out["targets"] = {k: self.targets[k].to_dict() for k in sorted(self.targets)}
        out["actions"] = {k: self.actions[k].to_dict() for k in sorted(self.actions)}
        if self.log_configuration is not None:
            out["logConfiguration"] = self.log_configuration.to_dict()
        options = self.experiment_options.to_dict()
        if options:
            out["experimentOptions"] = options
        if self.experiment_report_configuration is not None:
            report = self.experiment_report_configuration.to_dict()
            if report:
                out["experimentReportConfiguration"] = report
        if self.tags:
            out["tags"] = _sorted_map(self.tags)
        return out

    # ----- FIS wire shape ------------------------------------------------------------------
    def to_create_request(self, client_token: str | None = None) -> dict[str, Any]:
        """Keyword arguments for boto3 ``fis.create_experiment_template(**...)``."""
        req = self.to_dict()
        # FIS wants the key even for templates without targets (e.g. only aws:fis:wait).
        req.setdefault("targets", {})
        if client_token is not None:
            req["clientToken"] = client_token
        return req

    def to_update_request(self, template_id: str) -> dict[str, Any]:
        """Keyword arguments for boto3 ``fis.update_experiment_template(**...)``.

        Sends the complete desired maps so that removed targets/actions go away, ``{}`` to remove
        logging or reporting, and never tags (those change through TagResource/UntagResource) nor
        ``accountTargeting`` (not updatable: a change needs a new template).
        """
        full = self.to_dict()
        req: dict[str, Any] = {
            "id": template_id,
            "description": full["description"],
            "stopConditions": full["stopConditions"],
            "targets": full.get("targets", {}),
            "actions": full["actions"],
            "roleArn": full["roleArn"],
            "logConfiguration": full.get("logConfiguration", {}),
            "experimentOptions": {
                "emptyTargetResolutionMode": self.experiment_options.empty_target_resolution_mode
            },
            "experimentReportConfiguration": full.get("experimentReportConfiguration", {}),
        }
        return req

    @classmethod
    def from_fis(cls, template: Mapping[str, Any]) -> TemplateSpec:
        """``GetExperimentTemplate()["experimentTemplate"]`` -> model (server-side fields dropped)."""
        return cls.from_dict({k: v for k, v in template.items() if k not in _SERVER_FIELDS})

    # ----- helpers for front ends ------------------------------------------------------------
    def action_order(self) -> list[str]:
        """Action names in an order where every action comes after the ones it starts after."""
        order: list[str] = []
        seen: set[str] = set()

        def visit(name: str, stack: frozenset[str]) -> None:
            if name in seen or name in stack or name not in self.actions:
                return
            for dep in self.actions[name].start_after:
                visit(dep, stack | {name})
            seen.add(name)
            order.append(name)

        for name in self.actions:
            visit(name, frozenset())
        return order
