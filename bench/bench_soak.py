#!/usr/bin/env python3
"""Soak: ansible-playbook killed with SIGKILL at a random moment of a timed fault; nothing may be left.

    sudo .venv/bin/python bench/bench_soak.py [--trials N] [--seed S]     # N per fault type (default 20)

Each trial runs the real `ansible-playbook` on localhost: one fault task (duration 3 s), then a pause.
At a moment drawn uniformly from [0, time-to-active + 1 s] after the playbook starts (time-to-active is
measured for that fault type first, without a kill), the playbook and its detached workers get
SIGKILL, as a crash would (`tests/harness/ansible.py` kill_playbook). So kills land before the module
runs, while it runs (validating, launching the watchdog, writing records) and while the fault is
active. After the fault's deadline (plus 4 s for the revert), without running anything on the host,
a trial has a leftover if any of these is there:

- a process: the trial's watchdog or workload group (from its record), or any live `chaos-*` or
  `stress-ng` process, or a worker of the killed playbook;
- an nft table or iptables/ip6tables chain named `chaos_faults_*`, or a qdisc on the trial's veth;
- a file in the trial's fill directory (disk_fill's file, io_stress's scratch directory);
- a record still armed or active, or a half-written `<id>.json.<pid>.tmp`.

Then it runs what the next module run would (recover + sweep) and counts what that found, apart.
Printed per fault type: trials, leftovers, trials with the fault active at the kill, and trials killed
before the watchdog existed (no record). Figures, not assertions; the goal is 0 leftovers.
stress engines and firewall backends alternate between trials. network_latency needs sch_netem: on a
kernel without it every injection fails (and is reverted), which still exercises the kill paths.
service_stop needs systemd as PID 1 and is skipped without it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.harness.ansible import VENV_BIN, ansible_environment, collections_root, kill_playbook  # noqa: E402

COLLECTIONS = collections_root(ROOT / "build" / "bench-collections")
sys.path.insert(0, str(COLLECTIONS))
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.clock import (  # noqa: E402
    parse_iso,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.lifecycle import (  # noqa: E402
    housekeeping,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.procs import (  # noqa: E402
    all_pids,
    group_members,
    proc_stat,
    process_alive,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.records import (  # noqa: E402
    RecordStore,
    is_active,
)

DURATION_S = 3
REVERT_GRACE_S = 4.0
OUR_COMMS = ("chaos-watchdog", "chaos-cpu", "chaos-memory", "chaos-io")
FILL = "<fill>"

PLAYBOOK = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: fault
      chaos.faults.{fault}:
{args}
    - name: wait to be killed
      ansible.builtin.pause:
        seconds: 120
"""


def fault_args(fault: str, trial: int, veth: str | None) -> dict[str, Any] | None:
    """The module options of one trial (engines and backends alternate); None when it cannot run here.
    `path` is the FILL placeholder, replaced by the trial's own fill directory."""
    engine = ["builtin", "stress-ng"][trial % 2] if shutil.which("stress-ng") else "builtin"
    if fault == "cpu_stress":
        return {"workers": 1, "load": 30, "engine": engine}
    if fault == "memory_stress":
        return {"size": "64M", "engine": engine}
    if fault == "io_stress":
        return {"path": FILL, "size": "8M", "engine": engine}
    if fault == "disk_fill":
        return {"path": FILL, "size": "16M", "reserve": "1M"}
    if fault == "network_blackhole":
        backends = [b for b, tool in (("nftables", "nft"), ("iptables", "iptables")) if shutil.which(tool)]
        if not backends:
            return None
        return {"ports": [9], "destinations": ["127.0.0.9"], "backend": backends[trial % len(backends)]}
    if fault == "network_latency":
        return {"interface": veth, "delay_ms": 50, "destinations": ["10.254.0.1"]} if veth else None
    if fault == "service_stop":
        return None  # needs systemd as PID 1 and a unit of its own to stop
    raise ValueError(fault)


FAULTS = ("cpu_stress", "memory_stress", "io_stress", "disk_fill", "network_blackhole", "network_latency",
          "service_stop")


def write_playbook(path: Path, fault: str, args: dict[str, Any], record_dir: Path, fill: Path) -> None:
    args = {**args, "duration": DURATION_S, "record_dir": str(record_dir)}
    lines = [f"        {k}: {json.dumps(str(fill) if v == FILL else v)}" for k, v in args.items()]
    path.write_text(PLAYBOOK.format(fault=fault, args="\n".join(lines)))


def our_processes() -> list[str]:
    """Live (non-zombie) processes a fault could have left, anywhere on the host."""
    found = []
    for pid in all_pids():
        st = proc_stat(pid)
        if st is None or st["state"] in ("Z", "X"):
            continue
        if st["comm"] in OUR_COMMS or st["comm"].startswith("stress-ng"):
            found.append(f"{st['comm']}[{pid}]")
    return found


