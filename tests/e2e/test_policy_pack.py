"""The guardrails policy pack through the real Pulumi CLI: `pulumi preview --policy-pack <our pack>`.

The pack is the directory `chaos-pulumi policy-pack` prints; the engine starts it through our Python
language host (RunPlugin) with this venv's Python (PULUMI_PYTHON_CMD, set by the harness).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from chaos_pulumi.cli.policy import cmd_policy_pack
from chaos_pulumi.policy_pack import PACK_DIR
from tests.harness.pulumi import PulumiStack, StackFactory

pytestmark = pytest.mark.pulumi

PROJECT = Path(__file__).parent / "projects" / "policy_pack"
WAIVER = "stop_condition_required, max_selection: staging game day, the alarm lands in OPS-123"


@pytest.fixture
def stack(pulumi_stack: StackFactory) -> PulumiStack:
    return pulumi_stack(PROJECT)


def edit_template(stack: PulumiStack, **changes: Any) -> dict[str, Any]:
    """Rewrite the project's experiment.yaml; ``targets__web__selectionMode`` style keys reach inside."""
    path = stack.dir / "experiment.yaml"
    document = yaml.safe_load(path.read_text())
    for key, value in changes.items():
        *parents, last = key.split("__")
        node = document
        for part in parents:
            node = node[part]
        node[last] = value
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return document


def preview(stack: PulumiStack, *, expect_fail: bool) -> str:
    return stack.preview("--policy-pack", str(PACK_DIR), expect_fail=expect_fail).output


def test_the_cli_prints_the_pack_directory() -> None:
    out = io.StringIO()
    assert cmd_policy_pack(out, io.StringIO()) == 0
    assert Path(out.getvalue().strip()) == PACK_DIR
    assert (PACK_DIR / "PulumiPolicy.yaml").is_file() and (PACK_DIR / "__main__.py").is_file()


def test_compliant_violating_and_waived_templates(stack: PulumiStack) -> None:
    out = preview(stack, expect_fail=False)
    assert "chaos-pulumi-guardrails" in out and "[mandatory]" not in out

    edit_template(stack, stopConditions=[{"source": "none"}], targets__web__selectionMode="COUNT(25)")
    out = preview(stack, expect_fail=True)
    assert "[mandatory]  stop_condition_required  (pulumi-python:dynamic/fis:ExperimentTemplate: web)" in out
    assert "[stop_condition_required] stopConditions: has no CloudWatch alarm" in out
    assert "[mandatory]  max_selection  (pulumi-python:dynamic/fis:ExperimentTemplate: web)" in out
    assert "[max_selection] targets.web.selectionMode: COUNT(25) selects up to 25 aws:ec2:instance" in out
    assert "(policy safe-defaults)" in out

    edit_template(stack, tags={"team": "platform", "chaos:waiver": WAIVER})
    out = preview(stack, expect_fail=False)
    assert "[mandatory]" not in out
    assert "[advisory]  waived" in out
    assert (
        "[stop_condition_required] waived by tag chaos:waiver (stopConditions): staging game day, "
        "the alarm lands in OPS-123" in out
    )
    assert "[max_selection] waived by tag chaos:waiver (targets.web.selectionMode)" in out

    edit_template(stack, tags={"team": "platform", "chaos:waiver": "max_selection: ok"})
    out = preview(stack, expect_fail=True)
    assert "[mandatory]  waiver" in out and "tags.chaos:waiver: gives the reason 'ok'" in out


def test_the_project_config_and_the_environment_choose_the_policy(
    stack: PulumiStack, pulumi_stack: StackFactory
) -> None:
    (stack.dir / "guardrails.yaml").write_text(
        "version: 1\nname: acme\nrules:\n"
        "  required_tags: [team, owner]\n"
        "  require_logging: {level: warning}\n"
    )
    (stack.dir / "chaos-pulumi.yaml").write_text("policy: guardrails.yaml\n")
    out = preview(stack, expect_fail=True)
    assert "[mandatory]  required_tags" in out
    assert "[required_tags] tags.owner: is required by the policy: add tags: {owner: <value>}" in out
    assert "(policy acme)" in out
    assert "[advisory]  require_logging" in out  # level: warning -> advisory, does not fail

    (stack.dir / "guardrails.yaml").write_text("version: 1\nrules: {max_duration: soon}\n")
    out = preview(stack, expect_fail=True)
    assert "[mandatory]  guardrail_policy" in out
    assert "rules.max_duration: 'soon' is not a positive ISO-8601 duration" in out

    edit_template(stack, stopConditions=[{"source": "none"}])
    off = pulumi_stack(stack.dir, copy=False, stack="off", env={"CHAOS_PULUMI_POLICY": "none"})
    assert "[mandatory]" not in preview(off, expect_fail=False)


def test_a_value_unknown_at_preview_is_checked_at_up(pulumi_stack: StackFactory, moto) -> None:
    stack = pulumi_stack(PROJECT, env=moto.env)
    (stack.dir / "settings.json").write_text(json.dumps({"late_selection": "COUNT(40)"}))
    out = preview(stack, expect_fail=False)
    assert "can't run policy 'max_selection'" in out and "during preview" in out

    res = stack.up("--policy-pack", str(PACK_DIR), expect_fail=True)
    assert "[mandatory]  max_selection  (pulumi-python:dynamic/fis:ExperimentTemplate: late)" in res.output
    assert "[max_selection] targets.web.selectionMode: COUNT(40)" in res.output
    fis = boto3.client("fis", region_name="us-east-1")
    descriptions = [t.get("description") for t in _templates(fis)]
    assert "late selection" not in descriptions


def _templates(fis) -> list[dict[str, Any]]:
    summaries = fis.list_experiment_templates()["experimentTemplates"]
    return [fis.get_experiment_template(id=t["id"])["experimentTemplate"] for t in summaries]
