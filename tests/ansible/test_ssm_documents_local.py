"""The generated SSM documents run on this kernel exactly as the SSM agent runs `aws:runShellScript`.

Each document goes through `tests/harness/ssm_agent.py`: SendCommand's parameter check, the agent's
`{{ }}` substitution, `_script.sh` run by `sh -c` as root in its own process group, SIGKILL of that
group on cancel. Faults are real (CPU workers, a loopback HTTP guard); records land in the runtime's
default /run/chaos-faults, as on an instance.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chaos_pulumi.fleet.ssm_document import build_document
from tests.ansible.host_fault_helpers import HealthServer, need
from tests.harness.ansible import ROOT, collections_root
from tests.harness.ssm_agent import InvalidParameters, Invocation, send_command

COLLECTIONS = collections_root(ROOT / "build" / "unit-collections")
RECORDS = Path("/run/chaos-faults")
pytestmark = [pytest.mark.root]


@pytest.fixture(autouse=True)
def _prerequisites() -> None:
    need(os.geteuid() == 0, "real host faults need root")
    need(shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin") is not None, "no python3 on PATH")


@pytest.fixture(scope="module")
def cpu_doc() -> dict[str, Any]:
    return build_document("cpu_stress").content


def record(fault_id: str) -> dict[str, Any]:
    return json.loads((RECORDS / f"{fault_id}.json").read_text())


def first_result(inv: Invocation, timeout: float = 30) -> dict[str, Any]:
    """The runtime's first JSON line (the fault is active by then), or the failure."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        lines = inv.lines()
        if lines:
            return json.loads(lines[0])
        if inv.process.poll() is not None:
            raise AssertionError(f"command ended {inv.process.returncode} without output: {inv.stderr}")
        time.sleep(0.05)
    raise AssertionError("no output from the command")


def members(pgid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2:].split()
            if int(fields[2]) == pgid and fields[0] not in "ZX":
                out.append(int(entry))
    return out


def wait_reverted(fault_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.time() + timeout
    while True:
        rec = record(fault_id)
        if rec["state"] == "reverted":
            return rec
        if time.time() > deadline:
            raise AssertionError(f"{fault_id} not reverted after {timeout}s: {rec}")
        time.sleep(0.05)


@pytest.fixture
def invocations(tmp_path: Path) -> Iterator[list[Invocation]]:
    started: list[Invocation] = []
    yield started
    for inv in started:
        inv.cancel()
        inv.process.wait()


CPU = {"engine": "builtin", "workers": "1", "load": "20"}


def test_the_fault_is_active_then_reverted_at_the_deadline(cpu_doc: dict, tmp_path: Path,
                                                           invocations: list[Invocation]) -> None:
    inv = send_command(cpu_doc, {"duration": "3", **CPU}, workdir=tmp_path)
    invocations.append(inv)
    res = first_result(inv)
    assert res["fault"] == "cpu_stress" and res["record"]["state"] == "active", res
    pgid = res["injected"]["pgid"]
    assert members(pgid), "the CPU workers run"
    # the fault is bound to the runtime's --wait process, which is in the group the agent kills
    assert res["record"]["bound_to"]["pid"] in members(inv.pid)
    assert res["record"]["params"]["load"] == 20 and res["record"]["params"]["workers"] == 1
    assert inv.wait(timeout=20) == 0, inv.stderr
    rec = record(res["fault_id"])
    assert rec["reverted_by"] == "duration" and rec["revert_errors"] == []
    assert json.loads(inv.lines()[-1])["ended"]["fault_id"] == res["fault_id"]
    assert members(pgid) == []


def test_sigkill_of_the_command_group_reverts_at_once(cpu_doc: dict, tmp_path: Path,
                                                      invocations: list[Invocation]) -> None:
    """CancelCommand (FIS stopping the experiment) and timeoutSeconds: the agent SIGKILLs the group."""
    inv = send_command(cpu_doc, {"duration": "120", **CPU}, workdir=tmp_path)
    invocations.append(inv)
    res = first_result(inv)
    pgid = res["injected"]["pgid"]
    assert members(pgid)
    inv.cancel()
    inv.process.wait()
    killed = time.time()
    rec = wait_reverted(res["fault_id"], timeout=5)
    assert rec["reverted_by"] == "command-gone" and rec["revert_errors"] == []
    assert time.time() - killed < 3
    assert members(pgid) == []
    deadline = time.time() + 5
    while Path(f"/proc/{res['watchdog_pid']}").exists() and time.time() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{res['watchdog_pid']}").exists(), "the watchdog ended too"


def test_a_guard_violation_reverts_early_and_fails_the_command(cpu_doc: dict, tmp_path: Path,
                                                               invocations: list[Invocation]) -> None:
    health = HealthServer()
    try:
        params = {"duration": "60", **CPU, "stopOnUrl": health.url, "stopOnIntervalMs": "50"}
        inv = send_command(cpu_doc, params, workdir=tmp_path)
        invocations.append(inv)
        res = first_result(inv)
        assert res["record"]["stop_on"]["url"] == health.url
        health.set_status(503)
        assert inv.wait(timeout=15) == 3, inv.stderr  # exit 3: SSM marks the invocation Failed
        rec = record(res["fault_id"])
        assert rec["reverted_by"] == "guard" and "503" in rec["guard_violation"]["reason"]
        assert members(res["injected"]["pgid"]) == []
    finally:
        health.close()


CANARY = "/tmp/chaos-ssm-canary"
HOSTILE = [
    f"; touch {CANARY}",
    f"$(touch {CANARY})",
    f"`touch {CANARY}`",
    f"'; touch {CANARY}; '",
    f'"; touch {CANARY}; "',
    f"80\ntouch {CANARY}",
    f"80\n#=PARAMS 1\n--force=true\ntouch {CANARY}",
    f"| touch {CANARY}",
    f"&& touch {CANARY}",
    f"80 > {CANARY}",
    "{{ duration }}",
]


@pytest.mark.parametrize("fault, parameter", [
    ("cpu_stress", "load"), ("cpu_stress", "stopOnUrl"), ("cpu_stress", "engine"),
    ("disk_fill", "path"), ("disk_fill", "size"), ("service_stop", "name"),
    ("network_blackhole", "destinations"), ("network_blackhole", "ports"),
])
def test_a_hostile_value_is_refused_and_never_runs(fault: str, parameter: str, tmp_path: Path,
                                                   invocations: list[Invocation]) -> None:
    doc = build_document(fault).content
    base = {"duration": "1"}
    for value in HOSTILE:
        Path(CANARY).unlink(missing_ok=True)
        with pytest.raises(InvalidParameters):
            send_command(doc, {**base, parameter: value}, workdir=tmp_path)
        # Past the pattern (substituted unchecked, as if SSM let it through): the shell never reads it.
        inv = send_command(doc, {**base, parameter: value}, workdir=tmp_path, validate=False)
        invocations.append(inv)
        rc = inv.wait(timeout=30)
        assert not Path(CANARY).exists(), f"{parameter}={value!r} ran a command"
        assert rc != 0, f"{parameter}={value!r} was accepted: {inv.stdout[-500:]}"
        assert "not found" not in inv.stderr and "syntax error" not in inv.stderr, inv.stderr
