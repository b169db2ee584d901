"""Unit tests of the game day report's pure parts: journal, status rules, Markdown, HTML/SVG."""

from __future__ import annotations

import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.harness.ansible import ROOT, collections_root

sys.path.insert(0, str(collections_root(ROOT / "build" / "unit-collections")))
from ansible_collections.chaos.faults.plugins.module_utils.game_day import (  # noqa: E402
    entries,
    files,
    html_page,
    journal,
    markdown,
    timeline,
    times,
)

# the report's functions, where the game_day_report module kept them before they got a file each
gdr = SimpleNamespace(
    build_journal=journal.build_journal,
    parse_time=times.parse_time,
    probe_samples=entries.probe_samples,
    render_html=html_page.render_html,
    svg_timeline=timeline.svg_timeline,
    render_markdown=markdown.render_markdown,
    write_reports=files.write_reports,
)

T0 = "2026-01-01T12:00:00+00:00"


def at(seconds: float) -> str:
    return (datetime(2026, 1, 1, 12, tzinfo=UTC) + timedelta(seconds=seconds)).isoformat()


def probe(
    phase: str, start: float, end: float, ok: bool = True, latencies=(3.0, 4.0), host: str = "localhost"
):
    samples = [{"at": at(start + i * 0.5), "ok": ok, "latency_ms": lat} for i, lat in enumerate(latencies)]
    result = {
        "changed": False,
        "success_ratio": 1.0 if ok else 0.0,
        "latency_ms": {"p50": 3.5, "p95": 4.0, "p99": 4.0},
        "samples": samples,
    }
    if not ok:
        result |= {"failed": True, "msg": "success ratio 0.00 below min_success_ratio 0.9"}
    return {
        "phase": phase,
        "name": "health",
        "host": host,
        "start": at(start),
        "end": at(end),
        "spec": {"url": "http://127.0.0.1:8080/health", "headers": {"Authorization": "Bearer s3cret"}},
        "result": result,
    }


def injection(host: str, fid: str, start: float, duration: float, failed: bool = False):
    result = {
        "changed": True,
        "fault": "cpu_stress",
        "fault_id": fid,
        "started_at": at(start),
        "reverts_at": at(start + duration),
        "injected": {"workers": 2, "load": 80},
        "duration": duration,
    }
    if failed:
        result = {"failed": True, "msg": "stress-ng: boom"}
    return {
        "host": host,
        "name": "cpu",
        "module": "cpu_stress",
        "args": {"duration": duration, "load": 80},
        "start": at(start),
        "end": at(start + 0.2),
        "result": result,
    }


def record(fid: str, start: float, end: float | None, by: str = "duration", guard=None):
    rec = {
        "fault_id": fid,
        "fault": "cpu_stress",
        "started_at": at(start),
        "reverts_at": at(start + 10),
        "injected": {"workers": 2},
    }
    if end is not None:
        rec |= {"reverted_at": at(end), "reverted_by": by}
    if guard:
        rec["guard_violation"] = guard
    return rec


def params(**over):
    base = {
        "title": "API survives CPU pressure",
        "description": "demo",
        "tags": ["cpu"],
        "output_dir": "/tmp/x",
        "run_id": "r1",
        "phase": "final",
        "started_at": T0,
        "ended_at": at(30),
        "hosts": ["web1", "web2"],
        "faults": [{"module": "cpu_stress", "args": {"duration": 10, "load": 80}}],
        "probes": [
            probe("before", 1, 2),
            probe("during", 5, 12, latencies=(9.0, 14.0, 12.0)),
            probe("after", 20, 21),
        ],
        "injections": [injection("web1", "f1", 4, 10), injection("web2", "f2", 4, 10)],
        "reverts": [
            {
                "host": "web1",
                "module": "cpu_stress",
                "start": at(15),
                "end": at(15.5),
                "result": {"changed": False, "reverted": []},
            }
        ],
        "records": [
            {"host": "web1", "records": [record("f1", 4, 14)]},
            {"host": "web2", "records": [record("f2", 4, 14)]},
        ],
        "aborted_reason": "",
        "failed_reason": "",
    }
    base.update(over)
    return base


