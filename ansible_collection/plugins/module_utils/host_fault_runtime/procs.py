# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Processes as /proc shows them, which of them no fault may touch, and stopping a process group."""

from __future__ import annotations

import contextlib
import os
import signal
import time

try:
    import ctypes

    _LIBC = ctypes.CDLL(None, use_errno=True)
except Exception:  # pragma: no cover - process names are cosmetic
    _LIBC = None

WATCHDOG_COMM = "chaos-watchdog"
KILL_GRACE_S = 3.0
PF_KTHREAD = 0x00200000
_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


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


def started_at(st: dict) -> float:
    """Epoch seconds when the process of a `proc_stat` started (to the second: btime is whole seconds)."""
    btime = 0.0
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("btime "):
                btime = float(line.split()[1])
                break
    return btime + st["starttime"] / _CLK_TCK


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
    for pid in all_pids():
        st = proc_stat(pid)
        if st is None:
            continue
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
