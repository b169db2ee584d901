# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Runtime of the host-fault modules: fault records, the detached watchdog, guards and reverts.

Standard library only: this file runs on the target host inside the module's AnsiballZ payload.

Life of a timed fault (`run_timed_fault`):
  1. a record `<record_dir>/<fault_id>.json` is written with the deadline (state `armed`);
  2. a watchdog is double-forked into its own session (not a child of the Ansible process tree);
     it reports its pid through a pipe, then *it* injects the fault (so the revert is armed
     before anything is injected, and stress processes are its children);
  3. it checks `stop_on` every <= 250 ms and reverts at the deadline, on a guard violation, on
     SIGTERM/SIGINT/SIGHUP, or exits when someone else (`state: absent`) reverted the record;
  4. every module call first reconciles records whose watchdog died (`watchdog-recovery`).
A revert runs the steps stored in the record (state-based, each step harmless when already done)
under one lock per record directory, so the watchdog and `state: absent` never race.
"""

from __future__ import annotations

import calendar
import contextlib
import fcntl
import json
import os
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request
import uuid

try:
    import ctypes

    _LIBC = ctypes.CDLL(None, use_errno=True)
except Exception:  # pragma: no cover - process names are cosmetic
    _LIBC = None

MODULE_START = time.time()

RECORD_DIR = "/run/chaos-faults"
DEFAULT_MAX_DURATION = 3600
FORCED_MAX_DURATION = 86400
GUARD_INTERVAL_MAX_MS = 250
KILL_GRACE_S = 3.0
INJECT_TIMEOUT_S = 300.0
WATCHDOG_COMM = "chaos-watchdog"
PF_KTHREAD = 0x00200000

REVERTED_BY = ("duration", "guard", "absent", "watchdog-recovery", "signal", "injection-failed")


class FaultError(Exception):
    """A refusal or failure the module reports with `fail_json(msg=...)`."""


# -------------------------------------------------------------------------------------------- time


def utc_iso(ts: float) -> str:
    """Epoch seconds -> `2026-11-26T19:04:57.123Z`."""
    ms = int(round((ts - int(ts)) * 1000))
    sec = int(ts)
    if ms == 1000:
        sec, ms = sec + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{ms:03d}Z"


def parse_iso(text: str) -> float:
    """`utc_iso` output -> epoch seconds."""
    base, _sep, frac = text.rstrip("Z").partition(".")
    return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) + (float("0." + frac) if frac else 0.0)


# ----------------------------------------------------------------------------------------- records


class RecordStore:
    """One JSON file per fault under `directory`; writes are atomic (write + rename)."""

    def __init__(self, directory: str = RECORD_DIR) -> None:
        self.directory = directory

    def ensure(self) -> None:
        if not os.path.isdir(self.directory):
            os.makedirs(self.directory, 0o700)

    def path(self, fault_id: str) -> str:
        return os.path.join(self.directory, fault_id + ".json")

    @contextlib.contextmanager
    def lock(self):
        self.ensure()
        fd = os.open(os.path.join(self.directory, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def read(self, fault_id: str) -> dict | None:
        try:
            with open(self.path(fault_id)) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def write(self, record: dict) -> None:
        self.ensure()
        final = self.path(record["fault_id"])
        tmp = f"{final}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump(record, f, indent=2, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)

    def update(self, fault_id: str, **fields) -> dict | None:
        with self.lock():
            rec = self.read(fault_id)
            if rec is None:
                return None
            rec.update(fields)
            self.write(rec)
            return rec

    def all(self) -> list:
        try:
            names = os.listdir(self.directory)
        except OSError:
            return []
        out = []
        for name in names:
            if name.endswith(".json"):
                rec = self.read(name[: -len(".json")])
                if rec is not None:
                    out.append(rec)
        out.sort(key=lambda r: (r.get("started_at") or "", r.get("fault_id")))
        return out


def new_fault_id() -> str:
    return uuid.uuid4().hex[:12]


def is_active(record: dict) -> bool:
    return record.get("state") in ("armed", "active")


# --------------------------------------------------------------------------------------- processes


def proc_stat(pid: int) -> dict | None:
    """Fields of /proc/<pid>/stat we need, or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except (OSError, ValueError):
        return None
    rparen = data.rfind(")")
    comm = data[data.find("(") + 1: rparen]
    rest = data[rparen + 2:].split()
    # rest[0] is field 3 (state); field N is rest[N - 3].
    return {
        "pid": pid,
        "comm": comm,
        "state": rest[0],
        "ppid": int(rest[1]),
        "pgid": int(rest[2]),
        "session": int(rest[3]),
        "flags": int(rest[6]),
        "starttime": int(rest[19]),
    }


