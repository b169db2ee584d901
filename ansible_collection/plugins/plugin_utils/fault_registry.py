# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Which modules of chaos.faults are host faults: the `host_faults` action group of meta/runtime.yml.

Registering a new fault module is one line in that group; chaos.faults.fault and the game_day role
read it here at run time.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

GROUP = "host_faults"
PREFIX = "chaos.faults."
RUNTIME_YML = Path(__file__).resolve().parents[2] / "meta" / "runtime.yml"
# Used only while meta/runtime.yml has no host_faults group yet.
FALLBACK = (
    "cpu_stress",
    "memory_stress",
    "io_stress",
    "disk_fill",
    "process_kill",
    "service_stop",
    "network_latency",
    "network_blackhole",
)


@functools.cache
def host_faults(runtime_yml: Path = RUNTIME_YML) -> tuple[str, ...]:
    """The short names of the host-fault modules, in the order the group lists them."""
    try:
        data = yaml.safe_load(runtime_yml.read_text()) or {}
    except (OSError, yaml.YAMLError):
        return FALLBACK
    group = (data.get("action_groups") or {}).get(GROUP)
    if not group:
        return FALLBACK
    # entries are module names, short or fully qualified; a `metadata` entry is a dict
    names = [e[len(PREFIX) :] if e.startswith(PREFIX) else e for e in group if isinstance(e, str)]
    return tuple(names) or FALLBACK
