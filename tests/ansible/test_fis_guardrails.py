"""The FIS modules enforce the guardrail policy: a violation fails the task with every problem and
nothing is created or started, in check mode too (real ansible-playbook against a moto server)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REGION, MotoServer
from tests.harness.ansible import AnsibleEnv, PlaybookResult, run_playbook
from tests.harness.proxy import CountingProxy

pytestmark = pytest.mark.ansible

PLAYBOOK = Path(__file__).parent / "playbooks" / "guardrails" / "fis.yml"
NOSTOP: dict[str, Any] = {
    "description": "Stop every web instance for five minutes",
    "roleArn": "arn:aws:iam::123456789012:role/chaos-fis",
    "stopConditions": [{"source": "none"}],
    "targets": {
        "web": {
            "resourceType": "aws:ec2:instance",
            "resourceTags": {"role": "web"},
            "selectionMode": "COUNT(1)",
        }
    },
    "actions": {
        "stopWeb": {
            "actionId": "aws:ec2:stop-instances",
            "parameters": {"startInstancesAfterDuration": "PT5M"},
            "targets": {"Instances": "web"},
        }
    },
    "tags": {"team": "platform"},
}


@pytest.fixture
def env(ansible_moto: AnsibleEnv) -> AnsibleEnv:
    kept = {k: v for k, v in ansible_moto.env.items() if k != "AWS_ENDPOINT_URL"}
    return AnsibleEnv(root=ansible_moto.root, env={**kept, "CHAOS_PULUMI_POLICY": ""})


@pytest.fixture
def proxy(moto: MotoServer) -> Iterator[CountingProxy]:
    counting = CountingProxy(moto.url)
    try:
        yield counting
    finally:
        counting.close()


def play(
    env: AnsibleEnv, proxy: CountingProxy, *, check: bool = False, **extra: Any
) -> tuple[PlaybookResult, list[str]]:
    before = proxy.snapshot()
    result = run_playbook(
        PLAYBOOK,
        env,
        extra_vars={
            "aws_endpoint_url": proxy.url,
            "aws_region": REGION,
            "template_name": "web-stop",
            **extra,
        },
        check=check,
    )
    calls = CountingProxy.diff(proxy.snapshot(), before)
    return result, sorted(op for op in calls if not op.startswith(("GET ", "HEAD ")))


def test_a_violating_template_is_not_created_also_in_check_mode(
    env: AnsibleEnv, proxy: CountingProxy, moto: MotoServer
) -> None:
    for check in (True, False):
        result, writes = play(env, proxy, check=check, template_content=NOSTOP)
        assert result.rc == 2, result.output
        task = result.task("Apply the template")
        assert "breaks the guardrail policy safe-defaults" in task["msg"]
        assert "stopConditions: [stop_condition_required]" in task["msg"]
        assert task["problems"][0]["rule"] == "stop_condition_required"
        assert writes == []
    assert moto.client("fis").list_experiment_templates()["experimentTemplates"] == []


def test_a_waived_template_is_created_and_says_so(env: AnsibleEnv, proxy: CountingProxy) -> None:
    template = copy.deepcopy(NOSTOP)
    template["tags"]["chaos:waiver"] = "stop_condition_required: staging game day, see OPS-7"
    result, writes = play(env, proxy, template_content=template)
    assert result.rc == 0, result.output
    task = result.task("Apply the template")
    assert writes == ["POST /experimentTemplates"]
    assert task["guardrails"]["waivers"][0]["rule"] == "stop_condition_required"


def test_starting_a_template_that_breaks_the_policy_is_refused(env: AnsibleEnv, proxy: CountingProxy) -> None:
    result, writes = play(env, proxy, template_content=NOSTOP, template_policy="none", start=True)
    assert result.rc == 2, result.output
    task = result.task("Start the experiment")
    assert task["msg"].startswith("experiment template ") and "breaks the guardrail policy" in task["msg"]
    assert writes == ["POST /experimentTemplates"]  # created with the gate off; never started