def process_alive(pid: int | None, starttime: int | None = None) -> bool:
    """Running (not a zombie) and, when `starttime` is given, still the same process (no pid reuse)."""
    if not pid:
        return False
    st = proc_stat(int(pid))
    if st is None or st["state"] in ("Z", "X"):
        return False
    return starttime is None or st["starttime"] == starttime


def all_pids() -> list:
    return sorted(int(p) for p in os.listdir("/proc") if p.isdigit())


def group_members(pgid: int) -> list:
    """Live (non-zombie) processes of a process group."""
    out = []
    for pid in all_pids():
        st = proc_stat(pid)
        if st and st["pgid"] == pgid and st["state"] not in ("Z", "X"):
            out.append(pid)
    return out


def cmdline(pid: int) -> list:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read()
    except OSError:
        return []
    return [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]


def ancestors(pid: int) -> list:
    """pid, its parent, grandparent ... up to (excluding) pid 0."""
    chain = []
    seen = set()
    while pid and pid not in seen:
        seen.add(pid)
        chain.append(pid)
        st = proc_stat(pid)
        if st is None:
            break
        pid = st["ppid"]
    return chain


def is_kernel_thread(st: dict) -> bool:
    return bool(st["flags"] & PF_KTHREAD) or st["pid"] == 2 or st["ppid"] == 2


def protected_processes() -> dict:
    """pid -> reason for processes no fault may touch without force: pid 1, the Ansible connection's
    process tree (this module, its ancestors - sshd session, shell, ansible-playbook on a local
    connection - and its descendants) and chaos-faults watchdogs. Kernel threads are checked apart."""
    me = os.getpid()
    out = {1: "pid 1 (init)"}
    for pid in ancestors(me):
        if pid != 1:
            out[pid] = "part of the Ansible connection's process tree (ancestor of the module)"
    out[me] = "the module itself"
    children = {}
    stats = {}
    for pid in all_pids():
        st = proc_stat(pid)
        if st is None:
            continue
        stats[pid] = st
        children.setdefault(st["ppid"], []).append(pid)
        if st["comm"] == WATCHDOG_COMM:
            out[pid] = "a chaos-faults watchdog (revert it with state=absent instead)"
    todo = list(children.get(me, []))
    while todo:
        pid = todo.pop()
        out.setdefault(pid, "part of the Ansible connection's process tree (child of the module)")
        todo.extend(children.get(pid, []))
    return out


def ssh_connection_env() -> str | None:
    """SSH_CONNECTION of the Ansible connection: from our environment, else from an ancestor's
    (sudo/become drops it from ours)."""
    if os.environ.get("SSH_CONNECTION"):
        return os.environ["SSH_CONNECTION"]
    for pid in ancestors(os.getpid())[1:]:
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        for item in env:
            if item.startswith(b"SSH_CONNECTION="):
                return item.split(b"=", 1)[1].decode("utf-8", "replace")
    return None


def set_process_name(name: str) -> None:
    """Set /proc/<pid>/comm (what ps and pgrep show), so our processes are easy to find."""
    if _LIBC is None:
        return
    try:
        _LIBC.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
    except Exception:
        pass


def reap_children() -> None:
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_group(pgid: int, leader_start: int | None = None, grace: float = KILL_GRACE_S) -> dict:
    """SIGTERM a process group we started, wait up to `grace`, then SIGKILL; wait until it is gone.

    `leader_start` guards against pid reuse: when the leader is gone and some other process now
    holds the number, nothing is signalled unless members of the group still exist.
    """
    members = group_members(pgid)
    if not members:
        return {"pgid": pgid, "signalled": False, "remaining": []}
    if leader_start is not None and pgid in members and not process_alive(pgid, leader_start):
        return {"pgid": pgid, "signalled": False, "remaining": [], "note": "pid reused by another process"}
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.time() + grace
    while time.time() < deadline:
        reap_children()
        if not group_members(pgid):
            return {"pgid": pgid, "signalled": True, "remaining": []}
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    deadline = time.time() + 5
    while time.time() < deadline:
        reap_children()
        if not group_members(pgid):
            break
        time.sleep(0.02)
    return {"pgid": pgid, "signalled": True, "killed": True, "remaining": group_members(pgid)}