def firewall_and_qdisc(veth: str | None) -> list[str]:
    found = []
    if shutil.which("nft"):
        tables = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
        found += [f"nft {line.strip()}" for line in tables.splitlines() if "chaos_faults_" in line]
    for tool in ("iptables", "ip6tables"):
        if shutil.which(tool):
            rules = subprocess.run([tool, "-w", "-S"], capture_output=True, text=True).stdout
            found += [f"{tool} {line}" for line in rules.splitlines() if "chaos_faults_" in line]
    if veth:
        show = subprocess.run(["tc", "qdisc", "show", "dev", veth, "root"], capture_output=True,
                              text=True).stdout
        if "ca05:" in show or "netem" in show or "prio" in show:
            found.append(f"qdisc {show.strip()}")
    return found


def leftovers(record_dir: Path, fill: Path, veth: str | None) -> list[str]:
    found = our_processes() + firewall_and_qdisc(veth)
    for rec in RecordStore(str(record_dir)).all():
        if is_active(rec):
            found.append(f"record {rec['fault_id']} still {rec['state']}")
        if process_alive(rec.get("watchdog_pid"), rec.get("watchdog_start")):
            found.append(f"watchdog {rec['watchdog_pid']} alive")
        for step in rec.get("revert") or []:
            if step.get("op") == "kill_group" and group_members(step["pgid"]):
                found.append(f"process group {step['pgid']} alive")
    if record_dir.is_dir():
        found += [f"temporary record {p.name}" for p in record_dir.glob("*.tmp")]
    found += [f"file {p.name}" for p in fill.iterdir()]
    return found


