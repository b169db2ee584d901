"""The public Python API under Pulumi's mocks: what a program registers, without an engine or AWS."""

from __future__ import annotations

import base64
from pathlib import Path

import pulumi
import pytest

from chaos_pulumi.providers.experiment_template import ExperimentTemplateProvider

ROLE = "arn:aws:iam::123456789012:role/fis-experiments"
ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx"


class Registry(pulumi.runtime.Mocks):
    """Records every registration; runs the real `check` so the inputs are what the engine would store."""

    def __init__(self) -> None:
        self.resources: dict[str, pulumi.runtime.MockResourceArgs] = {}
        self.failures: dict[str, list[str]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        self.resources[args.name] = args
        outs = dict(args.inputs)
        if args.typ.endswith(":ExperimentTemplate"):
            checked = ExperimentTemplateProvider().check({}, dict(args.inputs))
            self.failures[args.name] = [f.reason for f in checked.failures]
            outs = dict(
                checked.inputs, arn=f"arn:aws:fis:us-east-1:123456789012:experiment-template/{args.name}"
            )
        return f"{args.name}-id", outs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list | None]:
        return {}, None


@pytest.fixture
def registry():
    old = pulumi.runtime.settings.SETTINGS
    mocks = Registry()
    pulumi.runtime.set_mocks(mocks, project="proj", stack="dev", preview=False)
    yield mocks
    pulumi.runtime.settings.configure(old)


@pulumi.runtime.test
def test_typed_template_registers_the_fis_file_format(registry):
    from chaos_pulumi import Action, ExperimentTemplate, Filter, StopCondition, Target

    role_arn = pulumi.Output.from_input(ROLE)  # as if another resource made the role
    tpl = ExperimentTemplate(
        "stop-one-web",
        description="Stop one web instance for five minutes",
        role_arn=role_arn,
        targets={
            "web": Target(
                resource_type="aws:ec2:instance",
                resource_tags={"app": "web"},
                filters=[Filter(path="State.Name", values=["running"])],
                selection_mode="COUNT(1)",
            )
        },
        actions={
            "stop": Action(
                action_id="aws:ec2:stop-instances",
                parameters={"startInstancesAfterDuration": "PT5M"},
                targets={"Instances": "web"},
            )
        },
        stop_conditions=[StopCondition(source="aws:cloudwatch:alarm", value=ALARM)],
        tags={"team": "sre"},
    )

    def verify(values: list) -> None:
        arn, document = values
        args = registry.resources["stop-one-web"]
        assert args.typ == "pulumi-python:dynamic/fis:ExperimentTemplate"
        assert registry.failures["stop-one-web"] == []
        assert document == {
            "description": "Stop one web instance for five minutes",
            "roleArn": ROLE,
            "stopConditions": [{"source": "aws:cloudwatch:alarm", "value": ALARM}],
            "targets": {
                "web": {
                    "resourceType": "aws:ec2:instance",
                    "resourceTags": {"app": "web"},
                    "filters": [{"path": "State.Name", "values": ["running"]}],
                    "selectionMode": "COUNT(1)",
                }
            },
            "actions": {
                "stop": {
                    "actionId": "aws:ec2:stop-instances",
                    "parameters": {"startInstancesAfterDuration": "PT5M"},
                    "targets": {"Instances": "web"},
                }
            },
            "tags": {"team": "sre"},
        }
        assert arn.endswith("experiment-template/stop-one-web")
        assert args.inputs["resource_key"] == "proj/dev/stop-one-web"
        # The provider is stored by reference to the installed class, never as pickled program code.
        raw = base64.b64decode(args.inputs["__provider"])
        assert b"chaos_pulumi.providers.experiment_template" in raw and len(raw) < 300

    return pulumi.Output.all(tpl.arn, tpl.template).apply(verify)


@pulumi.runtime.test
def test_from_file_merges_overrides_and_experiment_takes_the_template_id(registry, tmp_path: Path):
    from chaos_pulumi import Experiment, ExperimentTemplate

    path = tmp_path / "wait.yaml"
    path.write_text(
        "description: Just wait\n"
        "roleArn: arn:aws:iam::123456789012:role/placeholder\n"
        "stopConditions: [{source: none}]\n"
        "actions:\n  pause: {actionId: 'aws:fis:wait', parameters: {duration: PT1M}}\n"
        "tags: {from: file}\n"
    )
    tpl = ExperimentTemplate.from_file("from-file", path, role_arn=ROLE, tags={"team": "sre"})
    run = Experiment("gameday", template_id=tpl.id, trigger="2026-11-26", wait=True, timeout="PT30M")

    def verify(values: list) -> None:
        document, _run_id = values
        assert document["roleArn"] == ROLE
        assert document["tags"] == {"from": "file", "team": "sre"}
        assert registry.failures["from-file"] == []
        run_args = registry.resources["gameday"]
        assert run_args.typ == "pulumi-python:dynamic/fis:Experiment"
        assert run_args.inputs["template_id"] == "from-file-id"
        assert run_args.inputs["trigger"] == "2026-11-26"
        assert run_args.inputs["wait"] is True

    return pulumi.Output.all(tpl.template, run.id).apply(verify)


@pulumi.runtime.test
def test_invalid_template_reaches_check_with_paths(registry):
    from chaos_pulumi import Action, ExperimentTemplate, StopCondition

    tpl = ExperimentTemplate(
        "broken",
        description="Broken",
        role_arn=ROLE,
        actions={"stop": Action(action_id="aws:ec2:stop-instances", targets={"Instances": "web"})},
        stop_conditions=[StopCondition(source="none")],
    )

    def verify(_: object) -> None:
        assert any(r.startswith("actions.stop.targets.Instances: ") for r in registry.failures["broken"])

    return tpl.id.apply(verify)


def test_from_file_that_cannot_be_read_is_a_clean_program_error(registry, tmp_path: Path):
    from chaos_pulumi import ExperimentTemplate

    with pytest.raises(pulumi.RunError, match=r"nope: cannot read .*missing.yaml: .*no such file"):
        ExperimentTemplate.from_file("nope", tmp_path / "missing.yaml")


def test_importing_the_package_does_not_import_pulumi():
    import subprocess
    import sys

    code = "import sys, chaos_pulumi; from chaos_pulumi import Target, Action; print('pulumi' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