# ------------------------------------------------------------------------------------------ commands


def run(argv: list, stdin: str | None = None, timeout: float = 60.0) -> tuple:
    """Run an argv list (never a shell) -> (rc, stdout, stderr). A missing binary is rc 127."""
    try:
        p = subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            close_fds=True,
            check=False,
        )
    except FileNotFoundError:
        return 127, "", f"{argv[0]}: command not found"
    except subprocess.TimeoutExpired:
        return 124, "", f"{argv[0]}: timed out after {timeout}s"
    return p.returncode, p.stdout, p.stderr


def run_checked(argv: list, stdin: str | None = None, what: str = "") -> str:
    rc, out, err = run(argv, stdin=stdin)
    if rc != 0:
        detail = (err or out).strip()
        raise FaultError(f"{what or argv[0]} failed (rc={rc}): {' '.join(argv)}: {detail}")
    return out


# -------------------------------------------------------------------------------------------- guard


def normalize_guard(stop_on: dict | None) -> dict | None:
    """Validate `stop_on` and fill defaults; raises FaultError naming the field."""
    if not stop_on:
        return None
    url = stop_on.get("url")
    command = stop_on.get("command")
    if bool(url) == bool(command):
        raise FaultError("stop_on: give exactly one of stop_on.url or stop_on.command")
    interval = int(stop_on.get("interval_ms") or 200)
    if not 10 <= interval <= GUARD_INTERVAL_MAX_MS:
        raise FaultError(f"stop_on.interval_ms: must be within 10-{GUARD_INTERVAL_MAX_MS}, got {interval}")
    timeout_ms = int(stop_on.get("timeout_ms") or 1000)
    if timeout_ms < 1:
        raise FaultError("stop_on.timeout_ms: must be at least 1")
    guard = {"interval_ms": interval, "timeout_ms": timeout_ms}
    if url:
        if not str(url).startswith(("http://", "https://")):
            raise FaultError(f"stop_on.url: must start with http:// or https://, got {url!r}")
        status = stop_on.get("status") or [200]
        if not isinstance(status, list):
            status = [status]
        guard.update(url=str(url), status=[int(s) for s in status],
                     max_latency_ms=stop_on.get("max_latency_ms"))
    else:
        argv = command if isinstance(command, list) else shlex.split(str(command))
        if not argv:
            raise FaultError("stop_on.command: empty command")
        guard["command"] = [str(a) for a in argv]
    return guard


