"""Typed readers for template fields: each checks one value's type and size and reports what is wrong."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..limits import MAX_ENTRIES, MAX_NODES
from .context import Context
from .formats import NAME
from .text import join, names, quote, suggest, type_name

MAX_NAME = 64


def too_many(ctx: Context, path: str, count: int, what: str) -> bool:
    """True (and one problem) when a list or mapping is too long to look into.

    Every collection the checks iterate is counted here first, so the whole run reads at most
    MAX_NODES entries even when the value is a Python structure that shares its parts.
    """
    if count > MAX_ENTRIES:
        ctx.error(
            path,
            f"has {count:,} {what}; the validator reads at most {MAX_ENTRIES:,} (FIS takes far fewer), "
            "so it was not checked further",
        )
        return True
    before = ctx.values
    ctx.values += count
    if ctx.values <= MAX_NODES:
        return False
    if before <= MAX_NODES:
        ctx.error(path, f"the template has more than {MAX_NODES:,} values; the rest was not checked")
    return True


def mapping(ctx: Context, path: str, value: Any, what: str) -> Mapping[Any, Any] | None:
    if type(value) is dict or isinstance(value, Mapping):
        return value
    ctx.error(path, f"must be a mapping of {what}, not {type_name(value)}")
    return None


def string(ctx: Context, path: str, value: Any, max_len: int | None = None, min_len: int = 1) -> str | None:
    if not isinstance(value, str):
        ctx.error(path, f"must be a string, not {type_name(value)}")
        return None
    if len(value) < min_len:
        ctx.error(path, "must not be empty")
        return None
    if max_len is not None and len(value) > max_len:
        ctx.error(path, f"is {len(value):,} characters long; the limit is {max_len}, shorten it")
        return None
    return value


def unknown_keys(
    ctx: Context, path: str, data: Mapping[Any, Any], allowed: tuple[str, ...], ignored: tuple[str, ...] = ()
) -> None:
    if too_many(ctx, path, len(data), "fields"):
        return
    for key in data:
        if key not in allowed and key not in ignored:
            ctx.error(
                join(path, key),
                f"unknown field {quote(key)}{suggest(key, allowed)} (allowed: {names(allowed)})",
            )


def string_map(
    ctx: Context,
    path: str,
    value: Any,
    what: str,
    max_items: int | None = None,
    max_key: int | None = None,
    max_value: int | None = None,
) -> dict[str, str]:
    """A mapping of strings to strings; YAML numbers and booleans become strings (with a warning)."""
    data = mapping(ctx, path, value, what)
    if data is None or too_many(ctx, path, len(data), "entries"):
        return {}
    if max_items is not None and len(data) > max_items:
        ctx.error(path, f"has {len(data):,} entries; the limit is {max_items}")
    out: dict[str, str] = {}
    for k, v in data.items():
        if not isinstance(k, str):
            ctx.error(join(path, k), f"key must be a string, not {type_name(k)}; quote it")
            continue
        if max_key is not None and len(k) > max_key:
            ctx.error(join(path, k), f"key is {len(k):,} characters long; the limit is {max_key}")
        if not isinstance(v, str):
            if isinstance(v, bool):
                ctx.warn(
                    join(path, k),
                    f"is a YAML boolean; FIS takes strings, it will be sent as '{str(v).lower()}' "
                    f"(quote it to silence this)",
                )
                v = "true" if v else "false"
            elif isinstance(v, (int, float)):
                if isinstance(v, int) and v.bit_length() > 200:
                    ctx.error(join(path, k), f"{quote(v)} is too large a number for a FIS parameter")
                    continue
                ctx.warn(
                    join(path, k), f"is a number; FIS takes strings, it will be sent as '{v}' (quote it)"
                )
                v = str(v)
            else:
                ctx.error(join(path, k), f"must be a string, not {type_name(v)}")
                continue
        if max_value is not None and len(v) > max_value:
            ctx.error(join(path, k), f"is {len(v):,} characters long; the limit is {max_value}")
        out[k] = v
    return out


def name_ok(ctx: Context, path: str, name: Any, what: str) -> bool:
    if not isinstance(name, str):
        ctx.error(path, f"{what} names must be strings, not {type_name(name)}")
        return False
    if not name or len(name) > MAX_NAME or not NAME.match(name):
        ctx.error(path, f"{what} name {quote(name)} must be 1-{MAX_NAME} characters without spaces")
        return False
    return True


def without_nulls(data: Mapping[Any, Any], required: tuple[str, ...]) -> Mapping[Any, Any]:
    """Optional fields set to null (YAML `tags:` with nothing after it, unset Pulumi inputs) are absent."""
    if None not in data.values():
        return data
    return {k: v for k, v in data.items() if v is not None or k in required}


MAX_TAGS, MAX_TAG_KEY, MAX_TAG_VALUE = 50, 128, 256  # FIS's limits, as for any AWS resource


def check_tags(ctx: Context, path: str, value: Any) -> dict[str, str]:
    """A tag map (template tags or a target's resourceTags): FIS's sizes, no reserved ``aws:`` keys."""
    tags = string_map(ctx, path, value, "tag keys to values", MAX_TAGS, MAX_TAG_KEY, MAX_TAG_VALUE)
    for key in tags:
        if key[:4].lower() == "aws:":
            ctx.error(join(path, key), "tag keys starting with 'aws:' are reserved by AWS; rename it")
    return tags
