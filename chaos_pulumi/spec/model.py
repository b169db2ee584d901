"""The FIS experiment template model: the field table, and every shape derived from it.

Each FIS object (``Target``, ``Action``, ``StopCondition``, ...) is a frozen dataclass whose fields
are declared with ``fis(...)`` (``chaos_pulumi/spec/fields.py``): the Python name, the FIS name (a
path in the camelCase file format) and the kind of value. Those declarations are the field table.
From it come

- ``from_dict`` / ``to_dict``: the file format (the shape of FIS's ``CreateExperimentTemplate``
  request) to the model and back, *canonical*: everything FIS fills in on its side (empty maps,
  default options, order of sets) is normalised the same way whether the model comes from a file or
  from ``GetExperimentTemplate``, so ``TemplateSpec.from_dict(file) == TemplateSpec.from_fis(live)``
  holds exactly when the two templates mean the same thing;
- the FIS requests (``to_create_request``, ``to_update_request``) and the fields FIS cannot change
  in place (``create_only_paths``);
- the typed arguments of the Pulumi resources: ``chaos_pulumi.Target`` *is* this ``Target``. Built by
  hand, its fields may hold Pulumi ``Input`` values; ``to_dict`` then writes them where FIS wants them
  and the provider canonicalises the result.

A new FIS field is one ``fis(...)`` line in the class it belongs to (plus tests); see
docs/pulumi-resources.md, "Adding a FIS field".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .fields import (
    LIST,
    MAP,
    NUMBER,
    OBJECT,
    OBJECTS,
    OPTIONAL,
    SET,
    FisObject,
    columns,
    fis,
    to_file_format,
)

DEFAULT_ACCOUNT_TARGETING = "single-account"
DEFAULT_EMPTY_TARGET_RESOLUTION_MODE = "fail"
DEFAULT_REPORT_WINDOW = "PT20M"

# Fields of a GetExperimentTemplate response that describe the server object, not the template.
_SERVER_FIELDS = frozenset(
    {"id", "arn", "creationTime", "lastUpdateTime", "targetAccountConfigurationsCount", "clientToken"}
)


@dataclass(frozen=True)
class StopCondition(FisObject):
    """Stops the experiment when the CloudWatch alarm ``value`` fires (``source="none"`` opts out)."""

    source: str = fis("source", default="aws:cloudwatch:alarm")
    value: str | None = fis("value", OPTIONAL, default=None)


@dataclass(frozen=True)
class Filter(FisObject):
    """Keep only resources whose attribute at ``path`` (e.g. ``State.Name``) has one of ``values``."""

    path: str = fis("path")
    values: Sequence[str] = fis("values", LIST)


@dataclass(frozen=True)
class Target(FisObject):
    """The resources an action works on, chosen by type plus ARNs, tags, filters or parameters."""

    resource_type: str = fis("resourceType")
    selection_mode: str = fis("selectionMode", fis_default="ALL", always=True, default="ALL")
    resource_arns: Sequence[str] = fis("resourceArns", SET)
    resource_tags: Mapping[str, str] = fis("resourceTags", MAP)
    filters: Sequence[Filter] = fis("filters", LIST, item=Filter)
    parameters: Mapping[str, str] = fis("parameters", MAP)


@dataclass(frozen=True)
class Action(FisObject):
    """One FIS action (``action_id`` such as ``aws:ec2:stop-instances``) on named targets."""

    action_id: str = fis("actionId")
    parameters: Mapping[str, str] = fis("parameters", MAP)
    targets: Mapping[str, str] = fis("targets", MAP)
    description: str | None = fis("description", OPTIONAL, default=None)
    start_after: Sequence[str] = fis("startAfter", SET)


@dataclass(frozen=True)
class LogConfiguration(FisObject):
    """Where FIS writes the experiment log: a CloudWatch Logs group, an S3 bucket, or both."""

    cloudwatch_logs_log_group_arn: str | None = fis(
        "cloudWatchLogsConfiguration.logGroupArn", OPTIONAL, default=None
    )
    s3_bucket_name: str | None = fis("s3Configuration.bucketName", OPTIONAL, default=None)
    s3_prefix: str | None = fis("s3Configuration.prefix", OPTIONAL, default=None)
    log_schema_version: int = fis("logSchemaVersion", NUMBER, fis_default=2, default=2)


@dataclass(frozen=True)
class ExperimentOptions(FisObject):
    """``account_targeting`` (``single-account``/``multi-account``; changing it replaces the template)
    and ``empty_target_resolution_mode`` (``fail``/``skip``). FIS's defaults are left out of the file
    format, so an explicit default and an omitted field are the same template."""

    account_targeting: str = fis(
        "accountTargeting",
        fis_default=DEFAULT_ACCOUNT_TARGETING,
        default=DEFAULT_ACCOUNT_TARGETING,
        create_only=True,
    )
    empty_target_resolution_mode: str = fis(
        "emptyTargetResolutionMode",
        fis_default=DEFAULT_EMPTY_TARGET_RESOLUTION_MODE,
        default=DEFAULT_EMPTY_TARGET_RESOLUTION_MODE,
    )


@dataclass(frozen=True)
class ReportConfiguration(FisObject):
    """The experiment report: S3 destination, CloudWatch dashboards to include, time around the run.
    FIS fills in PT20M for the windows around the run; that default is the same as leaving them out."""

    s3_bucket_name: str | None = fis("outputs.s3Configuration.bucketName", OPTIONAL, default=None)
    s3_prefix: str | None = fis("outputs.s3Configuration.prefix", OPTIONAL, default=None)
    cloudwatch_dashboards: Sequence[str] = fis(
        "dataSources.cloudWatchDashboards", LIST, each="dashboardIdentifier"
    )
    pre_experiment_duration: str | None = fis(
        "preExperimentDuration", OPTIONAL, fis_default=DEFAULT_REPORT_WINDOW, default=None
    )
    post_experiment_duration: str | None = fis(
        "postExperimentDuration", OPTIONAL, fis_default=DEFAULT_REPORT_WINDOW, default=None
    )


# The spec layer's earlier name of Filter.
TargetFilter = Filter


@dataclass(frozen=True)
class TemplateSpec(FisObject):
    """A FIS experiment template (the ``CreateExperimentTemplate`` shape), canonicalised.

    The field names are also the keyword arguments of the Pulumi ``ExperimentTemplate``.
    """

    description: str = fis("description")
    role_arn: str = fis("roleArn")
    stop_conditions: Sequence[StopCondition] = fis(
        "stopConditions", LIST, item=StopCondition, unordered=True, always=True
    )
    targets: Mapping[str, Target] = fis("targets", OBJECTS, item=Target)
    actions: Mapping[str, Action] = fis("actions", OBJECTS, item=Action, always=True)
    log_configuration: LogConfiguration | None = fis(
        "logConfiguration", OBJECT, item=LogConfiguration, default=None
    )
    experiment_options: ExperimentOptions = fis("experimentOptions", OBJECT, item=ExperimentOptions)
    report_configuration: ReportConfiguration | None = fis(
        "experimentReportConfiguration", OBJECT, item=ReportConfiguration, default=None
    )
    tags: Mapping[str, str] = fis("tags", MAP, tags=True)

    @classmethod
    def document(cls, **values: Any) -> dict[str, Any]:
        """The file-format document of a template given as typed arguments (the field names above);
        ``None`` values are left out, Pulumi Inputs pass through untouched."""
        out: dict[str, Any] = {}
        known = {column.name: column for column in columns(cls)}
        for name, value in values.items():
            column = known.get(name)
            if column is None:
                raise TypeError(f"unknown experiment template field {name!r}; known: {', '.join(known)}")
            if value is not None:
                column.put(out, to_file_format(value))
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

        Sends every field, with ``{}`` for what is absent, so that removed targets, actions, logging
        or reporting go away; never tags (those change through TagResource/UntagResource) nor a
        ``create_only`` field (not updatable: a change needs a new template). The updatable fields of
        an object holding a ``create_only`` one are sent explicitly, defaults included.
        """
        full = self.to_dict()
        req: dict[str, Any] = {"id": template_id}
        for column in columns(TemplateSpec):
            meta, key = column.meta, column.meta.path[0]
            if meta.tags:
                continue
            if meta.kind == OBJECT and any(c.meta.create_only for c in columns(meta.item)):
                value = getattr(self, column.name)
                req[key] = {
                    c.meta.path[-1]: getattr(value, c.name)
                    for c in columns(meta.item)
                    if not c.meta.create_only
                }
            else:
                req[key] = full.get(key, {})
        return req

    @classmethod
    def from_fis(cls, template: Mapping[str, Any]) -> TemplateSpec:
        """``GetExperimentTemplate()["experimentTemplate"]`` -> model (server-side fields dropped)."""
        return cls.from_dict({k: v for k, v in template.items() if k not in _SERVER_FIELDS})

    @staticmethod
    def create_only_paths() -> list[tuple[tuple[str, ...], Any]]:
        """(file-format path, FIS default) of every field FIS cannot change on an existing template."""
        found = []
        for column in columns(TemplateSpec):
            meta = column.meta
            if meta.create_only:
                found.append((meta.path, meta.fis_default))
            if meta.kind == OBJECT:
                found += [
                    (meta.path + c.meta.path, c.meta.fis_default)
                    for c in columns(meta.item)
                    if c.meta.create_only
                ]
        return found

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
