"""How FIS scopes a target, as pure functions: the selection mode's count and the filters' match.

Both follow the FIS user guide, "Targets for AWS FIS"
(https://docs.aws.amazon.com/fis/latest/userguide/targets.html):

- Selection mode: ``ALL`` takes every identified resource, ``COUNT(n)`` n of them at random,
  ``PERCENT(n)`` n percent at random, and "If you have an odd number of resources and specify 50%,
  AWS FIS rounds down" (five instances at 50 % is two); a percentage below one resource selects
  none ("four instances and 5 % ... AWS FIS can't select an instance").
- Resource filters: a path of elements separated by periods into the output of the resource type's
  Describe call, each element in Pascal case even where the output is camel case; several filters
  must all match (AND), several values of one filter any (OR), and several values found at the path
  any (OR).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .model import TargetFilter

_MODE = re.compile(r"^(ALL|COUNT\((\d+)\)|PERCENT\((\d+)\))$")


@dataclass(frozen=True)
class SelectionMode:
    """A parsed ``selectionMode``: ``kind`` is ALL, COUNT or PERCENT; ``n`` the count or percentage."""

    kind: str
    n: int = 0

    @classmethod
    def parse(cls, text: str) -> SelectionMode | None:
        """The mode, or None when ``text`` is not ALL, COUNT(n) or PERCENT(n)."""
        m = _MODE.match(text.strip()) if isinstance(text, str) else None
        if m is None:
            return None
        if m.group(2) is not None:
            return cls("COUNT", int(m.group(2)))
        if m.group(3) is not None:
            return cls("PERCENT", int(m.group(3)))
        return cls("ALL")

    def selected(self, identified: int) -> int:
        """How many of ``identified`` resources FIS takes (PERCENT rounds down, as FIS does)."""
        if self.kind == "COUNT":
            return min(self.n, identified)
        if self.kind == "PERCENT":
            return identified * min(self.n, 100) // 100
        return identified


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def values_at(record: Any, path: str) -> Iterator[str]:
    """Every scalar found at ``path`` (``Placement.AvailabilityZone``) in a Describe record; lists on
    the way are expanded, element names match whatever their case in the output."""
    nodes: list[Any] = [record]
    for element in path.split("."):
        wanted = element.lower()
        found: list[Any] = []
        for node in nodes:
            for item in node if isinstance(node, list) else [node]:
                if isinstance(item, Mapping):
                    found.extend(v for k, v in item.items() if str(k).lower() == wanted)
        nodes = found
    for node in nodes:
        for item in node if isinstance(node, list) else [node]:
            if item is not None and not isinstance(item, (Mapping, list)):
                yield _scalar_text(item)


def matches_filters(record: Any, filters: Sequence[TargetFilter]) -> bool:
    """True when every filter finds one of its values at its path in ``record``."""
    return all(any(v in f.values for v in values_at(record, f.path)) for f in filters)


def tags_match(tags: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    """Every wanted tag present with exactly that value (an empty value matches only an empty value)."""
    return all(k in tags and tags[k] == v for k, v in wanted.items())


def tag_dict(tags: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """``[{Key: k, Value: v}]`` (or ``key``/``value``, as ECS writes them) as a dict."""
    out: dict[str, str] = {}
    for t in tags or ():
        key = t.get("Key", t.get("key"))
        if key is not None:
            out[str(key)] = str(t.get("Value", t.get("value", "")))
    return out


__all__ = ["SelectionMode", "matches_filters", "tag_dict", "tags_match", "values_at"]
