"""HostFault: its pulumi-aws SSM document and its FIS template, under Pulumi's mocks, then sent to moto.

pulumi-aws's provider plugin cannot run here, so the mocks record what the component registers (and
run the real ExperimentTemplate check); the same inputs then go to a moto server over HTTP with boto3
(`CreateDocument`, IAM, `CreateExperimentTemplate`), the calls pulumi-aws and our provider make.
"""

from __future__ import annotations

import json

import pulumi
import pytest

from chaos_pulumi.components import HostFault
from chaos_pulumi.fleet.ssm_document import build_document
from chaos_pulumi.spec import TemplateSpec, has_errors, validate

from .mocks import ACCOUNT, REGION, mocked

DOC = "aws:ssm/document:Document"
TEMPLATE = "pulumi-python:dynamic/fis:ExperimentTemplate"


def _register(seen: list | None = None, **kwargs):
    with mocked() as registry:
        if seen is not None:
            seen.append(registry)  # for a test that expects the program to fail

        @pulumi.runtime.test
        def program():
            fault = HostFault("web-cpu", **kwargs)
            return pulumi.Output.all(fault.template_id, fault.document_arn, fault.role_arn)

        program()
    return registry


@pytest.fixture(autouse=True)
def _project_without_policy(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The program's directory (where the policy is looked up) is an empty project: the safe defaults."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CHAOS_PULUMI_POLICY", raising=False)


ARGS = dict(fault="cpu_stress", duration=300, target_tags={"app": "web"},
            parameters={"load": 80, "stopOnUrl": "http://127.0.0.1:8080/health"},
            stop_conditions=[f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:web-5xx"])


def test_document_template_and_role_from_one_fault_name() -> None:
    registry = _register(**ARGS)
    doc = registry.get(DOC, "web-cpu-document")
    assert doc["name"] == "ChaosFaults-cpu_stress-web-cpu" and doc["documentType"] == "Command"
    assert json.loads(doc["content"]) == build_document("cpu_stress").content
    assert registry.failures["web-cpu-template"] == []
    template = registry.get(TEMPLATE, "web-cpu-template")["template"]
    [action] = template["actions"].values()
    assert action["actionId"] == "aws:ssm:send-command"
    assert action["parameters"]["documentArn"] == f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/{doc['name']}"
    assert json.loads(action["parameters"]["documentParameters"]) == {
        "duration": "300", "load": "80", "stopOnUrl": "http://127.0.0.1:8080/health"}
    assert action["parameters"]["duration"] == "PT6M"
    assert template["targets"]["instances"]["resourceTags"] == {"app": "web"}
    assert not has_errors(validate(template))
    [policy] = [registry.get(t, n) for t, n in registry.resources if t == "aws:iam/rolePolicy:RolePolicy"]
    statements = json.loads(policy["policy"])["Statement"]
    send = [s for s in statements if s["Action"] == ["ssm:SendCommand"]]
    assert {json.dumps(s["Resource"]) for s in send} == {
        json.dumps(f"arn:aws:ec2:*:{ACCOUNT}:instance/*"),
        json.dumps(f"arn:aws:ssm:*:*:document/{doc['name']}"),
    }
    assert all("*" != s["Action"] for s in statements)


@pytest.mark.parametrize("kwargs, field", [
    (dict(ARGS, fault="no_such_fault"), "fault"),
    (dict(ARGS, parameters={"lod": 80}), "parameters.lod"),
    (dict(ARGS, parameters={"load": "80; rm -rf /"}), "parameters.load"),
    (dict(ARGS, duration=7200), "duration"),
    (dict(ARGS, target_tags={}), "target_tags"),
    (dict(ARGS, document_name="aws-mine"), "document_name"),
])
def test_bad_arguments_name_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(pulumi.RunError) as e:
        _register(**kwargs)
    assert f"  {field}: " in str(e.value) and "Traceback" not in str(e.value)


def test_the_registered_inputs_are_accepted_by_ssm_iam_and_fis(moto) -> None:
    registry = _register(**ARGS)
    ssm, iam, fis = (moto.client(s) for s in ("ssm", "iam", "fis"))
    d = registry.get(DOC, "web-cpu-document")
    created = ssm.create_document(Name=d["name"], Content=d["content"], DocumentType=d["documentType"],
                                  DocumentFormat=d["documentFormat"], TargetType=d["targetType"])
    assert created["DocumentDescription"]["Status"] in ("Creating", "Active")
    params = {p["Name"] for p in ssm.describe_document(Name=d["name"])["Document"]["Parameters"]}
    assert params == set(build_document("cpu_stress").content["parameters"])
    [(rt, role_name)] = [k for k in registry.resources if k[0] == "aws:iam/role:Role"]
    trust = registry.get(rt, role_name)["assumeRolePolicy"]
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    [(pt, pn)] = [k for k in registry.resources if k[0] == "aws:iam/rolePolicy:RolePolicy"]
    iam.put_role_policy(RoleName=role_name, PolicyName=pn, PolicyDocument=registry.get(pt, pn)["policy"])
    template = dict(registry.get(TEMPLATE, "web-cpu-template")["template"], roleArn=role)
    request = TemplateSpec.from_dict(template).to_create_request()
    created = fis.create_experiment_template(**request)["experimentTemplate"]
    [action] = created["actions"].values()
    assert action["parameters"]["documentArn"].endswith(f":document/{d['name']}")



def _refused(**kwargs) -> str:
    """The message of a HostFault the policy refuses; nothing but the component itself was registered."""
    seen: list = []
    with pytest.raises(pulumi.RunError) as e:
        _register(seen, **kwargs)
    assert "Traceback" not in str(e.value)
    [registry] = seen
    # Only the component itself: no document, role or template.
    assert [name for _type, name in registry.resources] == ["web-cpu"]
    return str(e.value)


NO_ALARM = {k: v for k, v in ARGS.items() if k != "stop_conditions"}
REASON = "staging drill, the alarm lands in OPS-123"


def test_a_template_breaking_the_safe_defaults_is_refused_before_anything_is_registered() -> None:
    message = _refused(**NO_ALARM)
    assert message.startswith("HostFault web-cpu: breaks the guardrail policy safe-defaults (built in)")
    assert "nothing is created" in message
    assert ("  stop_conditions (template field stopConditions): [stop_condition_required] has no CloudWatch "
            "alarm") in message
    assert "to waive a rule visibly: waiver='<rule>[, <rule>]: <reason>'" in message

    message = _refused(**dict(ARGS, selection_mode="PERCENT(100)"))
    assert ("  selection_mode (template field targets.instances.selectionMode): [max_selection] PERCENT(100) "
            "selects 100%") in message
    message = _refused(**dict(ARGS, duration=3600, max_duration=7200))
    assert ("  duration (template field actions.cpu-stress.parameters.duration): [max_action_duration]"
            in message)


def test_a_waiver_is_visible_in_the_template_and_lets_it_pass() -> None:
    registry = _register(**dict(NO_ALARM, waiver=REASON))
    template = registry.get(TEMPLATE, "web-cpu-template")["template"]
    assert template["tags"] == {"chaos:waiver": f"stop_condition_required: {REASON}"}
    assert template["stopConditions"] == [{"source": "none"}]
    assert registry.failures["web-cpu-template"] == []

    message = _refused(**dict(NO_ALARM, waiver="ok"))
    assert "  waiver (template field tags.chaos:waiver): [waiver] gives the reason 'ok'" in message


def test_the_projects_policy_applies(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "guardrails.yaml").write_text(
        "version: 1\nname: acme\nrules:\n  required_tags: [team]\n  require_logging: true\n")
    (tmp_path / "chaos-pulumi.yaml").write_text("policy: guardrails.yaml\n")
    message = _refused(**ARGS)
    assert "breaks the guardrail policy acme (" in message
    assert "  tags.team (template field tags.team): [required_tags] is required by the policy" in message
    assert "  log_configuration (template field logConfiguration): [require_logging]" in message

    log_group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/fis/web"
    registry = _register(**dict(ARGS, tags={"team": "sre"},
                                log_configuration={"cloudWatchLogsConfiguration": {"logGroupArn": log_group},
                                                   "logSchemaVersion": 2}))
    template = registry.get(TEMPLATE, "web-cpu-template")["template"]
    assert template["logConfiguration"]["cloudWatchLogsConfiguration"]["logGroupArn"] == log_group
    assert registry.get(DOC, "web-cpu-document")["tags"] == {"team": "sre"}

    (tmp_path / "guardrails.yaml").write_text("version: 1\nrules: {max_duration: soon}\n")
    message = _refused(**ARGS)
    assert "the guardrail policy (named in " in message and "cannot be used, so nothing is created" in message
    assert "rules.max_duration: 'soon' is not a positive ISO-8601 duration" in message

    monkeypatch.setenv("CHAOS_PULUMI_POLICY", "none")
    assert _register(**NO_ALARM).failures["web-cpu-template"] == []
