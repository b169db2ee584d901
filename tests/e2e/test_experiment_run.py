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
    # The account it runs against: web instances for its targets (as examples/quickstart/run_local.py
    # makes them), one stopped, so the preflight resolves tags and the running filter for real.
    web = moto.run_instances(3, {"app": "web", "chaos-ready": "true"})
    moto.client("ec2").stop_instances(InstanceIds=[web[0]])
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
    assert out["experiment_preflight"] == {"web": "would hit 1 of 2"}
    assert out["experiment_resolved_targets"] == {}  # moto resolves only targets that list ARNs
    assert "gameday: preflight: target 'web' (aws:ec2:instance, COUNT(1)): would hit 1 of 2" in up.output
    stack.destroy()
    assert moto.client().list_experiment_templates()["experimentTemplates"] == []


# ----- the checks before a start, through the real engine -------------------------------------------

CHECKED = """\
import json
from pathlib import Path

import pulumi

from chaos_pulumi import Action, Experiment, ExperimentTemplate, Filter, StopCondition, Target

settings = json.loads(Path("settings.json").read_text())
tpl = ExperimentTemplate(
    "web",
    description="Stop web instances",
    role_arn="arn:aws:iam::123456789012:role/chaos-fis",
    targets={"web": Target(resource_type="aws:ec2:instance", resource_tags={"app": "web"},
                           filters=[Filter(path="State.Name", values=["running"])],
                           selection_mode=settings["selection"])},
    actions={"stop": Action(action_id="aws:ec2:stop-instances", targets={"Instances": "web"},
                            parameters={"startInstancesAfterDuration": "PT5M"})},
    stop_conditions=[StopCondition(source="aws:cloudwatch:alarm",
                                   value="arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx")],
)
if settings.get("trigger"):
    run = Experiment("gameday", template_id=tpl.id, trigger=settings["trigger"], wait=True, timeout="PT2M",
                     preflight=settings.get("preflight", True))
    pulumi.export("preflight", run.preflight_report)
"""


def test_preview_warns_up_refuses_and_preflight_false_skips_visibly(pulumi_stack: StackFactory, moto) -> None:
    stack = pulumi_stack.inline(CHECKED, env=moto.env)
    stack.write_file("settings.json", json.dumps({"selection": "COUNT(1)"}))
    # No instance carries app=web yet: the template's preview says a run would be refused, and passes.
    preview = stack.preview()
    assert preview.changes == {"create": 2}, preview.output
    assert (
        "web: warning: preflight: target 'web' (aws:ec2:instance, COUNT(1)) matches no resource"
        in preview.output
    )
    assert "an Experiment of this template would be refused now" in preview.output

    stack.write_file("settings.json", json.dumps({"selection": "COUNT(1)", "trigger": "t1"}))
    refused = stack.up(expect_fail=True)
    assert "gameday: preflight refused template " in refused.output, refused.output
    assert "matches no resource and emptyTargetResolutionMode is 'fail'" in refused.output
    assert "chaos_pulumi/" not in refused.output, "a refusal is a message, not a stack trace"
    assert moto.client().list_experiments()["experiments"] == []

    stack.write_file(
        "settings.json", json.dumps({"selection": "COUNT(1)", "trigger": "t1", "preflight": False})
    )
    skipped = stack.up()
    assert "gameday: preflight skipped (preflight=False)" in skipped.output, skipped.output
    assert stack.outputs()["preflight"]["skipped"] is True
    assert len(moto.client().list_experiments()["experiments"]) == 1
    stack.destroy()


def test_the_project_policy_caps_a_run_and_an_engaged_lever_refuses_it(
    pulumi_stack: StackFactory, moto
) -> None:
    moto.run_instances(4, {"app": "web"})
    stack = pulumi_stack.inline(CHECKED, env=moto.env)
    # The repository states its policy once; the provider runs in the project directory and finds it.
    stack.write_file(
        "guardrails.yaml", "version: 1\nrules:\n  max_selection: {resource_types: {'*': {count: 1}}}\n"
    )
    stack.write_file("chaos-pulumi.yaml", "policy: guardrails.yaml\n")
    stack.write_file("settings.json", json.dumps({"selection": "PERCENT(50)", "trigger": "t1"}))
    refused = stack.up(expect_fail=True)
    assert (
        "target 'web' (aws:ec2:instance, PERCENT(50)) would hit 2 of 4 matching resources" in refused.output
    )
    assert "the cap for aws:ec2:instance is 1" in refused.output
    assert (
        "caps from the guardrail policy guardrails" in refused.output
        and "chaos-pulumi.yaml" in refused.output
    )
    assert moto.client().list_experiments()["experiments"] == []

    stack.write_file("settings.json", json.dumps({"selection": "COUNT(1)", "trigger": "t2"}))
    fis = moto.client()
    fis.update_safety_lever_state(id="default", state={"status": "engaged", "reason": "INC-5 game over"})
    engaged = stack.up(expect_fail=True)
    assert "the FIS safety lever in us-east-1 is engaged (INC-5 game over)" in engaged.output, engaged.output
    assert fis.list_experiments()["experiments"] == []
    fis.update_safety_lever_state(id="default", state={"status": "disengaged", "reason": "INC-5 resolved"})
    stack.up()
    report = stack.outputs()["preflight"]
    assert report["targets"][0]["would_hit"] == 1 and report["targets"][0]["cap"]["max_count"] == 1
    assert report["policy"].startswith("guardrails (")
    stack.destroy()
