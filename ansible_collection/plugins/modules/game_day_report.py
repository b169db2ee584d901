#!/usr/bin/python
# Copyright: chaos-pulumi contributors
# Apache-2.0 (see the collection's LICENSE)
"""Write the journal (Chaos Toolkit shape) and the Markdown/HTML report of a game day."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: game_day_report
short_description: Write the journal and the Markdown/HTML report of a game day
version_added: 0.1.0
description:
  - Used by the M(chaos.faults.game_day) role on the controller (delegated to C(localhost)).
  - Builds a journal in the shape of Chaos Toolkit's run journal (C(status), C(deviated),
    C(steady_states), C(run), C(rollbacks)) plus an C(events) list where every event has a
    timestamp and a host, and writes C(journal.json), C(report.md) and a self-contained
    C(report.html) with an inline SVG timeline (probe latency and success over time, fault windows
    shaded per host).
  - With I(phase=start) it writes a placeholder journal with C(status=interrupted), so a run that
    is killed before the end still leaves an honest journal behind.
  - Needs only the Python standard library.
options:
  title:
    description: Title of the game day.
    type: str
    required: true
  description:
    description: What the game day checks.
    type: str
    default: ""
  tags:
    description: Free tags copied into the journal's experiment.
    type: list
    elements: str
    default: []
  output_dir:
    description: Directory the run directory is created in.
    type: path
    required: true
  run_id:
    description: Name of the run directory under I(output_dir); the same for the start and final phase.
    type: str
    required: true
  phase:
    description: C(start) writes the placeholder journal, C(final) the journal and both reports.
    type: str
    choices: [start, final]
    default: final
  started_at:
    description: ISO-8601 UTC time the game day started.
    type: str
    required: true
  ended_at:
    description: ISO-8601 UTC time the game day ended (default now).
    type: str
  hosts:
    description: Hosts of the play.
    type: list
    elements: str
    default: []
  faults:
    description: The fault definitions of the game day (C(module), C(args), optional C(name)).
    type: list
    elements: dict
    default: []
  probes:
    description:
      - Probe runs, each C(phase) (before, during, after), C(name), C(host), C(start), C(end),
        C(spec) (the probe definition) and C(result) (the return of M(chaos.faults.probe)).
    type: list
    elements: dict
    default: []
  injections:
    description: Fault injections, each C(host), C(name), C(module), C(args), C(start), C(end), C(result).
    type: list
    elements: dict
    default: []
  reverts:
    description:
      - Reverts run in the role's C(always) block, each C(host), C(module), C(start), C(end), C(result).
    type: list
    elements: dict
    default: []
  records:
    description: Fault records read back with M(chaos.faults.fault_status), each C(host) and C(records).
    type: list
    elements: dict
    default: []
  aborted_reason:
    description: Set when the game day was aborted (abort file, operator); makes the status C(aborted).
    type: str
    default: ""
  failed_reason:
    description: Set when a step of the game day failed; makes the status C(failed).
    type: str
    default: ""
author:
  - chaos-pulumi contributors (@chaos-pulumi)
"""

EXAMPLES = r"""
- name: Write the journal and the report
  chaos.faults.game_day_report:
    title: API survives CPU pressure
    output_dir: /var/tmp/game-days
    run_id: "20260101T120000Z-api"
    started_at: "2026-01-01T12:00:00+00:00"
    probes: "{{ probe_runs }}"
    injections: "{{ injections }}"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""

status:
  description: completed, failed, aborted or interrupted.
  type: str
  returned: always
deviated:
  description: Whether a steady-state probe failed during or after the faults.
  type: bool
  returned: always
run_dir:
  description: Directory holding the journal and the reports.
  type: str
  returned: always
journal_path:
  description: Path of journal.json.
  type: str
  returned: always
report_md_path:
  description: Path of report.md (phase final).
  type: str
  returned: always
report_html_path:
  description: Path of report.html (phase final).
  type: str
  returned: always
journal:
  description: The journal written to journal.json.
  type: dict
  returned: always
"""

import html
import json
import os
import platform
import re
import tempfile
from datetime import datetime, timezone
from typing import Any

from ansible.module_utils.basic import AnsibleModule

# Python < 3.11 has no datetime.UTC; the module must stay importable there (ansible-test compile)
UTC = timezone.utc  # noqa: UP017

GENERATOR = "chaos.faults.game_day_report 0.1.0"
PHASES = ("before", "during", "after")
SECRET_KEY = re.compile(r"pass(word)?|secret|token|credential|private_key|api_key|authorization", re.I)
FAULT_COLORS = {
    "cpu_stress": "#e8590c",
    "memory_stress": "#7048e8",
    "io_stress": "#1098ad",
    "disk_fill": "#5c940d",
    "service_stop": "#c2255c",
    "network_latency": "#1c7ed6",
    "network_blackhole": "#212529",
    "process_kill": "#f08c00",
}
SERIES_COLORS = ("#1c7ed6", "#e8590c", "#2b8a3e", "#862e9c", "#c92a2a", "#495057")


# ---------------------------------------------------------------------------------------------
# time helpers