def start_playbook(playbook: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [str(VENV_BIN / "ansible-playbook"), str(playbook), "-i", "localhost,", "-c", "local"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def time_to_active(fault: str, args: dict[str, Any], work: Path, env: dict[str, str]) -> float:
    """Seconds from starting the playbook until its fault is active (one run, killed once active)."""
    base = work / f"calibrate-{fault}"
    record_dir, fill = base / "records", base / "fill"
    fill.mkdir(parents=True)
    playbook = base / "soak.yml"
    write_playbook(playbook, fault, args, record_dir, fill)
    t0 = time.time()
    proc = start_playbook(playbook, env)
    store = RecordStore(str(record_dir))
    try:
        while time.time() - t0 < 120:
            done = [r for r in store.all() if r.get("active_at") or r.get("state") == "reverted"]
            if done:
                return (parse_iso(done[0].get("active_at") or done[0]["started_at"])) - t0
            time.sleep(0.02)
        raise RuntimeError(f"{fault}: no record after 120 s")
    finally:
        kill_playbook(proc)
        time.sleep(DURATION_S + REVERT_GRACE_S)
        housekeeping(store)
        shutil.rmtree(base, ignore_errors=True)


def one_trial(fault: str, args: dict[str, Any], window: float, rng: random.Random, work: Path,
              env: dict[str, str], veth: str | None) -> dict[str, Any]:
    record_dir, fill = work / "records", work / "fill"
    fill.mkdir(parents=True)
    playbook = work / "soak.yml"
    write_playbook(playbook, fault, args, record_dir, fill)
    delay = rng.uniform(0.0, window)
    t0 = time.time()
    proc = start_playbook(playbook, env)
    time.sleep(max(0.0, t0 + delay - time.time()))
    killed_at = time.time()
    kill_playbook(proc)
    time.sleep(1.0)  # a watchdog forked just before the kill has written its record by now
    recs = RecordStore(str(record_dir)).all()
    deadline = max([parse_iso(r["reverts_at"]) for r in recs] or [time.time()])
    time.sleep(max(0.0, deadline + REVERT_GRACE_S - time.time()))
    left = leftovers(record_dir, fill, veth)
    next_run = housekeeping(RecordStore(str(record_dir)))
    active_at = [parse_iso(r["active_at"]) for r in recs if r.get("active_at")]
    return {
        "fault": fault,
        "args": args,
        "kill_after_s": round(killed_at - t0, 3),
        "record": bool(recs),
        "active_at_kill": bool(active_at and min(active_at) <= killed_at),
        "injection_failed": any(r.get("reverted_by") == "injection-failed" for r in recs),
        "leftovers": left,
        "next_run_cleaned": next_run["recovered"] + next_run["swept"],
    }


def make_veth() -> str | None:
    name = f"chsk{os.getpid() % 100000}"
    add = subprocess.run(["ip", "link", "add", name, "type", "veth", "peer", "name", name + "p"],
                         capture_output=True)
    if add.returncode != 0:
        return None
    subprocess.run(["ip", "link", "set", name, "up"], check=False)
    return name


def soak(trials: int, seed: int, log: Any = None) -> dict[str, Any]:
    rng = random.Random(seed)
    work = Path(os.environ.get("TMPDIR", "/tmp")) / f"chaos-soak-{os.getpid()}"
    work.mkdir(parents=True)
    env = ansible_environment(work / "ansible")
    veth = make_veth() if shutil.which("ip") and shutil.which("tc") else None
    results: dict[str, Any] = {"seed": seed, "trials_per_fault": trials, "duration_s": DURATION_S,
                               "faults": {}, "skipped": {}, "load_before": os.getloadavg()}
    try:
        for fault in FAULTS:
            args0 = fault_args(fault, 0, veth)
            if args0 is None:
                results["skipped"][fault] = "cannot run on this host (see the module's needs)"
                continue
            window = time_to_active(fault, args0, work, env) + 1.0
            runs = []
            for trial in range(trials):
                trial_dir = work / f"{fault}-{trial}"
                trial_dir.mkdir()
                args = fault_args(fault, trial, veth)
                runs.append(one_trial(fault, args, window, rng, trial_dir, env, veth))
                if log:
                    r = runs[-1]
                    log(f"{fault} #{trial}: kill at {r['kill_after_s']:.2f}s, active={r['active_at_kill']}, "
                        f"leftovers={r['leftovers']}")
                shutil.rmtree(trial_dir, ignore_errors=True)
            results["faults"][fault] = {"window_s": round(window, 3), "runs": runs}
    finally:
        if veth:
            subprocess.run(["ip", "link", "del", veth], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    results["load_after"] = os.getloadavg()
    return results


def summary(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for fault, data in results["faults"].items():
        runs = data["runs"]
        rows.append({
            "fault": fault,
            "trials": len(runs),
            "leftovers": sum(1 for r in runs if r["leftovers"]),
            "cleaned_by_next_run": sum(1 for r in runs if r["next_run_cleaned"]),
            "active_at_kill": sum(1 for r in runs if r["active_at_kill"]),
            "no_record": sum(1 for r in runs if not r["record"]),
            "injection_failed": sum(1 for r in runs if r["injection_failed"]),
            "window_s": data["window_s"],
        })
    return rows


def print_report(results: dict[str, Any]) -> None:
    rows = summary(results)
    load = [[round(x, 2) for x in results[k]] for k in ("load_before", "load_after")]
    print(f"soak: SIGKILL of ansible-playbook at a random moment, {results['trials_per_fault']} trials per "
          f"fault type, duration {results['duration_s']} s, seed {results['seed']}; load average before "
          f"{load[0]}, after {load[1]}")
    print(f"\n{'fault':<20}{'trials':>7}{'leftovers':>10}{'active at kill':>16}{'no record':>11}"
          f"{'inj. failed':>12}{'next run cleaned':>18}{'kill window s':>15}")
    for r in rows:
        print(f"{r['fault']:<20}{r['trials']:>7}{r['leftovers']:>10}{r['active_at_kill']:>16}{r['no_record']:>11}"
              f"{r['injection_failed']:>12}{r['cleaned_by_next_run']:>18}{r['window_s']:>15.2f}")
    total = {k: sum(r[k] for r in rows) for k in ("trials", "leftovers", "active_at_kill", "no_record",
                                                   "injection_failed", "cleaned_by_next_run")}
    print(f"{'all':<20}{total['trials']:>7}{total['leftovers']:>10}{total['active_at_kill']:>16}"
          f"{total['no_record']:>11}{total['injection_failed']:>12}{total['cleaned_by_next_run']:>18}")
    for fault, why in results["skipped"].items():
        print(f"  {fault}: not run, {why}")
    for fault, data in results["faults"].items():
        for r in data["runs"]:
            if r["leftovers"] or r["next_run_cleaned"]:
                print(f"  {fault} killed at {r['kill_after_s']} s: left {r['leftovers']}, "
                      f"next run cleaned {r['next_run_cleaned']}")


def collect(ctx: Any) -> list[Any]:
    """bench/run.py entry point."""
    from bench.common import BenchSkipped, Row, Stats

    if os.geteuid() != 0:
        raise BenchSkipped("real host faults need root")
    results = soak(trials=ctx.rounds_for(full=20, quick=2), seed=int(time.time()), log=ctx.log)
    ctx.extra["soak"] = results
    ctx.extra["notes"] = [f"{fault}: not run, {why}" for fault, why in results["skipped"].items()]
    rows = []
    for r in summary(results):
        note = (f"{r['trials']} trials; fault active at the kill in {r['active_at_kill']}, killed before any "
                f"record in {r['no_record']}, injection failed in {r['injection_failed']}; "
                f"kill window {r['window_s']:.2f} s")
        rows.append(Row(case=r["fault"], metric="trials with a leftover after the deadline", unit="trials",
                        ours=Stats.of([r["leftovers"]]), note=note))
        rows.append(Row(case=r["fault"], metric="trials with the fault active at the kill", unit="trials",
                        ours=Stats.of([r["active_at_kill"]]), better="higher"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=20, help="trials per fault type (default 20)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: the clock)")
    parser.add_argument("--json", type=Path, help="also write every trial here")
    parser.add_argument("--verbose", action="store_true", help="one line per trial on stderr")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench_soak: needs root (real faults)", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else int(time.time())
    log = (lambda msg: print(msg, file=sys.stderr, flush=True)) if args.verbose else None
    t0 = time.monotonic()
    results = soak(args.trials, seed, log)
    print_report(results)
    print(f"\n(took {time.monotonic() - t0:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
