"""Revert latency: guard violation → fault reverted, p50/p99 over many trials, per fault type.

Each trial runs inside one namespace test host (`tests/harness/hosts.py`: own network, mount and PID
namespace, private /run/chaos-faults, the demo HTTP service on :8080):

1. the fault module is started with `stop_on: {url: http://<host>:8080/health, status: [200]}`
   (guard checked every 200 ms, the default) and returns once the fault is active;
2. at T0 the benchmark flips the demo service to answer 503 (`POST /admin/status/503`);
3. it reads the fault record until `reverted_at` is set, then flips the service back.

Figures per fault type (milliseconds from T0, all timestamps from this machine's clock):
`guard→reverted` (T0 → `reverted_at`), and its two parts: `detection` (T0 → the watchdog's
`detected_at`; up to one guard interval plus one HTTP check) and `revert work` (`detected_at` →
`reverted_at`: running the recorded revert steps). How the module was started does not enter these
figures, so the module runs directly (`python -m ansible_collections.chaos.faults.plugins.modules.X`
with its arguments file, as ansible-core's own module tests do) instead of through ansible-playbook,
which lets a full run afford 50 trials per fault type.

No baseline: none of the alternatives reverts on a health-check violation on its own (Chaos
Toolkit only rolls back after the method, when asked to; see bench/README.md).
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import BenchSkipped, Context, Row, Stats, namespace_host_harness

GUARD_INTERVAL_MS = 200


def fault_cases(scratch: str) -> dict[str, dict[str, Any]]:
    """Light parameters per fault type: the machine is shared, the figure is the revert, not the load."""
    return {
        "cpu_stress": {"load": 10, "workers": 1, "engine": "builtin"},
        "memory_stress": {"size": "16M", "workers": 1, "engine": "builtin"},
        "io_stress": {"path": scratch, "size": "4M", "workers": 1, "engine": "builtin"},
        "disk_fill": {"path": scratch, "size": "8M", "reserve": "1M"},
        "network_blackhole": {"ports": [9999], "protocol": "tcp", "direction": "ingress"},
    }


NOT_MEASURED = {
    "network_latency": "needs tc netem, which this kernel does not have (the VM tests measure it instead)",
    "service_stop": "needs systemd as PID 1; the test hosts have none",
    "process_kill": "instant: nothing to revert",
}


def _prerequisites() -> tuple[Any, Any]:
    return namespace_host_harness("faults and namespace hosts")


def _post(url: str) -> None:
    req = urllib.request.Request(url, method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310 - a namespace host's address
        resp.read()


class ModuleRunner:
    """Runs a chaos.faults module inside a test host, straight from the working tree."""

    def __init__(self, host: Any, collections_root: Path, work: Path) -> None:
        self.host = host
        self.root = collections_root
        self.work = work
        self._n = 0

    def __call__(self, module: str, args: dict[str, Any]) -> dict[str, Any]:
        self._n += 1
        args_file = self.work / f"args-{module}-{self._n}.json"
        args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        proc = self.host.run(
            "env", f"PYTHONPATH={self.root}", sys.executable, "-m",
            f"ansible_collections.chaos.faults.plugins.modules.{module}", str(args_file),
            timeout=120,
        )
        try:
            result = json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            detail = f"rc {proc.returncode}: {proc.stderr[-2000:]}"
            raise RuntimeError(f"{module}: no JSON result ({detail})") from None
        if result.get("failed"):
            raise RuntimeError(f"{module} failed: {result.get('msg')}")
        return result


def _record(host: Any, fault_id: str) -> dict[str, Any] | None:
    out = host.run("cat", f"/run/chaos-faults/{fault_id}.json")
    if out.returncode != 0:
        return None
    try:
        return json.loads(out.stdout)
    except ValueError:
        return None  # caught mid-write; the next read sees it whole


def _trial(run: ModuleRunner, host: Any, module: str, args: dict[str, Any],
           parse_iso: Any) -> dict[str, float]:
    guard = {"url": host.url("/health"), "status": [200], "interval_ms": GUARD_INTERVAL_MS}
    result = run(module, {**args, "duration": 120, "stop_on": guard})
    fault_id = result["fault_id"]
    time.sleep(0.3)  # let the watchdog settle into its guard loop, as it would during a real fault
    t0 = time.time()
    _post(host.url("/admin/status/503"))
    deadline = t0 + 15
    try:
        while True:
            rec = _record(host, fault_id)
            if rec and rec.get("reverted_at"):
                break
            if time.time() > deadline:
                raise RuntimeError(f"{module}: fault {fault_id} not reverted 15 s after the guard broke")
            time.sleep(0.01)
    finally:
        _post(host.url("/admin/status/200"))
    if rec.get("reverted_by") != "guard":
        raise RuntimeError(f"{module}: reverted by {rec.get('reverted_by')!r}, not by the guard")
    reverted = parse_iso(rec["reverted_at"])
    violation = rec.get("guard_violation") or {}
    detected = parse_iso(violation["detected_at"]) if violation.get("detected_at") else None
    figures = {"guard→reverted": (reverted - t0) * 1000}
    if detected is not None:
        figures["detection"] = (detected - t0) * 1000
        figures["revert work"] = (reverted - detected) * 1000
    return figures


def collect(ctx: Context) -> list[Row]:
    harness_ansible, harness_hosts = _prerequisites()
    modules_dir = Path(harness_ansible.COLLECTION_SRC) / "plugins" / "modules"
    work = ctx.scratch("revert")
    root = harness_ansible.collections_root(work / "collections")
    sys.path.insert(0, str(root))
    try:
        from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.clock import parse_iso
    except ImportError as e:
        raise BenchSkipped(f"chaos.faults host-fault runtime not there yet: {e}") from e
    finally:
        sys.path.remove(str(root))
    trials = ctx.rounds_for(full=max(50, ctx.rounds), quick=3)
    factory = harness_hosts.HostFactory(work / "hosts")
    rows: list[Row] = []
    notes = [f"{m}: not measured, {why}" for m, why in NOT_MEASURED.items()]
    try:
        [host] = factory(1, names=["revert"]).hosts
        run = ModuleRunner(host, root, work)
        for module, args in fault_cases(host.scratch).items():
            if not (modules_dir / f"{module}.py").exists():
                notes.append(f"{module}: not measured, the module is not there yet")
                continue
            ctx.log(f"revert: {module}, {trials} trials")
            samples: dict[str, list[float]] = {}
            for _ in range(trials):
                for metric, value in _trial(run, host, module, args, parse_iso).items():
                    samples.setdefault(metric, []).append(value)
            for metric in ("guard→reverted", "detection", "revert work"):
                if samples.get(metric):
                    rows.append(Row(module, metric, "ms", Stats.of(samples[metric]),
                                    note="" if metric != "guard→reverted" else
                                    f"guard checked every {GUARD_INTERVAL_MS} ms; p50 = median"))
    finally:
        factory.teardown()
    ctx.extra["notes"] = notes
    return rows


if __name__ == "__main__":
    raise SystemExit("run it through the suite: .venv/bin/python bench/run.py --only revert")
