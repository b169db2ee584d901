# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""The status rules of a game day: completed, failed, aborted or interrupted, and whether it deviated.

Chaos Toolkit's split: a steady state broken before the method is `failed`, not `deviated`; one
broken during or after the faults is `deviated`.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.chaos.faults.plugins.module_utils.game_day.text import short
from ansible_collections.chaos.faults.plugins.module_utils.game_day.times import parse_time

STATUSES = ("completed", "failed", "aborted", "interrupted")
INTERRUPTED_REASON = "the game day has not finished (or was killed before writing its final journal)"


def steady_state(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """{steady_state_met, probes} of the probe runs of one phase; None when none ran."""
    ran = [e for e in entries if e["status"] != "skipped"]
    if not ran:
        return None
    return {"steady_state_met": all(e["tolerance_met"] for e in ran), "probes": entries}


def deviated(
    before: dict[str, Any] | None, during: list[dict[str, Any]], after: dict[str, Any] | None
) -> bool:
    """A probe failed during or after the faults, while the steady state held before them."""
    return bool(
        (before is None or before["steady_state_met"])
        and (
            any(not s["steady_state_met"] for s in during)
            or (after is not None and not after["steady_state_met"])
        )
    )


def status_and_reasons(
    params: dict[str, Any],
    before: dict[str, Any] | None,
    run: list[dict[str, Any]],
    rollbacks: list[dict[str, Any]],
    windows: list[dict[str, Any]],
    end: str,
) -> tuple[str, list[str]]:
    """(status, reasons in words) of a run; `params` gives phase, failed_reason and aborted_reason."""
    if (params.get("phase") or "final") == "start":
        return "interrupted", [INTERRUPTED_REASON]
    reasons = []
    if params.get("failed_reason"):
        reasons.append(params["failed_reason"])
    if before is not None and not before["steady_state_met"]:
        reasons.append("steady state was not met before the faults; the faults were not injected")
    for entry in run + rollbacks:
        if entry["status"] == "failed":
            reasons.append(f"{entry['host']}: {entry['activity']['name']} failed: {entry['exception'][0]}")
    end_t = parse_time(end)
    reasons += [
        f"{w['host']}: {w['fault']} {w['fault_id']} has not been reverted"
        for w in windows
        if not w["ended"] and not w["not_from_this_run"] and (parse_time(w["planned_end"]) or end_t) < end_t
    ]
    if reasons:
        return "failed", reasons
    guards = [w for w in windows if w["reverted_by"] == "guard" or w["guard_violation"]]
    if not params.get("aborted_reason") and not guards:
        return "completed", reasons
    if params.get("aborted_reason"):
        reasons.append(params["aborted_reason"])
    reasons += [
        f"{w['host']}: guard of {w['fault']} {w['fault_id']} fired: {short(w['guard_violation'])}"
        for w in guards
    ]
    return "aborted", reasons
