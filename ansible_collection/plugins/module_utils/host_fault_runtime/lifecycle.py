# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""The present/absent flow of a timed fault and the record listing, the same for every driver.

A fault is a name and a plan: `plan(params, duration) -> (injected, inject, preflight_revert)`.
`plan` runs in the launching process (validation, refusals; nothing changes yet); `inject(ctx)` runs
in the watchdog and returns what it started; `preflight_revert` are revert steps known up front.
"""

from __future__ import annotations

import os
import socket
import time

from .clock import parse_iso, utc_iso
from .errors import FaultError
from .guards import check_guard, normalize_guard
from .procs import proc_stat
from .records import RecordStore, check_fault_id, is_active, new_fault_id, redacted_record
from .refusals import validate_duration
from .revert import recover_orphans, revert_fault, revert_now
from .watchdog import launch_watchdog

REVERTED_BY = ("duration", "guard", "absent", "revert", "watchdog-recovery", "signal", "injection-failed",
               "command-gone")


def housekeeping(store: RecordStore, check_mode: bool = False) -> dict:
    """What every run does first: revert faults whose watchdog died, sweep half-written records."""
    if check_mode:
        return {"recovered": [], "swept": []}
    return {"recovered": recover_orphans(store), "swept": store.sweep_temporary()}


def result_from_record(rec: dict, changed: bool) -> dict:
    return dict(
        changed=changed,
        fault_id=rec["fault_id"],
        fault=rec["fault"],
        injected=rec.get("injected") or {},
        started_at=rec.get("started_at"),
        active_at=rec.get("active_at"),
        reverts_at=rec.get("reverts_at"),
        duration=rec.get("duration"),
        watchdog_pid=rec.get("watchdog_pid"),
        record=rec,
    )


def run_fault(fault: str, plan, params: dict, check_mode: bool = False, started: float | None = None,
              bound_to_caller: bool = False) -> dict:
    """Inject (`state: present`) or revert (`state: absent`) a timed fault; raises FaultError.

    `started`: when the driver's main began, after its imports (the record's `module_started_at`).
    `bound_to_caller`: the fault lives no longer than this process (the CLI's `--wait`, e.g. an SSM
    command): the watchdog reverts it as soon as the process is gone, however it ended.
    """
    store = RecordStore(params["record_dir"])
    result = dict(changed=False, fault=fault, **housekeeping(store, check_mode))
    if params["state"] == "absent":
        ids = [r["fault_id"] for r in store.all() if r.get("fault") == fault and is_active(r)
               and (not params.get("fault_id") or r["fault_id"] == params["fault_id"])]
        reverted = revert_now(store, ids, "absent", check_mode)
        result.update(changed=bool(reverted), reverted=reverted)
        return result

    duration = validate_duration(params)
    guard = normalize_guard(params.get("stop_on"))
    injected, inject, preflight_revert = plan(params, duration)
    fault_id = check_fault_id(params.get("fault_id") or new_fault_id())
    if store.read(fault_id) is not None and not check_mode:
        raise FaultError(f"fault_id: {fault_id} already exists in {store.directory}; "
                         "leave fault_id out to get a new one")
    if guard is not None and not params.get("force"):
        violation = check_guard(guard)
        if violation is not None:
            raise FaultError("stop_on: the guard already fails before injecting ({}); fix the target or "
                             "the guard, or set force: true".format(violation["reason"]))
    now = time.time()
    rec = dict(
        fault_id=fault_id,
        fault=fault,
        state="armed",
        host=socket.gethostname(),
        params={k: v for k, v in params.items() if k != "record_dir"},
        injected=injected,
        duration=duration,
        module_started_at=utc_iso(started or now),
        started_at=utc_iso(now),
        reverts_at=utc_iso(now + duration),
        stop_on=guard,
        revert=list(preflight_revert or []),
        module_pid=os.getpid(),
        bound_to=_this_process() if bound_to_caller else None,
        watchdog_pid=None,
        reverted_at=None,
        reverted_by=None,
        guard_violation=None,
    )
    if check_mode:
        result.update(result_from_record(redacted_record(rec), True))
        return result
    try:
        store.ensure()
    except OSError as e:
        raise FaultError(f"record_dir: cannot create {store.directory}: {e}") from None
    report = launch_watchdog(store, rec, inject)
    final = store.read(fault_id)
    ours = final is not None and report.get("pid") is not None and final.get("watchdog_pid") == report["pid"]
    if not report.get("ok"):
        if not ours:  # the watchdog failed before it recorded anything: nothing exists to revert
            raise FaultError(f"{fault}: {report.get('error')}")
        if is_active(final):
            revert_fault(store, fault_id, "injection-failed")
        raise FaultError(f"{fault}: injection failed and was reverted: {report.get('error')}",
                         fault_id=fault_id, record=store.read(fault_id))
    result.update(result_from_record(final, True))
    return result


def _this_process() -> dict:
    """This process as the watchdog checks it: pid and start time (so a reused pid is not mistaken for it)."""
    pid = os.getpid()
    return {"pid": pid, "start": proc_stat(pid)["starttime"]}


def list_records(store: RecordStore, fault_id: str | None = None, fault: str | None = None,
                 active_only: bool = False) -> list:
    """The records, oldest first, with `revert_seconds` (guard detection -> revert complete)."""
    out = []
    for rec in store.all():
        if fault_id and rec.get("fault_id") != fault_id:
            continue
        if fault and rec.get("fault") != fault:
            continue
        if active_only and not is_active(rec):
            continue
        violation = rec.get("guard_violation") or {}
        if violation.get("detected_at") and rec.get("reverted_at"):
            seconds = parse_iso(rec["reverted_at"]) - parse_iso(violation["detected_at"])
            rec["revert_seconds"] = round(seconds, 3)
        out.append(rec)
    return out


def wait_for_end(store: RecordStore, fault_id: str, poll_s: float = 0.1) -> dict | None:
    """Block until the fault is no longer active; its final record (None if the record vanished)."""
    while True:
        rec = store.read(fault_id)
        if rec is None or not is_active(rec):
            return rec
        time.sleep(poll_s)
