"""Unit tests of the game day's controller-side planning: fault registry, definitions, window, run id,
probe definitions, the "tolerance already lost" rule and operator notes."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.harness.ansible import ROOT, collections_root

sys.path.insert(0, str(collections_root(ROOT / "build" / "unit-collections")))
from ansible_collections.chaos.faults.plugins.module_utils.game_day.notes import (  # noqa: E402
    NoteError,
    note_from_value,
    notes_from_text,
)
from ansible_collections.chaos.faults.plugins.module_utils.probe_runner import most_samples  # noqa: E402
from ansible_collections.chaos.faults.plugins.module_utils.probe_samples import certain_violation  # noqa: E402
from ansible_collections.chaos.faults.plugins.plugin_utils import fault_registry  # noqa: E402
from ansible_collections.chaos.faults.plugins.plugin_utils.game_day_plan import (  # noqa: E402
    FaultDefinitionError,
    check_faults,
    run_id,
    window_seconds,
)
from ansible_collections.chaos.faults.plugins.plugin_utils.probe_set import (  # noqa: E402
    ProbeDefinitionError,
    check_definitions,
    expand,
)


def samples(oks: str, latency: float = 5.0) -> list[dict]:
    return [{"ok": c == "1", "latency_ms": latency} for c in oks]


TOLERANCE = {"min_success_ratio": None, "max_latency_ms": None, "latency_percentile": "p95"}


def test_a_lost_success_ratio_is_known_as_soon_as_no_later_sample_can_save_it() -> None:
    strict = dict(TOLERANCE, min_success_ratio=1.0)
    assert certain_violation(strict, samples("111"), 50) is None
    assert "1 of at most 50 samples failed" in certain_violation(strict, samples("1110"), 50)
    lenient = dict(TOLERANCE, min_success_ratio=0.9)  # 20 samples at most: 2 may fail, 3 may not
    assert certain_violation(lenient, samples("00"), 20) is None
    assert certain_violation(lenient, samples("000"), 20) is not None


def test_a_lost_latency_percentile_is_known_when_too_many_samples_were_slow() -> None:
    p95 = dict(TOLERANCE, max_latency_ms=100.0)  # p95 of 20 samples is the 19th: two slow ones decide it
    assert certain_violation(p95, samples("1", 250.0), 20) is None
    assert certain_violation(p95, samples("11", 250.0), 20) is not None
    worst = dict(TOLERANCE, max_latency_ms=100.0, latency_percentile="max")
    assert certain_violation(worst, samples("1", 250.0), 20) is not None
    assert certain_violation(worst, samples("1", 50.0), 20) is None


def test_most_samples_bounds_count_and_period() -> None:
    base = {"count": None, "period": 10.0, "interval": 0.5}
    assert most_samples(base) == 21
    assert most_samples(dict(base, count=5)) == 5
    assert most_samples(dict(base, period=None)) == 10  # the probe's default count


def test_the_fault_registry_is_the_host_faults_group(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime.yml"
    runtime.write_text(
        "action_groups:\n  host_faults:\n    - metadata: {extend_group: []}\n    - cpu_stress\n"
        "    - chaos.faults.new_fault\n"
    )
    assert fault_registry.host_faults(runtime) == ("cpu_stress", "new_fault")
    without = tmp_path / "runtime-without.yml"
    without.write_text("action_groups:\n  fis: [fis_experiment]\n")
    with pytest.raises(fault_registry.RegistryError, match="no 'host_faults' action group"):
        fault_registry.host_faults(without)
    assert "process_kill" in fault_registry.host_faults()  # the collection's own runtime.yml


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"module": "cpu_strss"}, "[0].module: 'cpu_strss' is not a host fault of chaos.faults"),
        ({"module": "cpu_stress", "args": [1]}, "[0].args: the options of cpu_stress"),
        ({"module": "cpu_stress", "args": {"state": "absent"}}, "[0].args.state: the game day sets"),
        ("cpu_stress", "[0]: a fault is a mapping"),
    ],
)
def test_fault_definitions_the_game_day_cannot_run_are_named(fault, message: str) -> None:
    with pytest.raises(FaultDefinitionError) as e:
        check_faults([fault])
    assert str(e.value).startswith("game_day_faults" + message)


def test_the_window_is_the_longest_fault_plus_time_to_inject_or_what_was_asked() -> None:
    faults = [
        {"module": "cpu_stress", "args": {"duration": 30}},
        {"module": "disk_fill", "args": {"duration": "8"}},
    ]
    assert window_seconds(faults, 0) == 30 + 2 * 4
    assert window_seconds(faults, 5) == 5
    assert window_seconds([{"module": "process_kill", "args": {"pattern": "x"}}], 0) == 10


def test_run_id_is_time_title_and_a_number() -> None:
    rid = run_id("API survives: CPU pressure!", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert re.fullmatch(r"20260102T030405Z-api-survives-cpu-pressure-\d{1,5}", rid)


def test_probe_definitions_are_checked_like_the_probe_module_checks_its_options() -> None:
    ok = {"name": "health", "url": "http://127.0.0.1/health"}
    [params] = check_definitions([ok])
    assert (params["run_on"], params["interval"], params["status"]) == ("controller", 0.5, [200])
    with pytest.raises(ProbeDefinitionError, match=r"game_day_probes\[1\] \(typo\): .*urll"):
        check_definitions([ok, {"name": "typo", "urll": "http://x"}])
    with pytest.raises(ProbeDefinitionError, match=r"url: must start with http:// or https://"):
        check_definitions([{"name": "x", "url": "ftp://x"}])
    with pytest.raises(ProbeDefinitionError, match="mutually exclusive"):
        check_definitions([{"name": "x", "url": "http://x", "command": "true"}])


def test_controller_probes_run_once_and_per_host_probes_once_per_host() -> None:
    def probes(host: str) -> list[dict]:
        return [{"name": "lb", "url": "http://lb/"}, {"name": "node", "run_on": "per_host", "url": f"http://{host}/"}]

    runs = expand({h: probes(h) for h in ("h1", "h2")}, first_host="h1")
    assert [(r.name, r.host, r.params["url"]) for r in runs] == [
        ("lb", "controller", "http://lb/"),
        ("node", "h1", "http://h1/"),
        ("node", "h2", "http://h2/"),
    ]


def test_operator_notes_from_variables_and_from_a_file() -> None:
    assert note_from_value("kick-off", "n[0]") == {"text": "kick-off"}
    assert note_from_value({"text": "red", "author": "alice", "at": "2026-01-02T10:00:00Z"}, "n[1]") == {
        "text": "red",
        "at": "2026-01-02T10:00:00+00:00",
        "author": "alice",
    }
    with pytest.raises(NoteError, match=r"n\[2\]: unknown key\(s\) who"):
        note_from_value({"text": "x", "who": "bob"}, "n[2]")
    day = datetime(2026, 1, 2, 9, 30, tzinfo=UTC)
    text = "# comment\n\n10:05 paged\n2026-01-02T10:07:30Z rolled back\nno time here\n"
    assert notes_from_text(text, day) == [
        {"text": "paged", "at": "2026-01-02T10:05:00+00:00"},
        {"text": "rolled back", "at": "2026-01-02T10:07:30+00:00"},
        {"text": "no time here"},
    ]
