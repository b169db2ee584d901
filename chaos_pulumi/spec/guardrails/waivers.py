"""Waivers: a template tag that names the rules it waives and why, visible in the template and in FIS.

    tags:
      chaos:waiver: "stop_condition_required, max_selection: staging game day, alarms land in OPS-123"

Rule ids before the first colon (separated by commas or spaces), the reason after it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..problems import Problem

MIN_REASON = 10  # characters: enough for a reviewer to judge, not just "ok"
_SEPARATORS = re.compile(r"[,\s]+")
WAIVER_RULE = "waiver"  # the `rule` of problems with the waiver itself


@dataclass(frozen=True)
class Waiver:
    tag: str
    rules: tuple[str, ...]
    reason: str

    @property
    def path(self) -> str:
        return f"tags.{self.tag}"


def read_waiver(tags: Mapping[str, str], tag: str) -> tuple[Waiver | None, list[Problem]]:
    """The waiver a template carries in ``tags[tag]``, or None; malformed waivers are problems (errors)."""
    if tag not in tags:
        return None, []
    value = str(tags[tag])
    path = f"tags.{tag}"
    example = f'write "<rule>[, <rule>]: <reason>", e.g. "stop_condition_required: {_EXAMPLE_REASON}"'
    names, colon, reason = value.partition(":")
    rules = tuple(r for r in _SEPARATORS.split(names.strip()) if r)
    if not colon or not rules:
        return None, [Problem(path, f"{value!r} names no rule to waive; {example}", rule=WAIVER_RULE)]
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        return None, [
            Problem(
                path,
                f"gives {'no reason' if not reason else f'the reason {reason!r}'}; a waiver needs a reason a "
                f"reviewer can judge (at least {MIN_REASON} characters): {example}",
                rule=WAIVER_RULE,
            )
        ]
    return Waiver(tag, tuple(dict.fromkeys(rules)), reason), []


_EXAMPLE_REASON = "staging only, alarm lands in OPS-123"
