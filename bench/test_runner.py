"""The benchmark runner: quick mode on a cheap benchmark writes the JSON and Markdown tables.

Nothing here looks at how long anything took; it checks the runner's output shape and statistics.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.common import Row, Stats, render_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_stats_median_spread_and_percentiles() -> None:
    s = Stats.of([5.0, 1.0, 3.0, 2.0, 4.0])
    assert (s.n, s.median, s.min, s.max, s.q1, s.q3) == (5, 3.0, 1.0, 5.0, 2.0, 4.0)
    assert s.samples == (5.0, 1.0, 3.0, 2.0, 4.0)  # in measured order
    assert Stats.of(list(range(101))).p99 == pytest.approx(99.0)
    with pytest.raises(ValueError):
        Stats.of([])


def test_row_ratio_is_ours_over_baseline() -> None:
    row = Row("50 resources", "pulumi up", "s", Stats.of([3.0, 3.0]), Stats.of([2.0, 2.0]), "no-op")
    assert row.ratio == pytest.approx(1.5)
    assert Row("x", "y", "s", Stats.of([1.0])).ratio is None
    assert Row("x", "y", "s", None, Stats.of([1.0]), "chaos run").to_dict()["ours"] is None


def test_markdown_shows_skips_with_their_reason() -> None:
    results = {
        "started_at": "t0",
        "finished_at": "t1",
        "options": {"mode": "quick", "rounds": 2},
        "machine": {"cpu": "cpu", "cores": 2},
        "load": {"before": [0.1, 0.1, 0.1], "after": [0.2, 0.2, 0.2]},
        "benchmarks": [
            {"name": "fleet", "title": "fleet", "status": "skipped", "reason": "no network namespaces here"},
            {
                "name": "pulumi",
                "title": "scaling",
                "status": "ok",
                "reason": "",
                "seconds": 3.0,
                "load_before": [0.1, 0.1, 0.1],
                "rows": [
                    Row("10 resources", "pulumi up", "s", Stats.of([2.0, 4.0]), Stats.of([1.0, 2.0]), "no-op")
                    .to_dict()
                ],
            },
        ],
    }
    md = render_markdown(results)
    assert "**skipped**: no network namespaces here" in md
    assert "| 10 resources | pulumi up | s | 3.00 [2.00–4.00] | no-op | 1.50 [1.00–2.00] | 2.00 | 2 |" in md


def test_quick_run_writes_json_and_markdown(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "bench/run.py", "--quick", "--only", "validator", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["schema"] == 1
    assert results["options"]["mode"] == "quick"
    assert {"cores", "kernel", "python", "git_commit"} <= set(results["machine"])
    assert len(results["load"]["before"]) == 3
    [bench] = results["benchmarks"]
    assert bench["name"] == "validator"
    assert bench["status"] == "ok", bench.get("reason")
    assert bench["rows"], "the validator benchmark produced no figures"
    for row in bench["rows"]:
        assert {"case", "metric", "unit", "ours", "baseline", "ratio", "note"} <= set(row)
        ours = row["ours"]
        assert ours["n"] == len(ours["samples"]) >= 1
        assert ours["min"] <= ours["median"] <= ours["max"]
    md = (tmp_path / "results.md").read_text()
    assert md.startswith("# Benchmark results")
    assert "## validator:" in md
    assert "| case | metric | unit | ours |" in md
