# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""The journal of a game day, built from what its steps collected (pure: no I/O).

Its keys are Chaos Toolkit's run-journal keys (status, deviated, steady_states, run, rollbacks, ...)
plus hosts, faults (one window per fault and host), events, reasons, mode, notes and stopped_early.
"""

from __future__ import annotations

import platform
from typing import Any

from ansible_collections.chaos.faults.plugins.module_utils.game_day.entries import (
    fault_windows,
    injection_entry,
    probe_entry,
    revert_entry,
)
from ansible_collections.chaos.faults.plugins.module_utils.game_day.events import PHASES, build_events
from ansible_collections.chaos.faults.plugins.module_utils.game_day.redact import redact
from ansible_collections.chaos.faults.plugins.module_utils.game_day.times import iso, now_iso, seconds_between
from ansible_collections.chaos.faults.plugins.module_utils.game_day.verdict import (
    deviated,
    status_and_reasons,
    steady_state,
)

GENERATOR = "chaos.faults.game_day_report 0.1.0"
MODES = ("automated", "observe")


def fault_definition_actions(
    faults: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The experiment's method and rollbacks: the faults as defined (each reverted by its module's
    state=absent, which reverts every active fault of that module), not as run."""
    method, rollbacks = [], []
    for f in faults:
        module = f"chaos.faults.{f.get('module')}"
        method.append(
            {
                "type": "action",
                "name": f.get("name") or f.get("module"),
                "provider": {"type": "ansible", "module": module, "arguments": redact(f.get("args") or {})},
            }
        )
        rollbacks.append(
            {
                "type": "action",
                "name": f"revert {f.get('module')}",
                "provider": {"type": "ansible", "module": module, "arguments": {"state": "absent"}},
            }
        )
    return method, rollbacks


def _unique_probe_activities(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for p in entries:
        key = (p["activity"]["name"], p["host"])
        if key not in seen:
            seen.add(key)
            out.append(p["activity"])
    return out


def build_journal(params: dict[str, Any]) -> dict[str, Any]:
    """The journal of a run from its steps' results (the options of chaos.faults.game_day_report)."""
    start = iso(params["started_at"]) or now_iso()
    end = iso(params.get("ended_at")) or now_iso()
    probes = [probe_entry(p) for p in params.get("probes") or []]
    by_phase = {ph: [p for p in probes if p["phase"] == ph] for ph in PHASES}
    run = [injection_entry(i) for i in params.get("injections") or []]
    rollbacks = [revert_entry(r) for r in params.get("reverts") or []]
    windows = fault_windows(params.get("injections") or [], params.get("records") or [], start)
    before = steady_state(by_phase["before"])
    during = [steady_state([p]) for p in by_phase["during"] if p["status"] != "skipped"]
    after = steady_state(by_phase["after"])
    status, reasons = status_and_reasons(params, before, run, rollbacks, windows, end)
    method, reverts = fault_definition_actions(params.get("faults") or [])
    journal = {
        "chaoslib-version": None,
        "generator": GENERATOR,
        "platform": platform.platform(),
        "node": platform.node(),
        "experiment": {
            "version": "1.0.0",
            "title": params["title"],
            "description": params.get("description") or "",
            "tags": list(params.get("tags") or []),
            "steady-state-hypothesis": {"title": "steady state", "probes": _unique_probe_activities(probes)},
            "method": method,
            "rollbacks": reverts,
        },
        "mode": params.get("mode") or MODES[0],
        "hosts": list(params.get("hosts") or []),
        "start": start,
        "end": end,
        "duration": seconds_between(start, end),
        "status": status,
        "deviated": deviated(before, during, after),
        "reasons": reasons,
        "steady_states": {"before": before, "after": after, "during": during},
        "run": run,
        "rollbacks": rollbacks,
        "faults": windows,
        "stopped_early": params.get("stopped_early") or None,
        "notes": [dict(n, at=iso(n.get("at")) or end) for n in params.get("notes") or []],
    }
    journal["events"] = build_events(journal, by_phase)
    return journal
