"""The game_day role end to end with the real ansible-playbook: on localhost and on namespace hosts."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from pathlib import Path

from tests.harness import hosts as hosts_harness
from tests.harness.ansible import ROOT, VENV_BIN, AnsibleEnv, kill_playbook, run_playbook
from tests.harness.hosts import TestHosts, leftovers, ts, wait_until

test_hosts = hosts_harness.test_hosts

EXAMPLE = ROOT / "examples" / "ansible" / "gameday-local.yml"
PLAYBOOKS = Path(__file__).parent / "playbooks" / "game_day"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def only_journal(out_dir: Path) -> dict:
    [path] = list(out_dir.glob("*/journal.json"))
    return json.loads(path.read_text())


def test_local_example_completes_and_prints_the_html_report(ansible: AnsibleEnv, tmp_path: Path) -> None:
    port = free_port()
    result = run_playbook(
        EXAMPLE,
        ansible,
        extra_vars={
            "demo_port": port,
            "fault_seconds": 3,
            "max_latency_ms": 5000,
            "guard_latency_ms": 10000,
            "game_day_output_dir": str(tmp_path),
        },
    )
    assert result.rc == 0, result.output
    last = result.task("The HTML report")["msg"]
    html_path = Path(re.fullmatch(r"HTML report: (\S+)", last).group(1))
    assert html_path.is_file() and html_path.parent.parent == tmp_path
    page = html_path.read_text()
    assert "<svg" in page and "cpu_stress" in page and "disk_fill" in page

    journal = only_journal(tmp_path)
    assert (journal["status"], journal["deviated"]) == ("completed", False), journal["reasons"]
    assert journal["steady_states"]["before"]["steady_state_met"] is True
    assert journal["steady_states"]["after"]["steady_state_met"] is True
    assert [r["status"] for r in journal["run"]] == ["succeeded", "succeeded"]
    faults = {w["fault"]: w for w in journal["faults"] if not w["not_from_this_run"]}
    assert set(faults) == {"cpu_stress", "disk_fill"}
    assert all(w["ended"] for w in faults.values())
    events = [e["event"] for e in journal["events"]]
    assert events[0] == "game-day-started" and events[-1] == "game-day-completed"
    assert events.count("fault-injected") == 2 and events.count("fault-reverted") >= 2
    # the demo service was stopped again
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
    assert (html_path.parent / "report.md").read_text().startswith("# Game day: ")


def test_steady_state_broken_before_injects_nothing(ansible: AnsibleEnv, tmp_path: Path) -> None:
    result = run_playbook(
        PLAYBOOKS / "broken_before.yml",
        ansible,
        extra_vars={"game_day_output_dir": str(tmp_path), "closed_port": free_port()},
    )
    assert result.rc != 0
    assert "game day failed" in result.task("chaos.faults.game_day : Game day | verdict")["msg"]
    journal = only_journal(tmp_path)
    assert (journal["status"], journal["deviated"]) == ("failed", False)
    assert journal["run"] == [] and journal["rollbacks"] == []
    assert journal["steady_states"]["before"]["steady_state_met"] is False


def test_game_day_on_namespace_hosts_deviates_and_reverts_everything(
    test_hosts, ansible: AnsibleEnv, tmp_path: Path
) -> None:
    hosts: TestHosts = test_hosts(3)
    result = run_playbook(
        PLAYBOOKS / "multihost.yml",
        ansible,
        inventory=hosts.inventory,
        extra_vars={"game_day_output_dir": str(tmp_path)},
    )
    # the verdict fails the play: h3 was cut off, so the steady state deviated
    assert result.rc != 0, result.output
    journal = only_journal(tmp_path)
    assert (journal["status"], journal["deviated"]) == ("completed", True), journal["reasons"]
    assert journal["hosts"] == ["h1", "h2", "h3"]

    injected = sorted((r["host"], r["output"]["fault"]) for r in journal["run"])
    assert injected == [
        ("h1", "cpu_stress"),
        ("h2", "cpu_stress"),
        ("h3", "cpu_stress"),
        ("h3", "network_blackhole"),
    ]
    windows = [w for w in journal["faults"] if not w["not_from_this_run"]]
    assert len(windows) == 4 and all(w["ended"] for w in windows)

    during = {p["host"]: p["tolerance_met"] for d in journal["steady_states"]["during"] for p in d["probes"]}
    assert during == {"h1": True, "h2": True, "h3": False}
    assert journal["steady_states"]["after"]["steady_state_met"] is True
    assert all(e["ts"] and e["host"] for e in journal["events"])
    assert {e["host"] for e in journal["events"] if e["event"] == "fault-injected"} == {"h1", "h2", "h3"}

    page = (next(tmp_path.glob("*/report.html"))).read_text()
    for name in ("h1", "h2", "h3"):
        assert f">{name} · cpu_stress</text>" in page  # a lane per host and fault in the timeline
    for host in hosts:
        assert host.http_get()[0] == 200
        assert not host.run("nft", "list", "ruleset").stdout.strip()
        assert all(r.get("reverted_at") for r in host.fault_records())


def test_abort_file_stops_the_game_day_before_any_fault(ansible: AnsibleEnv, tmp_path: Path) -> None:
    abort = tmp_path / "ABORT"
    abort.write_text("operator said stop\n")
    out_dir = tmp_path / "reports"
    result = run_playbook(
        EXAMPLE,
        ansible,
        extra_vars={
            "demo_port": free_port(),
            "fault_seconds": 3,
            "game_day_output_dir": str(out_dir),
            "game_day_abort_file": str(abort),
        },
    )
    assert result.rc != 0  # the verdict fails the play: the game day did not complete
    journal = only_journal(out_dir)
    assert journal["status"] == "aborted"
    assert journal["run"] == []
    assert any("abort file" in r for r in journal["reasons"])
    assert "HTML report: " in result.task("The HTML report")["msg"]


def test_killed_game_day_leaves_an_interrupted_journal_and_clean_hosts(
    test_hosts, ansible: AnsibleEnv, tmp_path: Path
) -> None:
    hosts: TestHosts = test_hosts(2)
    command = [
        str(VENV_BIN / "ansible-playbook"),
        "-i",
        str(hosts.inventory),
        str(PLAYBOOKS / "multihost.yml"),
        "-e",
        json.dumps({"game_day_output_dir": str(tmp_path), "fault_seconds": 5}),
    ]
    with open(tmp_path / "playbook.log", "wb") as log:
        proc = subprocess.Popen(
            command, env=ansible.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until(lambda: all(h.fault_records() for h in hosts), 120, 0.1, "a fault on every host")
    finally:
        kill_playbook(proc)  # ansible-playbook and its detached workers, as a crash would
    journal = only_journal(tmp_path)
    assert journal["status"] == "interrupted"
    assert not (next(tmp_path.glob("*/journal.json")).parent / "report.html").exists()
    deadline = max(ts(r["reverts_at"]) for h in hosts for r in h.fault_records())
    time.sleep(max(0.0, deadline - time.time()))
    for h in hosts:
        wait_until(lambda h=h: leftovers(h) == [], 10, 0.2, f"{h.name} to be clean")
        assert {r["reverted_by"] for r in h.fault_records()} == {"duration"}
