# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""The probes during the faults: sampled by a detached process on the controller.

They start before the first fault is injected and outlive the task that starts them, so the
injections (one Ansible task on every host) happen while they sample. The sampler is forked from
the Ansible worker (no new interpreter to start) into its own session, talks through files in the
run directory, and is bounded: it ends at the end of its window, when asked to stop, or when
ansible-playbook is gone (then without a result: nobody would read it).

    <run_dir>/.during-stop      written to end the window early; holds the reason
    <run_dir>/.during.json      written once by the sampler at its end: the probe runs
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Sequence
from typing import Any

from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.clock import utc_iso
from ansible_collections.chaos.faults.plugins.module_utils.probe_runner import most_samples
from ansible_collections.chaos.faults.plugins.module_utils.probe_samples import certain_violation
from ansible_collections.chaos.faults.plugins.plugin_utils.probe_set import ProbeRun, sample_all

STOP_FILE = ".during-stop"
RESULT_FILE = ".during.json"
TICK_S = 0.05
# past its window, a sampler waits at most this long for a probe sample still in flight
GRACE_S = 5.0


def _paths(run_dir: str) -> tuple[str, str]:
    return os.path.join(run_dir, STOP_FILE), os.path.join(run_dir, RESULT_FILE)


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie waiting for its parent to reap it counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            state = f.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _write_json(path: str, data: Any) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, default=str)
    os.replace(tmp, path)


def request_stop(run_dir: str, reason: str) -> None:
    """Ask the sampler to end the window now (the first reason given wins)."""
    stop_path = _paths(run_dir)[0]
    try:
        fd = os.open(stop_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(reason)


def _sample(
    run_dir: str, runs: Sequence[ProbeRun], window_s: float, stop_on_violation: bool, owner: int
) -> None:
    """The sampler's whole life: sample every run for the window, then write the result file."""
    stop_path, result_path = _paths(run_dir)
    stop = threading.Event()
    stopped: dict[str, str] = {}
    lock = threading.Lock()

    def stop_with(reason: str) -> None:
        with lock:
            if not stopped:
                stopped.update(at=utc_iso(time.time()), reason=reason)
        stop.set()

    def watcher(run: ProbeRun):
        most = most_samples(dict(run.params, count=None, period=window_s))

        def on_sample(samples: list) -> None:
            if stop_on_violation and not stop.is_set():
                lost = certain_violation(run.params, samples, most)
                if lost:
                    stop_with(f"probe {run.name} ({run.host}) during the faults: {lost}")

        return on_sample

    results: list[dict[str, Any]] = []
    sampler = threading.Thread(
        target=lambda: results.extend(
            sample_all(runs, "during", {"count": None, "period": window_s}, stop, watcher)
        ),
        daemon=True,
    )
    started = time.time()
    sampler.start()
    timeouts = [float(r.params["timeout"]) for r in runs] or [0.0]
    deadline = started + window_s + max(timeouts) + GRACE_S
    window_end = started + window_s
    # the window lasts its full length even when there is nothing to probe: the faults run meanwhile
    while sampler.is_alive() or (not stop.is_set() and time.time() < window_end):
        sampler.join(TICK_S) if sampler.is_alive() else time.sleep(TICK_S)
        if not stop.is_set() and os.path.exists(stop_path):
            with open(stop_path, encoding="utf-8") as f:
                stop_with(f.read().strip() or "asked to stop")
        if not _alive(owner):  # ansible-playbook is gone: nobody will read a result
            stop.set()
            return
        if time.time() > deadline:
            stop.set()
            break
    _write_json(
        result_path,
        {
            "runs": results,
            "stopped_early": dict(stopped) or None,
            "started_at": utc_iso(started),
            "ended_at": utc_iso(time.time()),
        },
    )


def start(run_dir: str, runs: Sequence[ProbeRun], window_s: float, stop_on_violation: bool) -> int:
    """Fork the detached sampler; returns its pid once it runs (its probes sample from now on)."""
    os.makedirs(run_dir, exist_ok=True)
    owner = os.getppid()  # ansible-playbook itself: the worker running this task is its child
    read_fd, write_fd = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked processes
        try:
            os.close(read_fd)
            os.setsid()
            if os.fork() > 0:
                os._exit(0)
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
                signal.signal(sig, signal.SIG_DFL)
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            os.closerange(3, write_fd)
            os.closerange(write_fd + 1, 65536)
            os.write(write_fd, str(os.getpid()).encode())
            os.close(write_fd)
            _sample(run_dir, runs, window_s, stop_on_violation, owner)
        finally:
            os._exit(0)
    os.close(write_fd)
    os.waitpid(child, 0)
    with os.fdopen(read_fd, "rb") as pipe:
        pid = pipe.read().decode()
    if not pid:
        raise RuntimeError("the probes during the faults could not start (the sampler process died)")
    return int(pid)


def collect(run_dir: str, pid: int, timeout_s: float, on_tick=None) -> dict[str, Any]:
    """Wait until the sampler has written its result (or is gone, or `timeout_s` passed) and return it.

    `on_tick()` runs every tick while waiting (to check an abort file, say)."""
    stop_path, result_path = _paths(run_dir)
    deadline = time.time() + timeout_s
    while not os.path.exists(result_path):
        if not _alive(pid) or time.time() > deadline:
            if not os.path.exists(result_path):
                return {
                    "runs": [],
                    "stopped_early": None,
                    "error": "the probes during the faults ended without a result (the sampler died)",
                }
        if on_tick is not None:
            on_tick()
        time.sleep(TICK_S)
    with open(result_path, encoding="utf-8") as f:
        data = json.load(f)
    for path in (result_path, stop_path):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    return data