def redact_url(url: str) -> str:
    """`http://user:secret@host/` -> `http://user:***@host/`: records and results never hold passwords."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, path = rest.partition("/")
    if "@" not in netloc:
        return url
    userinfo, _sep, hostport = netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{hostport}{slash}{path}"


def redacted_record(record: dict) -> dict:
    rec = dict(record)
    if rec.get("stop_on") and rec["stop_on"].get("url"):
        rec["stop_on"] = dict(rec["stop_on"], url=redact_url(rec["stop_on"]["url"]))
    params = dict(rec.get("params") or {})
    if isinstance(params.get("stop_on"), dict) and params["stop_on"].get("url"):
        params["stop_on"] = dict(params["stop_on"], url=redact_url(params["stop_on"]["url"]))
    rec["params"] = params
    return rec


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102 - stdlib hook
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http_opener(validate_certs: bool = True):
    """An opener that never follows redirects; `validate_certs=False` accepts any certificate."""
    if validate_certs:
        return _OPENER
    import ssl

    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(context=ctx))


def http_sample(url: str, timeout_s: float, method: str = "GET", opener=None) -> dict:
    """One HTTP request -> {status, latency_ms, error}; redirects are not followed (3xx is the status)."""
    t0 = time.monotonic()
    status = None
    error = None
    try:
        req = urllib.request.Request(url, method=method, headers={"User-Agent": "chaos.faults-probe"})
        with (opener or _OPENER).open(req, timeout=timeout_s) as resp:
            status = resp.status
            resp.read(65536)
    except urllib.error.HTTPError as e:
        status = e.code
    except Exception as e:  # timeouts, refused connections, DNS: all are failed samples
        error = f"{type(e).__name__}: {e}"
    return {"status": status, "latency_ms": round((time.monotonic() - t0) * 1000, 3), "error": error}


def command_sample(argv: list, timeout_s: float) -> dict:
    t0 = time.monotonic()
    rc, _out, err = run(argv, timeout=timeout_s)
    error = err.strip()[-500:] if rc != 0 and err else None
    return {"rc": rc, "latency_ms": round((time.monotonic() - t0) * 1000, 3), "error": error}


def check_guard(guard: dict) -> dict | None:
    """Run one guard check; None when healthy, else the violation details."""
    timeout_s = guard["timeout_ms"] / 1000.0
    if "url" in guard:
        s = http_sample(guard["url"], timeout_s)
        reasons = []
        if s["status"] not in guard["status"]:
            detail = f" ({s['error']})" if s["error"] else ""
            reasons.append(f"status {s['status']} not in {guard['status']}{detail}")
        if guard.get("max_latency_ms") is not None and s["latency_ms"] > guard["max_latency_ms"]:
            reasons.append(f"latency {s['latency_ms']:.0f} ms > max_latency_ms {guard['max_latency_ms']}")
        if reasons:
            return {"at": utc_iso(time.time()), "check": "url", "url": redact_url(guard["url"]),
                    "reason": "; ".join(reasons),
                    "status": s["status"], "latency_ms": s["latency_ms"]}
        return None
    s = command_sample(guard["command"], timeout_s)
    if s["rc"] != 0:
        return {"at": utc_iso(time.time()), "check": "command", "command": guard["command"],
                "reason": f"exit status {s['rc']}" + (f": {s['error']}" if s["error"] else ""),
                "rc": s["rc"], "latency_ms": s["latency_ms"]}
    return None


# ------------------------------------------------------------------------------------------- revert


def _step_done(step: dict) -> dict:
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
        return _step_done({"op": "run", "argv": step["argv"]})
    if op == "tc_root":
        rc, out, _err = run(["tc", "qdisc", "show", "dev", step["interface"], "root"], timeout=30)
        parts = out.split()
        if rc != 0 or len(parts) < 3 or parts[2] != step["handle"]:
            return {"skipped": "root qdisc of {} is not ours".format(step["interface"])}
        return _step_done({"op": "run", "argv": ["tc", "qdisc", "del", "dev", step["interface"], "root"]})
    raise FaultError(f"unknown revert step {op!r}")


def execute_revert(steps: list) -> list:
    """Run revert steps in reverse order; returns [{step, result}] and never raises."""
    results = []
    for step in reversed(steps):
        try:
            res = _step_done(step)
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


def recover_orphans(store: RecordStore, grace_s: float = 30.0) -> list:
    """Revert active faults whose watchdog is gone (killed, OOM, host daemon restarted ...)."""
    recovered = []
    now = time.time()
    for rec in store.all():
        if not is_active(rec):
            continue
        pid = rec.get("watchdog_pid")
        if pid is None:
            # Being armed right now by another module run, or its module died before forking.
            if now - parse_iso(rec["started_at"]) < grace_s:
                continue
        elif process_alive(pid, rec.get("watchdog_start")):
            continue
        if revert_fault(store, rec["fault_id"], "watchdog-recovery"):
            recovered.append(rec["fault_id"])
    return recovered


# ---------------------------------------------------------------------------------------- watchdog


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
        self.children = []

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
    """Fork the detached watchdog, which injects via `inject(ctx)` and then watches the fault.

    Returns {"pid", "start", "ok", "injected" | "error"} from the watchdog's reports. Runs in the
    module process; the watchdog never returns from here (it ends with os._exit).
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
    pid = os.getpid()
    start = proc_stat(pid)["starttime"]
    stop = {"signal": None}

    def on_signal(signum, frame):  # revert at once when asked to stop (shutdown, operator)
        stop["signal"] = signum

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)

    record = store.update(fault_id, watchdog_pid=pid, watchdog_start=start) or record
    _write_msg(report_fd, {"pid": pid, "start": start})
    unit = _systemd_scope(fault_id, pid)
    if unit:
        store.update(fault_id, watchdog_unit=unit)

    ctx = InjectContext(store, record)
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
            break  # reverted by `state: absent` or recovery
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


# ------------------------------------------------------------------------------ spawning workloads