def test_completed_run_has_ctk_shape_and_every_event_has_time_and_host() -> None:
    journal = gdr.build_journal(params())
    assert journal["status"] == "completed" and journal["deviated"] is False
    for key in (
        "chaoslib-version",
        "platform",
        "node",
        "experiment",
        "start",
        "end",
        "duration",
        "status",
        "deviated",
        "steady_states",
        "run",
        "rollbacks",
    ):
        assert key in journal
    assert journal["duration"] == 30.0
    assert journal["steady_states"]["before"]["steady_state_met"] is True
    assert journal["steady_states"]["after"]["probes"][0]["tolerance_met"] is True
    assert [r["host"] for r in journal["run"]] == ["web1", "web2"]
    assert {e["event"] for e in journal["events"]} >= {
        "game-day-started",
        "fault-injected",
        "fault-reverted",
        "probe-before-met",
        "game-day-completed",
    }
    assert all(e["ts"] and e["host"] for e in journal["events"])
    times = [gdr.parse_time(e["ts"]) for e in journal["events"]]
    assert times == sorted(times)
    json.dumps(journal)  # serialisable as is


def test_secrets_never_reach_the_journal() -> None:
    text = json.dumps(gdr.build_journal(params()))
    assert "s3cret" not in text
    assert '"Authorization": "***"' in text


def test_probe_violation_after_faults_is_deviated_but_completed() -> None:
    p = params(probes=[probe("before", 1, 2), probe("after", 20, 21, ok=False)])
    journal = gdr.build_journal(p)
    assert (journal["status"], journal["deviated"]) == ("completed", True)
    assert any(e["event"] == "probe-after-violated" for e in journal["events"])


def test_steady_state_broken_before_is_failed_not_deviated() -> None:
    p = params(probes=[probe("before", 1, 2, ok=False)], injections=[], records=[], reverts=[])
    journal = gdr.build_journal(p)
    assert (journal["status"], journal["deviated"]) == ("failed", False)
    assert "not met before" in journal["reasons"][0]


def test_failed_injection_or_revert_fails_the_run() -> None:
    journal = gdr.build_journal(params(injections=[injection("web1", "f1", 4, 10, failed=True)]))
    assert journal["status"] == "failed"
    assert "stress-ng: boom" in journal["reasons"][0]
    bad_revert = [{"host": "web2", "module": "cpu_stress", "result": {"failed": True, "msg": "nft: no"}}]
    assert gdr.build_journal(params(reverts=bad_revert))["status"] == "failed"


def test_fault_never_reverted_fails_the_run() -> None:
    journal = gdr.build_journal(params(records=[{"host": "web1", "records": [record("f1", 4, None)]}]))
    assert journal["status"] == "failed"
    assert "f1 has not been reverted" in " ".join(journal["reasons"])


def test_guard_violation_aborts_and_is_an_event() -> None:
    guard = {"at": at(6), "reason": "http://127.0.0.1:8080/health answered 503 (expected 200)"}
    recs = [
        {"host": "web1", "records": [record("f1", 4, 6.2, by="guard", guard=guard)]},
        {"host": "web2", "records": [record("f2", 4, 14)]},
    ]
    journal = gdr.build_journal(params(records=recs))
    assert journal["status"] == "aborted"
    ev = next(e for e in journal["events"] if e["event"] == "guard-violated")
    assert ev["host"] == "web1" and ev["ts"] == at(6)
    window = next(w for w in journal["faults"] if w["fault_id"] == "f1")
    assert window["reverted_by"] == "guard" and window["end"] == at(6.2)


def test_start_phase_is_interrupted() -> None:
    journal = gdr.build_journal(params(phase="start", probes=[], injections=[], records=[], reverts=[]))
    assert journal["status"] == "interrupted"


def test_probe_without_samples_gets_one_summary_point() -> None:
    p = probe("before", 1, 2)
    del p["result"]["samples"]
    assert gdr.probe_samples(p) == [{"t": at(2), "ok": True, "latency_ms": 3.5}]


