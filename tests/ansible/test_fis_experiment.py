"""chaos.faults.fis_experiment and the _info modules through real ansible-playbook against moto.

moto advances an experiment one state per GetExperiment (pending, initiating, running, completed),
so waiting, stopping and timing out all run the real polling code. Every account has the three
running instances the example template's target selects one of, so the preflight before each start
resolves it for real.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REGION, MotoServer
from tests.harness.ansible import AnsibleEnv, PlaybookResult, run_playbook

pytestmark = pytest.mark.ansible

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = Path(__file__).parent / "playbooks" / "fis"
EXAMPLE_FILE = ROOT / "examples" / "experiments" / "ec2-stop-one-instance.yaml"


@pytest.fixture(autouse=True)
def web(moto: MotoServer) -> list[str]:
    """What examples/experiments/ec2-stop-one-instance.yaml targets: running app=web, chaos-ready=true."""
    return moto.run_instances(3, {"app": "web", "chaos-ready": "true"})


def play(name: str, env: AnsibleEnv, moto: MotoServer, **extra: Any) -> PlaybookResult:
    extra_vars = {
        "aws_endpoint_url": moto.url,
        "aws_region": REGION,
        "template_name": "web-stop",
        "template_file": str(EXAMPLE_FILE),
        "run_tag": "game-day-1",
        **extra,
    }
    without_endpoint = {k: v for k, v in env.env.items() if k != "AWS_ENDPOINT_URL"}
    return run_playbook(PLAYBOOKS / name, AnsibleEnv(env.root, without_endpoint), extra_vars=extra_vars)


def test_start_with_wait_reaches_completed(ansible_moto: AnsibleEnv, moto: MotoServer) -> None:
    result = play("run.yml", ansible_moto, moto)
    assert result.rc == 0, result.output
    run = result.task("Run the experiment")
    assert run["changed"] is True
    experiment = run["experiment"]
    assert experiment["status"] == "completed"
    assert experiment["state"]["status"] == "completed"
    # Action names are the user's, untouched; fields are snake_case.
    assert experiment["action_states"] == {"stop-web": "completed"}
    assert experiment["actions"]["stop-web"]["action_id"] == "aws:ec2:stop-instances"
    assert experiment["actions"]["stop-web"]["parameters"] == {"startInstancesAfterDuration": "PT5M"}
    assert experiment["tags"] == {"run": "game-day-1"}
    assert [s["status"] for s in run["status_history"]][-1] == "completed"
    assert len(run["status_history"]) >= 2
    (target,) = run["preflight"]["targets"]
    assert (target["name"], target["would_hit"], target["matching_count"]) == ("web", 1, 3)
    assert run["preflight"]["refused"] is False and run["guardrails"]["policy"] == "safe-defaults"
    assert run["resolved_targets"] == {}  # moto resolves only targets that list ARNs

    live = moto.client("fis").get_experiment(id=experiment["id"])["experiment"]
    assert live["state"]["status"] == "completed"

    history = result.task("Describe the experiments of the template")
    assert [e["id"] for e in history["experiments"]] == [experiment["id"]]
    assert history["experiments"][0]["action_states"] == {"stop-web": "completed"}

    described = result.task("Describe the template")["experiment_templates"]
    assert [t["name"] for t in described] == ["web-stop"]
    assert described[0]["content"]["actions"]["stop-web"]["actionId"] == "aws:ec2:stop-instances"
    assert described[0]["tags"]["team"] == "platform"


def test_skip_all_is_a_dry_run(ansible_moto: AnsibleEnv, moto: MotoServer) -> None:
    result = play("run.yml", ansible_moto, moto, actions_mode="skip-all")
    assert result.rc == 0, result.output
    experiment = result.task("Run the experiment")["experiment"]
    assert experiment["experiment_options"]["actions_mode"] == "skip-all"
    live = moto.client("fis").get_experiment(id=experiment["id"])["experiment"]
    assert live["experimentOptions"]["actionsMode"] == "skip-all"


def test_stop_then_stop_again_is_unchanged(ansible_moto: AnsibleEnv, moto: MotoServer) -> None:
    result = play("stop.yml", ansible_moto, moto)
    assert result.rc == 0, result.output
    started = result.task("Start the experiment")
    assert started["changed"] is True
    experiment_id = started["experiment"]["id"]
    assert started["experiment"]["status"] == "pending"
    assert "status_history" not in started

    planned = result.task("Stop it (check mode)")
    assert planned["changed"] is True
    assert planned["experiment"]["status"] not in ("stopping", "stopped")

    stopped = result.task("Stop it")
    assert stopped["changed"] is True
    assert stopped["experiment"]["status"] == "stopped"

    again = result.task("Stop it again")
    assert again["changed"] is False
    assert again["experiment"]["status"] == "stopped"
    assert result.task("Running experiments")["experiments"] == []
    assert moto.client("fis").get_experiment(id=experiment_id)["experiment"]["state"]["status"] == "stopped"


def test_timeout_stops_the_experiment_and_fails(ansible_moto: AnsibleEnv, moto: MotoServer) -> None:
    # Slow polling: the second look comes after the deadline, while moto still says "running".
    result = play("run.yml", ansible_moto, moto, wait_timeout=1, poll_interval=5)
    assert result.rc != 0
    run = result.task("Run the experiment")
    assert run["failed"] is True
    assert "after 1s" in run["msg"] and "stopped it" in run["msg"], run["msg"]
    experiment_id = run["experiment"]["id"]
    status = moto.client("fis").get_experiment(id=experiment_id)["experiment"]["state"]["status"]
    assert status in ("stopping", "stopped")


def test_unknown_template_name_fails_clearly(
    ansible_moto: AnsibleEnv, moto: MotoServer, tmp_path: Path
) -> None:
    playbook = tmp_path / "start-unknown.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - name: Start\n      chaos.faults.fis_experiment:\n        template_name: nope\n"
        f"        endpoint_url: {moto.url}\n        region: {REGION}\n"
    )
    result = run_playbook(playbook, ansible_moto)
    assert result.rc != 0
    msg = result.task("Start")["msg"]
    assert msg.startswith("template_name: no FIS experiment template is named nope"), msg
    assert moto.client("fis").list_experiments()["experiments"] == []
