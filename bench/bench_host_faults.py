#!/usr/bin/env python3
"""Host faults on localhost: time to fault active, guard violation → revert complete, CPU-stress fidelity.

    sudo .venv/bin/python bench/bench_host_faults.py            # full (20 rounds per figure)
    sudo .venv/bin/python bench/bench_host_faults.py --quick    # 5 rounds, fewer load levels

Prints figures and never asserts. Each module runs directly with its arguments file
(``python -m ansible_collections.chaos.faults.plugins.modules.<name> args.json``), the way
ansible-core runs a module on a host once AnsiballZ has unpacked it, so the figures are the module's
own work and not ansible-playbook's start-up:

* ``start→active``: the record's ``active_at`` minus ``module_started_at`` (when the module's
  ``main()`` began, after its imports); ``process``: the wall time of the module process, fork to exit.
* ``guard→reverted``: cpu_stress with ``stop_on.url`` on a loopback HTTP server; at T0 the server
  starts answering 503; T0 → the record's ``reverted_at`` (the workers are gone at that point).
* CPU fidelity: one worker at load L for 3 s; ``absolute`` = its CPU seconds / wall seconds; ``vs
  reference`` = its CPU / the CPU of a 100 %-busy process measured over the same window (on a
  shared machine the absolute share depends on everyone else's load, the relative one much less).

Also usable from bench/run.py: ``collect(ctx)`` returns bench.common Rows.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.harness.ansible import collections_root  # noqa: E402

COLLECTIONS = collections_root(ROOT / "build" / "bench-collections")
sys.path.insert(0, str(COLLECTIONS))
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.clock import parse_iso  # noqa: E402
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.procs import group_members  # noqa: E402
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.records import RecordStore  # noqa: E402
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.revert import revert_fault  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    pos = (len(s) - 1) * q / 100.0
    lo, hi = int(pos), min(int(pos) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


class Health:
    """Loopback HTTP server whose /health status can be flipped."""

    def __init__(self) -> None:
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/health"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def run_module(name: str, args: dict[str, Any], work: Path) -> tuple[dict[str, Any], float]:
    """Run one module directly; returns (its JSON result, process wall seconds)."""
    args_file = work / f"args-{name}-{time.monotonic_ns()}.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", f"ansible_collections.chaos.faults.plugins.modules.{name}", str(args_file)],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=120,
    )
    wall = time.perf_counter() - t0
    args_file.unlink()
    out = proc.stdout.strip().splitlines()
    result = json.loads(out[-1]) if out else {"failed": True, "msg": proc.stderr[-500:]}
    if result.get("failed"):
        raise RuntimeError(f"{name} failed: {result.get('msg')}")
    return result, wall


def wait_reverted(store: Any, fault_id: str, timeout: float = 15.0) -> dict[str, Any]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        rec = store.read(fault_id)
        if rec and rec.get("state") == "reverted":
            return rec
        time.sleep(0.01)
    raise RuntimeError(f"{fault_id} not reverted within {timeout}s")


def start_to_active(work: Path, rounds: int) -> list[dict[str, Any]]:
    store_dir = work / "records-start"
    store = RecordStore(str(store_dir))
    fill = work / "fill"
    fill.mkdir(exist_ok=True)
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("cpu_stress builtin", "cpu_stress", {"load": 10, "workers": 1, "engine": "builtin"}),
        ("memory_stress builtin", "memory_stress", {"size": "16M", "engine": "builtin"}),
        ("io_stress builtin", "io_stress", {"path": str(fill), "size": "4M", "engine": "builtin"}),
        ("disk_fill", "disk_fill", {"path": str(fill), "size": "16M", "reserve": "1M"}),
    ]
    if shutil.which("stress-ng"):
        cases.insert(
            1, ("cpu_stress stress-ng", "cpu_stress", {"load": 10, "workers": 1, "engine": "stress-ng"})
        )
    if shutil.which("nft"):
        cases.append(
            ("network_blackhole nft", "network_blackhole", {"ports": [9], "destinations": ["127.0.0.9"]})
        )
    rows = []
    for label, module, args in cases:
        active, process = [], []
        for _ in range(rounds):
            res, wall = run_module(module, {**args, "duration": 30, "record_dir": str(store_dir)}, work)
            rec = res["record"]
            active.append((parse_iso(rec["active_at"]) - parse_iso(rec["module_started_at"])) * 1000)
            process.append(wall * 1000)
            revert_fault(store, res["fault_id"], "absent")
        rows.append({"case": label, "start_to_active_ms": active, "process_ms": process})
    return rows


def guard_to_revert(work: Path, rounds: int, interval_ms: int) -> list[float]:
    store_dir = work / "records-guard"
    store = RecordStore(str(store_dir))
    health = Health()
    out = []
    try:
        for _ in range(rounds):
            health.status = 200
            res, _ = run_module(
                "cpu_stress",
                {
                    "load": 10,
                    "workers": 1,
                    "engine": "builtin",
                    "duration": 60,
                    "record_dir": str(store_dir),
                    "stop_on": {"url": health.url, "interval_ms": interval_ms, "timeout_ms": 500},
                },
                work,
            )
            time.sleep(0.3)
            t0 = time.time()
            health.status = 503
            rec = wait_reverted(store, res["fault_id"])
            out.append((parse_iso(rec["reverted_at"]) - t0) * 1000)
    finally:
        health.close()
        for rec in store.all():
            revert_fault(store, rec["fault_id"], "absent")
    return out


def _cpu_seconds(pgid: int) -> float:
    total = 0.0
    for pid in group_members(pgid):
        try:
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
        except OSError:
            pass
    return total


def cpu_fidelity(work: Path, loads: list[int], engines: list[str], window: float) -> list[dict[str, Any]]:
    store_dir = work / "records-cpu"
    store = RecordStore(str(store_dir))
    rows = []
    for engine in engines:
        for load in loads:
            res, _ = run_module(
                "cpu_stress",
                {
                    "load": load,
                    "workers": 1,
                    "engine": engine,
                    "duration": int(window) + 5,
                    "record_dir": str(store_dir),
                },
                work,
            )
            pgid = res["injected"]["pgid"]
            ref = subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
            try:
                time.sleep(0.5)
                w0, r0, t0 = _cpu_seconds(pgid), _cpu_seconds(ref.pid), time.monotonic()
                time.sleep(window)
                w1, r1, wall = _cpu_seconds(pgid), _cpu_seconds(ref.pid), time.monotonic() - t0
            finally:
                ref.kill()
                ref.wait()
                revert_fault(store, res["fault_id"], "absent")
            rows.append(
                {
                    "engine": engine,
                    "requested": load,
                    "absolute_pct": 100 * (w1 - w0) / wall,
                    "vs_reference_pct": 100 * (w1 - w0) / (r1 - r0) if r1 > r0 else float("nan"),
                    "reference_pct": 100 * (r1 - r0) / wall,
                }
            )
    return rows


def measure(quick: bool) -> dict[str, Any]:
    rounds = 5 if quick else 20
    work = Path(tempfile.mkdtemp(prefix="chaos-faults-bench-"))
    try:
        engines = ["builtin"] + (["stress-ng"] if shutil.which("stress-ng") else [])
        return {
            "rounds": rounds,
            "start_to_active": start_to_active(work, rounds),
            "guard_to_revert": {ms: guard_to_revert(work, rounds, ms) for ms in (50, 200)},
            "cpu_fidelity": cpu_fidelity(
                work, [50, 100] if quick else [25, 50, 75, 100], engines, 2.0 if quick else 3.0
            ),
            "load_average": os.getloadavg(),
            "cpus": os.cpu_count(),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def print_report(data: dict[str, Any]) -> None:
    print(
        f"host faults on localhost: {data['cpus']} CPUs, load average {data['load_average'][0]:.1f}, "
        f"{data['rounds']} rounds per figure"
    )
    print("\nmodule start → fault active (ms)            p50      p99    | module process p50   p99")
    for row in data["start_to_active"]:
        a, p = row["start_to_active_ms"], row["process_ms"]
        print(
            f"  {row['case']:<38} {percentile(a, 50):7.1f} {percentile(a, 99):8.1f}    |"
            f" {percentile(p, 50):10.1f} {percentile(p, 99):8.1f}"
        )
    print("\nguard violation → revert complete (ms)     p50      p99      max")
    for interval, values in data["guard_to_revert"].items():
        print(
            f"  cpu_stress, interval_ms={interval:<16} {percentile(values, 50):7.1f}"
            f" {percentile(values, 99):8.1f}"
            f" {max(values):8.1f}"
        )
    print("\nCPU-stress fidelity, 1 worker      requested  absolute  vs 100%-busy reference (reference got)")
    for row in data["cpu_fidelity"]:
        print(
            f"  {row['engine']:<32} {row['requested']:>6}%   {row['absolute_pct']:6.1f}%   "
            f"{row['vs_reference_pct']:6.1f}%   ({row['reference_pct']:.0f}%)"
        )


def collect(ctx: Any) -> list[Any]:
    """bench/run.py entry point."""
    from bench.common import BenchSkipped, Row, Stats

    if os.geteuid() != 0:
        raise BenchSkipped("host faults need root")
    data = measure(ctx.quick)
    ctx.extra["host_faults"] = data
    rows = []
    for row in data["start_to_active"]:
        rows.append(
            Row(
                case=row["case"],
                metric="module start→fault active",
                unit="ms",
                ours=Stats.of(row["start_to_active_ms"]),
            )
        )
    for interval, values in data["guard_to_revert"].items():
        rows.append(
            Row(
                case=f"cpu_stress interval_ms={interval}",
                metric="guard violation→revert complete",
                unit="ms",
                ours=Stats.of(values),
            )
        )
    for row in data["cpu_fidelity"]:
        rows.append(
            Row(
                case=f"{row['engine']} load {row['requested']}%",
                metric="CPU vs 100%-busy reference",
                unit="%",
                ours=Stats.of([row["vs_reference_pct"]]),
                better="closer",
                note=f"absolute {row['absolute_pct']:.1f}%",
            )
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 rounds and two load levels")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench_host_faults: needs root (real faults)", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    data = measure(args.quick)
    print_report(data)
    print(f"\n(took {time.monotonic() - t0:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(data, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
