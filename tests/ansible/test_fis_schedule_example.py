"""examples/ansible/fis-schedule.yml runs as written against the embedded default (moto)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chaos_pulumi.spec import load_file
from chaos_pulumi.spec.iam import iam_policy
from chaos_pulumi.spec.schedules import SCHEDULE_TAG
from tests.conftest import MotoServer
from tests.harness.ansible import AnsibleEnv, run_playbook

pytestmark = pytest.mark.ansible

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "ansible" / "fis-schedule.yml"


def _doc(value):
    return json.loads(value) if isinstance(value, str) else value


def test_fis_schedule_example(ansible_moto: AnsibleEnv, moto: MotoServer) -> None:
    result = run_playbook(EXAMPLE, ansible_moto)
    assert result.rc == 0, result.output
    iam = moto.client("iam")

    fis_role = iam.get_role(RoleName="chaos-fis-experiments")["Role"]
    trust = _doc(fis_role["AssumeRolePolicyDocument"])["Statement"][0]
    assert trust["Principal"] == {"Service": "fis.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert trust["Condition"]["ArnLike"] == {
        "aws:SourceArn": "arn:aws:fis:us-east-1:123456789012:experiment/*"
    }
    policy = _doc(
        iam.get_role_policy(RoleName="chaos-fis-experiments", PolicyName="fis-experiment-permissions")[
            "PolicyDocument"
        ]
    )
    spec = load_file(ROOT / "examples" / "experiments" / "ec2-stop-one-instance.yaml").spec
    assert policy == iam_policy(spec)

    (template,) = moto.client("fis").list_experiment_templates()["experimentTemplates"]
    live = moto.client("fis").get_experiment_template(id=template["id"])["experimentTemplate"]
    assert live["roleArn"] == fis_role["Arn"]

    scheduler = moto.client("scheduler")
    group = scheduler.get_schedule_group(Name="web-monkey")
    assert {"Key": SCHEDULE_TAG, "Value": "web-monkey"} in scheduler.list_tags_for_resource(
        ResourceArn=group["Arn"]
    )["Tags"]
    plan = result.task("Print the plan")["msg"]
    names = [s["Name"] for s in scheduler.list_schedules(GroupName="web-monkey")["Schedules"]]
    assert plan[2] == f"schedule group web-monkey: {len(names)} runs planned"
    for name in names:
        one = scheduler.get_schedule(Name=name, GroupName="web-monkey")
        assert one["Target"]["RoleArn"] == iam.get_role(RoleName="chaos-fis-scheduler")["Role"]["Arn"]
        assert json.loads(one["Target"]["Input"])["experimentTemplateId"] == template["id"]
