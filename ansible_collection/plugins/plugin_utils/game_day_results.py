# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""From what the game day's tasks registered on each host to the journal's inputs.

The role registers, per host: `game_day__inject` (chaos.faults.fault over the faults),
`game_day__revert` (the revert phase) and, when a step failed, `game_day__failed` (a sentence).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.chaos.faults.plugins.module_utils.game_day.entries import revertible

INJECT_VAR = "game_day__inject"
REVERT_VAR = "game_day__revert"
FAILED_VAR = "game_day__failed"
PROBES_VAR = "game_day__probes"
# Ansible's bookkeeping in a loop item's result
_LOOP_KEYS = ("item", "ansible_loop_var", "_ansible_item_label", "_ansible_no_log", "invocation")


def injections(host: str, registered: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The injections of one host from its registered `chaos.faults.fault` loop (skipped items left out)."""
    out = []
    for r in (registered or {}).get("results") or []:
        item = r.get("item") or {}
        if r.get("skipped") or not isinstance(item, Mapping):
            continue
        out.append(
            {
                "host": host,
                "name": item.get("name") or item.get("module"),
                "module": item.get("module"),
                "args": dict(item.get("args") or {}),
                "start": r.get("start"),
                "end": r.get("end"),
                "result": {k: v for k, v in r.items() if k not in _LOOP_KEYS},
            }
        )
    return out


def revert_ids(injected: Sequence[Mapping[str, Any]]) -> list[str]:
    """Ids of the faults of these injections that are left to revert (instant faults have none)."""
    return [i["result"]["fault_id"] for i in injected if revertible(i["result"])]


def reverts(host: str, registered: Mapping[str, Any] | None, injected: Sequence[Mapping[str, Any]]):
    """(one revert entry per reverted fault, the host's fault records) from the revert phase's result."""
    reg = dict(registered or {})
    if not reg or (reg.get("skipped") and not reg.get("unreachable")):
        return [], []
    modules = {i["result"].get("fault_id"): i["module"] for i in injected}
    status = reg.get("fault_status") or {}
    ids = reg.get("fault_ids") or revert_ids(injected)
    failed = reg.get("failed") or reg.get("unreachable")
    entries = []
    for fid in ids:
        if failed:
            result = {k: reg[k] for k in ("failed", "unreachable", "msg") if k in reg}
        else:
            done = fid in (status.get("reverted") or [])
            result = {"changed": done, "reverted": [fid] if done else []}
        entries.append(
            {
                "host": host,
                "module": modules.get(fid),
                "fault_id": fid,
                "start": reg.get("start"),
                "end": reg.get("end"),
                "result": result,
            }
        )
    records = [{"host": host, "records": status["faults"]}] if "faults" in status else []
    return entries, records
