"""Fleet: one fault on 1, 10 and 30 test hosts at once, through ansible-playbook with one fork per host.

The hosts are network namespaces with their own sshd, PID and mount namespace
(`tests/harness/hosts.py`); Ansible reaches them over real SSH. The fault is a `network_blackhole`
of the host's HTTP port (8080, ingress), reverted with `state: absent`.

Baseline: what a user would write without chaos.faults — the same nftables rule added and deleted
with `ansible.builtin.command` (no recorded fault, no watchdog, no guard). The difference is the
cost of our safety machinery. Figures, from the start of `ansible-playbook` (all clocks are this
machine's, so host timestamps compare):

- `all injected`: until the last host had the fault active (ours: `active_at` of each fault record;
  baseline: the `end` time of the nft command on each host),
- `spread first→last`: between the first and the last host injected,
- `all reverted`: from the start of the revert playbook until the last host was clean (ours: the
  records' `reverted_at`; baseline: the `end` of `nft delete table`),
- `inject playbook` / `revert playbook`: the wall time of each ansible-playbook run.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import BenchSkipped, Context, Row, Stats, namespace_host_harness

BLACKHOLE_PORT = 8080
FAULT_DURATION_S = 300  # long enough that only our `state: absent` ends it within a round

OURS_INJECT = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: inject
      chaos.faults.network_blackhole:
        ports: [%(port)d]
        protocol: tcp
        direction: ingress
        duration: %(duration)d
"""

OURS_REVERT = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: revert
      chaos.faults.network_blackhole:
        state: absent
"""

NFT_RULES = (
    "table inet chaosbench {\n"
    "  chain input { type filter hook input priority -10; policy accept;\n"
    "    tcp dport %(port)d drop\n"
    "  }\n"
    "}\n"
)

BASELINE_INJECT = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: inject
      ansible.builtin.command:
        argv: [nft, -f, "-"]
        stdin: %(rules)s
"""

BASELINE_REVERT = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: revert
      ansible.builtin.command:
        argv: [nft, delete, table, inet, chaosbench]
"""


def _epoch(stamp: str) -> float:
    """ISO-8601 (ours, UTC) or ansible.builtin.command's local `YYYY-MM-DD HH:MM:SS.ffffff`."""
    text = stamp.replace("Z", "+00:00")
    dt = datetime.fromisoformat(text)
    return dt.timestamp()  # naive = local time, which is how the command module writes it


def _prerequisites() -> tuple[Any, Any]:
    harness_ansible, harness_hosts = namespace_host_harness("namespace hosts")
    module = Path(harness_ansible.COLLECTION_SRC) / "plugins" / "modules" / "network_blackhole.py"
    if not module.exists():
        raise BenchSkipped("chaos.faults.network_blackhole is not there yet")
    return harness_ansible, harness_hosts


def _make_fleet(factory: Any, count: int, work: Path) -> tuple[list[Any], Path]:
    """`count` hosts in groups of at most 15 (the harness makes up to 20 per bridge), and one
    inventory for all of them. Each group has its own SSH key in its inventory's `all` vars, so the
    merged inventory moves the key to each host (two `-i` files would let the last key win)."""
    hosts: list[Any] = []
    merged: dict[str, Any] = {"all": {"hosts": {}, "vars": {}}}
    group_no = 0
    while len(hosts) < count:
        n = min(15, count - len(hosts))
        group_no += 1
        group = factory(n, names=[f"g{group_no}h{i + 1}" for i in range(n)])
        hosts.extend(group.hosts)
        inventory = json.loads(group.inventory.read_text())["all"]
        group_vars = dict(inventory["vars"])
        key = group_vars.pop("ansible_ssh_private_key_file")
        merged["all"]["vars"].update(group_vars)
        for name, host_vars in inventory["hosts"].items():
            merged["all"]["hosts"][name] = {**host_vars, "ansible_ssh_private_key_file": key}
    path = work / f"inventory-{count}.json"
    path.write_text(json.dumps(merged, indent=2))
    return hosts, path


def _play(ansible: Any, harness_ansible: Any, playbook: Path, inventory: Path, forks: int) -> Any:
    """Run a playbook over the fleet; returns (t0 epoch, wall seconds, PlaybookResult)."""
    t0 = time.time()
    p0 = time.perf_counter()
    result = harness_ansible.run_playbook(playbook, ansible, inventory=inventory, args=["-f", str(forks)],
                                          timeout=900)
    wall = time.perf_counter() - p0
    if result.rc != 0:
        raise RuntimeError(f"{playbook.name} failed:\n{result.output[-4000:]}")
    return t0, wall, result