def parse_time(value: Any) -> datetime | None:
    """Parse an ISO-8601 string or epoch seconds into an aware UTC datetime (None if unknown)."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), tz=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def iso(value: Any) -> str | None:
    parsed = parse_time(value)
    return parsed.isoformat() if parsed else None


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def seconds_between(start: Any, end: Any) -> float | None:
    a, b = parse_time(start), parse_time(end)
    if a is None or b is None:
        return None
    return round((b - a).total_seconds(), 3)


def redact(value: Any) -> Any:
    """Copy of value with secret-looking keys masked, so credentials never reach a report."""
    if isinstance(value, dict):
        return {k: ("***" if SECRET_KEY.search(str(k)) else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# journal


def _result_failed(result: Any) -> bool:
    if not isinstance(result, dict):
        return True
    return bool(result.get("failed")) or bool(result.get("unreachable"))


def _result_skipped(result: Any) -> bool:
    return isinstance(result, dict) and bool(result.get("skipped"))


def probe_samples(probe: dict) -> list[dict]:
    """Samples of a probe run as [{t, ok, latency_ms}], falling back to one summary point."""
    result = probe.get("result") or {}
    out = []
    for sample in result.get("samples") or []:
        if not isinstance(sample, dict):
            continue
        t = None
        for key in ("t", "ts", "time", "timestamp", "at", "started_at", "start"):
            if sample.get(key) is not None:
                t = parse_time(sample[key])
                break
        latency = None
        for key in ("latency_ms", "elapsed_ms", "ms", "duration_ms"):
            if isinstance(sample.get(key), (int, float)):
                latency = float(sample[key])
                break
        ok = None
        for key in ("ok", "success", "succeeded", "passed"):
            if key in sample:
                ok = bool(sample[key])
                break
        if t is not None:
            out.append(
                {"t": t.isoformat(), "ok": bool(ok) if ok is not None else True, "latency_ms": latency}
            )
    if out:
        return out
    t = parse_time(probe.get("end")) or parse_time(probe.get("start"))
    if t is None or _result_skipped(result):
        return []
    return [{"t": t.isoformat(), "ok": not _result_failed(result), "latency_ms": _latency(result, "p50")}]


def _latency(result: dict, which: str) -> float | None:
    """A latency percentile from a probe result, whatever nesting the probe module uses."""
    candidates = [result.get(f"{which}_ms"), result.get(f"latency_{which}_ms")]
    for container in ("latency_ms", "latency", "percentiles"):
        nested = result.get(container)
        if isinstance(nested, dict):
            candidates += [nested.get(which), nested.get(f"{which}_ms")]
    for c in candidates:
        if isinstance(c, (int, float)):
            return float(c)
    return None


def probe_entry(probe: dict) -> dict:
    """One probe run in Chaos Toolkit's activity-run shape plus tolerance_met, host and phase."""
    result = probe.get("result") or {}
    spec = redact(probe.get("spec") or {})
    provider: dict[str, Any] = {"type": "ansible", "module": "chaos.faults.probe", "arguments": spec}
    if spec.get("url"):
        provider = {"type": "http", "url": spec.get("url"), "module": "chaos.faults.probe", "arguments": spec}
    failed = _result_failed(result)
    met = bool(result["within_tolerance"]) if "within_tolerance" in result else not failed
    entry = {
        "activity": {
            "type": "probe",
            "name": probe.get("name") or spec.get("name") or "probe",
            "provider": provider,
        },
        "phase": probe.get("phase"),
        "host": probe.get("host") or "localhost",
        "status": "failed" if failed and not _tolerance_only(result) else "succeeded",
        "tolerance_met": met,
        "start": iso(probe.get("start")),
        "end": iso(probe.get("end")),
        "duration": seconds_between(probe.get("start"), probe.get("end")),
        "output": {
            k: v
            for k, v in redact(result).items()
            if k not in ("invocation", "changed", "samples", "_ansible_no_log")
        },
        "samples": probe_samples(probe),
    }
    if _result_skipped(result):
        entry["status"] = "skipped"
        entry["tolerance_met"] = None
    return entry


def _tolerance_only(result: dict) -> bool:
    """True when a probe 'failed' only because a tolerance was violated (it still measured)."""
    return any(k in result for k in ("success_ratio", "samples", "count", "latency_ms", "p50_ms"))


def steady_state(entries: list[dict]) -> dict | None:
    ran = [e for e in entries if e["status"] != "skipped"]
    if not ran:
        return None
    return {"steady_state_met": all(e["tolerance_met"] for e in ran), "probes": entries}


def injection_entry(inj: dict) -> dict:
    result = inj.get("result") or {}
    module = inj.get("module") or result.get("fault") or "fault"
    failed = _result_failed(result)
    entry = {
        "activity": {
            "type": "action",
            "name": inj.get("name") or module,
            "provider": {
                "type": "ansible",
                "module": f"chaos.faults.{module}",
                "arguments": redact(inj.get("args") or {}),
            },
        },
        "host": inj.get("host"),
        "status": "skipped" if _result_skipped(result) else ("failed" if failed else "succeeded"),
        "start": iso(result.get("started_at")) or iso(inj.get("start")),
        "end": iso(inj.get("end")),
        "duration": seconds_between(inj.get("start"), inj.get("end")),
        "output": {k: v for k, v in redact(result).items() if k not in ("invocation", "_ansible_no_log")},
    }
    if failed:
        entry["exception"] = [str(result.get("msg") or "the fault module failed")]
    return entry


