"""A fault document in moto's SSM and the FIS template that sends it, through the real Pulumi CLI.

The document is what `chaos-pulumi ssm-document` prints, registered with SSM's CreateDocument on a
moto server (what the Ansible module and pulumi-aws do); the template is `chaos_pulumi.fleet`'s, applied
by our ExperimentTemplate dynamic provider in a real `pulumi up` against the same server, with the
guardrails policy pack, and so is the file `chaos-pulumi ssm-template` writes. HostFault refuses a
template the project's guardrail policy refuses before it registers anything, so that path runs here for
real; its pulumi-aws part (the document resource and the role) is tested with mocks + boto3 in
tests/components/test_host_fault.py: pulumi-aws's plugin cannot run here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from chaos_pulumi.fleet.ssm_document import build_document
from chaos_pulumi.policy_pack import PACK_DIR
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


FROM_FILE = """
import pulumi
from chaos_pulumi import ExperimentTemplate
tpl = ExperimentTemplate.from_file("web-cpu", "web-cpu.yaml")
pulumi.export("template_id", tpl.id)
"""


WAIVER = ["--waiver", "staging drill, alarm in OPS-123"]


@pytest.mark.parametrize("safety", [["--stop-condition", ALARM], WAIVER], ids=["alarm", "waiver"])
def test_the_template_ssm_template_writes_passes_the_policy_pack_and_applies(
    pulumi_stack: StackFactory, moto, safety: list[str]
) -> None:
    arn = _register_document(moto)
    stack = pulumi_stack.inline(FROM_FILE, env=moto.env)
    cli = [sys.executable, "-m", "chaos_pulumi.cli", "ssm-template", "cpu_stress", "--document-arn", arn,
           "--target-tag", "app=web", "--duration", "300", "--param", "load=80", "--role-arn", ROLE, *safety,
           "-o", "web-cpu.yaml"]
    written = subprocess.run(cli, cwd=stack.dir, capture_output=True, text=True, timeout=120)
    assert written.returncode == 0, written.stderr
    up = stack.up("--policy-pack", str(PACK_DIR))
    assert up.changes == {"create": 2}, up.output
    assert "chaos-pulumi-guardrails" in up.output and "[mandatory]" not in up.output
    if "--waiver" in safety:
        assert "[stop_condition_required] waived by tag chaos:waiver (stopConditions)" in up.output
    live = moto.client("fis").get_experiment_template(id=stack.outputs()["template_id"])["experimentTemplate"]
    [action] = live["actions"].values()
    assert action["parameters"]["documentArn"] == arn
    assert live["targets"]["instances"]["resourceTags"] == {"app": "web"}


HOST_FAULT = """
from chaos_pulumi.components import HostFault
HostFault("web-cpu", fault="cpu_stress", duration=300, target_tags={{"app": "web"}},
          parameters={{"load": 80}}, role_arn="{role}"{extra})
"""


def test_host_fault_refuses_what_the_projects_policy_refuses_before_registering(
    pulumi_stack: StackFactory, moto
) -> None:
    stack = pulumi_stack.inline(HOST_FAULT.format(role=ROLE, extra=""), env=moto.env)
    out = stack.preview(expect_fail=True).output
    assert "HostFault web-cpu: breaks the guardrail policy safe-defaults (built in)" in out
    assert ("stop_conditions (template field stopConditions): [stop_condition_required] has no CloudWatch "
            "alarm") in out
    assert "Traceback" not in out
    assert "pulumi-resource-aws" not in out  # refused before any pulumi-aws resource was registered

    (stack.dir / "guardrails.yaml").write_text("version: 1\nname: acme\nrules:\n  required_tags: [team]\n")
    (stack.dir / "chaos-pulumi.yaml").write_text("policy: guardrails.yaml\n")
    stack.write_main(HOST_FAULT.format(role=ROLE, extra=f", stop_conditions=[{ALARM!r}]"))
    out = stack.preview(expect_fail=True).output
    assert "HostFault web-cpu: breaks the guardrail policy acme (" in out
    assert "tags.team (template field tags.team): [required_tags] is required by the policy" in out
    assert moto.client("fis").list_experiment_templates()["experimentTemplates"] == []