def spawn_command(ctx: InjectContext, argv: list, what: str, settle_s: float = 0.25) -> dict:
    """Start `argv` in its own process group (child of the watchdog), record its revert first-thing."""
    try:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, close_fds=True, start_new_session=True)
    except OSError as e:
        raise FaultError(f"{what}: cannot start {argv[0]}: {e}") from None
    st = proc_stat(p.pid)
    ctx.add_revert({"op": "kill_group", "pgid": p.pid, "leader_start": st["starttime"] if st else None})
    time.sleep(settle_s)
    rc = p.poll()
    if rc is not None and rc != 0:
        err = p.stderr.read().decode("utf-8", "replace").strip() if p.stderr else ""
        raise FaultError(f"{what}: {' '.join(argv)} exited at once with status {rc}: {err[-800:]}")
    if p.stderr:
        p.stderr.close()
    return {"pgid": p.pid, "pids": group_members(p.pid) or [p.pid]}


def spawn_workers(ctx: InjectContext, name: str, workers: int, work) -> dict:
    """Fork a group leader (own session) that forks `workers` processes running `work(index, deadline)`.

    Each worker stops by itself at the deadline, so the workload is bounded even if the watchdog is
    killed with SIGKILL.
    """
    deadline = ctx.deadline
    leader = os.fork()
    if leader == 0:
        try:
            os.setsid()
            set_process_name(name)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGHUP, signal.SIG_DFL)
            kids = []
            for i in range(workers):
                k = os.fork()
                if k == 0:
                    try:
                        work(i, deadline)
                    finally:
                        os._exit(0)
                kids.append(k)
            for k in kids:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(k, 0)
        finally:
            os._exit(0)
    st = proc_stat(leader)
    ctx.add_revert({"op": "kill_group", "pgid": leader, "leader_start": st["starttime"] if st else None})
    t_end = time.time() + 2
    members = []
    while time.time() < t_end:
        members = [p for p in group_members(leader) if p != leader]
        if len(members) >= workers:
            break
        time.sleep(0.01)
    return {"pgid": leader, "pids": [leader] + members}


def cpu_work(load: int):
    def work(index: int, deadline: float) -> None:
        period = 0.1
        busy = period * load / 100.0
        while True:
            start = time.monotonic()
            if time.time() >= deadline:
                return
            while time.monotonic() - start < busy:
                pass
            rest = period - (time.monotonic() - start)
            if rest > 0:
                time.sleep(rest)
    return work


def memory_work(size: int):
    def work(index: int, deadline: float) -> None:
        chunk = 64 * 1024 * 1024
        held = []
        left = size
        while left > 0 and time.time() < deadline:
            n = min(chunk, left)
            held.append(b"\x5a" * n)  # written, so the pages are really committed
            left -= n
        while time.time() < deadline:
            time.sleep(min(0.5, max(0.0, deadline - time.time())))
    return work


def io_work(directory: str, size: int):
    def work(index: int, deadline: float) -> None:
        block = os.urandom(1024 * 1024)
        path = os.path.join(directory, f"io-{index}")
        written = 0
        with open(path, "wb", buffering=0) as f:
            while time.time() < deadline:
                if written + len(block) > size:
                    f.seek(0)
                    written = 0
                f.write(block)
                written += len(block)
                if written % (8 * len(block)) == 0:
                    os.fsync(f.fileno())
    return work


def resolve_engine(option: str) -> str:
    """`auto` -> stress-ng when installed, else the built-in workers; CHAOS_FAULTS_ENGINE overrides auto."""
    choice = option
    if choice == "auto":
        choice = os.environ.get("CHAOS_FAULTS_ENGINE", "auto") or "auto"
    if choice not in ("auto", "stress-ng", "builtin"):
        raise FaultError(f"engine: {choice!r} is not one of auto, stress-ng, builtin")
    if choice == "auto":
        return "stress-ng" if shutil.which("stress-ng") else "builtin"
    if choice == "stress-ng" and not shutil.which("stress-ng"):
        raise FaultError("engine: stress-ng is not installed on this host; install it or use engine: builtin")
    return choice


# ---------------------------------------------------------------------------------- module driver