def revert_entry(rev: dict) -> dict:
    result = rev.get("result") or {}
    module = rev.get("module") or "fault"
    failed = _result_failed(result)
    entry = {
        "activity": {
            "type": "action",
            "name": f"revert {module}",
            "provider": {
                "type": "ansible",
                "module": f"chaos.faults.{module}",
                "arguments": {
                    "state": "absent",
                    **({"fault_id": rev["fault_id"]} if rev.get("fault_id") else {}),
                },
            },
        },
        "host": rev.get("host"),
        "status": "skipped" if _result_skipped(result) else ("failed" if failed else "succeeded"),
        "start": iso(rev.get("start")),
        "end": iso(rev.get("end")),
        "duration": seconds_between(rev.get("start"), rev.get("end")),
        "output": {k: v for k, v in redact(result).items() if k not in ("invocation", "_ansible_no_log")},
    }
    if failed:
        entry["exception"] = [str(result.get("msg") or "the revert failed")]
    return entry


def fault_windows(injections: list[dict], records: list[dict], since: Any = None) -> list[dict]:
    """One window per injected fault: host, fault, start, end, reverted_by, guard_violation.

    Records of faults this run did not inject are kept when they were active during the run (someone
    else's fault is context for the steady state); older ones are left out.
    """
    since_t = parse_time(since)
    by_id: dict[tuple[str, str], dict] = {}
    for group in records:
        host = group.get("host")
        for rec in group.get("records") or []:
            if isinstance(rec, dict) and rec.get("fault_id"):
                by_id[(host, rec["fault_id"])] = rec
    windows = []
    for inj in injections:
        result = inj.get("result") or {}
        if _result_failed(result) or _result_skipped(result) or not result.get("fault_id"):
            continue
        host = inj.get("host")
        rec = by_id.pop((host, result["fault_id"]), {})
        windows.append(_window(host, inj.get("module") or result.get("fault"), result, rec))
    for (host, _fid), rec in by_id.items():  # faults found on the hosts that this run did not inject
        started = parse_time(rec.get("started_at"))
        ended = parse_time(rec.get("reverted_at"))
        live = rec.get("state") in ("armed", "active")
        during_run = since_t is None or (started is not None and started >= since_t)
        overlapping = ended is not None and (since_t is None or ended >= since_t)
        if started is not None and (live or during_run or overlapping):
            windows.append(_window(host, rec.get("fault"), {}, rec, foreign=True))
    return windows


def _window(host: Any, module: Any, result: dict, rec: dict, foreign: bool = False) -> dict:
    start = iso(rec.get("started_at")) or iso(result.get("started_at"))
    planned_end = iso(rec.get("reverts_at")) or iso(result.get("reverts_at"))
    end = iso(rec.get("reverted_at"))
    if end is None and (rec.get("state") == "done" or module == "process_kill"):
        end = start  # an instant fault (process_kill): nothing to revert
    return {
        "host": host,
        "fault": module or "fault",
        "fault_id": rec.get("fault_id") or result.get("fault_id"),
        "injected": redact(rec.get("injected") or result.get("injected") or {}),
        "start": start,
        "planned_end": planned_end,
        "end": end,
        "ended": end is not None,
        "reverted_by": rec.get("reverted_by"),
        "guard_violation": redact(rec.get("guard_violation")) if rec.get("guard_violation") else None,
        "not_from_this_run": foreign,
    }


def build_events(journal: dict) -> list[dict]:
    """Every event of the run with its timestamp and host, sorted by time."""
    events = [
        {
            "ts": journal["start"],
            "host": journal["node"],
            "event": "game-day-started",
            "detail": journal["experiment"]["title"],
        }
    ]
    for phase in PHASES:
        for p in journal["_probe_entries"].get(phase, []):
            if p["status"] == "skipped":
                continue
            events.append(
                {
                    "ts": p["start"] or p["end"],
                    "host": p["host"],
                    "event": f"probe-{phase}-started",
                    "detail": p["activity"]["name"],
                }
            )
            events.append(
                {
                    "ts": p["end"] or p["start"],
                    "host": p["host"],
                    "event": f"probe-{phase}-{'met' if p['tolerance_met'] else 'violated'}",
                    "detail": _probe_summary(p),
                }
            )
    for r in journal["run"]:
        if r["status"] == "skipped":
            continue
        events.append(
            {
                "ts": r["start"] or r["end"],
                "host": r["host"],
                "event": "fault-injected" if r["status"] == "succeeded" else "fault-injection-failed",
                "detail": f"{r['activity']['name']} {r['output'].get('fault_id', '')}".strip(),
            }
        )
    for w in journal["faults"]:
        if w["guard_violation"]:
            gv = w["guard_violation"]
            ts = iso(gv.get("at") or gv.get("detected_at") or gv.get("ts")) if isinstance(gv, dict) else None
            events.append(
                {
                    "ts": ts or w["end"],
                    "host": w["host"],
                    "event": "guard-violated",
                    "detail": f"{w['fault']} {w['fault_id']}: {_short(gv)}",
                }
            )
        if w["end"]:
            events.append(
                {
                    "ts": w["end"],
                    "host": w["host"],
                    "event": "fault-reverted",
                    "detail": f"{w['fault']} {w['fault_id']} by {w['reverted_by'] or 'unknown'}",
                }
            )
    for r in journal["rollbacks"]:
        if r["status"] == "skipped":
            continue
        events.append(
            {
                "ts": r["end"] or r["start"],
                "host": r["host"],
                "event": "revert-ran" if r["status"] == "succeeded" else "revert-failed",
                "detail": r["activity"]["name"],
            }
        )
    events.append(
        {
            "ts": journal["end"],
            "host": journal["node"],
            "event": f"game-day-{journal['status']}",
            "detail": "deviated" if journal["deviated"] else "steady state held",
        }
    )
    events = [e for e in events if e["ts"]]
    events.sort(key=lambda e: parse_time(e["ts"]) or datetime.min.replace(tzinfo=UTC))
    return events


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _probe_summary(p: dict) -> str:
    out = p["output"]
    parts = []
    if isinstance(out.get("success_ratio"), (int, float)):
        parts.append(f"success {out['success_ratio']:.0%}")
    for which in ("p50", "p95", "p99"):
        v = _latency(out, which)
        if v is not None:
            parts.append(f"{which} {v:.1f} ms")
    if not parts and out.get("msg"):
        parts.append(_short(out["msg"], 100))
    return ", ".join(parts)


