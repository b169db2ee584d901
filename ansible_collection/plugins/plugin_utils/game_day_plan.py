# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""What a game day is before it starts: its fault definitions checked, its run id and its window."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ansible_collections.chaos.faults.plugins.plugin_utils.fault_registry import RegistryError, host_faults

# Options of a fault module that the game day sets itself.
ROLE_OWNED_ARGS = ("state", "fault_id")
DEFAULT_WINDOW_S = 10
SECONDS_PER_FAULT = 4


class FaultDefinitionError(ValueError):
    """A game_day_faults entry the game day cannot run; the message names the entry and the field."""


def check_faults(faults: Sequence[Any], where: str = "game_day_faults") -> None:
    """Raise FaultDefinitionError for the first entry the game day cannot inject."""
    try:
        known = host_faults()
    except RegistryError as e:
        raise FaultDefinitionError(str(e)) from None
    for i, fault in enumerate(faults or []):
        label = f"{where}[{i}]"
        if not isinstance(fault, Mapping):
            raise FaultDefinitionError(f"{label}: a fault is a mapping with module and args, got {fault!r}")
        if fault.get("module") not in known:
            raise FaultDefinitionError(
                f"{label}.module: {fault.get('module')!r} is not a host fault of chaos.faults "
                f"(host faults: {', '.join(known)})"
            )
        args = fault.get("args") or {}
        if not isinstance(args, Mapping):
            raise FaultDefinitionError(
                f"{label}.args: the options of {fault['module']} (a mapping), got {args!r}"
            )
        owned = [k for k in ROLE_OWNED_ARGS if k in args]
        if owned:
            raise FaultDefinitionError(
                f"{label}.args.{owned[0]}: the game day sets {' and '.join(ROLE_OWNED_ARGS)} itself; "
                "leave it out"
            )


def window_seconds(faults: Sequence[Mapping[str, Any]], during_seconds: int) -> int:
    """How long the probes sample during the faults: `during_seconds`, or by default the longest fault
    plus the time to inject them all (SECONDS_PER_FAULT each)."""
    if during_seconds > 0:
        return during_seconds
    durations = [
        int(args["duration"]) for args in (f.get("args") or {} for f in faults) if args.get("duration")
    ]
    if not durations:
        return DEFAULT_WINDOW_S
    return max(durations) + SECONDS_PER_FAULT * len(durations)


def run_id(title: str, now: datetime) -> str:
    """`<UTC time>-<title as a slug, 40 characters at most>-<n>`: the run's directory name."""
    slug = re.sub(r"^-|-$", "", re.sub(r"[^a-z0-9]+", "-", title.lower()))[:40]
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{slug}-{random.randint(0, 99999)}"
