"""The optional sections: logConfiguration, experimentOptions, experimentReportConfiguration."""

from __future__ import annotations

from typing import Any

from ..durations import parse_duration
from .context import Context
from .fields import mapping, string, too_many, unknown_keys
from .formats import BUCKET, DASHBOARD_ARN, LOG_GROUP_ARN
from .text import names, placeholder_hint, quote, type_name

EXPERIMENT_OPTIONS = {
    "accountTargeting": ("single-account", "multi-account"),
    "emptyTargetResolutionMode": ("fail", "skip"),
}


def check_log_configuration(ctx: Context, value: Any) -> None:
    path = "logConfiguration"
    lc = mapping(ctx, path, value, "logging settings")
    if lc is None:
        return
    unknown_keys(ctx, path, lc, ("logSchemaVersion", "cloudWatchLogsConfiguration", "s3Configuration"))
    v = lc.get("logSchemaVersion")
    if v is None:
        ctx.error(f"{path}.logSchemaVersion", "is required; use 2")
    elif isinstance(v, bool) or not isinstance(v, int) or v not in (1, 2):
        ctx.error(f"{path}.logSchemaVersion", f"{quote(v)} is not a log schema version; use 2 (or 1)")
    cw, s3 = lc.get("cloudWatchLogsConfiguration"), lc.get("s3Configuration")
    if cw is None and s3 is None:
        ctx.error(
            path,
            "has no destination; add cloudWatchLogsConfiguration.logGroupArn or s3Configuration.bucketName",
        )
    if cw is not None:
        c = mapping(ctx, f"{path}.cloudWatchLogsConfiguration", cw, "logGroupArn")
        if c is not None:
            unknown_keys(ctx, f"{path}.cloudWatchLogsConfiguration", c, ("logGroupArn",))
            arn = c.get("logGroupArn")
            p = f"{path}.cloudWatchLogsConfiguration.logGroupArn"
            if arn is None:
                ctx.error(p, "is required: arn:aws:logs:<region>:<account>:log-group:<name>")
            elif string(ctx, p, arn, 2048) is not None and not LOG_GROUP_ARN.match(arn):
                ctx.error(
                    p,
                    f"{quote(arn)} is not a log group ARN; "
                    "use arn:aws:logs:<region>:<account>:log-group:<name>" + placeholder_hint(arn),
                )
    if s3 is not None:
        _s3_location(ctx, f"{path}.s3Configuration", s3, 700)


def _s3_location(ctx: Context, path: str, value: Any, max_prefix: int) -> None:
    s = mapping(ctx, path, value, "bucketName and prefix")
    if s is None:
        return
    unknown_keys(ctx, path, s, ("bucketName", "prefix"))
    b = s.get("bucketName")
    if b is None:
        ctx.error(f"{path}.bucketName", "is required")
    elif string(ctx, f"{path}.bucketName", b, 63) is not None and not BUCKET.match(b):
        ctx.error(
            f"{path}.bucketName",
            f"{quote(b)} is not a valid S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)",
        )
    if "prefix" in s:
        string(ctx, f"{path}.prefix", s["prefix"], max_prefix)


def check_experiment_options(ctx: Context, value: Any) -> None:
    path = "experimentOptions"
    eo = mapping(ctx, path, value, "options")
    if eo is None:
        return
    unknown_keys(ctx, path, eo, tuple(EXPERIMENT_OPTIONS))
    for key, allowed in EXPERIMENT_OPTIONS.items():
        if key in eo and not (isinstance(eo[key], str) and eo[key] in allowed):
            ctx.error(f"{path}.{key}", f"{quote(eo[key])} is not one of {names(allowed)}")


def check_report_configuration(ctx: Context, value: Any) -> None:
    path = "experimentReportConfiguration"
    rc = mapping(ctx, path, value, "report settings")
    if rc is None:
        return
    unknown_keys(ctx, path, rc, ("outputs", "dataSources", "preExperimentDuration", "postExperimentDuration"))
    outputs = rc.get("outputs")
    if outputs is None:
        ctx.warn(
            f"{path}.outputs",
            "is missing, so the report goes nowhere; add outputs.s3Configuration.bucketName",
        )
    else:
        o = mapping(ctx, f"{path}.outputs", outputs, "s3Configuration")
        if o is not None:
            unknown_keys(ctx, f"{path}.outputs", o, ("s3Configuration",))
            if "s3Configuration" not in o:
                ctx.error(f"{path}.outputs.s3Configuration", "is required (bucketName, prefix)")
            else:
                _s3_location(ctx, f"{path}.outputs.s3Configuration", o["s3Configuration"], 256)
    if "dataSources" in rc:
        _dashboards(ctx, f"{path}.dataSources", rc["dataSources"])
    for key in ("preExperimentDuration", "postExperimentDuration"):
        if key in rc and parse_duration(rc[key]) is None:
            ctx.error(f"{path}.{key}", f"{quote(rc[key])} is not an ISO-8601 duration; write e.g. PT20M")


def _dashboards(ctx: Context, path: str, value: Any) -> None:
    ds = mapping(ctx, path, value, "cloudWatchDashboards")
    if ds is None:
        return
    unknown_keys(ctx, path, ds, ("cloudWatchDashboards",))
    dbs = ds.get("cloudWatchDashboards", [])
    p = f"{path}.cloudWatchDashboards"
    if not isinstance(dbs, list):
        ctx.error(p, f"must be a list of {{dashboardIdentifier}} entries, not {type_name(dbs)}")
        return
    if too_many(ctx, p, len(dbs), "dashboards"):
        return
    for i, d in enumerate(dbs):
        dm = mapping(ctx, f"{p}[{i}]", d, "dashboardIdentifier")
        if dm is None:
            continue
        unknown_keys(ctx, f"{p}[{i}]", dm, ("dashboardIdentifier",))
        ident = dm.get("dashboardIdentifier")
        if not isinstance(ident, str) or not DASHBOARD_ARN.match(ident):
            ctx.error(
                f"{p}[{i}].dashboardIdentifier",
                f"{quote(ident)} is not a dashboard ARN; use arn:aws:cloudwatch::<account>:dashboard/<name>"
                + placeholder_hint(ident),
            )
