"""The host-fault runtime without Ansible: its CLI injects, lists and reverts real faults on this kernel.

The same fault modules Ansible runs are loaded by the runtime's CLI, run by the system Python, which
has no Ansible (the way an SSM document will run it): once as `python3 -m <runtime package>` from a
collections directory, and as the zipapp `bundle.py` builds, with nothing else on the path. Each test
has its own record and fill directories and loopback HTTP server.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ansible.host_fault_helpers import (
    HealthServer,
    collection_with_docs_example,
    need,
    proc_state,
    read_record,
    sleeper,
    wait_reverted,
)
from tests.harness.ansible import ROOT, collections_root

COLLECTIONS = collections_root(ROOT / "build" / "unit-collections")
sys.path.insert(0, str(COLLECTIONS))
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime import bundle  # noqa: E402
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.clock import (  # noqa: E402
    parse_iso,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.procs import (  # noqa: E402
    group_members,
    process_alive,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.records import (  # noqa: E402
    RecordStore,
    is_active,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.revert import (  # noqa: E402
    revert_fault,
)

RUNTIME = "ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime"
SYSTEM_PYTHON = "/usr/bin/python3"
CLEAN_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}

pytestmark = [pytest.mark.root]


@pytest.fixture(autouse=True)
def _prerequisites() -> None:
    need(os.geteuid() == 0, "real host faults need root")
    need(os.path.exists(SYSTEM_PYTHON), f"{SYSTEM_PYTHON} is not there")
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import ansible"], capture_output=True, env=CLEAN_ENV)
    need(probe.returncode != 0, f"{SYSTEM_PYTHON} has Ansible; these tests want a Python without it")


@pytest.fixture
def record_dir(tmp_path: Path) -> Iterator[Path]:
    d = tmp_path / "records"
    yield d
    store = RecordStore(str(d))
    for rec in store.all():
        if is_active(rec):
            revert_fault(store, rec["fault_id"], "absent")


@pytest.fixture(scope="module")
def pyz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "chaos-faults.pyz"
    path.write_bytes(bundle.build())
    return path


def module_cli(*args: str) -> list[str]:
    return [SYSTEM_PYTHON, "-m", RUNTIME, *args]


def zipapp_cli(pyz: Path, *args: str) -> list[str]:
    return [SYSTEM_PYTHON, "-I", str(pyz), *args]


def run(argv: list[str], pythonpath: bool = False) -> tuple[int, list[dict[str, Any]], str]:
    """(exit status, the JSON lines printed, stderr)."""
    env = dict(CLEAN_ENV, PYTHONPATH=str(COLLECTIONS)) if pythonpath else CLEAN_ENV
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd="/", timeout=120)
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()], proc.stderr


def test_inject_status_revert_with_python_m(record_dir: Path, tmp_path: Path) -> None:
    fill = tmp_path / "fill"
    fill.mkdir()
    inject = module_cli("inject", "disk_fill", "--path", str(fill), "--size", "8M", "--reserve", "1M",
                        "--duration", "300", "--record-dir", str(record_dir))
    rc, [res], err = run(inject, pythonpath=True)
    assert rc == 0, err
    target = Path(res["injected"]["file"])
    assert target.parent == fill and target.stat().st_blocks * 512 >= 8 * 2**20
    assert process_alive(res["watchdog_pid"])

    rc, [status], _ = run(module_cli("status", "--active", "--record-dir", str(record_dir)), pythonpath=True)
    assert rc == 0 and status["active"] == [res["fault_id"]]
    assert status["faults"][0]["params"]["size"] == "8M"

    rc, [out], _ = run(module_cli("revert", res["fault_id"], "--record-dir", str(record_dir)),
                       pythonpath=True)
    assert rc == 0 and out["reverted"] == [res["fault_id"]] and out["active"] == []
    assert not target.exists()
    rec = read_record(record_dir, res["fault_id"])
    assert (rec["reverted_by"], rec["revert_errors"]) == ("revert", [])
    deadline = time.time() + 5
    while process_alive(res["watchdog_pid"]) and time.time() < deadline:
        time.sleep(0.05)
    assert not process_alive(res["watchdog_pid"]), "the watchdog did not exit after the revert"

    rc, [again], _ = run(module_cli("revert", "--all", "--record-dir", str(record_dir)), pythonpath=True)
    assert rc == 0 and again["reverted"] == []  # harmless twice
    rc, [unknown], err = run(module_cli("revert", "nosuchfault", "--record-dir", str(record_dir)),
                             pythonpath=True)
    assert rc == 1 and "no fault record nosuchfault" in unknown["msg"] and "nosuchfault" in err


def test_sigkill_of_the_blocking_command_reverts_at_once(pyz: Path, record_dir: Path) -> None:
    """What FIS does when it stops an experiment: the SSM agent SIGKILLs the command's process group.

    The fault is bound to the `--wait` command (pid and start time in the record), so its watchdog,
    in a session of its own and untouched by the kill, reverts it within a check interval.
    """
    duration = 60
    proc = subprocess.Popen(
        zipapp_cli(pyz, "inject", "cpu_stress", "--engine", "builtin", "--workers", "1", "--load", "20",
                   "--duration", str(duration), "--record-dir", str(record_dir), "--wait"),
        stdout=subprocess.PIPE, text=True, env=CLEAN_ENV, cwd="/", start_new_session=True,
    )
    assert proc.stdout is not None
    res = json.loads(proc.stdout.readline())
    assert res["record"]["state"] == "active" and group_members(res["injected"]["pgid"])
    assert res["record"]["bound_to"]["pid"] == proc.pid
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = time.time()
    rec = wait_reverted(record_dir, res["fault_id"], timeout=5)
    assert rec["reverted_by"] == "command-gone" and rec["revert_errors"] == []
    assert parse_iso(rec["reverted_at"]) - killed_at < 2.0, "reverted at once, not at the deadline"
    assert group_members(res["injected"]["pgid"]) == []
    deadline = time.time() + 5
    while process_alive(res["watchdog_pid"]) and time.time() < deadline:
        time.sleep(0.05)
    assert not process_alive(res["watchdog_pid"])


def test_without_wait_the_fault_outlives_its_command_until_the_deadline(pyz: Path, record_dir: Path) -> None:
    """The deadline guarantee: a fault injected without --wait is not bound to the command that made it."""
    duration = 4
    argv = zipapp_cli(pyz, "inject", "cpu_stress", "--engine", "builtin", "--workers", "1", "--load", "20",
                      "--duration", str(duration), "--record-dir", str(record_dir))
    rc, [res], err = run(argv)
    assert rc == 0, err
    assert res["record"]["bound_to"] is None
    assert is_active(read_record(record_dir, res["fault_id"])), "the fault ended with the command"
    rec = wait_reverted(record_dir, res["fault_id"], timeout=duration + 8)
    assert rec["reverted_by"] == "duration" and rec["revert_errors"] == []
    assert group_members(res["injected"]["pgid"]) == []


def test_wait_exit_status_says_how_the_fault_ended(pyz: Path, record_dir: Path) -> None:
    health = HealthServer()
    try:
        common = ["--engine", "builtin", "--workers", "1", "--load", "10", "--record-dir", str(record_dir),
                  "--wait"]
        rc, lines, err = run(zipapp_cli(pyz, "inject", "cpu_stress", "--duration", "1", *common))
        assert rc == 0, err
        assert lines[-1]["ended"]["reverted_by"] == "duration"

        proc = subprocess.Popen(
            zipapp_cli(pyz, "inject", "cpu_stress", "--duration", "60", "--stop-on-url", health.url,
                       "--stop-on-interval-ms", "50", *common),
            stdout=subprocess.PIPE, text=True, env=CLEAN_ENV, cwd="/",
        )
        assert proc.stdout is not None
        res = json.loads(proc.stdout.readline())
        health.set_status(503)
        assert proc.wait(timeout=15) == 3  # a guard reverted it early
        assert json.loads(proc.stdout.readline())["ended"]["reverted_by"] == "guard"
        assert group_members(res["injected"]["pgid"]) == []

        health.set_status(200)
        proc = subprocess.Popen(zipapp_cli(pyz, "inject", "cpu_stress", "--duration", "60", *common),
                                stdout=subprocess.PIPE, text=True, env=CLEAN_ENV, cwd="/")
        assert proc.stdout is not None
        res = json.loads(proc.stdout.readline())
        proc.send_signal(signal.SIGTERM)  # the command was cancelled: revert now, not at the deadline
        assert proc.wait(timeout=15) == 4
        assert json.loads(proc.stdout.readline())["ended"]["reverted_by"] == "signal"
        assert group_members(res["injected"]["pgid"]) == []
    finally:
        health.close()


def test_network_blackhole_from_the_zipapp(pyz: Path, record_dir: Path) -> None:
    need(shutil.which("nft") is not None, "nft is not installed")
    rc, [res], err = run(zipapp_cli(pyz, "inject", "network_blackhole", "--ports", "9", "--destinations",
                                    "127.0.0.9", "--duration", "60", "--record-dir", str(record_dir)))
    assert rc == 0, err
    table = res["injected"]["table"]
    tables = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
    assert table in tables
    rc, [out], _ = run(zipapp_cli(pyz, "revert", "--all", "--record-dir", str(record_dir)))
    assert rc == 0 and out["reverted"] == [res["fault_id"]]
    assert table not in subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout


def test_the_docs_example_fault_through_the_cli(tmp_path: Path, record_dir: Path) -> None:
    """docs/host-faults.md "Adding a fault", exactly as written, run by the CLI with a bare Python."""
    root = collection_with_docs_example(tmp_path / "collections")
    victim, name = sleeper(tmp_path)
    try:
        cli = subprocess.Popen(
            [SYSTEM_PYTHON, "-m", RUNTIME, "inject", "process_pause", "--name", name, "--duration", "2",
             "--record-dir", str(record_dir), "--wait"],
            stdout=subprocess.PIPE, text=True, env=dict(CLEAN_ENV, PYTHONPATH=str(root)), cwd="/",
        )
        assert cli.stdout is not None
        res = json.loads(cli.stdout.readline())
        assert res["injected"]["pids"] == [victim.pid]
        assert proc_state(victim.pid, "T") == "T"  # stopped
        assert cli.wait(timeout=15) == 0  # ran its whole duration
        assert json.loads(cli.stdout.readline())["ended"]["reverted_by"] == "duration"
        assert proc_state(victim.pid, "S") == "S"  # continued: sleeping again
    finally:
        victim.kill()
        victim.wait()
