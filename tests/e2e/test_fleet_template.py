"""A fault document in moto's SSM and the FIS template that sends it, through the real Pulumi CLI.

The document is what `chaos-pulumi ssm-document` prints, registered with SSM's CreateDocument on a
moto server (what the Ansible module and pulumi-aws do); the template is `chaos_pulumi.fleet`'s, applied
by our ExperimentTemplate dynamic provider in a real `pulumi up` against the same server. HostFault's
pulumi-aws part (the document resource and the role) is tested with mocks + boto3 in
tests/components/test_host_fault.py: pulumi-aws's plugin cannot run here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from chaos_pulumi.fleet.ssm_document import build_document
from tests.harness.pulumi import StackFactory

pytestmark = pytest.mark.pulumi

ROLE = "arn:aws:iam::123456789012:role/fis-fleet"
ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx"

PROGRAM = """
import pulumi
from chaos_pulumi import ExperimentTemplate
from chaos_pulumi.fleet import build_document
from chaos_pulumi.fleet.experiment import host_fault_template

template = host_fault_template(
    build_document("cpu_stress"),
    document_arn="{arn}",
    duration=300,
    target_tags={{"app": "web"}},
    parameters={{"load": {load}, "stopOnUrl": "http://127.0.0.1:8080/health"}},
    role_arn="{role}",
    stop_conditions=["{alarm}"],
)
tpl = ExperimentTemplate("web-cpu", template=template)
pulumi.export("template_id", tpl.id)
"""


def _register_document(moto) -> str:
    out = subprocess.run([sys.executable, "-m", "chaos_pulumi.cli", "ssm-document", "cpu_stress"],
                         capture_output=True, text=True, check=True)
    ssm = moto.client("ssm")
    ssm.create_document(Name="ChaosFaults-cpu_stress", Content=out.stdout, DocumentType="Command",
                        DocumentFormat="JSON", TargetType="/AWS::EC2::Instance")
    described = ssm.describe_document(Name="ChaosFaults-cpu_stress")["Document"]
    declared = build_document("cpu_stress").content["parameters"]
    assert {p["Name"] for p in described["Parameters"]} == set(declared)
    fetched = json.loads(ssm.get_document(Name="ChaosFaults-cpu_stress")["Content"])
    assert fetched == build_document("cpu_stress").content
    region, account = "us-east-1", "123456789012"
    return f"arn:aws:ssm:{region}:{account}:document/ChaosFaults-cpu_stress"


def test_the_template_running_a_fault_document_applies(pulumi_stack: StackFactory, moto) -> None:
    arn = _register_document(moto)
    stack = pulumi_stack.inline(PROGRAM.format(arn=arn, load=80, role=ROLE, alarm=ALARM), env=moto.env)
    up = stack.up()
    assert up.changes == {"create": 2}, up.output
    fis = moto.client("fis")
    live = fis.get_experiment_template(id=stack.outputs()["template_id"])["experimentTemplate"]
    [action] = live["actions"].values()
    assert action["actionId"] == "aws:ssm:send-command"
    assert action["parameters"]["documentArn"] == arn
    assert json.loads(action["parameters"]["documentParameters"])["load"] == "80"
    assert live["targets"]["instances"]["resourceTags"] == {"app": "web"}
    assert stack.up().changes == {}
    stack.destroy()
    assert fis.list_experiment_templates()["experimentTemplates"] == []


def test_a_value_the_document_refuses_fails_the_preview(pulumi_stack: StackFactory, moto) -> None:
    arn = _register_document(moto)
    stack = pulumi_stack.inline(PROGRAM.format(arn=arn, load='"80; rm -rf /"', role=ROLE, alarm=ALARM),
                                env=moto.env)
    result = stack.preview(expect_fail=True)
    assert "parameters.load: '80; rm -rf /' does not match the document's pattern" in result.output
    assert moto.client("fis").list_experiment_templates()["experimentTemplates"] == []
