"""Typed reads of a policy document, each failure a Problem with the field path and the fix.

Reads follow the schema and never walk into a value the schema does not expect, so a hostile
document (deep nesting, YAML aliases that expand to millions of nodes) costs no more than its shape.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from ..durations import format_duration, parse_duration
from ..problems import Problem

MAX_ITEMS = 1000  # entries of one list or mapping in a policy; real policies have a few dozen
MAX_TEXT = 256  # characters of one name, pattern or tag value
MAX_PROBLEMS = 100  # past this, more messages only bury the first ones


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number"}.get(
        type(value), f"a {type(value).__name__}"
    )


def join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def suggest(word: Any, choices: Any) -> str:
    close = difflib.get_close_matches(str(word)[:80], [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


class Reader:
    """Collects the problems of one document while its fields are read."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, path: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(path, message))

    def warn(self, path: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(path, message, "warning"))

    def mapping(self, path: str, value: Any, what: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.error(path, f"must be a mapping of {what}, not {type_name(value)}")
            return None
        if len(value) > MAX_ITEMS:
            self.error(path, f"has {len(value):,} entries; a policy allows at most {MAX_ITEMS:,} here")
            return None
        return value

    def unknown_keys(self, path: str, data: Mapping[str, Any], allowed: tuple[str, ...]) -> bool:
        ok = True
        for key in data:
            if key not in allowed:
                ok = False
                self.error(
                    join(path, key),
                    f"is not a known key{suggest(key, allowed)} (known: {', '.join(allowed)})",
                )
        return ok

    def text(self, path: str, value: Any, example: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.error(path, f"must be a non-empty string, e.g. {example}, not {type_name(value)}")
            return None
        if len(value) > MAX_TEXT:
            self.error(path, f"is {len(value):,} characters long; at most {MAX_TEXT}")
            return None
        return value

    def boolean(self, path: str, value: Any) -> bool | None:
        if not isinstance(value, bool):
            self.error(path, f"must be true or false, not {type_name(value)}")
            return None
        return value

    def whole(self, path: str, value: Any, lo: int, hi: int | None = None) -> int | None:
        """A whole number within [lo, hi]; ``null`` is read by the caller as 'no limit'."""
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, f"must be a whole number (or null for no limit), not {type_name(value)}")
            return None
        if value < lo or (hi is not None and value > hi):
            bounds = f"{lo}-{hi}" if hi is not None else f"{lo} or more"
            self.error(path, f"is {value}; it must be {bounds}")
            return None
        return value

    def strings(self, path: str, value: Any, example: str) -> tuple[str, ...] | None:
        if not isinstance(value, list):
            self.error(path, f"must be a list of strings, e.g. [{example}], not {type_name(value)}")
            return None
        if len(value) > MAX_ITEMS:
            self.error(path, f"has {len(value):,} entries; a policy allows at most {MAX_ITEMS:,}")
            return None
        out = []
        for i, item in enumerate(value):
            read = self.text(f"{path}[{i}]", item, example)
            if read is not None:
                out.append(read)
        return tuple(out) if len(out) == len(value) else None

    def duration(self, path: str, value: Any) -> tuple[float, str] | None:
        seconds = parse_duration(value)
        if seconds is None or seconds <= 0:
            self.error(
                path,
                f"{value!r} is not a positive ISO-8601 duration; write it as FIS does: PT30M, PT1H, PT90S",
            )
            return None
        return seconds, format_duration(seconds)
