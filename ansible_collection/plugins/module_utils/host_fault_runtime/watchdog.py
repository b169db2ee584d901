# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""The detached watchdog: it writes the record, injects, guards the fault and reverts it.

It is double-forked into a session of its own before anything exists, so killing the process that
launched it (ansible-playbook, the SSH session, an SSM command) neither stops it nor leaves a record
without a watchdog: the launcher never writes a record itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import sys
import time
import traceback

from .clock import parse_iso, utc_iso
from .errors import FaultError
from .guards import GUARD_INTERVAL_MAX_MS, check_guard
from .procs import WATCHDOG_COMM, proc_stat, process_alive, reap_children, set_process_name
from .records import RecordStore, is_active, redacted_record
from .revert import revert_fault
from .runner import run

INJECT_TIMEOUT_S = 300.0


class InjectContext:
    """What an inject function gets in the watchdog: the record, and a way to add revert steps.

    `add_revert` persists the step before returning, so a step is on disk before the thing it
    undoes can exist for long.
    """

    def __init__(self, store: RecordStore, record: dict) -> None:
        self.store = store
        self.record = record
        self.deadline = parse_iso(record["reverts_at"])
        self.fault_id = record["fault_id"]

    def add_revert(self, step: dict) -> None:
        with self.store.lock():
            rec = self.store.read(self.fault_id) or self.record
            rec.setdefault("revert", []).append(step)
            self.store.write(rec)
            self.record = rec

    def seconds_left(self) -> float:
        return max(0.0, self.deadline - time.time())


def _detach_stdio() -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    if devnull > 2:
        os.close(devnull)


def _close_fds(keep: tuple) -> None:
    try:
        fds = [int(x) for x in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3, 1024))
    for fd in fds:
        if fd > 2 and fd not in keep:
            with contextlib.suppress(OSError):
                os.close(fd)


def _write_msg(fd: int, msg: dict) -> None:
    with contextlib.suppress(OSError):
        os.write(fd, (json.dumps(msg) + "\n").encode())


def _systemd_scope(fault_id: str, pid: int) -> str | None:
    """When systemd is PID 1, move the watchdog into its own transient scope.

    A process double-forked from an SSH session still sits in that session's cgroup, which logind
    may kill when the session ends (KillUserProcesses=yes). A scope of its own survives that.
    """
    if not os.path.isdir("/run/systemd/system") or not shutil.which("busctl"):
        return None
    unit = f"chaos-faults-{fault_id}.scope"
    argv = ["busctl", "call", "--timeout=3", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
            "org.freedesktop.systemd1.Manager", "StartTransientUnit", "ssa(sv)a(sa(sv))", unit,
            "fail", "2", "PIDs", "au", "1", str(pid), "CollectMode", "s", "inactive-or-failed", "0"]
    rc, _out, _err = run(argv, timeout=5)
    return unit if rc == 0 else None


def launch_watchdog(store: RecordStore, record: dict, inject) -> dict:
    """Fork the detached watchdog, which records the fault, injects via `inject(ctx)` and watches it.

    Returns {"pid", "start", "ok", "injected" | "error"} from the watchdog's reports. Runs in the
    launching process; the watchdog never returns from here (it ends with os._exit).
    """
    r, w = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    first = os.fork()
    if first == 0:  # first child: new session, fork again, exit so the watchdog is orphaned
        try:
            os.close(r)
            os.setsid()
            if os.fork() != 0:
                os._exit(0)
            _watchdog_main(store, record, inject, w)
        except BaseException:
            _write_msg(w, {"ok": False, "error": traceback.format_exc()[-2000:]})
        os._exit(0)
    os.close(w)
    os.waitpid(first, 0)
    messages = []
    buf = b""
    deadline = time.time() + INJECT_TIMEOUT_S
    while time.time() < deadline:
        ready, _w, _x = select.select([r], [], [], max(0.0, deadline - time.time()))
        if not ready:
            break
        chunk = os.read(r, 65536)
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            messages.append(json.loads(line.decode()))
        if any("ok" in m for m in messages):
            break
    os.close(r)
    result = {}
    for m in messages:
        result.update(m)
    if "ok" not in result:
        result.update(ok=False,
                      error=f"the watchdog did not report an injection result within {INJECT_TIMEOUT_S:.0f}s")
    return result


def _watchdog_main(store: RecordStore, record: dict, inject, report_fd: int) -> None:
    _detach_stdio()
    _close_fds(keep=(report_fd,))
    os.chdir("/")  # do not pin the module's temporary directory (or its filesystem)
    set_process_name(WATCHDOG_COMM)
    fault_id = record["fault_id"]
    guard = record.get("stop_on")  # the in-memory copy: the file has the URL's password redacted
    bound = record.get("bound_to")  # the blocking command (`--wait`) whose death ends the fault
    pid = os.getpid()
    start = proc_stat(pid)["starttime"]
    stop = {"signal": None}

    def on_signal(signum, frame):  # revert at once when asked to stop (shutdown, operator)
        stop["signal"] = signum

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)

    record = dict(record, watchdog_pid=pid, watchdog_start=start)
    with store.lock():
        if store.read(fault_id) is not None:
            _write_msg(report_fd, {"ok": False, "error": f"fault_id: {fault_id} already exists in "
                                   f"{store.directory}; leave fault_id out to get a new one"})
            os._exit(0)
        store.write(redacted_record(record))
    _write_msg(report_fd, {"pid": pid, "start": start})
    unit = _systemd_scope(fault_id, pid)
    if unit:
        store.update(fault_id, watchdog_unit=unit)

    ctx = InjectContext(store, store.read(fault_id) or record)
    try:
        injected = inject(ctx) or {}
    except Exception as e:
        msg = str(e) if isinstance(e, FaultError) else f"{type(e).__name__}: {e}"
        revert_fault(store, fault_id, "injection-failed")
        store.update(fault_id, error=msg)
        _write_msg(report_fd, {"ok": False, "error": msg})
        os.close(report_fd)
        os._exit(0)
    rec = store.read(fault_id) or ctx.record
    rec_injected = dict(rec.get("injected") or {})
    rec_injected.update(injected)
    rec = store.update(fault_id, state="active", active_at=utc_iso(time.time()), injected=rec_injected) or rec
    _write_msg(report_fd, {"ok": True, "injected": rec_injected, "active_at": rec.get("active_at")})
    os.close(report_fd)

    interval = (guard["interval_ms"] if guard else GUARD_INTERVAL_MAX_MS) / 1000.0
    deadline = parse_iso(record["reverts_at"])
    checks = 0
    while True:
        reap_children()
        if stop["signal"] is not None:
            revert_fault(store, fault_id, "signal")
            break
        now = time.time()
        if now >= deadline:
            revert_fault(store, fault_id, "duration")
            break
        cur = store.read(fault_id)
        if cur is None or not is_active(cur):
            break  # reverted by `state: absent`, fault_status or recovery
        if bound and not process_alive(bound["pid"], bound["start"]):
            revert_fault(store, fault_id, "command-gone")  # SIGKILLed, e.g. an SSM command cancelled
            break
        if guard:
            t_check = time.time()
            violation = check_guard(guard)
            checks += 1
            if violation is not None:
                violation["checks"] = checks
                violation["check_started_at"] = utc_iso(t_check)
                violation["detected_at"] = utc_iso(time.time())
                revert_fault(store, fault_id, "guard", violation)
                break
        time.sleep(max(0.0, min(interval, deadline - time.time())))
    reap_children()
    os._exit(0)
