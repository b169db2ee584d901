"""Real faults on several namespace hosts reached by the real ansible-playbook over real SSH.

Each host (tests/harness/hosts.py) has its own network stack, sshd, demo HTTP service, processes
and /run/chaos-faults. The tests look at the hosts from outside the system under test: HTTP and TCP
from the machine, ``nft``/``tc``/``ps`` run inside the host with nsenter, the fault records.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.harness import hosts as hosts_harness
from tests.harness.ansible import VENV_BIN, AnsibleEnv, kill_playbook, run_playbook
from tests.harness.hosts import TestHosts, iptables_rules, leftovers, ruleset, ts, wait_until

test_hosts = hosts_harness.test_hosts

PLAYBOOKS = Path(__file__).parent / "playbooks" / "multihost"


def test_blackhole_on_two_of_three_hosts_then_restored(test_hosts, ansible: AnsibleEnv) -> None:
    hosts: TestHosts = test_hosts(3)
    h1, h2, h3 = hosts
    assert all(h.http_get()[0] == 200 for h in hosts)

    result = run_playbook(
        PLAYBOOKS / "blackhole.yml",
        ansible,
        inventory=hosts.inventory,
        args=["--limit", "h1,h2"],
        extra_vars={"state": "present", "duration": 120},
    )
    assert result.rc == 0, result.output
    ids = {}
    for h in (h1, h2):
        r = result.task("blackhole the demo service", h.name)
        assert r["changed"] is True and r["fault"] == "network_blackhole"
        ids[h.name] = r["fault_id"]
        assert h.http_get(timeout=1.0)[0] is None, f"{h.name} still answers HTTP"
        assert ruleset(h) or iptables_rules(h)
        # the SSH path Ansible uses is excluded: a brand-new SSH connection still works
        assert hosts.ssh(h, "echo still-here").stdout.strip() == "still-here"
    assert h3.http_get()[0] == 200  # not in the play
    assert not ruleset(h3)

    result = run_playbook(
        PLAYBOOKS / "blackhole.yml",
        ansible,
        inventory=hosts.inventory,
        args=["--limit", "h1,h2"],
        extra_vars={"state": "absent"},
    )
    assert result.rc == 0, result.output
    for h in (h1, h2):
        assert result.task("blackhole the demo service", h.name)["reverted"] == [ids[h.name]]
        assert h.http_get()[0] == 200
        wait_until(lambda h=h: leftovers(h) == [], 5, 0.1, f"{h.name} to be clean: {leftovers(h)}")
        [rec] = [r for r in h.fault_records() if r["fault_id"] == ids[h.name]]
        assert rec["reverted_by"] == "absent"


def test_guard_violation_reverts_within_one_second(test_hosts, ansible: AnsibleEnv) -> None:
    hosts = test_hosts(2)
    h1, h2 = hosts
    result = run_playbook(
        PLAYBOOKS / "guarded_cpu.yml", ansible, inventory=hosts.inventory, extra_vars={"duration": 120}
    )
    assert result.rc == 0, result.output
    fault_ids = {
        h.name: result.task("load the CPU, guarded by the demo service", h.name)["fault_id"] for h in hosts
    }
    wait_until(lambda: any("cpu" in p or "stress" in p for p in leftovers(h1)), 5, what="CPU workers on h1")

    # break h1's steady state only: its demo service starts answering 503
    broken_at = time.time()
    req = urllib.request.Request(h1.url("/admin/status/503"), method="POST")
    with urllib.request.urlopen(req, timeout=2) as resp:  # noqa: S310 - namespace test address
        assert resp.status == 200

    def reverted():
        recs = [r for r in h1.fault_records() if r["fault_id"] == fault_ids["h1"] and r.get("reverted_at")]
        return recs[0] if recs else None

    rec = wait_until(reverted, 10, 0.05, "the guard to revert h1's fault")
    latency = ts(rec["reverted_at"]) - broken_at
    print(f"guard violation -> revert complete: {latency * 1000:.0f} ms")
    assert rec["reverted_by"] == "guard"
    assert rec["guard_violation"]["check"] == "url"
    assert latency <= 1.0, f"revert took {latency:.2f}s after the violation"
    wait_until(lambda: leftovers(h1) == [], 5, 0.1, f"h1 to be clean: {leftovers(h1)}")
    # h2's guard still holds, so its fault is still there
    [rec2] = [r for r in h2.fault_records() if r["fault_id"] == fault_ids["h2"]]
    assert not rec2.get("reverted_at")
    result = run_playbook(
        PLAYBOOKS / "guarded_cpu.yml", ansible, inventory=hosts.inventory, extra_vars={"state": "absent"}
    )
    assert result.rc == 0, result.output
    wait_until(lambda: leftovers(h2) == [], 5, 0.1, f"h2 to be clean: {leftovers(h2)}")


def test_kill_9_of_ansible_playbook_mid_fault_leaves_nothing_behind(test_hosts, ansible: AnsibleEnv) -> None:
    hosts = test_hosts(2)
    duration = 12
    command = [
        str(VENV_BIN / "ansible-playbook"),
        "-i",
        str(hosts.inventory),
        str(PLAYBOOKS / "three_faults.yml"),
        "-e",
        json.dumps({"duration": duration}),
    ]
    log = hosts.workdir / "three_faults.log"
    with open(log, "wb") as out_file:
        proc = subprocess.Popen(
            command, env=ansible.env, stdout=out_file, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:

        def all_injected():
            recs = {h.name: h.fault_records() for h in hosts}
            return all(
                len(rs) == 3
                and any(r["fault"] == "network_blackhole" and not r.get("reverted_at") for r in rs)
                for rs in recs.values()
            )

        try:
            wait_until(all_injected, 90, 0.1, "three faults on every host")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{[h.fault_records() for h in hosts]}\n{log.read_text()}") from None
    finally:
        # the whole ansible-playbook process group (workers, ssh clients) dies at once
        kill_playbook(proc)  # ansible-playbook and its detached workers, as a crash would
    out = log.read_text(errors="replace")
    assert proc.returncode == -signal.SIGKILL, out

    records = {h.name: h.fault_records() for h in hosts}
    for h in hosts:
        assert ruleset(h) or iptables_rules(h), "the blackhole should still be active right after the kill"
        assert h.http_get(timeout=1.0)[0] is None
    deadline = max(ts(r["reverts_at"]) for recs in records.values() for r in recs)
    time.sleep(max(0.0, deadline - time.time()))

    for h in hosts:
        wait_until(lambda h=h: leftovers(h) == [], 10, 0.2, f"{h.name} to be clean: {leftovers(h)}")
        assert h.http_get()[0] == 200
        recs = h.fault_records()
        assert sorted(r["fault"] for r in recs) == ["cpu_stress", "disk_fill", "network_blackhole"]
        assert {r["reverted_by"] for r in recs} == {"duration"}
        for r in recs:  # reverted at its deadline, not before
            assert ts(r["reverted_at"]) >= ts(r["reverts_at"]) - 0.5


@pytest.fixture(autouse=True)
def _require_faults_collection() -> None:
    missing = [
        m
        for m in ("network_blackhole", "cpu_stress", "disk_fill", "fault_status")
        if not (hosts_harness.ROOT / f"ansible_collection/plugins/modules/{m}.py").exists()
    ]
    if missing:
        pytest.fail(f"chaos.faults modules missing: {missing}")
