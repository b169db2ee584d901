"""Targets: resource type, how resources are selected (ARNs, tags, filters, parameters) and how many."""

from __future__ import annotations

from typing import Any

from ..catalog import ResourceTypeSpec
from .context import Context
from .fields import check_tags, mapping, name_ok, string, string_map, too_many, unknown_keys, without_nulls
from .formats import ARN, SELECTION, SELECTION_LIKE, arn_matches
from .parameters import MAX_PARAM_VALUE, check_parameters
from .text import join, names, placeholder_hint, quote, suggest, type_name

TARGET_KEYS = ("resourceType", "resourceArns", "resourceTags", "filters", "selectionMode", "parameters")
MAX_ARN = 2048
MAX_SELECTION = 64  # FIS's limit for selectionMode


def check_targets(ctx: Context, value: Any) -> dict[str, str]:
    """Check the targets; return name -> resource type ('' when unknown) for the ones that parsed."""
    data = mapping(ctx, "targets", value, "target names to targets")
    out: dict[str, str] = {}
    if data is None or too_many(ctx, "targets", len(data), "targets"):
        return out
    for name, target in data.items():
        path = join("targets", name)
        if not name_ok(ctx, path, name, "target"):
            continue
        t = mapping(ctx, path, target, "target fields (resourceType, selectionMode, ...)")
        out[name] = "" if t is None else check_target(ctx, path, t)
    return out


def check_target(ctx: Context, path: str, t: Any) -> str:
    t = without_nulls(t, ("resourceType", "selectionMode"))
    unknown_keys(ctx, path, t, TARGET_KEYS)
    spec: ResourceTypeSpec | None = None
    rtype = t.get("resourceType")
    if rtype is None:
        ctx.error(f"{path}.resourceType", "is required, e.g. 'aws:ec2:instance'")
        rtype = ""
    elif string(ctx, f"{path}.resourceType", rtype, 128) is None:
        rtype = ""
    else:
        spec = ctx.cat.resource_types.get(rtype)
        if spec is None:
            ctx.error(
                f"{path}.resourceType",
                f"unknown resource type {quote(rtype)}{suggest(rtype, ctx.cat.resource_types)} "
                "(see `chaos-pulumi catalog list` or refresh the catalog)",
            )
        elif spec.deprecated:
            ctx.warn(f"{path}.resourceType", f"'{rtype}' is a legacy name; use '{spec.deprecated}'")

    mode = t.get("selectionMode")
    counted = _selection_mode(ctx, f"{path}.selectionMode", mode)

    arns = t.get("resourceArns")
    listed = _resource_arns(ctx, f"{path}.resourceArns", arns, rtype, spec) if arns is not None else 0
    has_arns = listed > 0
    has_tags = has_filters = has_params = False
    tags = t.get("resourceTags")
    if tags is not None:
        has_tags = bool(check_tags(ctx, f"{path}.resourceTags", tags))
    filters = t.get("filters")
    if filters is not None:
        has_filters = _filters(ctx, f"{path}.filters", filters)
    params = t.get("parameters")
    if params is not None:
        pmap = string_map(
            ctx, f"{path}.parameters", params, "parameter names to values", None, 64, MAX_PARAM_VALUE
        )
        has_params = bool(pmap)
        if spec is not None:
            check_parameters(ctx, f"{path}.parameters", pmap, spec.parameters, f"resource type {rtype}")

    if spec is not None:
        _selection_rules(ctx, path, spec, has_arns, has_tags, has_filters, has_params)
    if has_arns and has_filters:
        ctx.error(path, "takes resourceArns or filters, not both; listed ARNs are not filtered - drop one")
    if has_arns and has_tags:
        ctx.error(path, "takes resourceArns or resourceTags, not both; keep one (add filters to narrow tags)")
    if not (has_arns or has_tags or has_params) and (spec is None or spec.select_by != {"parameters"}):
        ctx.error(path, "selects nothing; add resourceArns or resourceTags (and optionally filters)")
    if counted is not None and listed:
        how, n = counted
        if how == "COUNT" and n > listed:
            ctx.warn(
                f"{path}.selectionMode",
                f"{mode} asks for more resources than the {listed} listed ARNs; use COUNT({listed}) or ALL",
            )
        if how == "PERCENT" and listed * n // 100 == 0:
            ctx.error(
                f"{path}.selectionMode",
                f"{mode} of {listed} listed ARNs selects no resource (FIS rounds down) and the experiment "
                f"fails; use at least PERCENT({-(-100 // listed)}) or COUNT(1)",
            )
    if mode == "ALL" and has_tags and not has_filters and not has_arns:
        ctx.warn(
            f"{path}.selectionMode",
            f"ALL selects every {rtype or 'resource'} with these tags; "
            "consider COUNT(n) or PERCENT(n), or narrow the selection with filters",
        )
    return rtype


