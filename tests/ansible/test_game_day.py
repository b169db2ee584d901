"""The game_day role end to end with the real ansible-playbook: on localhost and on namespace hosts."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

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


def records(record_dir: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(record_dir.glob("*.json"))]


def test_local_example_writes_a_journal_chaostoolkit_loads(
    ansible: AnsibleEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chaoslib.experiment import ensure_experiment_is_valid
    from chaoslib.loader import load_experiment

    result = run_playbook(
        EXAMPLE,
        ansible,
        extra_vars={"demo_port": free_port(), "fault_seconds": 2, "max_latency_ms": 5000,
                    "guard_latency_ms": 10000, "game_day_output_dir": str(tmp_path)},
    )
    assert result.rc == 0, result.output
    [path] = tmp_path.glob("*/journal-chaostoolkit.json")
    ctk = load_experiment(str(path))  # chaostoolkit-lib's own loader
    assert (ctk["status"], ctk["deviated"]) == ("completed", False)
    # the faults are `ansible <host> -m chaos.faults.<fault>` process activities: ansible must be found
    monkeypatch.setenv("PATH", f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    ensure_experiment_is_valid(ctk["experiment"])
    assert [r["activity"]["provider"]["arguments"][2] for r in ctk["run"]] == [
        "chaos.faults.cpu_stress",
        "chaos.faults.disk_fill",
    ]
    assert ctk["steady_states"]["before"]["steady_state_met"] is True


def test_a_bad_fault_option_stops_the_game_day_before_any_fault(ansible: AnsibleEnv, tmp_path: Path) -> None:
    (tmp_path / "fill").mkdir()
    result = run_playbook(
        PLAYBOOKS / "bad_option.yml",
        ansible,
        extra_vars={"fill_dir": str(tmp_path / "fill"), "record_dir": str(tmp_path / "records"),
                    "game_day_output_dir": str(tmp_path / "out")},
    )
    assert result.rc != 0
    check = result.task(
        "chaos.faults.game_day : Game day | the faults' options are valid on every host "
        "(check mode, nothing is injected)"
    )
    assert "Unsupported parameters for (chaos.faults.cpu_stress) module: lod" in check["results"][1]["msg"]
    assert records(tmp_path / "records") == [] and list((tmp_path / "fill").iterdir()) == []
    assert not (tmp_path / "out").exists()  # the game day never started


def test_an_unknown_fault_module_is_named_with_the_known_ones(ansible: AnsibleEnv, tmp_path: Path) -> None:
    (tmp_path / "fill").mkdir()
    result = run_playbook(
        PLAYBOOKS / "bad_option.yml",
        ansible,
        extra_vars={"fill_dir": str(tmp_path / "fill"), "record_dir": str(tmp_path / "records"),
                    "game_day_output_dir": str(tmp_path / "out"), "second_module": "cpu_strss"},
    )
    assert result.rc != 0
    assert "'cpu_strss' is not a host fault of chaos.faults (host faults: cpu_stress," in result.output
    assert records(tmp_path / "records") == [] and not (tmp_path / "out").exists()


def fill_watch(ansible: AnsibleEnv, tmp_path: Path, **extra: object):
    (tmp_path / "fill").mkdir()
    return run_playbook(
        PLAYBOOKS / "fill_watch.yml",
        ansible,
        extra_vars={"fill_dir": str(tmp_path / "fill"), "record_dir": str(tmp_path / "records"),
                    "game_day_output_dir": str(tmp_path / "out"), **extra},
    )


def test_automated_mode_reverts_at_once_when_a_probe_fails_during_the_faults(
    ansible: AnsibleEnv, tmp_path: Path
) -> None:
    result = fill_watch(ansible, tmp_path, fault_seconds=60)
    assert result.rc == 0, result.output
    journal = only_journal(tmp_path / "out")
    assert journal["mode"] == "automated"
    assert (journal["status"], journal["deviated"]) == ("completed", True)
    assert "probe directory empty (controller) during the faults" in journal["stopped_early"]["reason"]
    [record] = records(tmp_path / "records")
    assert record["reverted_by"] == "revert"
    assert ts(record["reverted_at"]) - ts(record["started_at"]) < 30  # long before its 60 s
    assert list((tmp_path / "fill").iterdir()) == []
    events = [e["event"] for e in journal["events"]]
    assert events.index("fault-injected") < events.index("faults-stopped-early") < events.index("revert-ran")
    assert journal["steady_states"]["after"]["steady_state_met"] is True


def test_observe_mode_keeps_the_fault_and_journals_the_operators_notes(
    ansible: AnsibleEnv, tmp_path: Path
) -> None:
    notes_file = tmp_path / "notes.txt"
    notes_file.write_text("# drill notes\n12:00 paged the on-call\nlatency graph flat\n")
    result = fill_watch(
        ansible,
        tmp_path,
        fault_seconds=2,
        game_day_mode="observe",
        game_day_during_seconds=3,
        game_day_notes=["kick-off", {"text": "dashboards red", "author": "alice"}],
        game_day_notes_file=str(notes_file),
    )
    assert result.rc == 0, result.output
    journal = only_journal(tmp_path / "out")
    assert (journal["mode"], journal["status"], journal["deviated"]) == ("observe", "completed", True)
    assert journal["stopped_early"] is None
    [record] = records(tmp_path / "records")
    assert record["reverted_by"] == "duration"
    [during] = journal["steady_states"]["during"]
    assert during["probes"][0]["output"]["count"] > 10  # it kept sampling for the whole window
    texts = [n["text"] for n in journal["notes"]]
    assert texts == ["kick-off", "dashboards red", "paged the on-call", "latency graph flat"]
    assert journal["notes"][2]["at"].endswith("T12:00:00+00:00")
    assert sum(e["event"] == "operator-note" for e in journal["events"]) == 4
    report = (next((tmp_path / "out").glob("*/report.md"))).read_text()
    assert "## Operator notes" in report and "alice: dashboards red" in report


def test_abort_file_during_the_faults_reverts_them_at_once(ansible: AnsibleEnv, tmp_path: Path) -> None:
    abort = tmp_path / "ABORT"
    (tmp_path / "fill").mkdir()
    extra = {"fill_dir": str(tmp_path / "fill"), "record_dir": str(tmp_path / "records"),
             "game_day_output_dir": str(tmp_path / "out"), "fault_seconds": 60, "game_day_mode": "observe",
             "game_day_abort_file": str(abort)}
    command = [str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local",
               str(PLAYBOOKS / "fill_watch.yml"), "-e", json.dumps(extra)]
    proc = subprocess.Popen(command, env=ansible.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: records(tmp_path / "records"), 120, 0.1, "the fault to be injected")
        abort.write_text("stop\n")
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
    journal = only_journal(tmp_path / "out")
    assert journal["status"] == "aborted"
    assert any("appeared; the faults were reverted" in r for r in journal["reasons"])
    [record] = records(tmp_path / "records")
    assert record["reverted_by"] == "revert"
    assert ts(record["reverted_at"]) - abort.stat().st_mtime < 5


def test_the_report_module_rebuilds_the_files_of_a_game_day(ansible: AnsibleEnv, tmp_path: Path) -> None:
    result = run_playbook(PLAYBOOKS / "report_module.yml", ansible, extra_vars={"out_dir": str(tmp_path)})
    assert result.rc == 0, result.output
    rebuilt = result.task("Write the journal and the report")
    assert (rebuilt["status"], rebuilt["deviated"]) == ("completed", False)
    names = sorted(p.name for p in (tmp_path / "r1").iterdir())
    assert names == ["journal-chaostoolkit.json", "journal.json", "report.html", "report.md"]
    journal = only_journal(tmp_path)
    assert [w["fault_id"] for w in journal["faults"]] == ["k1"]
    assert journal["notes"] == [{"text": "looked fine", "author": "bob", "at": "2026-01-01T12:00:30+00:00"}]


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