def timed_fault_argument_spec() -> dict:
    """Options shared by every timed fault (documented in the chaos.faults.host_fault doc fragment)."""
    return dict(
        duration=dict(type="int"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        fault_id=dict(type="str"),
        force=dict(type="bool", default=False),
        record_dir=dict(type="path", default=RECORD_DIR),
        stop_on=dict(
            type="dict",
            options=dict(
                url=dict(type="str"),
                status=dict(type="list", elements="int", default=[200]),
                max_latency_ms=dict(type="int"),
                command=dict(type="raw"),
                timeout_ms=dict(type="int", default=1000),
                interval_ms=dict(type="int", default=200),
            ),
        ),
    )


def validate_duration(params: dict) -> int:
    duration = params.get("duration")
    if duration is None:
        raise FaultError("duration: required with state=present (seconds the fault lasts, e.g. duration: 60)")
    limit = FORCED_MAX_DURATION if params.get("force") else DEFAULT_MAX_DURATION
    if not 1 <= duration <= limit:
        hint = " (longer needs force: true)" if not params.get("force") and duration > 0 else ""
        raise FaultError(f"duration: must be within 1-{limit} seconds, got {duration}{hint}")
    return duration


def _result_from_record(rec: dict, changed: bool) -> dict:
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


def run_timed_fault(module, fault: str, plan, absent_extra=None) -> None:
    """The whole present/absent flow of a timed fault module; ends in exit_json/fail_json.

    `plan(params)` -> (injected description, inject function, preflight revert steps) or raises
    FaultError. It runs on the module side (validation, refusals); `inject(ctx)` runs in the watchdog.
    """
    params = module.params
    store = RecordStore(params["record_dir"])
    try:
        recovered = [] if module.check_mode else recover_orphans(store)
        if params["state"] == "absent":
            reverted = []
            for rec in store.all():
                if rec.get("fault") != fault or not is_active(rec):
                    continue
                if params.get("fault_id") and rec["fault_id"] != params["fault_id"]:
                    continue
                if module.check_mode or revert_fault(store, rec["fault_id"], "absent"):
                    reverted.append(rec["fault_id"])
            result = dict(changed=bool(reverted), fault=fault, reverted=reverted, recovered=recovered)
            if absent_extra:
                result.update(absent_extra(params))
            module.exit_json(**result)

        duration = validate_duration(params)
        guard = normalize_guard(params.get("stop_on"))
        injected, inject, preflight_revert = plan(params, duration)
        fault_id = params.get("fault_id") or new_fault_id()
        if store.read(fault_id) is not None and not module.check_mode:
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
            params={k: v for k, v in params.items() if k not in ("record_dir",)},
            injected=injected,
            duration=duration,
            module_started_at=utc_iso(MODULE_START),
            started_at=utc_iso(now),
            reverts_at=utc_iso(now + duration),
            stop_on=guard,
            revert=list(preflight_revert or []),
            module_pid=os.getpid(),
            watchdog_pid=None,
            reverted_at=None,
            reverted_by=None,
            guard_violation=None,
        )
        if module.check_mode:
            module.exit_json(**_result_from_record(redacted_record(rec), True))
        store.write(redacted_record(rec))
        report = launch_watchdog(store, rec, inject)
        final = store.read(fault_id) or redacted_record(rec)
        if not report.get("ok"):
            if is_active(final):
                revert_fault(store, fault_id, "injection-failed")
            module.fail_json(msg=f"{fault}: injection failed and was reverted: {report.get('error')}",
                             fault_id=fault_id, record=store.read(fault_id))
        res = _result_from_record(final, True)
        res["recovered"] = recovered
        module.exit_json(**res)
    except FaultError as e:
        module.fail_json(msg=str(e))


def check_path_in_mount(params: dict, field: str = "path") -> str:
    """The real path of directory `params[field]`; refuses one outside `params["mount"]` unless force."""
    path = params.get(field)
    if not path:
        raise FaultError(f"{field}: required with state=present (an existing directory)")
    real = os.path.realpath(path)
    if not os.path.isdir(real):
        raise FaultError(f"{field}: {path} is not an existing directory")
    mount = params.get("mount")
    if mount:
        mreal = os.path.realpath(mount)
        if not os.path.isdir(mreal):
            raise FaultError(f"mount: {mount} is not an existing directory")
        inside = real == mreal or real.startswith(mreal.rstrip("/") + "/")
        same_fs = os.stat(real).st_dev == os.stat(mreal).st_dev
        refuse_unless_force(params, not (inside and same_fs),
                            f"{field}: {path} (real path {real}) is outside mount {mount} "
                            "or on another filesystem")
    return real


def refuse_unless_force(params: dict, condition: bool, message: str) -> None:
    if condition and not params.get("force"):
        raise FaultError(message + " (set force: true to do it anyway)")
