"""chaos.faults.fis_experiment checks before it starts: the FIS safety lever and the blast-radius
preflight, with real tagged EC2 instances in moto (real ansible-playbook against a moto server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REGION, MotoServer
from tests.harness.ansible import AnsibleEnv, PlaybookResult, run_playbook

pytestmark = pytest.mark.ansible

PLAYBOOK = Path(__file__).parent / "playbooks" / "fis" / "preflight.yml"
ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx"


def template(selection: str, tags: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "description": "Stop some web instances",
        "roleArn": "arn:aws:iam::123456789012:role/chaos-fis",
        "stopConditions": [{"source": "aws:cloudwatch:alarm", "value": ALARM}],
        "targets": {
            "web": {
                "resourceType": "aws:ec2:instance",
                "resourceTags": tags or {"app": "web"},
                "filters": [{"path": "State.Name", "values": ["running"]}],
                "selectionMode": selection,
            }
        },
        "actions": {
            "stop": {
                "actionId": "aws:ec2:stop-instances",
                "parameters": {"startInstancesAfterDuration": "PT5M"},
                "targets": {"Instances": "web"},
            }
        },
    }


@pytest.fixture
def env(ansible_moto: AnsibleEnv) -> AnsibleEnv:
    kept = {k: v for k, v in ansible_moto.env.items() if k != "AWS_ENDPOINT_URL"}
    return AnsibleEnv(root=ansible_moto.root, env={**kept, "CHAOS_PULUMI_POLICY": ""})


def play(env: AnsibleEnv, moto: MotoServer, *, check: bool = False, **extra: Any) -> PlaybookResult:
    extra_vars = {"aws_endpoint_url": moto.url, "aws_region": REGION, "template_name": "web-stop", **extra}
    return run_playbook(PLAYBOOK, env, extra_vars=extra_vars, check=check)


def experiments(moto: MotoServer) -> list[dict[str, Any]]:
    return moto.client("fis").list_experiments()["experiments"]


def test_a_run_over_the_cap_is_refused_in_check_mode_too(env: AnsibleEnv, moto: MotoServer, tmp_path) -> None:
    moto.run_instances(6, {"app": "web"})
    policy = tmp_path / "guardrails.yaml"
    policy.write_text(
        "version: 1\nrules:\n  max_selection: {resource_types: {'*': {count: 2, percent: 50}}}\n"
    )
    for check in (False, True):  # the check-mode run starts the template the first run created
        result = play(env, moto, check=check, template_content=template("PERCENT(50)"), policy=str(policy))
        assert result.rc == 2, result.output
        task = result.task("Start the experiment")
        assert task["msg"].startswith("preflight refused template "), task["msg"]
        assert (
            "target 'web' (aws:ec2:instance, PERCENT(50)) would hit 3 of 6 matching resources" in task["msg"]
        )
        assert "the cap for aws:ec2:instance is 2" in task["msg"]
        assert f"caps from the guardrail policy guardrails ({policy})" in task["msg"]
        assert task["preflight"]["refused"] is True and task["preflight"]["targets"][0]["would_hit"] == 3
        assert task["guardrails"]["verdicts"]["max_selection"] == "pass"  # the template itself complies
    assert experiments(moto) == []


def test_an_empty_target_is_refused_and_preflight_false_skips_it_visibly(
    env: AnsibleEnv, moto: MotoServer
) -> None:
    result = play(env, moto, template_content=template("COUNT(1)"))
    assert result.rc == 2, result.output
    assert (
        "matches no resource and emptyTargetResolutionMode is 'fail'"
        in result.task("Start the experiment")["msg"]
    )
    assert experiments(moto) == []

    skipped = play(env, moto, template_content=template("COUNT(1)"), preflight=False)
    assert skipped.rc == 0, skipped.output
    started = skipped.task("Start the experiment")
    assert started["preflight"] == {"skipped": True, "refused": False, "targets": []}
    assert any("preflight: false" in w for w in started.get("warnings", [])), started
    assert len(experiments(moto)) == 1


def test_a_passing_preflight_is_reported_with_what_fis_resolved(env: AnsibleEnv, moto: MotoServer) -> None:
    web = moto.run_instances(3, {"app": "web"})
    result = play(env, moto, template_content=template("COUNT(1)"), wait=True)
    assert result.rc == 0, result.output
    started = result.task("Start the experiment")
    report = started["preflight"]
    assert report["skipped"] is False and report["refused"] is False and report["account"] == "123456789012"
    (target,) = report["targets"]
    assert (target["would_hit"], target["matching_count"], target["summary"]) == (1, 3, "would hit 1 of 3")
    assert sorted(a.rsplit("/", 1)[1] for a in target["matching"]) == sorted(web)
    assert started["experiment"]["status"] == "completed" and started["resolved_targets"] == {}


def test_an_engaged_safety_lever_refuses_the_start(env: AnsibleEnv, moto: MotoServer) -> None:
    moto.run_instances(1, {"app": "web"})
    fis = moto.client("fis")
    fis.update_safety_lever_state(id="default", state={"status": "engaged", "reason": "INC-8 checkout down"})
    for check in (False, True):  # the check-mode run starts the template the first run created
        result = play(env, moto, check=check, template_content=template("COUNT(1)"))
        assert result.rc == 2, result.output
        msg = result.task("Start the experiment")["msg"]
        assert msg.startswith("the FIS safety lever in us-east-1 is engaged (INC-8 checkout down)"), msg
    assert experiments(moto) == []