def build_journal(params: dict) -> dict:
    """The journal of a run from the role's collected results (pure: no I/O)."""
    start = iso(params["started_at"]) or now_iso()
    end = iso(params.get("ended_at")) or now_iso()
    phase = params.get("phase") or "final"
    probes = [probe_entry(p) for p in params.get("probes") or []]
    by_phase = {ph: [p for p in probes if p["phase"] == ph] for ph in PHASES}
    run = [injection_entry(i) for i in params.get("injections") or []]
    rollbacks = [revert_entry(r) for r in params.get("reverts") or []]
    windows = fault_windows(params.get("injections") or [], params.get("records") or [], start)
    before = steady_state(by_phase["before"])
    during = [steady_state([p]) for p in by_phase["during"] if p["status"] != "skipped"]
    after = steady_state(by_phase["after"])

    reasons = []
    if phase == "start":
        status = "interrupted"
        reasons.append("the game day has not finished (or was killed before writing its final journal)")
    else:
        if params.get("failed_reason"):
            reasons.append(params["failed_reason"])
        if before is not None and not before["steady_state_met"]:
            reasons.append("steady state was not met before the faults; the faults were not injected")
        reasons += [
            f"{r['host']}: {r['activity']['name']} failed: {r['exception'][0]}"
            for r in run
            if r["status"] == "failed"
        ]
        reasons += [
            f"{r['host']}: {r['activity']['name']} failed: {r['exception'][0]}"
            for r in rollbacks
            if r["status"] == "failed"
        ]
        reasons += [
            f"{w['host']}: {w['fault']} {w['fault_id']} has not been reverted"
            for w in windows
            if not w["ended"]
            and not w["not_from_this_run"]
            and (parse_time(w["planned_end"]) or parse_time(end)) < parse_time(end)
        ]
        guards = [w for w in windows if w["reverted_by"] == "guard" or w["guard_violation"]]
        if reasons:
            status = "failed"
        elif params.get("aborted_reason") or guards:
            status = "aborted"
            if params.get("aborted_reason"):
                reasons.append(params["aborted_reason"])
            reasons += [
                f"{w['host']}: guard of {w['fault']} {w['fault_id']} fired: {_short(w['guard_violation'])}"
                for w in guards
            ]
        else:
            status = "completed"
    deviated = bool(
        (before is None or before["steady_state_met"])
        and (
            any(not s["steady_state_met"] for s in during)
            or (after is not None and not after["steady_state_met"])
        )
    )
    faults = params.get("faults") or []
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
            "steady-state-hypothesis": {
                "title": "steady state",
                "probes": _unique_probe_activities(probes),
            },
            "method": [
                {
                    "type": "action",
                    "name": f.get("name") or f.get("module"),
                    "provider": {
                        "type": "ansible",
                        "module": f"chaos.faults.{f.get('module')}",
                        "arguments": redact(f.get("args") or {}),
                    },
                }
                for f in faults
            ],
            "rollbacks": [
                {
                    "type": "action",
                    "name": f"revert {f.get('module')}",
                    "provider": {
                        "type": "ansible",
                        "module": f"chaos.faults.{f.get('module')}",
                        "arguments": {"state": "absent"},
                    },
                }
                for f in faults
            ],
        },
        "hosts": list(params.get("hosts") or []),
        "start": start,
        "end": end,
        "duration": seconds_between(start, end),
        "status": status,
        "deviated": deviated,
        "reasons": reasons,
        "steady_states": {"before": before, "after": after, "during": during},
        "run": run,
        "rollbacks": rollbacks,
        "faults": windows,
        "_probe_entries": by_phase,
    }
    journal["events"] = build_events(journal)
    del journal["_probe_entries"]
    return journal