def _selection_mode(ctx: Context, path: str, mode: Any) -> tuple[str, int] | None:
    """Check ``ALL | COUNT(n) | PERCENT(n)``; return ('COUNT' or 'PERCENT', n) when it has a number."""
    if mode is None:
        ctx.error(path, "is required: ALL, COUNT(n) or PERCENT(n)")
        return None
    if isinstance(mode, str) and len(mode) > MAX_SELECTION:
        ctx.error(path, f"is {len(mode):,} characters long; the limit is {MAX_SELECTION}, e.g. COUNT(1)")
        return None
    m = SELECTION.match(mode) if isinstance(mode, str) else None
    if m is None:
        if isinstance(mode, str) and SELECTION_LIKE.match(mode):
            ctx.error(
                path, f"{quote(mode)} is out of range; use COUNT(1) or more, or PERCENT(1) to PERCENT(100)"
            )
        else:
            ctx.error(
                path, f"{quote(mode)} is not a selection mode; use ALL, COUNT(n) or PERCENT(n), e.g. COUNT(1)"
            )
        return None
    if m.group(2) is not None:
        n = int(m.group(2))
        if n < 1:
            ctx.error(path, "COUNT(n) needs n >= 1")
        return "COUNT", n
    if m.group(3) is not None:
        n = int(m.group(3))
        if not 1 <= n <= 100:
            ctx.error(path, f"PERCENT({m.group(3)}) is out of range; use 1-100")
        return "PERCENT", n
    return None


def _resource_arns(ctx: Context, path: str, arns: Any, rtype: str, spec: ResourceTypeSpec | None) -> int:
    """Check the listed ARNs; return how many there are (0 when none or not a list)."""
    if not isinstance(arns, list):
        ctx.error(path, f"must be a list of ARNs, not {type_name(arns)}")
        return 0
    limit = spec.max_arns if spec else 5
    if len(arns) > limit:
        ctx.error(
            path,
            f"has {len(arns):,} ARNs; FIS takes at most {limit} per "
            "target - select by resourceTags or filters instead, or split the target",
        )
    if too_many(ctx, path, len(arns), "ARNs"):
        return len(arns)
    for i, arn in enumerate(arns):
        ap = f"{path}[{i}]"
        if string(ctx, ap, arn, MAX_ARN) is None:
            continue
        if not ARN.match(arn):
            ctx.error(
                ap,
                f"{quote(arn)} is not an ARN (arn:aws:<service>:<region>:<account>:<resource>)"
                + placeholder_hint(arn),
            )
        elif spec is not None and not arn_matches(arn, spec.arn):
            ctx.error(
                ap, f"{quote(arn)} is not an ARN of a {rtype}; expected {spec.arn}" + placeholder_hint(arn)
            )
    if len({a for a in arns if isinstance(a, str)}) != sum(isinstance(a, str) for a in arns):
        ctx.error(path, "lists the same ARN twice; remove the duplicate")
    return len(arns)


def _selection_rules(
    ctx: Context, path: str, spec: ResourceTypeSpec, arns: bool, tags: bool, filters: bool, params: bool
) -> None:
    allowed = spec.select_by
    how = names(sorted(allowed))
    for used, key, field_name in (
        (arns, "arns", "resourceArns"),
        (tags, "tags", "resourceTags"),
        (filters, "filters", "filters"),
        (params, "parameters", "parameters"),
    ):
        if used and key not in allowed:
            ctx.error(
                f"{path}.{field_name}", f"{spec.name} does not support {field_name}; it is selected by {how}"
            )
    if spec.parameters_only and not params:
        required = [n for n, p in spec.parameters.items() if p.required]
        ctx.error(
            f"{path}.parameters",
            f"{spec.name} is selected by parameters only; set {', '.join(required) or 'its parameters'}",
        )


def _filters(ctx: Context, path: str, value: Any) -> bool:
    if not isinstance(value, list):
        ctx.error(path, f"must be a list of {{path, values}} entries, not {type_name(value)}")
        return False
    if too_many(ctx, path, len(value), "filters"):
        return True
    for i, item in enumerate(value):
        p = f"{path}[{i}]"
        f = mapping(ctx, p, item, "path and values")
        if f is None:
            continue
        unknown_keys(ctx, p, f, ("path", "values"))
        if "path" not in f:
            ctx.error(f"{p}.path", "is required, e.g. 'State.Name' or 'Placement.AvailabilityZone'")
        elif string(ctx, f"{p}.path", f["path"], 256) is not None:
            fpath = f["path"]
            if any(part[:1].islower() for part in fpath.split(".")):
                fixed = ".".join(part[:1].upper() + part[1:] for part in fpath.split("."))
                ctx.error(
                    f"{p}.path",
                    f"'{fpath}': every element of a filter path is PascalCase, even where the describe "
                    f"API output is camelCase; write '{fixed}'",
                )
        vals = f.get("values")
        if vals is None:
            ctx.error(f"{p}.values", "is required: a list of values to match, e.g. [running]")
        elif not isinstance(vals, list) or not vals:
            ctx.error(f"{p}.values", "must be a non-empty list of strings")
        elif not too_many(ctx, f"{p}.values", len(vals), "values"):
            for j, v in enumerate(vals):
                if not isinstance(v, str):
                    ctx.error(f"{p}.values[{j}]", f"must be a string, not {type_name(v)}; quote it")
                elif len(v) > 128:
                    ctx.error(f"{p}.values[{j}]", "is longer than 128 characters")
    return bool(value)
