"""The whole template: top-level fields, the role, stop conditions; each section's checks are called here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .actions import MAX_DESCRIPTION, check_actions
from .context import Context
from .fields import check_tags, mapping, string, too_many, unknown_keys, without_nulls
from .formats import ALARM_ARN, ROLE_ARN
from .options import check_experiment_options, check_log_configuration, check_report_configuration
from .targets import check_targets
from .text import placeholder_hint, quote, type_name

TOP_LEVEL_KEYS = (
    "description",
    "roleArn",
    "stopConditions",
    "targets",
    "actions",
    "logConfiguration",
    "experimentOptions",
    "experimentReportConfiguration",
    "tags",
)
# Present in files exported by `aws fis get-experiment-template` or the CLI skeleton; ignored.
IGNORED_KEYS = (
    "id",
    "arn",
    "creationTime",
    "lastUpdateTime",
    "targetAccountConfigurationsCount",
    "clientToken",
)
REQUIRED = {
    "description": "add a one-line description of the experiment",
    "roleArn": "add the ARN of the IAM role FIS assumes (arn:aws:iam::<account>:role/<name>)",
    "stopConditions": "add at least one, e.g. [{source: aws:cloudwatch:alarm, value: <alarm ARN>}]",
    "actions": "add at least one action",
}
STOP_SOURCES = ("none", "aws:cloudwatch:alarm")
MAX_STOP_CONDITIONS = 5  # FIS service quota "Stop conditions per experiment template" (not adjustable)


def check_template(ctx: Context, data: Any) -> None:
    if not isinstance(data, Mapping):
        ctx.error(
            "",
            "an experiment template must be a mapping with description, roleArn, "
            f"stopConditions, targets and actions, not {type_name(data)}",
        )
        return
    data = without_nulls(data, ("description", "roleArn", "stopConditions", "actions"))
    unknown_keys(ctx, "", data, TOP_LEVEL_KEYS, IGNORED_KEYS)
    for key, fix in REQUIRED.items():
        if key not in data:
            ctx.error(key, f"is required; {fix}")
    if "description" in data:
        string(ctx, "description", data["description"], MAX_DESCRIPTION)
    if "roleArn" in data:
        role = string(ctx, "roleArn", data["roleArn"], 2048)
        if role is not None and not ROLE_ARN.match(role):
            ctx.error(
                "roleArn",
                f"{quote(role)} is not an IAM role ARN; use arn:aws:iam::<12-digit account>:role/<name>"
                + placeholder_hint(role),
            )
    if "stopConditions" in data:
        check_stop_conditions(ctx, data["stopConditions"])
    targets = check_targets(ctx, data.get("targets", {}))
    if "actions" in data:
        check_actions(ctx, data["actions"], targets)
    if "logConfiguration" in data:
        check_log_configuration(ctx, data["logConfiguration"])
    if "experimentOptions" in data:
        check_experiment_options(ctx, data["experimentOptions"])
    if "experimentReportConfiguration" in data:
        check_report_configuration(ctx, data["experimentReportConfiguration"])
    if "tags" in data:
        check_tags(ctx, "tags", data["tags"])


def check_stop_conditions(ctx: Context, value: Any) -> None:
    path = "stopConditions"
    if not isinstance(value, list):
        ctx.error(path, f"must be a list of {{source, value}} entries, not {type_name(value)}")
        return
    if not value:
        ctx.error(
            path,
            "must have at least one entry; use a CloudWatch alarm, or [{source: none}] to opt out visibly",
        )
        return
    if too_many(ctx, path, len(value), "stop conditions"):
        return
    if len(value) > MAX_STOP_CONDITIONS:
        ctx.error(path, f"has {len(value)} entries; FIS takes at most {MAX_STOP_CONDITIONS} stop conditions")
    sources = []
    seen: set[tuple[str, str]] = set()
    duplicate = False
    for i, item in enumerate(value):
        p = f"{path}[{i}]"
        sc = mapping(ctx, p, item, "source and value")
        if sc is None:
            continue
        unknown_keys(ctx, p, sc, ("source", "value"))
        source = sc.get("source")
        if source is None:
            ctx.error(f"{p}.source", "is required: 'aws:cloudwatch:alarm' or 'none'")
            continue
        if not isinstance(source, str) or source not in STOP_SOURCES:
            ctx.error(
                f"{p}.source",
                f"{quote(source)} is not a stop-condition source; use "
                "'aws:cloudwatch:alarm' (with value: <alarm ARN>) or 'none'",
            )
            continue
        sources.append(source)
        val = sc.get("value")
        if source == "none":
            if val is not None and val != "":
                ctx.error(f"{p}.value", "must be omitted when source is 'none'")
        elif val is None:
            ctx.error(
                f"{p}.value",
                "is required for aws:cloudwatch:alarm; "
                "set it to the alarm ARN (arn:aws:cloudwatch:<region>:<account>:alarm:<name>)",
            )
        elif not isinstance(val, str) or not ALARM_ARN.match(val):
            ctx.error(
                f"{p}.value",
                f"{quote(val)} is not a CloudWatch alarm ARN; "
                "use arn:aws:cloudwatch:<region>:<account>:alarm:<name>" + placeholder_hint(val),
            )
        if isinstance(val, str) or val is None:
            key = (source, val or "")
            duplicate = duplicate or key in seen
            seen.add(key)
    if sources and all(s == "none" for s in sources):
        ctx.warn(
            path,
            "the experiment has no stop condition (source 'none'); nothing stops it early "
            "if the system misbehaves - add an aws:cloudwatch:alarm",
        )
    elif "none" in sources:
        ctx.error(path, "'none' cannot be combined with alarm stop conditions; remove the 'none' entry")
    if duplicate:
        ctx.error(path, "lists the same stop condition twice; remove the duplicate")
