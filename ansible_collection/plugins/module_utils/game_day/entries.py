# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""The journal's entries: one activity run per probe run, injection and revert, one window per fault.

Inputs are what the game day's steps collected (see the options of chaos.faults.game_day_report);
outputs follow Chaos Toolkit's activity-run shape plus a host and a phase. Pure functions.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.chaos.faults.plugins.module_utils.game_day.redact import redact
from ansible_collections.chaos.faults.plugins.module_utils.game_day.times import (
    iso,
    parse_time,
    seconds_between,
)
from ansible_collections.chaos.faults.plugins.module_utils.probe_samples import latency

# Keys of a task result that are Ansible's bookkeeping, not the step's output.
ANSIBLE_KEYS = ("invocation", "_ansible_no_log", "item", "ansible_loop_var", "_ansible_item_label")


def revertible(result: Any) -> bool:
    """Whether an injection left a fault to revert: timed faults have a deadline, instant ones
    (process_kill) have none."""
    if not isinstance(result, dict) or not result.get("fault_id"):
        return False
    record = result.get("record") if isinstance(result.get("record"), dict) else {}
    return bool(result.get("reverts_at") or record.get("reverts_at"))


def result_failed(result: Any) -> bool:
    return not isinstance(result, dict) or bool(result.get("failed")) or bool(result.get("unreachable"))


def result_skipped(result: Any) -> bool:
    return isinstance(result, dict) and bool(result.get("skipped"))


def _output(result: dict[str, Any], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: v for k, v in redact(result).items() if k not in ANSIBLE_KEYS and k not in drop}


def _status(result: Any) -> str:
    if result_skipped(result):
        return "skipped"
    return "failed" if result_failed(result) else "succeeded"


def probe_samples(probe: dict[str, Any]) -> list[dict[str, Any]]:
    """The samples of a probe run as [{t, ok, latency_ms}]; one summary point when it has none."""
    result = probe.get("result") or {}
    out = []
    for sample in result.get("samples") or []:
        t = parse_time(sample.get("at")) if isinstance(sample, dict) else None
        if t is not None:
            lat = sample.get("latency_ms")
            out.append(
                {
                    "t": t.isoformat(),
                    "ok": bool(sample.get("ok")),
                    "latency_ms": float(lat) if isinstance(lat, (int, float)) else None,
                }
            )
    if out:
        return out
    t = parse_time(probe.get("end")) or parse_time(probe.get("start"))
    if t is None or result_skipped(result):
        return []
    return [{"t": t.isoformat(), "ok": not result_failed(result), "latency_ms": latency(result, "p50")}]


def probe_entry(probe: dict[str, Any]) -> dict[str, Any]:
    """One probe run as an activity run plus tolerance_met, host, phase and samples."""
    result = probe.get("result") or {}
    spec = redact(probe.get("spec") or {})
    provider = {"type": "ansible", "module": "chaos.faults.probe", "arguments": spec}
    if spec.get("url"):
        provider = {"type": "http", "url": spec.get("url"), "module": "chaos.faults.probe", "arguments": spec}
    failed = result_failed(result)
    measured = "within_tolerance" in result  # it sampled; a violated tolerance is data, not an error
    entry = {
        "activity": {
            "type": "probe",
            "name": probe.get("name") or spec.get("name") or "probe",
            "provider": provider,
        },
        "phase": probe.get("phase"),
        "host": probe.get("host") or "localhost",
        "status": "failed" if failed and not measured else "succeeded",
        "tolerance_met": bool(result["within_tolerance"]) if measured else not failed,
        "start": iso(probe.get("start")),
        "end": iso(probe.get("end")),
        "duration": seconds_between(probe.get("start"), probe.get("end")),
        "output": _output(result, drop=("changed", "samples")),
        "samples": probe_samples(probe),
    }
    if result_skipped(result):
        entry["status"] = "skipped"
        entry["tolerance_met"] = None
    return entry


def injection_entry(inj: dict[str, Any]) -> dict[str, Any]:
    result = inj.get("result") or {}
    module = inj.get("module") or result.get("fault") or "fault"
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
        "status": _status(result),
        "start": iso(result.get("started_at")) or iso(inj.get("start")),
        "end": iso(inj.get("end")),
        "duration": seconds_between(inj.get("start"), inj.get("end")),
        "output": _output(result),
    }
    if result_failed(result):
        entry["exception"] = [str(result.get("msg") or "the fault module failed")]
    return entry


def revert_entry(rev: dict[str, Any]) -> dict[str, Any]:
    result = rev.get("result") or {}
    module = rev.get("module") or "fault"
    arguments = {"revert": [rev["fault_id"]]} if rev.get("fault_id") else {}
    entry = {
        "activity": {
            "type": "action",
            "name": f"revert {module}",
            "provider": {"type": "ansible", "module": "chaos.faults.fault_status", "arguments": arguments},
        },
        "host": rev.get("host"),
        "status": _status(result),
        "start": iso(rev.get("start")),
        "end": iso(rev.get("end")),
        "duration": seconds_between(rev.get("start"), rev.get("end")),
        "output": _output(result),
    }
    if result_failed(result):
        entry["exception"] = [str(result.get("msg") or "the revert failed")]
    return entry


def fault_windows(
    injections: list[dict[str, Any]], records: list[dict[str, Any]], since: Any = None
) -> list[dict[str, Any]]:
    """One window per injected fault: host, fault, start, end, reverted_by, guard_violation.

    Records of faults this run did not inject are kept when they were active during the run (someone
    else's fault is context for the steady state); older ones are left out.
    """
    since_t = parse_time(since)
    by_id = {}
    for group in records:
        host = group.get("host")
        for rec in group.get("records") or []:
            if isinstance(rec, dict) and rec.get("fault_id"):
                by_id[(host, rec["fault_id"])] = rec
    windows = []
    for inj in injections:
        result = inj.get("result") or {}
        if result_failed(result) or result_skipped(result) or not result.get("fault_id"):
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


def _window(
    host: Any, module: Any, result: dict[str, Any], rec: dict[str, Any], foreign: bool = False
) -> dict[str, Any]:
    start = iso(rec.get("started_at")) or iso(result.get("started_at"))
    planned_end = iso(rec.get("reverts_at")) or iso(result.get("reverts_at"))
    end = iso(rec.get("reverted_at"))
    if end is None and (rec.get("state") == "done" or not planned_end):
        end = start  # an instant fault: nothing to revert
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
