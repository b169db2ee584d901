"""Parameter values against their catalog entry: type, range, and the per-parameter rules in the data."""

from __future__ import annotations

import json

from ..catalog import ParameterSpec
from ..durations import parse_duration
from ..limits import MAX_QUOTE
from .context import Context
from .formats import ARN, INTEGER, NUMBER
from .text import join, names, placeholder_hint, quote, suggest

MAX_PARAM_VALUE = 1024  # FIS's limit for a parameter value


def check_parameters(
    ctx: Context,
    path: str,
    params: dict[str, str],
    specs: dict[str, ParameterSpec],
    owner: str,
    present: bool = True,
) -> None:
    """``params`` (already strings) against ``specs``; ``path`` is the parameters mapping's path."""
    for name, value in params.items():
        ps = specs.get(name)
        if ps is None:
            ctx.error(
                join(path, name),
                f"unknown parameter {quote(name)} for {owner}{suggest(name, specs)} "
                f"(allowed: {names(specs)})",
            )
            continue
        check_value(ctx, join(path, name), value, ps)
    for name, ps in specs.items():
        if ps.when is not None:
            other, wanted = ps.when
            if params.get(other) != wanted:
                if name in params:
                    ctx.error(join(path, name), f"is only used with {other} '{wanted}'")
            elif name not in params:
                fill = f"set it to {ps.description}" if ps.description else "set it"
                ctx.error(join(path, name), f"is required when {other} is '{wanted}'; {fill}")
        elif name not in params:
            if ps.required:
                ctx.error(
                    join(path, name) if present else path,
                    f"required parameter '{name}' of {owner} is missing; add {name}: '{example(ps)}'",
                )
            elif ps.if_missing:
                ctx.warn(path, f"has no {name}: {ps.if_missing}")


def check_value(ctx: Context, path: str, value: str, ps: ParameterSpec) -> None:
    if len(value) > MAX_PARAM_VALUE:
        return  # its length is reported; nothing longer is read as a number, a list or JSON
    kind = ps.type
    if kind == "duration":
        secs = parse_duration(value)
        if secs is None:
            ctx.error(
                path,
                f"{quote(value)} is not an ISO-8601 duration; write e.g. PT5M (5 minutes), PT30S or PT1H30M",
            )
            return
        if ps.minimum is not None and secs < ps.minimum:
            ctx.error(
                path, f"{value} is shorter than the minimum {ps.min_text}; use {ps.min_text}..{ps.max_text}"
            )
        if ps.maximum is not None and secs > ps.maximum:
            ctx.error(
                path, f"{value} is longer than the maximum {ps.max_text}; use {ps.min_text}..{ps.max_text}"
            )
    elif kind == "integer":
        if not INTEGER.match(value.strip()):
            ctx.error(path, f"{quote(value)} is not a whole number" + range_hint(ps))
            return
        n = int(value)
        if (ps.minimum is not None and n < ps.minimum) or (ps.maximum is not None and n > ps.maximum):
            ctx.error(path, f"{_shown(value.strip())} is out of range" + range_hint(ps))
    elif kind == "enum":
        if value not in ps.values:
            ctx.error(path, f"{quote(value)} is not one of {names(ps.values)}{suggest(value, ps.values)}")
    elif kind == "number":
        if not NUMBER.match(value.strip()):
            ctx.error(path, f"{quote(value)} is not a number" + range_hint(ps))
            return
        x = float(value)
        if (ps.minimum is not None and x < ps.minimum) or (ps.maximum is not None and x > ps.maximum):
            ctx.error(path, f"{_shown(value)} is out of range" + range_hint(ps))
    elif kind == "boolean":
        if value.lower() not in ("true", "false"):
            ctx.error(path, f"{quote(value)} is not a boolean; use 'true' or 'false'")
    elif kind == "list":
        _check_list(ctx, path, value, ps)
    elif kind == "json":
        try:
            json.loads(value)
        except (ValueError, RecursionError) as e:
            msg = getattr(e, "msg", None) or "nested too deeply"
            ctx.error(
                path,
                f"is not valid JSON ({msg}); it must be a JSON document in a string, "
                'e.g. \'{"DurationSeconds": "120"}\'',
            )
    elif kind == "arn":
        if not ARN.match(value):
            ctx.error(
                path,
                f"{quote(value)} is not an ARN (arn:aws:<service>:<region>:<account>:<resource>)"
                + placeholder_hint(value),
            )


def _check_list(ctx: Context, path: str, value: str, ps: ParameterSpec) -> None:
    items = value.split(",")
    if any(not i.strip() for i in items):
        ctx.error(path, f"{quote(value)} has an empty item; write a comma-separated list like 'a,b'")
        return
    if ps.nospace and any(i != i.strip() for i in items):
        ctx.error(
            path,
            f"{quote(value)} has spaces around its items; FIS wants them without, e.g. "
            f"{quote(','.join(i.strip() for i in items))}",
        )
    if ps.max_items is not None and len(items) > ps.max_items:
        ctx.error(path, f"has {len(items)} items; the limit is {ps.max_items}")
    if ps.values:
        for item in (i.strip() for i in items):
            if item not in ps.values:
                ctx.error(path, f"{quote(item)} is not one of {names(ps.values)}{suggest(item, ps.values)}")
    if ps.item == "arn":
        for item in items:
            if not ARN.match(item.strip()):
                ctx.error(path, f"{quote(item.strip())} is not an ARN" + placeholder_hint(item.strip()))


def _shown(value: str) -> str:
    """A short value as it is (``150 is out of range``), a long one quoted and cut."""
    return value if len(value) <= MAX_QUOTE else quote(value)


def range_hint(ps: ParameterSpec) -> str:
    if ps.minimum is not None and ps.maximum is not None:
        return f"; use {ps.min_text or f'{ps.minimum:g}'}-{ps.max_text or f'{ps.maximum:g}'}"
    return ""


def example(ps: ParameterSpec) -> str:
    """A value to suggest for a missing parameter."""
    if ps.default is not None:
        return ps.default
    if ps.type == "duration":
        return "PT5M" if (ps.minimum or 0) <= 300 <= (ps.maximum or 1e9) else (ps.min_text or "PT5M")
    if ps.type == "integer":
        return str(int(ps.minimum if ps.minimum is not None else 1)) if ps.minimum else "1"
    if ps.type == "enum" or (ps.type == "list" and ps.values):
        return ps.values[0]
    if ps.type == "boolean":
        return "false"
    if ps.type == "json":
        return "{}"
    if ps.type == "arn":
        return "arn:aws:..."
    return "<value>"
