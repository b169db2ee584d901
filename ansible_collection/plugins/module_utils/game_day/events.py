# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""The journal's events: everything that happened, each with a timestamp and a host, in time order."""

from __future__ import annotations

from typing import Any

from ansible_collections.chaos.faults.plugins.module_utils.game_day.text import probe_summary, short
from ansible_collections.chaos.faults.plugins.module_utils.game_day.times import iso, sort_key

PHASES = ("before", "during", "after")


def _event(ts: Any, host: Any, event: str, detail: Any) -> dict[str, Any]:
    return {"ts": ts, "host": host, "event": event, "detail": detail}


def build_events(
    journal: dict[str, Any], probes_by_phase: dict[str, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Events of a journal (without `events`) and its probe entries grouped by phase."""
    node = journal["node"]
    first = _event(journal["start"], node, "game-day-started", journal["experiment"]["title"])
    events = [first]
    for phase in PHASES:
        for p in probes_by_phase.get(phase, []):
            if p["status"] == "skipped":
                continue
            events.append(
                _event(p["start"] or p["end"], p["host"], f"probe-{phase}-started", p["activity"]["name"])
            )
            outcome = "met" if p["tolerance_met"] else "violated"
            events.append(
                _event(p["end"] or p["start"], p["host"], f"probe-{phase}-{outcome}", probe_summary(p))
            )
    for r in journal["run"]:
        if r["status"] != "skipped":
            kind = "fault-injected" if r["status"] == "succeeded" else "fault-injection-failed"
            events.append(
                _event(
                    r["start"] or r["end"],
                    r["host"],
                    kind,
                    f"{r['activity']['name']} {r['output'].get('fault_id', '')}".strip(),
                )
            )
    stopped = journal.get("stopped_early")
    if stopped:
        events.append(_event(stopped.get("at"), node, "faults-stopped-early", stopped.get("reason")))
    for w in journal["faults"]:
        gv = w["guard_violation"]
        if gv:
            ts = iso(gv.get("detected_at") or gv.get("at")) if isinstance(gv, dict) else None
            events.append(
                _event(
                    ts or w["end"], w["host"], "guard-violated", f"{w['fault']} {w['fault_id']}: {short(gv)}"
                )
            )
        if w["end"]:
            events.append(
                _event(
                    w["end"],
                    w["host"],
                    "fault-reverted",
                    f"{w['fault']} {w['fault_id']} by {w['reverted_by'] or 'unknown'}",
                )
            )
    for r in journal["rollbacks"]:
        if r["status"] != "skipped":
            kind = "revert-ran" if r["status"] == "succeeded" else "revert-failed"
            events.append(_event(r["end"] or r["start"], r["host"], kind, r["activity"]["name"]))
    for note in journal.get("notes") or []:
        detail = f"{note['author']}: {note['text']}" if note.get("author") else note["text"]
        events.append(_event(note["at"], note.get("host") or node, "operator-note", detail))
    events = sorted((e for e in events[1:] if e["ts"]), key=lambda e: sort_key(e["ts"]))
    # the run's first and last events bracket the others, whatever rounding did to their times
    outcome = "deviated" if journal["deviated"] else "steady state held"
    last = _event(journal["end"], node, f"game-day-{journal['status']}", outcome)
    return [first, *events, last]
