"""``max_selection``: how many resources of a type one target may select (COUNT, PERCENT, ALL).

The policy maps resource types (exact, glob such as ``aws:ec2:*``, or ``*`` for every type) to caps;
a type's cap is the ``*`` entry overlaid with the best matching entry, key by key.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model import Target
from .reader import Reader, join

ALL_MODES = ("listed-arns", "never", "any")
CAP_KEYS = ("count", "percent", "all")
_MODE = re.compile(r"^(?:ALL|COUNT\((\d+)\)|PERCENT\((\d+)\))$")


@dataclass(frozen=True)
class SelectionCap:
    """The most one target of a resource type may select; ``None`` means no cap."""

    count: int | None = None
    percent: int | None = None
    all: str = "listed-arns"  # ALL allowed: only on targets listing ARNs | never | on any target
    matched: tuple[str, ...] = ()  # the policy entries it comes from, for messages

    def describe(self) -> str:
        parts = [
            f"COUNT ≤ {self.count}" if self.count is not None else "COUNT unlimited",
            f"PERCENT ≤ {self.percent}" if self.percent is not None else "PERCENT unlimited",
            {
                "listed-arns": "ALL only on listed ARNs",
                "never": "ALL never",
                "any": "ALL allowed",
            }[self.all],
        ]
        return ", ".join(parts)


@dataclass(frozen=True)
class SelectionCaps:
    """The rule's parameters: resource-type pattern -> the cap keys that entry sets."""

    entries: Mapping[str, Mapping[str, Any]]
    _caps: dict[str, SelectionCap] = field(default_factory=dict, compare=False, repr=False)

    def cap(self, resource_type: str) -> SelectionCap:
        found = self._caps.get(resource_type)
        if found is None:
            found = self._caps[resource_type] = self._resolve(resource_type)
        return found

    def _resolve(self, resource_type: str) -> SelectionCap:
        merged: dict[str, Any] = {}
        matched = []
        if "*" in self.entries:
            merged.update(self.entries["*"])
            matched.append("*")
        best = _best_match(resource_type, [p for p in self.entries if p != "*"])
        if best is not None:
            merged.update(self.entries[best])
            matched.append(best)
        return SelectionCap(
            count=merged.get("count"),
            percent=merged.get("percent"),
            all=merged.get("all") or "listed-arns",
            matched=tuple(matched),
        )


def _best_match(resource_type: str, patterns: list[str]) -> str | None:
    if resource_type in patterns:
        return resource_type
    globs = [p for p in patterns if fnmatch.fnmatchcase(resource_type, p)]
    # The most specific glob wins: the one with the most literal characters.
    return max(globs, key=lambda p: (len(p.replace("*", "").replace("?", "")), p), default=None)


def parse(value: Any, path: str, reader: Reader, resource_types: tuple[str, ...]) -> SelectionCaps | None:
    data = reader.mapping(path, value, "resource types ('*', 'aws:ec2:instance', 'aws:rds:*') to caps")
    if data is None:
        return None
    entries: dict[str, dict[str, Any]] = {}
    ok = True
    for pattern, entry in data.items():
        p = join(path, pattern)
        if reader.text(p, pattern, "'*' or aws:ec2:instance") is None:
            ok = False
            continue
        if not any(c in pattern for c in "*?[") and pattern not in resource_types:
            reader.warn(p, f"'{pattern}' is not a FIS resource type in the catalog; check the spelling")
        caps = reader.mapping(p, entry, "count, percent and all")
        if caps is None:
            ok = False
            continue
        if not reader.unknown_keys(p, caps, CAP_KEYS):
            ok = False
        read: dict[str, Any] = {}
        if "count" in caps:
            read["count"] = (
                None if caps["count"] is None else reader.whole(join(p, "count"), caps["count"], 0)
            )
            ok = ok and (caps["count"] is None or read["count"] is not None)
        if "percent" in caps:
            read["percent"] = (
                None if caps["percent"] is None else reader.whole(join(p, "percent"), caps["percent"], 0, 100)
            )
            ok = ok and (caps["percent"] is None or read["percent"] is not None)
        if "all" in caps:
            if caps["all"] in ALL_MODES:
                read["all"] = caps["all"]
            else:
                ok = False
                reader.error(
                    join(p, "all"),
                    f"{caps['all']!r} is not one of {', '.join(ALL_MODES)} (listed-arns: ALL only on targets "
                    "that list their resources by ARN)",
                )
        entries[pattern] = read
    return SelectionCaps(entries) if ok else None


def describe(params: SelectionCaps) -> str:
    parts = []
    for pattern in sorted(params.entries, key=lambda p: (p != "*", p)):
        parts.append(f"{pattern}: {params.cap(pattern if pattern != '*' else '').describe()}")
    return "; ".join(parts) or "no caps"


def check_target(name: str, target: Target, cap: SelectionCap) -> str | None:
    """What is wrong with one target's selection under ``cap`` (a message), or None."""
    m = _MODE.match(target.selection_mode)
    if m is None:
        return None  # the validator reports malformed modes
    kind = target.resource_type or "resource"
    listed = len(target.resource_arns)
    where = f"the cap for {kind} ({cap.describe()})"
    if m.group(1) is not None:
        n = int(m.group(1))
        hits = min(n, listed) if listed else n
        if cap.count is not None and hits > cap.count:
            return (
                f"{target.selection_mode} selects up to {hits} {kind} resources; {where} allows at most "
                f"{cap.count} per target: use COUNT({cap.count}) or fewer"
            )
        return None
    if m.group(2) is not None:
        p = int(m.group(2))
        if cap.percent is not None and p > cap.percent:
            return (
                f"{target.selection_mode} selects {p}% of the matching {kind} resources; {where} allows "
                f"at most {cap.percent}%: use PERCENT({cap.percent}) or less"
            )
        return None
    alternatives = _alternatives(cap)
    if cap.all == "never":
        return f"ALL is not allowed for {kind} under {where}; {alternatives}"
    if not listed and cap.all == "listed-arns":
        how = (
            "tags"
            if target.resource_tags
            else "parameters"
            if target.parameters
            else "filters or its type alone"
        )
        return (
            f"ALL on a target chosen by {how} hits every matching {kind}, however many there are; "
            f"{alternatives}, or list the resources in resourceArns"
        )
    if listed and cap.count is not None and listed > cap.count:
        return (
            f"ALL of {listed} listed {kind} resources exceeds {where}: list at most {cap.count}, "
            f"or use COUNT({cap.count})"
        )
    return None


def _alternatives(cap: SelectionCap) -> str:
    count = f"COUNT(n) with n ≤ {cap.count}" if cap.count is not None else "COUNT(n)"
    percent = f"PERCENT(p) with p ≤ {cap.percent}" if cap.percent is not None else "PERCENT(p)"
    if cap.percent == 0:
        return f"use {count}"
    if cap.count == 0:
        return f"use {percent}"
    return f"use {count} or {percent}"
