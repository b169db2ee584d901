"""Fleet through SSM documents vs through Ansible: one fault on N namespace hosts, same runtime.

Ours: the fault's SSM document run on every host at once, the way SSM fans a command out (one shell
per host, started together through the SSM agent stand-in, tests/harness/ssm_agent.py, inside each
host with nsenter). Baseline: the `chaos.faults.network_blackhole` module by ansible-playbook with one
fork per host (bench/bench_fleet.py's fleet). The fault is a `network_blackhole` of port 9 for
`FAULT_S` seconds, ended by its own deadline on both paths. Figures, all from the fault records
(this machine's clock):

- `all active`: start (Popen of the commands / of ansible-playbook) -> the last host's `active_at`;
- `spread first→last active`;
- `revert after deadline (last host)`: the latest `reverted_at - reverts_at`, the watchdogs' lateness;
- `guard → reverted` p50/p99 (per host): a guard on the host's own :8080 that the blackhole of :8080
  cuts off, from `active_at` to `reverted_at` (interval 100 ms, timeout 200 ms on both paths).

Sizes: 10 and 30 hosts (quick: 3); `BENCH_SSM_SIZES=10,30,60,100` for more.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from bench.bench_fleet import _make_fleet, _play
from bench.common import BenchSkipped, Context, Row, Stats, namespace_host_harness, percentile

FAULT_S = 6
GUARD = {"stopOnIntervalMs": "100", "stopOnTimeoutMs": "200"}

OURS_INJECT = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: inject
      chaos.faults.network_blackhole:
        ports: [%(port)d]
        duration: %(duration)d
%(guard)s
"""
ANSIBLE_GUARD = """\
        stop_on:
          url: "{{ http_url }}"
          interval_ms: 100
          timeout_ms: 200
        force: true
"""


