# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Stress workloads started by the watchdog: stress-ng commands or built-in worker processes.

Either way the workload is a process group whose revert step is stored first thing, and it stops by
itself at the deadline (stress-ng --timeout; built-in workers check the clock), so it is bounded even
if the watchdog is killed with SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time

from .errors import FaultError
from .procs import group_members, proc_stat, set_process_name


def spawn_command(ctx, argv: list, what: str, settle_s: float = 0.25) -> dict:
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


def spawn_workers(ctx, name: str, workers: int, work) -> dict:
    """Fork a group leader (own session) that forks `workers` processes running `work(index, deadline)`."""
    deadline = ctx.deadline
    leader = os.fork()
    if leader == 0:
        try:
            os.setsid()
            set_process_name(name)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(sig, signal.SIG_DFL)
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