def _unique_probe_activities(probes: list[dict]) -> list[dict]:
    seen, out = set(), []
    for p in probes:
        key = (p["activity"]["name"], p["host"])
        if key not in seen:
            seen.add(key)
            out.append(p["activity"])
    return out


# ---------------------------------------------------------------------------------------------
# reports


def all_probes(journal: dict) -> list[dict]:
    ss = journal["steady_states"]
    out = list((ss.get("before") or {}).get("probes") or [])
    for d in ss.get("during") or []:
        out += d.get("probes") or []
    out += (ss.get("after") or {}).get("probes") or []
    return out


def _clock(value: Any) -> str:
    """HH:MM:SS.mmm (UTC) of a timestamp, for tables; the journal keeps full ISO-8601."""
    t = parse_time(value)
    return t.strftime("%H:%M:%S.") + f"{t.microsecond // 1000:03d}" if t else "–"


def _compact(value: Any, limit: int = 110) -> str:
    """key=value pairs of a dict without the bulky keys (argv, pid lists), for tables."""
    if not isinstance(value, dict):
        return _short(value, limit)
    skip = {"command", "pids", "argv", "killed", "steps", "revert"}
    text = ", ".join(
        f"{k}={_short(v, 40)}" for k, v in value.items() if k not in skip and v not in (None, "")
    )
    return _short(text, limit)


def _fmt_ms(v: Any) -> str:
    return f"{v:.1f}" if isinstance(v, (int, float)) else "–"


def _met(v: Any) -> str:
    return "yes" if v is True else ("no" if v is False else "–")