def _host_results(result: Any, task: str, hosts: list[Any]) -> list[dict[str, Any]]:
    return [result.task(task, host.name) for host in hosts]


def collect(ctx: Context) -> list[Row]:
    harness_ansible, harness_hosts = _prerequisites()
    sizes = (1, 3) if ctx.quick else (1, 10, 30)
    rounds = ctx.rounds_for(full=min(ctx.rounds, 3), quick=1)
    work = ctx.scratch("fleet")
    ansible = harness_ansible.AnsibleEnv(
        root=harness_ansible.collections_root(work / "ansible"),
        env=harness_ansible.ansible_environment(work / "ansible"),
    )
    books = {}
    for name, text in (
        ("ours-inject", OURS_INJECT % {"port": BLACKHOLE_PORT, "duration": FAULT_DURATION_S}),
        ("ours-revert", OURS_REVERT),
        ("baseline-inject", BASELINE_INJECT % {"rules": json.dumps(NFT_RULES % {"port": BLACKHOLE_PORT})}),
        ("baseline-revert", BASELINE_REVERT),
    ):
        books[name] = work / f"{name}.yml"
        books[name].write_text(text)

    rows: list[Row] = []
    factory = harness_hosts.HostFactory(work / "hosts")
    try:
        for size in sizes:
            ctx.log(f"fleet: making {size} namespace hosts")
            hosts, inventory = _make_fleet(factory, size, work)
            forks = size
            figures: dict[str, dict[str, list[float]]] = {"ours": {}, "baseline": {}}
            for r in range(rounds):
                order = ("ours", "baseline") if r % 2 == 0 else ("baseline", "ours")
                for who in order:
                    ctx.log(f"fleet: {size} hosts, round {r + 1}/{rounds}, {who}")
                    for metric, value in _round(ansible, harness_ansible, books, who, hosts, inventory,
                                                forks).items():
                        figures[who].setdefault(metric, []).append(value)
            for metric in figures["ours"]:
                unit = "s"
                rows.append(Row(f"{size} host{'s' if size > 1 else ''}, forks {forks}", metric, unit,
                                Stats.of(figures["ours"][metric]), Stats.of(figures["baseline"][metric]),
                                "ansible.builtin.command + nft"))
            factory.teardown()
    finally:
        factory.teardown()
    return rows


def _round(ansible: Any, harness_ansible: Any, books: dict[str, Path], who: str, hosts: list[Any],
           inventory: Path, forks: int) -> dict[str, float]:
    t0, inject_wall, inject = _play(ansible, harness_ansible, books[f"{who}-inject"], inventory, forks)
    blocked = [h.name for h in hosts if h.tcp_open(BLACKHOLE_PORT, timeout=0.5)]
    if blocked:
        raise RuntimeError(f"{who}: port {BLACKHOLE_PORT} still open after inject on {', '.join(blocked)}")
    t1, revert_wall, revert = _play(ansible, harness_ansible, books[f"{who}-revert"], inventory, forks)
    if who == "ours":
        results = _host_results(inject, "inject", hosts)
        ids = {h.name: r["fault_id"] for h, r in zip(hosts, results, strict=True)}
        injected, reverted = [], []
        for host in hosts:
            [rec] = [rec for rec in host.fault_records() if rec.get("fault_id") == ids[host.name]]
            if not rec.get("reverted_at"):
                raise RuntimeError(f"ours: fault {ids[host.name]} on {host.name} not reverted")
            injected.append(_epoch(rec.get("active_at") or rec["started_at"]))
            reverted.append(_epoch(rec["reverted_at"]))
    else:
        injected = [_epoch(r["end"]) for r in _host_results(inject, "inject", hosts)]
        reverted = [_epoch(r["end"]) for r in _host_results(revert, "revert", hosts)]
    still = [h.name for h in hosts if not h.tcp_open(BLACKHOLE_PORT, timeout=2)]
    if still:
        raise RuntimeError(f"{who}: port {BLACKHOLE_PORT} still blocked after revert on {', '.join(still)}")
    return {
        "all injected": max(injected) - t0,
        "spread first→last injected": max(injected) - min(injected),
        "all reverted": max(reverted) - t1,
        "inject playbook": inject_wall,
        "revert playbook": revert_wall,
    }


if __name__ == "__main__":
    raise SystemExit("run it through the suite: .venv/bin/python bench/run.py --only fleet")
