"""Experiment through the real Pulumi CLI and engine: start, wait, outputs, trigger, failure, destroy.

moto advances an experiment one state per GetExperiment (pending -> initiating -> running ->
completed), so a waited run completes after a few polls.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FAKE_SECRET_KEY
from tests.harness.pulumi import PulumiStack, StackFactory

pytestmark = pytest.mark.pulumi

PROJECT = Path(__file__).parent / "projects" / "fis_experiment"


def _settings(stack: PulumiStack, **changes: Any) -> None:
    path = stack.dir / "settings.json"
    settings = json.loads(path.read_text())
    settings.update(changes)
    path.write_text(json.dumps(settings))


def _experiments(moto) -> list[dict[str, Any]]:
    client = moto.client()
    return [client.get_experiment(id=e["id"])["experiment"] for e in client.list_experiments()["experiments"]]


def test_experiment_runs_waits_and_reruns_only_on_a_new_trigger(pulumi_stack: StackFactory, moto) -> None:
    stack = pulumi_stack(PROJECT, env=moto.env)

    preview = stack.preview()  # the template id is unknown until the template exists
    assert preview.changes == {"create": 3}, preview.output
    assert moto.client().list_experiments()["experiments"] == []

    up = stack.up()
    assert up.changes == {"create": 3}, up.output  # stack, template, experiment
    out = stack.outputs()
    assert out["status"] == "completed", out
    assert out["reason"]
    assert out["actions"]["pause"]["status"] == "completed"
    assert out["start_time"] and out["end_time"]
    first = out["experiment_id"]
    # progress messages while waiting
    assert f"gameday: experiment {first} running" in up.output
    assert f"gameday: experiment {first} completed" in up.output
    (experiment,) = moto.client().list_experiments()["experiments"]
    assert experiment["id"] == first and experiment["experimentTemplateId"] == out["template_id"]

    # same trigger: nothing runs again
    same = stack.up()
    assert same.changes == {}, same.output
    assert len(moto.client().list_experiments()["experiments"]) == 1

    # a new trigger: a second run, recorded in place of the first (an update: one engine step)
    _settings(stack, trigger="2026-11-27")
    rerun = stack.up()
    assert rerun.changes == {"update": 1}, rerun.output
    second = stack.outputs()
    assert second["experiment_id"] != first and second["status"] == "completed"
    assert second["reason"] and second["actions"]["pause"]["status"] == "completed"
    assert second["start_time"] and second["end_time"]
    assert len(moto.client().list_experiments()["experiments"]) == 2
    assert f"gameday: experiment {second['experiment_id']} completed" in rerun.output

    # a run ending in a fail_on state fails the update and says why
    _settings(stack, trigger="2026-11-28", fail_on=["completed"])
    failed = stack.up(expect_fail=True)
    assert "ended completed: Experiment completed" in failed.output, failed.output
    assert "change `trigger` to run it again" in failed.output
    assert "chaos_pulumi/" not in failed.output, "a ProviderError is shown as its message, not a stack trace"

    assert FAKE_SECRET_KEY not in stack.state_file_text()

    destroyed = stack.destroy()
    assert destroyed.summary.get("delete", 0) >= 2, destroyed.output
    assert moto.client().list_experiment_templates()["experimentTemplates"] == []


def test_dry_run_and_destroy_stops_a_run_still_going(pulumi_stack: StackFactory, moto) -> None:
    stack = pulumi_stack(PROJECT, env=moto.env)
    _settings(stack, wait=False, actions_mode="skip-all")
    stack.up()
    out = stack.outputs()
    assert out["status"] == "pending"
    (experiment,) = _experiments(moto)  # this read moves it to "initiating"
    assert experiment["experimentOptions"]["actionsMode"] == "skip-all"

    # A new trigger while the run still goes: the old run is stopped, the next one started, in place.
    _settings(stack, trigger="2026-11-27")
    rerun = stack.up()
    assert rerun.changes == {"update": 1}, rerun.output
    second = stack.outputs()["experiment_id"]
    assert second != out["experiment_id"]
    client = moto.client()
    first_status = client.get_experiment(id=out["experiment_id"])["experiment"]["state"]["status"]
    assert first_status in ("stopping", "stopped"), first_status

    stack.destroy()  # stops the run the resource stands for now: the second one
    status = client.get_experiment(id=second)["experiment"]["state"]["status"]
    assert status in ("stopping", "stopped"), status


def test_quickstart_example_runs_as_written(pulumi_stack: StackFactory, moto, tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    for name in ("quickstart", "experiments"):  # the program reads ../experiments/
        shutil.copytree(
            examples / name, tmp_path / "examples" / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    stack = pulumi_stack(tmp_path / "examples" / "quickstart", env=moto.env, copy=False)
    up = stack.up()
    assert up.changes == {"create": 4}, up.output
    out = stack.outputs()
    assert out["experiment_status"] == "completed", out
    held = {t["id"] for t in moto.client().list_experiment_templates()["experimentTemplates"]}
    assert held == {out["typed_template_id"], out["file_template_id"]}
    (experiment,) = _experiments(moto)
    assert experiment["experimentOptions"]["actionsMode"] == "skip-all"  # the quickstart's safe default
    stack.destroy()
    assert moto.client().list_experiment_templates()["experimentTemplates"] == []
