"""chaos.faults.fis_experiment_template through real ansible-playbook against a moto server.

The playbooks pass ``endpoint_url`` to the modules (``module_defaults`` of the collection's action
group); ``AWS_ENDPOINT_URL`` is removed from the environment so that only the module option can aim
them at moto. That endpoint is a call-counting HTTP proxy in front of the moto server (the one the
benchmarks use), which is how "no write call" is checked.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chaos_pulumi.spec import TemplateSpec
from chaos_pulumi.spec.scenarios import render_scenario
from tests.conftest import FAKE_SECRET_KEY, REGION, MotoServer
from tests.harness.ansible import AnsibleEnv, PlaybookResult, run_playbook
from tests.harness.proxy import CountingProxy

pytestmark = pytest.mark.ansible

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = Path(__file__).parent / "playbooks" / "fis"
EXAMPLE_FILE = ROOT / "examples" / "experiments" / "ec2-stop-one-instance.yaml"
# FIS REST operations (as CountingProxy names them) -> API names, for readable assertions.
WRITE_CALLS = {
    "POST /experimentTemplates": "CreateExperimentTemplate",
    "PATCH /experimentTemplates/{id}": "UpdateExperimentTemplate",
    "DELETE /experimentTemplates/{id}": "DeleteExperimentTemplate",
    "POST /tags/{id}": "TagResource",
    "DELETE /tags/{id}": "UntagResource",
    "POST /experiments": "StartExperiment",
    "DELETE /experiments/{id}": "StopExperiment",
}

TEMPLATE: dict[str, Any] = {
    "description": "Stop one web instance for five minutes",
    "roleArn": "arn:aws:iam::123456789012:role/chaos-fis",
    "stopConditions": [
        {"source": "aws:cloudwatch:alarm", "value": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx"}
    ],
    "targets": {
        "webInstances": {
            "resourceType": "aws:ec2:instance",
            "resourceTags": {"role": "web"},
            "selectionMode": "COUNT(1)",
        }
    },
    "actions": {
        "stopWeb": {
            "actionId": "aws:ec2:stop-instances",
            "parameters": {"startInstancesAfterDuration": "PT5M"},
            "targets": {"Instances": "webInstances"},
        }
    },
    "tags": {"team": "platform"},
}


@pytest.fixture
def env(ansible_moto: AnsibleEnv) -> AnsibleEnv:
    without_endpoint = {k: v for k, v in ansible_moto.env.items() if k != "AWS_ENDPOINT_URL"}
    return AnsibleEnv(root=ansible_moto.root, env=without_endpoint)


@pytest.fixture
def proxy(moto: MotoServer) -> Iterator[CountingProxy]:
    counting = CountingProxy(moto.url)
    try:
        yield counting
    finally:
        counting.close()


@dataclass
class Run:
    """One playbook run and the FIS write calls it made."""

    result: PlaybookResult
    writes: list[str]

    def task(self, name: str = "Apply the template") -> dict[str, Any]:
        return self.result.task(name)

    @property
    def rc(self) -> int:
        return self.result.rc

    @property
    def output(self) -> str:
        return self.result.output


def apply(env: AnsibleEnv, proxy: CountingProxy, *, check: bool = False, **extra: Any) -> Run:
    extra_vars = {"aws_endpoint_url": proxy.url, "aws_region": REGION, "template_name": "web-stop", **extra}
    before = proxy.snapshot()
    result = run_playbook(PLAYBOOKS / "template.yml", env, extra_vars=extra_vars, check=check, diff=True)
    calls = CountingProxy.diff(proxy.snapshot(), before)
    writes = sorted(
        WRITE_CALLS.get(op, op) for op, n in calls.items() if not op.startswith(("GET ", "HEAD "))
    )
    return Run(result=result, writes=writes)


def templates(moto: MotoServer) -> list[dict[str, Any]]:
    client = moto.client("fis")
    return [
        client.get_experiment_template(id=t["id"])["experimentTemplate"]
        for t in client.list_experiment_templates()["experimentTemplates"]
    ]


def test_create_then_second_run_is_unchanged_without_writes(
    env: AnsibleEnv, moto: MotoServer, proxy: CountingProxy
) -> None:
    first = apply(env, proxy, template_content=TEMPLATE)
    assert first.rc == 0, first.output
    created = first.task("Apply the template")
    assert created["changed"] is True
    assert first.writes == ["CreateExperimentTemplate"]
    live = templates(moto)
    assert len(live) == 1
    assert live[0]["tags"] == {"Name": "web-stop", "team": "platform"}
    assert live[0]["actions"]["stopWeb"]["parameters"] == {"startInstancesAfterDuration": "PT5M"}

    returned = created["experiment_template"]
    assert returned["id"] == live[0]["id"]
    assert returned["arn"] == live[0]["arn"]
    assert returned["name"] == "web-stop"
    # snake_case fields, user-chosen keys exactly as written
    assert returned["role_arn"] == TEMPLATE["roleArn"]
    assert returned["actions"]["stopWeb"]["action_id"] == "aws:ec2:stop-instances"
    assert returned["actions"]["stopWeb"]["parameters"] == {"startInstancesAfterDuration": "PT5M"}
    assert returned["actions"]["stopWeb"]["targets"] == {"Instances": "webInstances"}
    assert returned["targets"]["webInstances"]["resource_tags"] == {"role": "web"}
    assert returned["content"]["actions"]["stopWeb"]["actionId"] == "aws:ec2:stop-instances"
    assert created["diff"]["before"] == {}
    assert created["diff"]["after"]["description"] == TEMPLATE["description"]

    second = apply(env, proxy, template_content=TEMPLATE)
    assert second.rc == 0, second.output
    again = second.task("Apply the template")
    assert again["changed"] is False
    assert second.writes == []
    assert again["experiment_template"]["id"] == returned["id"]
    assert templates(moto)[0]["lastUpdateTime"] == live[0]["lastUpdateTime"]

    # The same template in another order and with FIS defaults spelled out is still the same.
    shuffled = copy.deepcopy(TEMPLATE)
    shuffled["experimentOptions"] = {
        "accountTargeting": "single-account",
        "emptyTargetResolutionMode": "fail",
    }
    shuffled = dict(reversed(list(shuffled.items())))
    third = apply(env, proxy, template_content=shuffled)
    assert third.rc == 0, third.output
    assert third.task("Apply the template")["changed"] is False
    assert FAKE_SECRET_KEY not in first.output + second.output + third.output


def test_check_mode_reports_and_writes_nothing(
    env: AnsibleEnv, moto: MotoServer, proxy: CountingProxy
) -> None:
    planned = apply(env, proxy, check=True, template_content=TEMPLATE)
    assert planned.rc == 0, planned.output
    task = planned.task("Apply the template")
    assert task["changed"] is True
    assert planned.writes == []
    assert task["experiment_template"]["id"] is None
    assert task["experiment_template"]["actions"]["stopWeb"]["parameters"] == {
        "startInstancesAfterDuration": "PT5M"
    }
    assert task["diff"]["after"]["actions"]["stopWeb"]["actionId"] == "aws:ec2:stop-instances"
    assert templates(moto) == []

    assert apply(env, proxy, template_content=TEMPLATE).rc == 0
    before = templates(moto)
    changed = copy.deepcopy(TEMPLATE)
    changed["actions"]["stopWeb"]["parameters"]["startInstancesAfterDuration"] = "PT10M"
    planned = apply(env, proxy, check=True, template_content=changed, template_tags={"owner": "sre"})
    assert planned.rc == 0, planned.output
    task = planned.task("Apply the template")
    assert task["changed"] is True
    assert planned.writes == []
    assert task["diff"]["before"]["actions"]["stopWeb"]["parameters"] == {
        "startInstancesAfterDuration": "PT5M"
    }
    assert task["diff"]["after"]["actions"]["stopWeb"]["parameters"] == {
        "startInstancesAfterDuration": "PT10M"
    }
    assert task["diff"]["after"]["tags"] == {"Name": "web-stop", "owner": "sre", "team": "platform"}
    assert templates(moto) == before


def test_update_content_tags_and_role_arn(env: AnsibleEnv, moto: MotoServer, proxy: CountingProxy) -> None:
    assert apply(env, proxy, template_content=TEMPLATE, template_tags={"owner": "sre"}).rc == 0
    template_id = templates(moto)[0]["id"]

    changed = copy.deepcopy(TEMPLATE)
    changed["description"] = "Stop one web instance for ten minutes"
    changed["actions"]["stopWeb"]["parameters"]["startInstancesAfterDuration"] = "PT10M"
    changed["tags"] = {"team": "web"}
    result = apply(env, proxy, template_content=changed, role_arn="arn:aws:iam::123456789012:role/other")
    assert result.rc == 0, result.output
    task = result.task("Apply the template")
    assert task["changed"] is True
    assert result.writes == ["TagResource", "UntagResource", "UpdateExperimentTemplate"]
    assert task["diff"]["before"]["description"] == TEMPLATE["description"]
    assert task["diff"]["after"]["description"] == changed["description"]
    live = templates(moto)
    assert [t["id"] for t in live] == [template_id]
    assert live[0]["description"] == changed["description"]
    assert live[0]["roleArn"] == "arn:aws:iam::123456789012:role/other"
    assert live[0]["actions"]["stopWeb"]["parameters"] == {"startInstancesAfterDuration": "PT10M"}
    # purge_tags (default true): 'owner' is gone, Name always stays.
    assert live[0]["tags"] == {"Name": "web-stop", "team": "web"}

    kept = apply(
        env,
        proxy,
        template_content=changed,
        role_arn="arn:aws:iam::123456789012:role/other",
        template_tags={"extra": "1"},
        purge_tags=False,
    )
    assert kept.rc == 0, kept.output
    assert kept.writes == ["TagResource"]
    assert templates(moto)[0]["tags"] == {"Name": "web-stop", "team": "web", "extra": "1"}


def test_template_file_from_examples(env: AnsibleEnv, moto: MotoServer, proxy: CountingProxy) -> None:
    result = apply(env, proxy, template_file=str(EXAMPLE_FILE))
    assert result.rc == 0, result.output
    task = result.task("Apply the template")
    assert task["changed"] is True
    assert "stop-web" in task["experiment_template"]["actions"]
    assert templates(moto)[0]["tags"]["Name"] == "web-stop"
    again = apply(env, proxy, template_file=str(EXAMPLE_FILE))
    assert again.task("Apply the template")["changed"] is False


def test_invalid_template_fails_with_every_field_path_and_creates_nothing(
    env: AnsibleEnv, moto: MotoServer, proxy: CountingProxy
) -> None:
    bad = copy.deepcopy(TEMPLATE)
    bad["roleArn"] = "fis-role"
    bad["actions"]["stopWeb"]["parameters"]["startInstancesAfterDuration"] = "five minutes"
    bad["actions"]["stopWeb"]["targets"]["Instances"] = "dbInstances"
    for check in (False, True):
        result = apply(env, proxy, check=check, template_content=bad)
        assert result.rc != 0, result.output
        task = result.task("Apply the template")
        assert task["failed"] is True
        msg = task["msg"]
        assert "roleArn: 'fis-role' is not an IAM role ARN" in msg
        assert "actions.stopWeb.parameters.startInstancesAfterDuration: 'five minutes'" in msg
        assert "actions.stopWeb.targets.Instances: target 'dbInstances' is not defined" in msg
        assert "Traceback" not in msg
        paths = {p["path"] for p in task["problems"] if p["severity"] == "error"}
        assert {
            "roleArn",
            "actions.stopWeb.parameters.startInstancesAfterDuration",
            "actions.stopWeb.targets.Instances",
        } <= paths
        # Validation comes before any API call that writes.
        assert result.writes == []
        assert templates(moto) == []


def test_missing_template_file_names_the_file(
    env: AnsibleEnv, moto: MotoServer, proxy: CountingProxy, tmp_path: Path
) -> None:
    result = apply(env, proxy, template_file=str(tmp_path / "nope.yaml"))
    assert result.rc != 0
    msg = result.task("Apply the template")["msg"]
    assert "nope.yaml" in msg and "Traceback" not in msg
    assert templates(moto) == []


def test_name_tag_conflict_is_refused(env: AnsibleEnv, moto: MotoServer, proxy: CountingProxy) -> None:
    result = apply(env, proxy, template_content=TEMPLATE, template_tags={"Name": "other"})
    assert result.rc != 0
    assert "tags.Name" in result.task("Apply the template")["msg"]
    assert templates(moto) == []


def test_absent_removes_and_absent_again_is_unchanged(
    env: AnsibleEnv, moto: MotoServer, proxy: CountingProxy
) -> None:
    assert apply(env, proxy, template_content=TEMPLATE).rc == 0
    assert apply(env, proxy, template_name="keep-me", template_content=TEMPLATE).rc == 0
    assert len(templates(moto)) == 2

    planned = apply(env, proxy, check=True, template_state="absent")
    assert planned.rc == 0, planned.output
    assert planned.task("Apply the template")["changed"] is True
    assert len(templates(moto)) == 2

    removed = apply(env, proxy, template_state="absent")
    assert removed.rc == 0, removed.output
    task = removed.task("Apply the template")
    assert task["changed"] is True
    assert removed.writes == ["DeleteExperimentTemplate"]
    assert task["diff"]["after"] == {}
    assert [t["tags"]["Name"] for t in templates(moto)] == ["keep-me"]

    again = apply(env, proxy, template_state="absent")
    assert again.rc == 0, again.output
    assert again.task("Apply the template")["changed"] is False
    assert again.writes == []


# ----- scenario: {name, parameters}: AWS's scenario library rendered by the module ---------------------

SLOWDOWN = {
    "name": "az-application-slowdown",
    "parameters": {
        "availability_zone": "us-east-1a",
        "delay_milliseconds": 300,
        "duration": "PT15M",
        "stop_conditions": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-5xx"],
    },
}


def test_a_scenario_is_rendered_applied_and_idempotent(
    env: AnsibleEnv, moto: MotoServer, proxy: CountingProxy
) -> None:
    role = "arn:aws:iam::123456789012:role/fis-scenarios"
    first = apply(env, proxy, scenario=SLOWDOWN, role_arn=role, template_name="checkout-slow-1a")
    assert first.rc == 0, first.output
    assert first.writes == ["CreateExperimentTemplate"]
    task = first.task()
    assert task["scenario"] == {
        "name": "az-application-slowdown",
        "sub_actions": ["latency-for-ec2", "latency-for-ecs"],
        "left_out": {"latency-for-eks": "needs eks_cluster (the EKS cluster of the pods)"},
    }
    assert task["guardrails"]["policy"] == "safe-defaults"
    assert task["guardrails"]["verdicts"]["max_selection"] == "waived"
    assert task["guardrails"]["waivers"][0]["reason"].startswith("az-application-slowdown by AWS's design")

    (live,) = templates(moto)
    expected = render_scenario("az-application-slowdown", {**SLOWDOWN["parameters"], "role_arn": role}).spec
    tags = {**expected.tags, "Name": "checkout-slow-1a"}  # the task's name, not the scenario's title
    assert TemplateSpec.from_fis(live).to_dict() == {**expected.to_dict(), "tags": tags}

    again = apply(env, proxy, scenario=SLOWDOWN, role_arn=role, template_name="checkout-slow-1a")
    assert again.rc == 0, again.output
    assert again.task()["changed"] is False and again.writes == []


def test_bad_scenario_parameters_name_the_field_and_change_nothing(
    env: AnsibleEnv, moto: MotoServer, proxy: CountingProxy
) -> None:
    bad = {"name": "az-application-slowdown", "parameters": {"availability_zone": "use1-az1", "delay_ms": 5}}
    for check in (True, False):
        run = apply(env, proxy, check=check, scenario=bad, role_arn="arn:aws:iam::123456789012:role/fis")
        assert run.rc == 2, run.output
        msg = run.task()["msg"]
        assert msg.startswith("scenario az-application-slowdown cannot be rendered"), msg
        assert "scenario.parameters.delay_ms: unknown parameter; did you mean 'delay_milliseconds'?" in msg
        assert "scenario.parameters.stop_conditions" not in msg  # reported once the others are fixed
        assert run.writes == []
    assert templates(moto) == []


def test_a_scenario_under_a_policy_that_allows_no_waiver_is_refused(
    env: AnsibleEnv, moto: MotoServer, proxy: CountingProxy, tmp_path: Path
) -> None:
    strict = tmp_path / "strict.yaml"
    strict.write_text(
        "version: 1\nrules:\n  max_selection: {resource_types: {'*': {count: 5}}, waivable: false}\n"
    )
    run = apply(
        env, proxy, scenario=SLOWDOWN, role_arn="arn:aws:iam::123456789012:role/fis", policy=str(strict)
    )
    assert run.rc == 2, run.output
    msg = run.task()["msg"]
    assert "scenario az-application-slowdown breaks the guardrail policy strict" in msg, msg
    assert "[waiver]" in msg and "max_selection" in msg
    assert run.writes == [] and templates(moto) == []