def test_html_is_self_contained_with_a_well_formed_timeline() -> None:
    journal = gdr.build_journal(params())
    page = gdr.render_html(journal)
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script|<link|<img|src=|url\(", page)
    assert not re.search(r'href="https?:', page)
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    rects = [r for r in root.iter(f"{ns}rect") if " → " in (r.findtext(f"{ns}title") or "")]
    assert len(rects) == 2  # one fault window per host
    titles = " ".join(t.text or "" for t in root.iter(f"{ns}title"))
    assert "web1: cpu_stress f1" in titles and "web2: cpu_stress f2" in titles
    circles = list(root.iter(f"{ns}circle"))
    assert len(circles) >= 7  # 2 + 3 + 2 samples plus the legend


def test_failed_samples_are_marked_and_lanes_follow_hosts() -> None:
    journal = gdr.build_journal(params(probes=[probe("before", 1, 2), probe("during", 5, 7, ok=False)]))
    svg = gdr.svg_timeline(journal)
    assert svg.count(": failed</title>") == 2
    assert ">web1 · cpu_stress</text>" in svg and ">web2 · cpu_stress</text>" in svg


def test_markdown_report_lists_faults_and_steady_state() -> None:
    md = gdr.render_markdown(gdr.build_journal(params()))
    assert md.startswith("# Game day: API survives CPU pressure")
    assert "| status | **completed** |" in md
    assert "| web1 | cpu_stress | f1 |" in md
    assert "| before | health | localhost | yes | 100% | 3.5 | 4.0 | 4.0 |" in md


def test_write_reports_writes_three_files(tmp_path: Path) -> None:
    out = gdr.write_reports(params(output_dir=str(tmp_path)))
    for key in ("journal_path", "report_md_path", "report_html_path"):
        assert Path(out[key]).is_file() and Path(out[key]).stat().st_size > 200
    assert json.loads(Path(out["journal_path"]).read_text())["status"] == "completed"


@pytest.mark.parametrize(
    "value", ["2026-01-01T12:00:00Z", "2026-01-01T12:00:00+00:00", 1767268800, "1767268800.0"]
)
def test_parse_time_accepts_iso_and_epoch(value) -> None:
    assert gdr.parse_time(value).isoformat() == "2026-01-01T12:00:00+00:00"


def test_instant_fault_is_a_point_not_an_open_window() -> None:
    inj = injection("web1", "k1", 4, 0)
    inj["module"] = "process_kill"
    inj["result"] = {"changed": True, "fault": "process_kill", "fault_id": "k1", "started_at": at(4)}
    journal = gdr.build_journal(params(injections=[inj], records=[]))
    [window] = journal["faults"]
    assert window["end"] == window["start"] == at(4)
    assert journal["status"] == "completed"


def test_chaostoolkit_journal_has_the_shape_of_a_journal_chaoslib_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chaoslib.experiment import ensure_experiment_is_valid, run_experiment
    from chaoslib.loader import load_experiment

    # a journal of Chaos Toolkit's own run loop, for reference
    exists = {"type": "python", "module": "os.path", "func": "exists", "arguments": {"path": "/"}}
    probe = {"type": "probe", "name": "root exists", "tolerance": True, "provider": exists}
    action = dict(probe, type="action", name="look again")
    action.pop("tolerance")
    theirs = run_experiment({"title": "t", "description": "d", "method": [action],
                             "steady-state-hypothesis": {"title": "h", "probes": [probe]}}, settings={})

    out = gdr.write_reports(params(output_dir=str(tmp_path)))
    ours = load_experiment(out["journal_chaostoolkit_path"])  # chaostoolkit-lib's own loader
    assert set(theirs) <= set(ours)
    assert set(theirs["steady_states"]) == set(ours["steady_states"])
    assert set(theirs["steady_states"]["before"]) == set(ours["steady_states"]["before"])
    their_probe, our_probe = (j["steady_states"]["before"]["probes"][0] for j in (theirs, ours))
    assert set(their_probe) <= set(our_probe)
    assert set(theirs["run"][0]) <= set(ours["run"][0])
    assert (ours["status"], ours["deviated"]) == ("completed", False)
    # the faults and reverts are `ansible <host> -m <module> -a <json>` process activities
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    ensure_experiment_is_valid(ours["experiment"])
    assert ours["run"][0]["activity"]["provider"] == {
        "type": "process",
        "path": "ansible",
        "arguments": ["web1", "-m", "chaos.faults.cpu_stress", "-a", '{"duration": 10, "load": 80}'],
    }
    [extension] = ours["experiment"]["extensions"]
    assert extension["name"] == "chaos.faults" and len(extension["faults"]) == 2
    assert "s3cret" not in Path(out["journal_chaostoolkit_path"]).read_text()
