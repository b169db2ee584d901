"""A FIS scenario component through the real Pulumi CLI and engine, against a real moto server.

The FIS part runs for real (the ExperimentTemplate's dynamic provider calls moto over HTTP); the role
comes in as a plain ARN because pulumi-aws's provider plugin cannot run here.
"""

from __future__ import annotations

import pytest

from chaos_pulumi.spec import TemplateSpec
from chaos_pulumi.spec.scenarios import render_scenario
from tests.harness.pulumi import StackFactory

pytestmark = pytest.mark.pulumi

ROLE = "arn:aws:iam::123456789012:role/fis-scenarios"
ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-5xx"

PROGRAM = """
import pulumi
from chaos_pulumi.components import CrossAzTrafficSlowdown

slowdown = CrossAzTrafficSlowdown(
    "checkout-loss-1a",
    availability_zone="us-east-1a",
    other_availability_zones=["us-east-1b", "us-east-1c"],
    loss_percent={loss},
    role_arn="{role}",
    stop_conditions=["{alarm}"],
)
pulumi.export("template_id", slowdown.template_id)
pulumi.export("actions", slowdown.actions)
pulumi.export("sub_actions", slowdown.sub_actions)
"""


def _program(loss: int) -> str:
    return PROGRAM.format(loss=loss, role=ROLE, alarm=ALARM)


def _expected(loss: int) -> TemplateSpec:
    return render_scenario(
        "cross-az-traffic-slowdown",
        {
            "availability_zone": "us-east-1a",
            "other_availability_zones": ["us-east-1b", "us-east-1c"],
            "loss_percent": loss,
            "role_arn": ROLE,
            "stop_conditions": [ALARM],
        },
    ).spec


def test_scenario_component_creates_updates_and_deletes_the_template(
    pulumi_stack: StackFactory, moto
) -> None:
    stack = pulumi_stack.inline(_program(15), env=moto.env)
    preview = stack.preview()
    assert preview.changes == {"create": 3}, preview.output  # stack, component, template

    up = stack.up()
    assert up.changes == {"create": 3}, up.output
    outputs = stack.outputs()
    fis = moto.client("fis")
    live = fis.get_experiment_template(id=outputs["template_id"])["experimentTemplate"]
    assert TemplateSpec.from_fis(live) == _expected(15)
    assert outputs["actions"] == {
        "PacketLossForEC2": "aws:ssm:send-command",
        "PacketLossForECS": "aws:ecs:task-network-packet-loss",
    }
    assert outputs["sub_actions"] == ["packet-loss-for-ec2", "packet-loss-for-ecs"]

    again = stack.up()
    assert again.changes == {}, again.output

    stack.write_main(_program(40))
    changed = stack.up()
    assert changed.changes == {"update": 1}, changed.output
    live = fis.get_experiment_template(id=outputs["template_id"])["experimentTemplate"]
    assert TemplateSpec.from_fis(live) == _expected(40)

    stack.destroy()
    assert fis.list_experiment_templates()["experimentTemplates"] == []


def test_bad_scenario_parameters_fail_the_preview_with_the_field(pulumi_stack: StackFactory, moto) -> None:
    stack = pulumi_stack.inline(_program(150), env=moto.env)
    result = stack.preview(expect_fail=True)
    assert "CrossAzTrafficSlowdown checkout-loss-1a: invalid arguments" in result.output
    assert "parameters.loss_percent: 150 is out of range; use 0-100" in result.output
    assert "Traceback" not in result.output
    assert moto.client("fis").list_experiment_templates()["experimentTemplates"] == []