def render_markdown(journal: dict, html_name: str = "report.html") -> str:
    exp = journal["experiment"]
    lines = [f"# Game day: {exp['title']}", ""]
    if exp.get("description"):
        lines += [exp["description"], ""]
    lines += [
        "| | |",
        "|---|---|",
        f"| status | **{journal['status']}** |",
        f"| steady state deviated | **{'yes' if journal['deviated'] else 'no'}** |",
        f"| started | {journal['start']} |",
        f"| ended | {journal['end']} |",
        f"| duration | {journal['duration']} s |",
        f"| hosts | {', '.join(journal['hosts']) or '–'} |",
        f"| controller | {journal['node']} |",
        "",
    ]
    if journal["reasons"]:
        lines += ["## Why", ""] + [f"- {r}" for r in journal["reasons"]] + [""]
    lines += [
        "## Steady state",
        "",
        "| phase | probe | host | tolerance met | success | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in all_probes(journal):
        out = p["output"]
        ratio = out.get("success_ratio")
        lines.append(
            f"| {p['phase']} | {p['activity']['name']} | {p['host']} | {_met(p['tolerance_met'])} | "
            f"{f'{ratio:.0%}' if isinstance(ratio, (int, float)) else '–'} | "
            f"{_fmt_ms(_latency(out, 'p50'))} | {_fmt_ms(_latency(out, 'p95'))} | "
            f"{_fmt_ms(_latency(out, 'p99'))} |"
        )
    lines += [
        "",
        "## Faults",
        "",
        "| host | fault | id | started | reverted | by | guard violation |",
        "|---|---|---|---|---|---|---|",
    ]
    for w in journal["faults"]:
        lines.append(
            f"| {w['host']} | {w['fault']} | {w['fault_id']} | {w['start'] or '–'} | {w['end'] or '–'} | "
            f"{w['reverted_by'] or '–'} | "
            f"{_short(w['guard_violation'], 80) if w['guard_violation'] else '–'} |"
        )
    failed = [r for r in journal["run"] + journal["rollbacks"] if r["status"] == "failed"]
    if failed:
        lines += ["", "## Failed steps", ""]
        lines += [f"- {r['host']}: {r['activity']['name']}: {r['exception'][0]}" for r in failed]
    lines += ["", "## Events", "", "| time | host | event | detail |", "|---|---|---|---|"]
    for e in journal["events"]:
        lines.append(f"| {e['ts']} | {e['host']} | {e['event']} | {str(e['detail']).replace('|', '/')} |")
    lines += ["", f"Timeline chart: [{html_name}]({html_name}); journal: [journal.json](journal.json)", ""]
    return "\n".join(lines)


def _lane_key(w: dict) -> str:
    return f"{w['host']} · {w['fault']}"


def _phase_bands(journal: dict) -> list[tuple[str, datetime, datetime]]:
    bands = []
    for phase in PHASES:
        starts, ends = [], []
        for p in all_probes(journal):
            if p["phase"] == phase:
                starts.append(parse_time(p["start"]))
                ends.append(parse_time(p["end"]))
        starts = [t for t in starts if t]
        ends = [t for t in ends if t]
        if starts and ends:
            bands.append((phase, min(starts), max(ends)))
    return bands


def svg_timeline(journal: dict, width: int = 960) -> str:
    """An inline SVG: fault windows per host and fault on top, probe latency and success below."""
    t0 = parse_time(journal["start"])
    t1 = parse_time(journal["end"])
    times = [parse_time(s["t"]) for p in all_probes(journal) for s in p["samples"]]
    times = [t for t in times + [t0, t1] if t is not None]
    t0, t1 = min(times), max(times)
    span = max((t1 - t0).total_seconds(), 1.0)
    left, right = 210, 20
    plot_w = width - left - right
    windows = [w for w in journal["faults"] if parse_time(w["start"])]
    lanes = sorted({_lane_key(w) for w in windows}) or [str(h) for h in journal["hosts"]] or ["localhost"]
    lane_h, top = 22, 28
    lanes_h = lane_h * len(lanes)
    chart_top = top + lanes_h + 40
    chart_h = 220
    height = chart_top + chart_h + 74

    def x(t: datetime | None) -> float:
        if t is None:
            return left + plot_w
        frac = (t - t0).total_seconds() / span
        return left + plot_w * min(max(frac, 0.0), 1.0)

    e = html.escape
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" font-family="sans-serif" font-size="12" role="img" '
        f'aria-label="game day timeline">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{left}" y="16" font-weight="bold">Fault windows per host</text>',
    ]
    for i, lane in enumerate(lanes):
        y = top + i * lane_h
        parts.append(f'<rect x="{left}" y="{y}" width="{plot_w}" height="{lane_h - 4}" fill="#f1f3f5"/>')
        parts.append(f'<text x="{left - 8}" y="{y + lane_h / 2 + 2}" text-anchor="end">{e(lane)}</text>')
    for w in windows:
        lane = _lane_key(w)
        y = top + (lanes.index(lane) if lane in lanes else 0) * lane_h
        start, end = parse_time(w["start"]), parse_time(w["end"] or w["planned_end"])
        x0, x1 = x(start), x(end)
        color = FAULT_COLORS.get(str(w["fault"]), "#868e96")
        tip = (
            f"{w['host']}: {w['fault']} {w['fault_id']} {w['start']} → {w['end'] or 'not reverted'}"
            f" (by {w['reverted_by'] or '?'})"
        )
        parts.append(
            f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 2):.1f}" height="{lane_h - 4}" '
            f'fill="{color}" fill-opacity="0.6" stroke="{color}"><title>{e(tip)}</title></rect>'
        )
        label = f"{(end - start).total_seconds():.1f} s" if start and end else ""
        if label and x1 - x0 > 7 * len(label) + 8:
            parts.append(
                f'<text x="{x0 + 4:.1f}" y="{y + lane_h / 2 + 2}" fill="#fff" '
                f'font-weight="bold">{e(label)}</text>'
            )
        if w["guard_violation"] or w["reverted_by"] == "guard":
            parts.append(
                f'<path d="M{x1:.1f},{y - 2} l5,-6 h-10 z" fill="#c92a2a">'
                f"<title>guard violation: {e(_short(w['guard_violation']))}</title></path>"
            )
    parts.append(
        f'<text x="{left}" y="{chart_top - 10}" font-weight="bold">Probe latency (ms) and success</text>'
    )
    for phase, start, end in _phase_bands(journal):
        fill = {"before": "#e7f5ff", "during": "#fff4e6", "after": "#ebfbee"}[phase]
        parts.append(
            f'<rect x="{x(start):.1f}" y="{chart_top}" width="{max(x(end) - x(start), 2):.1f}" '
            f'height="{chart_h}" fill="{fill}"/>'
        )
        parts.append(f'<text x="{x(start) + 3:.1f}" y="{chart_top + 13}" fill="#868e96">{phase}</text>')
    for w in windows:  # fault windows shaded across the probe chart too
        start, end = parse_time(w["start"]), parse_time(w["end"] or w["planned_end"])
        color = FAULT_COLORS.get(str(w["fault"]), "#868e96")
        parts.append(
            f'<rect x="{x(start):.1f}" y="{chart_top + chart_h - 6}" width="{max(x(end) - x(start), 1):.1f}" '
            f'height="6" fill="{color}" fill-opacity="0.6"><title>{e(_lane_key(w))}</title></rect>'
        )
    samples = [s for p in all_probes(journal) for s in p["samples"]]
    lat = [s["latency_ms"] for s in samples if s["ok"] and isinstance(s.get("latency_ms"), (int, float))]
    ymax = max(max(lat) * 1.15 if lat else 1.0, 1.0)
    parts.append(
        f'<rect x="{left}" y="{chart_top}" width="{plot_w}" height="{chart_h}" fill="none" stroke="#adb5bd"/>'
    )
    for k in range(5):
        v = ymax * k / 4
        y = chart_top + chart_h - chart_h * k / 4
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dee2e6"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#495057">{v:.0f}</text>')
    step = _tick_step(span)
    k = 0.0
    while k <= span + 1e-9:
        xx = left + plot_w * k / span
        parts.append(
            f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{chart_top + chart_h}" y2="{chart_top + chart_h + 5}" '
            f'stroke="#495057"/>'
        )
        parts.append(
            f'<text x="{xx:.1f}" y="{chart_top + chart_h + 18}" text-anchor="middle" '
            f'fill="#495057">{k:g}s</text>'
        )
        k += step
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{chart_top + chart_h + 34}" text-anchor="middle" '
        f'fill="#495057">seconds since {e(t0.strftime("%Y-%m-%d %H:%M:%S"))} UTC</text>'
    )
    # one series per probe and host; its line is broken between phases (one path per probe run)
    series: dict[str, list[list[tuple[float, dict]]]] = {}
    for p in all_probes(journal):
        if p["samples"]:
            run = [(x(parse_time(s["t"])), s) for s in p["samples"]]
            series.setdefault(f"{p['activity']['name']} @ {p['host']}", []).append(run)
    legend_y = chart_top + chart_h + 58
    legend_x = left
    for n, (name, runs) in enumerate(sorted(series.items())):
        color = SERIES_COLORS[n % len(SERIES_COLORS)]
        for run in runs:
            run.sort(key=lambda q: q[0])
            path = []
            for xx, s in run:
                if s["ok"] and isinstance(s.get("latency_ms"), (int, float)):
                    yy = chart_top + chart_h - chart_h * s["latency_ms"] / ymax
                    path.append(f"{'M' if not path else 'L'}{xx:.1f},{yy:.1f}")
            if len(path) > 1:
                parts.append(
                    f'<path d="{" ".join(path)}" fill="none" stroke="{color}" stroke-width="1.2" '
                    f'stroke-opacity="0.7"/>'
                )
        for xx, s in (pt for run in runs for pt in run):
            if s["ok"] and isinstance(s.get("latency_ms"), (int, float)):
                yy = chart_top + chart_h - chart_h * s["latency_ms"] / ymax
                parts.append(
                    f'<circle cx="{xx:.1f}" cy="{yy:.1f}" r="2.6" fill="{color}">'
                    f"<title>{e(name)} {e(s['t'])}: {s['latency_ms']:.1f} ms</title></circle>"
                )
            else:
                yy = chart_top + 24
                parts.append(
                    f'<path d="M{xx - 4:.1f},{yy - 4:.1f} l8,8 M{xx - 4:.1f},{yy + 4:.1f} l8,-8" '
                    f'stroke="{color}" stroke-width="2"><title>{e(name)} {e(s["t"])}: failed</title></path>'
                )
        parts.append(f'<circle cx="{legend_x + 5}" cy="{legend_y - 4}" r="4" fill="{color}"/>')
        parts.append(f'<text x="{legend_x + 13}" y="{legend_y}">{e(name)}</text>')
        legend_x += 24 + 7 * len(name)
    if samples:
        parts.append(
            f'<path d="M{legend_x:.1f},{legend_y - 8} l8,8 M{legend_x:.1f},{legend_y} l8,-8" '
            f'stroke="#495057" stroke-width="2"/>'
        )
        parts.append(f'<text x="{legend_x + 13}" y="{legend_y}">failed sample (top row)</text>')
    else:
        parts.append(
            f'<text x="{left + plot_w / 2}" y="{chart_top + chart_h / 2}" text-anchor="middle" '
            f'fill="#868e96">no probe samples</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _tick_step(span: float) -> float:
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if span / step <= 12:
            return float(step)
    return 7200.0


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1000px;
color:#212529}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #dee2e6}
table{border-collapse:collapse;width:100%;font-size:.88rem;table-layout:auto}\ntd{overflow-wrap:anywhere}
th,td{border:1px solid #dee2e6;padding:.3rem .5rem;
text-align:left;vertical-align:top} th{background:#f8f9fa} code{font-size:.85rem}
.badge{display:inline-block;padding:.15rem .6rem;border-radius:.8rem;color:#fff;font-weight:bold}
.completed{background:#2b8a3e}.failed{background:#c92a2a}.aborted{background:#e8590c}.interrupted{background:#868e96}
.dev-yes{background:#c92a2a}.dev-no{background:#2b8a3e}
.no{color:#c92a2a;font-weight:bold} .yes{color:#2b8a3e}
.muted{color:#868e96} figure{margin:1rem 0;overflow-x:auto}
"""


def render_html(journal: dict) -> str:
    e = html.escape
    exp = journal["experiment"]
    dev = "yes" if journal["deviated"] else "no"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Game day: {e(exp['title'])}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Game day: {e(exp['title'])}</h1>",
    ]
    if exp.get("description"):
        out.append(f"<p>{e(exp['description'])}</p>")
    out.append(
        f'<p><span class="badge {e(journal["status"])}">{e(journal["status"])}</span> '
        f'<span class="badge dev-{dev}">steady state deviated: {dev}</span></p>'
    )
    out.append("<table>")
    for k, v in (
        ("started", journal["start"]),
        ("ended", journal["end"]),
        ("duration", f"{journal['duration']} s"),
        ("hosts", ", ".join(journal["hosts"]) or "–"),
        ("controller", journal["node"]),
    ):
        out.append(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>")
    out.append("</table>")
    if journal["reasons"]:
        out.append("<h2>Why</h2><ul>" + "".join(f"<li>{e(r)}</li>" for r in journal["reasons"]) + "</ul>")
    out.append("<h2>Timeline</h2><figure>")
    out.append(svg_timeline(journal))
    out.append("</figure>")
    out.append(
        "<h2>Steady state</h2><table><tr><th>phase</th><th>probe</th><th>host</th><th>tolerance met</th>"
        "<th>success</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th></tr>"
    )
    for p in all_probes(journal):
        o = p["output"]
        ratio = o.get("success_ratio")
        met = _met(p["tolerance_met"])
        out.append(
            f"<tr><td>{e(str(p['phase']))}</td><td>{e(p['activity']['name'])}</td><td>{e(str(p['host']))}</td>"
            f'<td class="{met}">{met}</td>'
            f"<td>{f'{ratio:.0%}' if isinstance(ratio, (int, float)) else '–'}</td>"
            f"<td>{_fmt_ms(_latency(o, 'p50'))}</td><td>{_fmt_ms(_latency(o, 'p95'))}</td>"
            f"<td>{_fmt_ms(_latency(o, 'p99'))}</td></tr>"
        )
    out.append("</table>")
    out.append(
        "<h2>Faults</h2><table><tr><th>host</th><th>fault</th><th>id</th><th>injected</th><th>started</th>"
        "<th>reverted</th><th>by</th><th>guard violation</th></tr>"
    )
    for w in journal["faults"]:
        out.append(
            f"<tr><td>{e(str(w['host']))}</td><td>{e(str(w['fault']))}</td><td><code>{e(str(w['fault_id']))}"
            f"</code></td><td><code>{e(_compact(w['injected']))}</code></td>"
            f"<td>{e(_clock(w['start']))}</td>"
            f"<td>{e(_clock(w['end']) if w['end'] else 'not reverted')}</td>"
            f"<td>{e(str(w['reverted_by'] or '–'))}</td>"
            f"<td>{e(_short(w['guard_violation'], 120)) if w['guard_violation'] else '–'}</td></tr>"
        )
    out.append("</table>")
    failed = [r for r in journal["run"] + journal["rollbacks"] if r["status"] == "failed"]
    if failed:
        out.append(
            "<h2>Failed steps</h2><ul>"
            + "".join(
                f"<li>{e(str(r['host']))}: {e(r['activity']['name'])}: {e(r['exception'][0])}</li>"
                for r in failed
            )
            + "</ul>"
        )
    out.append("<h2>Events</h2><table><tr><th>time</th><th>host</th><th>event</th><th>detail</th></tr>")
    for ev in journal["events"]:
        out.append(
            f"<tr><td>{e(_clock(ev['ts']))}</td><td>{e(str(ev['host']))}</td><td>{e(ev['event'])}</td>"
            f"<td>{e(str(ev['detail']))}</td></tr>"
        )
    out.append("</table>")
    out.append(
        f'<p class="muted">Journal: <a href="journal.json">journal.json</a> · generated by {e(GENERATOR)}</p>'
    )
    out.append("</body></html>")
    return "\n".join(out)


def _write_atomic(path: str, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def write_reports(params: dict) -> dict:
    """Build the journal and write journal.json (and the reports in the final phase)."""
    journal = build_journal(params)
    run_dir = os.path.join(params["output_dir"], params["run_id"])
    os.makedirs(run_dir, exist_ok=True)
    paths = {
        "run_dir": run_dir,
        "journal_path": os.path.join(run_dir, "journal.json"),
        "report_md_path": os.path.join(run_dir, "report.md"),
        "report_html_path": os.path.join(run_dir, "report.html"),
    }
    _write_atomic(paths["journal_path"], json.dumps(journal, indent=2, sort_keys=False, default=str) + "\n")
    if (params.get("phase") or "final") == "final":
        _write_atomic(paths["report_md_path"], render_markdown(journal))
        _write_atomic(paths["report_html_path"], render_html(journal))
    return {**paths, "journal": journal, "status": journal["status"], "deviated": journal["deviated"]}


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            title=dict(type="str", required=True),
            description=dict(type="str", default=""),
            tags=dict(type="list", elements="str", default=[]),
            output_dir=dict(type="path", required=True),
            run_id=dict(type="str", required=True),
            phase=dict(type="str", choices=["start", "final"], default="final"),
            started_at=dict(type="str", required=True),
            ended_at=dict(type="str"),
            hosts=dict(type="list", elements="str", default=[]),
            faults=dict(type="list", elements="dict", default=[]),
            probes=dict(type="list", elements="dict", default=[]),
            injections=dict(type="list", elements="dict", default=[]),
            reverts=dict(type="list", elements="dict", default=[]),
            records=dict(type="list", elements="dict", default=[]),
            aborted_reason=dict(type="str", default=""),
            failed_reason=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    if "/" in module.params["run_id"] or module.params["run_id"] in ("", ".", ".."):
        module.fail_json(msg=f"run_id: {module.params['run_id']!r} must be a plain directory name (no '/')")
    if parse_time(module.params["started_at"]) is None:
        module.fail_json(msg=f"started_at: {module.params['started_at']!r} is not an ISO-8601 time")
    if module.check_mode:
        journal = build_journal(module.params)
        module.exit_json(
            changed=False, journal=journal, status=journal["status"], deviated=journal["deviated"]
        )
    try:
        result = write_reports(module.params)
    except OSError as exc:
        module.fail_json(
            msg=f"output_dir: cannot write the game day report under {module.params['output_dir']}: {exc}"
        )
    module.exit_json(changed=True, **result)


if __name__ == "__main__":
    main()
