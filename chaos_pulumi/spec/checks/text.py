"""Message text: bounded quotes of user values, field paths, name lists and did-you-mean hints.

A message never holds more than a short prefix of what the user wrote: a value may be megabytes
long, or a list that YAML aliases share a billion times over.
"""

from __future__ import annotations

import difflib
import functools
import re
from typing import Any

from ..limits import MAX_QUOTE, label

MAX_LISTED = 20  # names listed in one message ("defined: a, b, ...")
_PLACEHOLDER = re.compile(r"<[^<>]{1,60}>|\{\{[^{}]{1,60}\}\}")
_TYPE_NAMES = {
    dict: "a mapping",
    list: "a list",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}


def type_name(value: Any) -> str:
    name = _TYPE_NAMES.get(type(value))
    if name is not None:
        return name
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def scalar_text(value: Any) -> str | None:
    """A scalar as the user wrote it (bounded), or None for anything else."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if value.bit_length() > 200:  # str() of a huge int is slow, and past 4,300 digits it raises
            return f"<a number of about {int(value.bit_length() * 0.30103):,} digits>"
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return None


def quote(value: Any) -> str:
    """``'value'``, ``'AAAA…' (12,000 characters)``, or the type for a list or mapping."""
    text = scalar_text(value)
    if text is None:
        return type_name(value)
    if len(text) <= MAX_QUOTE:
        return f"'{text}'"
    return f"'{text[:MAX_QUOTE]}…' ({len(text):,} characters)"


def key_text(key: Any) -> str:
    """A mapping key as a path component: short keys as they are, long ones cut, others by type."""
    if type(key) is str and len(key) <= 128:
        return key
    text = scalar_text(key)
    return f"<{type_name(key)}>" if text is None else label(text)


def join(path: str, key: Any) -> str:
    if type(key) is not str or len(key) > 128:
        key = key_text(key)
    return f"{path}.{key}" if path else key


def names(keys: Any) -> str:
    """'a, b, c' for a message, at most MAX_LISTED of them."""
    listed = []
    total = 0
    for k in keys:
        total += 1
        if total <= MAX_LISTED:
            listed.append(key_text(k))
    if not listed:
        return "none"
    more = f", ... ({total:,} in all)" if total > MAX_LISTED else ""
    return ", ".join(listed) + more


@functools.lru_cache(maxsize=2048)
def _closest(word: str, candidates: tuple[str, ...]) -> str | None:
    if ":" in word and len(candidates) > 12:
        # Action ids and resource types: compare the last segment within the same service.
        prefix = word[: word.rfind(":") + 1]
        same = {c[len(prefix) :]: c for c in candidates if c.startswith(prefix)}
        if same:
            close = difflib.get_close_matches(word[len(prefix) :], list(same), n=1, cutoff=0.6)
            return same[close[0]] if close else None
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def suggest(word: Any, choices: Any) -> str:
    """'; did you mean 'x'?' for a near miss of a string, else ''. Bounded lengths, cached."""
    if not isinstance(word, str) or len(word) > 80:
        return ""
    candidates = tuple(c for c in choices if isinstance(c, str))
    if len(candidates) > 200:
        return ""
    close = _closest(word, candidates)
    return f"; did you mean '{close}'?" if close else ""


def placeholder_hint(value: Any) -> str:
    """' [fill in the placeholder <YOUR ACCOUNT>]' when a value still has a template placeholder."""
    m = _PLACEHOLDER.search(value, 0, 4096) if isinstance(value, str) else None
    return f" [fill in the placeholder {m.group(0)}]" if m else ""
