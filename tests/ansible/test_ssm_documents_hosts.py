"""The fault documents on namespace test hosts, sent to several hosts at once the way SSM fans out.

Each host (tests/harness/hosts.py) has its own PID, mount and network namespace, its own
/run/chaos-faults and a demo HTTP service on :8080. The SSM agent stand-in runs the document's script
inside each host (`nsenter`), by `sh -c` in its own process group.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from chaos_pulumi.fleet.ssm_document import build_document
from tests.harness.hosts import leftovers, test_hosts, ts, wait_until  # noqa: F401 - fixture
from tests.harness.ssm_agent import Invocation, send_command

pytestmark = [pytest.mark.root]
PORT = 8080


def in_host(host: Any) -> list[str]:
    return ["nsenter", "-t", str(host.init_pid), "-n", "-m", "-p", "--"]


def first_result(inv: Invocation, timeout: float = 30) -> dict[str, Any]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if inv.lines():
            return json.loads(inv.lines()[0])
        if inv.process.poll() is not None:
            raise AssertionError(f"command ended {inv.process.returncode}: {inv.stderr}")
        time.sleep(0.05)
    raise AssertionError("no output")


def records(host: Any) -> dict[str, dict]:
    return {r["fault_id"]: r for r in host.fault_records()}


def test_blackhole_on_three_hosts_active_then_reverted(test_hosts, tmp_path: Path) -> None:  # noqa: F811
    hosts = test_hosts(3)
    doc = build_document("network_blackhole").content
    invs = [send_command(doc, {"duration": "4", "ports": str(PORT)}, workdir=tmp_path, prefix=in_host(h))
            for h in hosts]
    try:
        results = [first_result(inv) for inv in invs]
        assert all(r["record"]["state"] == "active" for r in results), results
        assert not any(h.tcp_open(PORT, timeout=0.5) for h in hosts), "the port is blackholed on every host"
        assert [inv.wait(timeout=30) for inv in invs] == [0, 0, 0], [inv.stderr for inv in invs]
        for h, r in zip(hosts, results, strict=True):
            rec = records(h)[r["fault_id"]]
            assert rec["reverted_by"] == "duration" and rec["revert_errors"] == []
            assert h.tcp_open(PORT, timeout=2)
            assert leftovers(h) == []
    finally:
        for inv in invs:
            inv.cancel()


def test_sigkill_on_one_host_and_a_guard_on_another(test_hosts, tmp_path: Path) -> None:  # noqa: F811
    hosts = test_hosts(2)
    doc = build_document("network_blackhole").content
    killed = send_command(doc, {"duration": "120", "ports": "9"}, workdir=tmp_path, prefix=in_host(hosts[0]))
    # The guard watches the host's own service, which the fault itself cuts off: a real violation.
    guard = {"duration": "120", "ports": str(PORT), "stopOnUrl": hosts[1].url(), "stopOnIntervalMs": "100",
             "stopOnTimeoutMs": "300"}
    guarded = send_command(doc, guard, workdir=tmp_path, prefix=in_host(hosts[1]))
    try:
        first = first_result(killed)
        killed.cancel()
        killed.process.wait()
        t_kill = time.time()
        rec = wait_until(lambda: (r := records(hosts[0])[first["fault_id"]])["state"] == "reverted" and r,
                         timeout=5, what="revert after SIGKILL")
        assert rec["reverted_by"] == "command-gone" and ts(rec["reverted_at"]) - t_kill < 3
        # the killed shell is a zombie until the host's init reaps it (every 50 ms)
        wait_until(lambda: leftovers(hosts[0]) == [], timeout=3, what=f"nothing left: {leftovers(hosts[0])}")

        assert guarded.wait(timeout=30) == 3, guarded.stderr
        second = json.loads(guarded.lines()[0])
        rec = records(hosts[1])[second["fault_id"]]
        assert rec["reverted_by"] == "guard" and rec["guard_violation"]["reason"]
        assert hosts[1].tcp_open(PORT, timeout=2)
        assert leftovers(hosts[1]) == []
    finally:
        killed.cancel()
        guarded.cancel()
