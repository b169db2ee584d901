"""`pulumi preview` through the real CLI and engine on hostile templates, against the moto server.

A template given in the program reaches the provider's check through the engine; a file goes
through ExperimentTemplate.from_file in the program. Either way the preview fails with the field
path and the limit, in bounded output, and nothing is created.
"""

from __future__ import annotations

import pytest

from chaos_pulumi.spec.limits import MAX_NODES
from tests.harness.pulumi import StackFactory
from tests.unit.test_spec_limits import alias_nest

pytestmark = pytest.mark.pulumi

IN_PROGRAM = """\
from chaos_pulumi import ExperimentTemplate

template = {
    "description": "hostile",
    "roleArn": "arn:aws:iam::123456789012:role/chaos-fis",
    "stopConditions": [{"source": "aws:cloudwatch:alarm", "value": "A" * 200_000}],
    "targets": {
        "web": {"resourceType": "aws:ec2:instance", "resourceTags": {"app": "web"},
                "selectionMode": "COUNT(" + "9" * 5_000 + ")"},
    },
    "actions": {"stop": {"actionId": "aws:ec2:stop-instances", "targets": {"Instances": "web"},
                         "parameters": {"startInstancesAfterDuration": "9" * 5_000}}},
}
ExperimentTemplate("hostile", template=template)
"""

FROM_FILE = """\
from chaos_pulumi import ExperimentTemplate

ExperimentTemplate.from_file("nest", "nest.yaml")
"""


def test_preview_answers_hostile_templates_with_paths_and_limits(pulumi_stack: StackFactory, moto) -> None:
    stack = pulumi_stack.inline(IN_PROGRAM, env=moto.env)
    preview = stack.preview(expect_fail=True)
    out = preview.output
    assert "targets.web.selectionMode: is 5,007 characters long; the limit is 64" in out, out[-3000:]
    assert (
        "stopConditions[0].value: 'AAAA" in out
        and "(200,000 characters) is not a CloudWatch alarm ARN" in out
    )
    assert "actions.stop.parameters.startInstancesAfterDuration: is 5,000 characters long" in out
    assert "please report it" not in out and len(out) < 60_000, len(out)

    stack.write_main(FROM_FILE)
    stack.write_file("nest.yaml", alias_nest())
    preview = stack.preview(expect_fail=True)
    out = preview.output
    assert f"YAML aliases expand to more than {MAX_NODES:,} nodes; write the value out" in out, out[-3000:]
    assert "nest: cannot read nest.yaml: stopConditions[0].value" in out
    assert moto.client("fis").list_experiment_templates()["experimentTemplates"] == []
