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


class RegistryError(Exception):
    """meta/runtime.yml lists no host faults: the collection is broken, not the playbook."""


@functools.cache
def host_faults(runtime_yml: Path = RUNTIME_YML) -> tuple[str, ...]:
    """The short names of the host-fault modules, in the order the group lists them."""
    try:
        data = yaml.safe_load(runtime_yml.read_text()) or {}
    except (OSError, yaml.YAMLError) as e:
        raise RegistryError(f"chaos.faults: cannot read {runtime_yml}: {e}") from None
    group = (data.get("action_groups") or {}).get(GROUP) or []
    # entries are module names, short or fully qualified; a `metadata` entry is a dict
    names = tuple(e[len(PREFIX) :] if e.startswith(PREFIX) else e for e in group if isinstance(e, str))
    if not names:
        raise RegistryError(f"chaos.faults: {runtime_yml} has no '{GROUP}' action group listing the faults")
    return names