def _epoch(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _wait_records(hosts: list[Any], ids: dict[str, str], timeout: float) -> dict[str, dict]:
    deadline = time.time() + timeout
    while True:
        recs = {}
        for h in hosts:
            rec = next((r for r in h.fault_records() if r.get("fault_id") == ids[h.name]), None)
            if rec and rec.get("reverted_at"):
                recs[h.name] = rec
        if len(recs) == len(hosts) or time.time() > deadline:
            missing = [h.name for h in hosts if h.name not in recs]
            if missing:
                raise RuntimeError(f"not reverted in {timeout}s on {', '.join(missing[:5])}")
            return recs
        time.sleep(0.2)


def _document_round(doc: dict, hosts: list[Any], work: Path, params: dict[str, str]) -> tuple[float, dict]:
    from tests.harness.ssm_agent import send_command

    t0 = time.time()
    invs = {h.name: send_command(doc, params(h) if callable(params) else params, workdir=work,
                                 prefix=["nsenter", "-t", str(h.init_pid), "-n", "-m", "-p", "--"])
            for h in hosts}
    ids: dict[str, str] = {}
    deadline = time.time() + 120
    while len(ids) < len(hosts) and time.time() < deadline:
        for name, inv in invs.items():
            if name not in ids and inv.lines():
                ids[name] = json.loads(inv.lines()[0])["fault_id"]
        time.sleep(0.05)
    if len(ids) < len(hosts):
        raise RuntimeError(f"document path: {len(hosts) - len(ids)} hosts never reported; "
                           + next(iter(i.stderr for i in invs.values() if i.stderr), ""))
    recs = _wait_records(hosts, ids, FAULT_S + 120)
    for inv in invs.values():
        inv.wait(timeout=60)
    return t0, recs


def _ansible_round(ansible: Any, harness_ansible: Any, book: Path, hosts: list[Any], inventory: Path
                   ) -> tuple[float, dict]:
    t0, _wall, result = _play(ansible, harness_ansible, book, inventory, len(hosts))
    ids = {h.name: result.task("inject", h.name)["fault_id"] for h in hosts}
    return t0, _wait_records(hosts, ids, FAULT_S + 120)


def _figures(t0: float, recs: dict[str, dict]) -> dict[str, float]:
    active = [_epoch(r["active_at"]) for r in recs.values()]
    late = [_epoch(r["reverted_at"]) - _epoch(r["reverts_at"]) for r in recs.values()]
    return {"all active": max(active) - t0, "spread first→last active": max(active) - min(active),
            "revert after deadline (last host)": max(late)}


def _guard_latencies(recs: dict[str, dict]) -> list[float]:
    out = []
    for r in recs.values():
        if r.get("reverted_by") != "guard":
            raise RuntimeError(f"{r['fault_id']} ended by {r.get('reverted_by')}, not the guard")
        out.append((_epoch(r["reverted_at"]) - _epoch(r["active_at"])) * 1000)
    return out


def collect(ctx: Context) -> list[Row]:
    harness_ansible, harness_hosts = namespace_host_harness("namespace hosts")
    from chaos_pulumi.fleet.ssm_document import build_document

    sizes = [3] if ctx.quick else [int(s) for s in os.environ.get("BENCH_SSM_SIZES", "10,30").split(",")]
    if any(s > 100 for s in sizes):
        raise BenchSkipped("BENCH_SSM_SIZES: at most 100 hosts")
    rounds = ctx.rounds_for(full=min(ctx.rounds, 2), quick=1)
    work = ctx.scratch("ssm_fleet")
    doc = build_document("network_blackhole").content
    ansible = harness_ansible.AnsibleEnv(root=harness_ansible.collections_root(work / "ansible"),
                                         env=harness_ansible.ansible_environment(work / "ansible"))
    books = {}
    for name, guard in (("plain", ""), ("guard", ANSIBLE_GUARD)):
        port = 8080 if guard else 9
        books[name] = work / f"ansible-{name}.yml"
        books[name].write_text(OURS_INJECT % {"port": port, "duration": FAULT_S if not guard else 60,
                                              "guard": guard})
    rows: list[Row] = []
    factory = harness_hosts.HostFactory(work / "hosts")
    try:
        for size in sizes:
            ctx.log(f"ssm_fleet: making {size} namespace hosts")
            hosts, inventory = _make_fleet(factory, size, work)
            figs: dict[str, dict[str, list[float]]] = {"doc": {}, "ansible": {}}
            guard_ms: dict[str, list[float]] = {"doc": [], "ansible": []}
            for r in range(rounds):
                for who in (("doc", "ansible") if r % 2 == 0 else ("ansible", "doc")):
                    ctx.log(f"ssm_fleet: {size} hosts, round {r + 1}/{rounds}, {who}")
                    if who == "doc":
                        t0, recs = _document_round(doc, hosts, work, {"duration": str(FAULT_S), "ports": "9"})
                    else:
                        t0, recs = _ansible_round(ansible, harness_ansible, books["plain"], hosts, inventory)
                    for metric, value in _figures(t0, recs).items():
                        figs[who].setdefault(metric, []).append(value)
                    if who == "doc":
                        _t, grecs = _document_round(
                            doc, hosts, work,
                            lambda h: {"duration": "60", "ports": "8080", "stopOnUrl": h.url(),
                                       "force": "true", **GUARD})
                    else:
                        _t, grecs = _ansible_round(ansible, harness_ansible, books["guard"], hosts, inventory)
                    guard_ms[who].extend(_guard_latencies(grecs))
            case = f"{size} hosts"
            for metric in figs["doc"]:
                rows.append(Row(case, metric, "s", Stats.of(figs["doc"][metric]),
                                Stats.of(figs["ansible"][metric]),
                                "chaos.faults module by ansible-playbook, forks = hosts"))
            for q in (50, 99):
                d, a = sorted(guard_ms["doc"]), sorted(guard_ms["ansible"])
                rows.append(Row(case, f"guard → reverted p{q} (per host)", "ms", Stats.of([percentile(d, q)]),
                                Stats.of([percentile(a, q)]), "same runtime via Ansible",
                                note=f"{len(d)} / {len(a)} faults"))
            ctx.extra[f"{size}_hosts_guard_ms"] = {"doc": guard_ms["doc"], "ansible": guard_ms["ansible"]}
            factory.teardown()
    finally:
        factory.teardown()
    return rows


if __name__ == "__main__":
    raise SystemExit("run it through the suite: .venv/bin/python bench/run.py --only ssm_fleet")
