# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""The revert interpreter: the steps a record stores, run once under the record directory's lock.

Steps: kill_group (a process group we started), remove_path, run (an argv), run_if (an argv when a
probe argv succeeds), tc_root (delete the root qdisc while its handle is ours). Each is harmless when
its effect is already undone, so reverting twice, or after a partial injection, is safe.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time

from .clock import parse_iso, utc_iso
from .errors import FaultError
from .procs import kill_group, process_alive
from .records import RecordStore, is_active
from .runner import run

REVERT_ALL = "all"
# Records of older versions (written before their watchdog existed) are orphans after this long.
ARMING_GRACE_S = 30.0


def run_step(step: dict) -> dict:
    """Execute one revert step; each is harmless when its effect is already undone."""
    op = step["op"]
    if op == "kill_group":
        return kill_group(step["pgid"], step.get("leader_start"))
    if op == "remove_path":
        path = step["path"]
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        return {"removed": path, "exists_after": os.path.lexists(path)}
    if op == "run":
        rc, out, err = run(step["argv"], timeout=60)
        ok = rc == 0 or rc in step.get("ok_rc", [])
        res = {"argv": step["argv"], "rc": rc}
        if not ok:
            res["error"] = (err or out).strip()[-500:]
        return res
    if op == "run_if":
        # Run `argv` only when `probe` succeeds (e.g. delete an nft table only when it exists).
        rc, out, _err = run(step["probe"], timeout=30)
        if rc != 0 or (step.get("probe_contains") and step["probe_contains"] not in out):
            return {"skipped": step["argv"]}
        return run_step({"op": "run", "argv": step["argv"]})
    if op == "tc_root":
        rc, out, _err = run(["tc", "qdisc", "show", "dev", step["interface"], "root"], timeout=30)
        parts = out.split()
        if rc != 0 or len(parts) < 3 or parts[2] != step["handle"]:
            return {"skipped": "root qdisc of {} is not ours".format(step["interface"])}
        return run_step({"op": "run", "argv": ["tc", "qdisc", "del", "dev", step["interface"], "root"]})
    raise FaultError(f"unknown revert step {op!r}")


def execute_revert(steps: list) -> list:
    """Run revert steps in reverse order; returns [{step, result}] and never raises."""
    results = []
    for step in reversed(steps):
        try:
            res = run_step(step)
        except Exception as e:
            res = {"error": f"{type(e).__name__}: {e}"}
        if res.get("remaining"):
            res["error"] = "processes still alive: {}".format(res["remaining"])
        results.append({"step": step, "result": res})
    return results


def revert_fault(store: RecordStore, fault_id: str, by: str, violation: dict | None = None) -> bool:
    """Revert a fault once (under the store lock). False when it was already reverted or unknown."""
    with store.lock():
        rec = store.read(fault_id)
        if rec is None or not is_active(rec):
            return False
        t0 = time.time()
        results = execute_revert(rec.get("revert") or [])
        errors = [r for r in results if r["result"].get("error")]
        rec.update(
            state="reverted",
            reverted_at=utc_iso(time.time()),
            reverted_by=by,
            revert_started_at=utc_iso(t0),
            revert_results=results,
            revert_errors=[r["result"]["error"] for r in errors],
        )
        if violation is not None:
            rec["guard_violation"] = violation
        store.write(rec)
        return True


def recover_orphans(store: RecordStore, grace_s: float = ARMING_GRACE_S) -> list:
    """Revert active faults whose watchdog is gone (killed, OOM, host daemon restarted ...)."""
    recovered = []
    now = time.time()
    for rec in store.all():
        if not is_active(rec):
            continue
        pid = rec.get("watchdog_pid")
        if pid is None:
            if now - parse_iso(rec["started_at"]) < grace_s:
                continue
        elif process_alive(pid, rec.get("watchdog_start")):
            continue
        if revert_fault(store, rec["fault_id"], "watchdog-recovery"):
            recovered.append(rec["fault_id"])
    return recovered


def select_for_revert(store: RecordStore, wanted: list) -> list:
    """The active fault ids that `wanted` (ids, or the single value 'all') names; refuses unknown ids."""
    records = {r.get("fault_id"): r for r in store.all()}
    if REVERT_ALL in wanted:
        if len(wanted) > 1:
            raise FaultError("revert: 'all' cannot be combined with fault ids; give either 'all' or ids")
        return [i for i, r in records.items() if is_active(r)]
    unknown = [i for i in wanted if i not in records]
    if unknown:
        raise FaultError("revert: no fault record {} in {}; nothing was reverted (known: {})".format(
            ", ".join(unknown), store.directory, ", ".join(sorted(records)) or "none"))
    return [i for i in dict.fromkeys(wanted) if is_active(records[i])]


def revert_now(store: RecordStore, ids: list, by: str, check_mode: bool = False) -> list:
    """Revert the given faults now; the ids actually reverted (in check mode, all of them)."""
    if check_mode:
        return list(ids)
    return [i for i in ids if revert_fault(store, i, by)]
