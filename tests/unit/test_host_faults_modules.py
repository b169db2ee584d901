"""Host-fault module logic with mocked commands: plans, refusals, revert steps, records and probes.

The real injections are tested on the real kernel in tests/ansible/test_host_faults_local.py; here
every command the modules would run is captured instead, so the exact argv lists are checked
without root and without touching the host.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.harness.ansible import ROOT, collections_root

sys.path.insert(0, str(collections_root(ROOT / "build" / "unit-collections")))
from ansible_collections.chaos.faults.plugins.module_utils import probe_samples as probe  # noqa: E402
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime import (  # noqa: E402
    clock,
    errors,
    guards,
    procs,
    records,
    refusals,
    revert,
    runner,
    workloads,
)
from ansible_collections.chaos.faults.plugins.modules import (  # noqa: E402
    cpu_stress,
    disk_fill,
    network_blackhole,
    network_latency,
    process_kill,
    service_stop,
)


class Commands:
    """Stands in for runner.run: records every argv, answers from a table of (prefix -> result)."""

    def __init__(self, answers: dict[tuple, tuple[int, str, str]] | None = None) -> None:
        self.answers = answers or {}
        self.calls: list[list[str]] = []
        self.stdin: list[str | None] = []

    def __call__(self, argv: list, stdin: str | None = None, timeout: float = 60.0) -> tuple[int, str, str]:
        self.calls.append(list(argv))
        self.stdin.append(stdin)
        for prefix, answer in sorted(self.answers.items(), key=lambda kv: -len(kv[0])):
            if tuple(argv[: len(prefix)]) == prefix:
                return answer
        return 0, "", ""


class FakeContext:
    """What the watchdog hands an inject function, without a record store."""

    def __init__(self, fault_id: str = "0123456789ab") -> None:
        self.fault_id = fault_id
        self.reverts: list[dict] = []
        self.deadline = time.time() + 30

    def add_revert(self, step: dict) -> None:
        self.reverts.append(step)


def params(**kw: Any) -> dict[str, Any]:
    base = dict(force=False, state="present", fault_id=None, record_dir="/nonexistent", stop_on=None)
    base.update(kw)
    return base


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> Commands:
    cmds = Commands()
    for mod in (runner, revert, guards, service_stop, network_latency):
        monkeypatch.setattr(mod, "run", cmds)
    return cmds


# -------------------------------------------------------------------------------------- service_stop


def test_service_stop_plan_and_injection(monkeypatch: pytest.MonkeyPatch, commands: Commands) -> None:
    monkeypatch.setattr(service_stop.os.path, "isdir", lambda p: p == "/run/systemd/system")
    commands.answers[("systemctl", "is-active")] = (0, "active\n", "")
    injected, inject, pre = service_stop.plan(params(name="nginx"), 30)
    assert injected == {
        "unit": "nginx.service",
        "stop_command": ["systemctl", "stop", "nginx.service"],
        "start_command": ["systemctl", "start", "nginx.service"],
    }
    ctx = FakeContext()
    inject(ctx)
    # The revert (start) is recorded before the stop runs.
    assert ctx.reverts == [{"op": "run", "argv": ["systemctl", "start", "nginx.service"]}]
    assert commands.calls == [
        ["systemctl", "is-active", "nginx.service"],
        ["systemctl", "stop", "nginx.service"],
    ]


def test_service_stop_refusals(monkeypatch: pytest.MonkeyPatch, commands: Commands) -> None:
    monkeypatch.setattr(service_stop.os.path, "isdir", lambda p: True)
    commands.answers[("systemctl", "is-active")] = (0, "active\n", "")
    with pytest.raises(errors.FaultError, match=r"^name: ssh.service keeps the host reachable.*force: true"):
        service_stop.plan(params(name="ssh"), 30)
    service_stop.plan(params(name="ssh", force=True), 30)  # allowed with force
    commands.answers[("systemctl", "is-active")] = (3, "inactive\n", "")
    with pytest.raises(errors.FaultError, match=r"^name: cron.service is not active \(inactive\)"):
        service_stop.plan(params(name="cron"), 30)
    with pytest.raises(errors.FaultError, match="^name: required"):
        service_stop.plan(params(name=None), 30)
    monkeypatch.setattr(service_stop.os.path, "isdir", lambda p: False)
    with pytest.raises(errors.FaultError, match="systemd is not running"):
        service_stop.plan(params(name="cron"), 30)


# ----------------------------------------------------------------------------------- network_latency


def latency_params(**kw: Any) -> dict[str, Any]:
    return params(
        **{
            **dict(
                interface="eth0", delay_ms=100, jitter_ms=0, loss_percent=0.0, destinations=None, ports=None
            ),
            **kw,
        }
    )


def test_network_latency_plan_on_a_default_qdisc(commands: Commands) -> None:
    commands.answers[("tc", "qdisc", "show")] = (0, "qdisc fq_codel 0: root refcnt 2\n", "")
    injected, inject, _ = network_latency.plan(latency_params(destinations=["10.0.0.1"], ports=[443]), 60)
    assert injected["commands"][0][:8] == ["tc", "qdisc", "add", "dev", "eth0", "root", "handle", "ca05:"]
    ctx = FakeContext()
    inject(ctx)
    assert ctx.reverts == [{"op": "tc_root", "interface": "eth0", "handle": "ca05:"}]
    assert commands.calls[1:] == injected["commands"]


def test_network_latency_refuses_a_configured_qdisc_unless_forced(commands: Commands) -> None:
    commands.answers[("tc", "qdisc", "show")] = (0, "qdisc htb 1: root refcnt 2 r2q 10\n", "")
    with pytest.raises(errors.FaultError, match=r"already has a configured root qdisc .*force: true"):
        network_latency.plan(latency_params(), 60)
    injected, _, _ = network_latency.plan(latency_params(force=True), 60)
    assert injected["commands"][0][:3] == ["tc", "qdisc", "replace"]
    commands.answers[("tc", "qdisc", "show")] = (0, "qdisc netem ca05: root refcnt 2\n", "")
    with pytest.raises(errors.FaultError, match="already has a chaos-faults network_latency"):
        network_latency.plan(latency_params(force=True), 60)


def test_network_latency_missing_netem_says_so(commands: Commands) -> None:
    commands.answers[("tc", "qdisc", "show")] = (0, "qdisc noqueue 0: root refcnt 2\n", "")
    commands.answers[("tc", "qdisc", "add")] = (2, "", "Error: Specified qdisc kind is unknown.\n")
    _, inject, _ = network_latency.plan(latency_params(), 60)
    with pytest.raises(errors.FaultError, match="sch_netem"):
        inject(FakeContext())


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (dict(interface="eth0; reboot"), "^interface: "),
        (dict(delay_ms=0), "nothing to inject"),
        (dict(loss_percent=120.0), "^loss_percent: "),
        (dict(destinations=["example.com"]), "^destinations: "),
    ],
)
def test_network_latency_bad_input(commands: Commands, kw: dict, message: str) -> None:
    with pytest.raises(errors.FaultError, match=message):
        network_latency.plan(latency_params(**kw), 60)
    assert commands.calls == []


# --------------------------------------------------------------------------------- network_blackhole


def blackhole_params(**kw: Any) -> dict[str, Any]:
    return params(
        **{
            **dict(
                ports=["8080"], protocol="tcp", direction="ingress", destinations=None, backend="nftables"
            ),
            **kw,
        }
    )


@pytest.fixture
def have_nft(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network_blackhole.shutil, "which", lambda b: f"/usr/sbin/{b}")


def test_blackhole_excludes_the_ssh_connection(
    monkeypatch: pytest.MonkeyPatch, commands: Commands, have_nft: None
) -> None:
    monkeypatch.setenv("SSH_CONNECTION", "198.51.100.4 50022 198.51.100.9 2222")
    injected, inject, _ = network_blackhole.plan(blackhole_params(), 60)
    assert injected["excluded"] == {"client": "198.51.100.4", "server_port": 2222}
    ctx = FakeContext("feedfacecafe")
    res = inject(ctx)
    assert res["table"] == "chaos_faults_feedfacecafe"
    assert "ip saddr 198.51.100.4 tcp dport 2222 accept" in res["ruleset"]
    assert commands.calls == [["nft", "-f", "-"]]
    assert commands.stdin == [res["ruleset"]]
    assert ctx.reverts == [
        {
            "op": "run_if",
            "probe": ["nft", "list", "table", "inet", "chaos_faults_feedfacecafe"],
            "argv": ["nft", "delete", "table", "inet", "chaos_faults_feedfacecafe"],
        }
    ]


def test_blackhole_force_drops_the_exclusion_and_allows_everything(
    monkeypatch: pytest.MonkeyPatch, commands: Commands, have_nft: None
) -> None:
    monkeypatch.setenv("SSH_CONNECTION", "198.51.100.4 50022 198.51.100.9 22")
    with pytest.raises(errors.FaultError, match="^ports, destinations: neither given.*force: true"):
        network_blackhole.plan(blackhole_params(ports=None), 60)
    injected, inject, _ = network_blackhole.plan(blackhole_params(ports=None, protocol="all", force=True), 60)
    assert injected["excluded"] is None
    assert "accept\n" not in inject(FakeContext())["ruleset"].split("policy accept;")[1]


def test_blackhole_iptables_reverts_in_the_right_order(
    monkeypatch: pytest.MonkeyPatch, commands: Commands, have_nft: None
) -> None:
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.setattr(procs, "ssh_connection_env", lambda: None)
    monkeypatch.setattr(network_blackhole, "ssh_connection_env", lambda: None)
    _, inject, _ = network_blackhole.plan(blackhole_params(backend="iptables", destinations=["10.1.1.1"]), 60)
    ctx = FakeContext("abcdef012345")
    inject(ctx)
    # execute_revert runs steps last-added first: -D (jump), -F, -X.
    order = [step["argv"][2] for step in reversed(ctx.reverts)]
    assert order == ["-D", "-F", "-X"]
    assert commands.calls[0] == ["iptables", "-w", "-N", "chaos_faults_abcdef0123i"]


def test_blackhole_without_any_firewall_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network_blackhole.shutil, "which", lambda b: None)
    with pytest.raises(errors.FaultError, match="neither nft .* nor iptables"):
        network_blackhole.plan(blackhole_params(backend="auto"), 60)


# ------------------------------------------------------------------------------------ engines, plans


def test_engine_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workloads.shutil, "which", lambda b: "/usr/bin/stress-ng")
    monkeypatch.delenv("CHAOS_FAULTS_ENGINE", raising=False)
    assert workloads.resolve_engine("auto") == "stress-ng"
    monkeypatch.setenv("CHAOS_FAULTS_ENGINE", "builtin")
    assert workloads.resolve_engine("auto") == "builtin"
    assert workloads.resolve_engine("stress-ng") == "stress-ng"  # an explicit option beats the variable
    monkeypatch.setattr(workloads.shutil, "which", lambda b: None)
    monkeypatch.delenv("CHAOS_FAULTS_ENGINE")
    assert workloads.resolve_engine("auto") == "builtin"
    with pytest.raises(errors.FaultError, match="^engine: stress-ng is not installed"):
        workloads.resolve_engine("stress-ng")


def test_cpu_stress_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workloads.shutil, "which", lambda b: "/usr/bin/stress-ng")
    monkeypatch.setattr(cpu_stress.os, "cpu_count", lambda: 4)
    injected, _, _ = cpu_stress.plan(params(load=70, workers=0, engine="auto"), 45)
    assert injected == {
        "engine": "stress-ng",
        "workers": 4,
        "load": 70,
        "command": ["stress-ng", "--cpu", "4", "--cpu-load", "70", "--timeout", "45s", "--quiet"],
    }
    with pytest.raises(errors.FaultError, match="^load: must be within 1-100"):
        cpu_stress.plan(params(load=0, workers=1, engine="builtin"), 45)


def test_disk_fill_plan_respects_reserve_and_mount(tmp_path: Path) -> None:
    st = os.statvfs(tmp_path)
    free = st.f_bavail * st.f_frsize
    with pytest.raises(errors.FaultError, match="would leave less than reserve=100M"):
        disk_fill.plan(
            params(path=str(tmp_path), mount=None, size=str(free), percent=None, reserve="100M"), 10
        )
    with pytest.raises(errors.FaultError, match="^percent, size: give exactly one"):
        disk_fill.plan(params(path=str(tmp_path), mount=None, size="1M", percent=50, reserve="100M"), 10)
    other = tmp_path / "other"
    other.mkdir()
    (tmp_path / "mnt").mkdir()
    with pytest.raises(errors.FaultError, match="outside mount"):
        disk_fill.plan(
            params(path=str(other), mount=str(tmp_path / "mnt"), size="1M", percent=None, reserve="1M"), 10
        )
    injected, _, _ = disk_fill.plan(
        params(path=str(other), mount=str(tmp_path), size="1M", percent=None, reserve="1M"), 10
    )
    assert injected["bytes"] == 2**20


# ------------------------------------------------------------------------------- records and reverts


def test_duration_and_guard_validation() -> None:
    assert refusals.validate_duration({"duration": 3600}) == 3600
    with pytest.raises(
        errors.FaultError, match=r"^duration: must be within 1-3600 seconds, got 3601 \(longer needs"
    ):
        refusals.validate_duration({"duration": 3601})
    assert refusals.validate_duration({"duration": 7200, "force": True}) == 7200
    with pytest.raises(errors.FaultError, match="^duration: required"):
        refusals.validate_duration({"duration": None})
    with pytest.raises(errors.FaultError, match="exactly one of stop_on.url or stop_on.command"):
        guards.normalize_guard({"url": "http://x", "command": "true"})
    with pytest.raises(errors.FaultError, match="^stop_on.interval_ms: must be within 10-250"):
        guards.normalize_guard({"url": "http://x", "interval_ms": 1000})
    assert guards.normalize_guard({"command": "curl -sf 'http://a b/'"})["command"] == [
        "curl",
        "-sf",
        "http://a b/",
    ]


def test_passwords_in_guard_urls_never_reach_the_record() -> None:
    assert (
        records.redact_url("http://ops:s3cret@10.0.0.5:8080/health?x=1")
        == "http://ops:***@10.0.0.5:8080/health?x=1"
    )
    assert records.redact_url("https://10.0.0.5/health") == "https://10.0.0.5/health"
    rec = records.redacted_record(
        {
            "stop_on": {"url": "http://a:pw@h/"},
            "params": {"stop_on": {"url": "http://a:pw@h/", "status": [200]}},
        }
    )
    assert "pw" not in str(rec)
    assert rec["params"]["stop_on"]["status"] == [200]


def test_iso_round_trip() -> None:
    ts = 1795720757.25
    assert clock.utc_iso(ts) == "2026-11-26T19:19:17.250Z"
    assert abs(clock.parse_iso(clock.utc_iso(ts)) - ts) < 0.001


def test_revert_steps_are_harmless_when_already_undone(commands: Commands, tmp_path: Path) -> None:
    commands.answers[("nft", "list")] = (1, "", "Error: No such file or directory")
    commands.answers[("tc", "qdisc", "show")] = (0, "qdisc noqueue 0: root refcnt 2\n", "")
    results = revert.execute_revert(
        [
            {"op": "remove_path", "path": str(tmp_path / "gone")},
            {
                "op": "run_if",
                "probe": ["nft", "list", "table", "inet", "t"],
                "argv": ["nft", "delete", "table", "inet", "t"],
            },
            {"op": "tc_root", "interface": "eth0", "handle": "ca05:"},
            {"op": "kill_group", "pgid": 2**22 - 1, "leader_start": 1},
        ]
    )
    assert [r["result"].get("error") for r in results] == [None, None, None, None]
    assert ["nft", "delete", "table", "inet", "t"] not in commands.calls
    assert ["tc", "qdisc", "del", "dev", "eth0", "root"] not in commands.calls


def test_tc_revert_deletes_only_our_root(commands: Commands) -> None:
    commands.answers[("tc", "qdisc", "show")] = (0, "qdisc netem ca05: root refcnt 2 delay 100ms\n", "")
    revert.execute_revert([{"op": "tc_root", "interface": "eth0", "handle": "ca05:"}])
    assert commands.calls[-1] == ["tc", "qdisc", "del", "dev", "eth0", "root"]


def _record(fault_id: str, **kw: Any) -> dict[str, Any]:
    now = time.time()
    rec = dict(
        fault_id=fault_id,
        fault="disk_fill",
        state="active",
        started_at=clock.utc_iso(now),
        reverts_at=clock.utc_iso(now + 60),
        revert=[],
        watchdog_pid=None,
        injected={},
    )
    rec.update(kw)
    return rec


def test_revert_fault_once_and_recover_orphans(tmp_path: Path) -> None:
    store = records.RecordStore(str(tmp_path / "records"))
    victim = tmp_path / "fill"
    victim.write_bytes(b"x")
    store.write(_record("aaaaaaaaaaaa", revert=[{"op": "remove_path", "path": str(victim)}]))
    assert revert.revert_fault(store, "aaaaaaaaaaaa", "absent") is True
    assert not victim.exists()
    assert revert.revert_fault(store, "aaaaaaaaaaaa", "absent") is False  # harmless twice
    rec = store.read("aaaaaaaaaaaa")
    assert (rec["state"], rec["reverted_by"], rec["revert_errors"]) == ("reverted", "absent", [])

    # A record whose watchdog is dead (a finished process) is reverted by the next module run.
    dead = subprocess.Popen(["true"])
    dead.wait()
    store.write(_record("bbbbbbbbbbbb", watchdog_pid=dead.pid, watchdog_start=1))
    # ... one whose watchdog is alive (this process) is left alone ...
    me = procs.proc_stat(os.getpid())
    store.write(_record("cccccccccccc", watchdog_pid=os.getpid(), watchdog_start=me["starttime"]))
    # ... and so is one still being armed (no watchdog yet, just started).
    store.write(_record("dddddddddddd"))
    assert revert.recover_orphans(store) == ["bbbbbbbbbbbb"]
    assert store.read("bbbbbbbbbbbb")["reverted_by"] == "watchdog-recovery"
    assert records.is_active(store.read("cccccccccccc")) and records.is_active(store.read("dddddddddddd"))


# -------------------------------------------------------------------------------------- process_kill


def test_process_kill_selection_refuses_protected(monkeypatch: pytest.MonkeyPatch) -> None:
    procs = {
        1: dict(comm="init", ppid=0, flags=0, starttime=1, cmd=["/sbin/init"]),
        2: dict(comm="kthreadd", ppid=0, flags=0x00200000, starttime=1, cmd=[]),
        40: dict(comm="worker", ppid=1, flags=0, starttime=30, cmd=["python3", "worker.py"]),
        41: dict(comm="worker", ppid=1, flags=0, starttime=20, cmd=["python3", "worker.py"]),
        42: dict(comm="worker", ppid=1, flags=0, starttime=10, cmd=["python3", "worker.py"]),
        50: dict(comm="sshd", ppid=1, flags=0, starttime=5, cmd=["sshd: admin@notty"]),
    }

    def stat(pid: int) -> dict | None:
        p = procs.get(pid)
        return (
            None
            if p is None
            else dict(
                pid=pid,
                comm=p["comm"],
                state="S",
                ppid=p["ppid"],
                pgid=pid,
                session=pid,
                flags=p["flags"],
                starttime=p["starttime"],
            )
        )

    monkeypatch.setattr(process_kill, "all_pids", lambda: sorted(procs))
    monkeypatch.setattr(process_kill, "proc_stat", stat)
    monkeypatch.setattr(process_kill, "cmdline", lambda pid: procs[pid]["cmd"])
    monkeypatch.setattr(
        process_kill,
        "protected_processes",
        lambda: {1: "pid 1 (init)", 50: "part of the Ansible connection's process tree"},
    )
    base = dict(name=None, pattern=None, pid=None, count=0, force=False)

    targets, refused = process_kill.select_processes({**base, "name": "worker", "count": 2})
    assert [t["pid"] for t in targets] == [42, 41]  # oldest first, at most count
    assert refused == []

    import re

    targets, refused = process_kill.select_processes(
        {**base, "pattern": "^(sshd|python3)", "_regex": re.compile("^(sshd|python3)")}
    )
    assert [t["pid"] for t in targets] == [42, 41, 40]
    assert [(r["pid"], r["reason"]) for r in refused] == [
        (50, "part of the Ansible connection's process tree")
    ]

    targets, refused = process_kill.select_processes({**base, "name": "kthreadd"})
    assert targets == [] and refused[0]["reason"] == "a kernel thread"

    targets, refused = process_kill.select_processes({**base, "pid": 1, "force": True})
    assert [t["pid"] for t in targets] == [1]


# --------------------------------------------------------------------------------------------- probe


def test_probe_percentiles_and_tolerance() -> None:
    samples = [{"latency_ms": float(i), "ok": i % 10 != 0} for i in range(1, 101)]
    ok, stats = probe.summarize(samples)
    assert ok == 90
    assert (stats["p50"], stats["p95"], stats["p99"], stats["max"], stats["min"]) == (
        50.0,
        95.0,
        99.0,
        100.0,
        1.0,
    )
    p = dict(min_success_ratio=0.95, max_latency_ms=90, latency_percentile="p95")
    assert probe.tolerance_violations(p, 0.9, stats) == [
        "success ratio 0.900 < min_success_ratio 0.95",
        "p95 latency 95.0 ms > max_latency_ms 90",
    ]
    assert (
        probe.tolerance_violations(
            dict(min_success_ratio=None, max_latency_ms=None, latency_percentile="p95"), 0.0, stats
        )
        == []
    )
    assert probe.percentile([], 50) is None
