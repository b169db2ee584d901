"""The FIS modules' guardrail gate (module_utils/_policy.py) through real ansible-playbook.

A test-only module next to the playbook calls the shared gate exactly as the FIS modules do before
they create or start anything; the FIS modules' own tests cover it once they call it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from tests.harness.ansible import AnsibleEnv, PlaybookResult, run_playbook

pytestmark = pytest.mark.ansible

PLAYBOOK = Path(__file__).parent / "playbooks" / "guardrails" / "gate.yml"
TEMPLATE: dict[str, Any] = {
    "description": "Stop one web instance for five minutes",
    "roleArn": "arn:aws:iam::123456789012:role/chaos-fis",
    "stopConditions": [{"source": "none"}],
    "targets": {
        "web": {"resourceType": "aws:ec2:instance", "resourceTags": {"role": "web"}, "selectionMode": "ALL"}
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


def gate(
    ansible: AnsibleEnv, template: dict[str, Any], *, check: bool = False, **extra: Any
) -> PlaybookResult:
    env = ansible.with_env({"CHAOS_PULUMI_POLICY": ""})
    return run_playbook(PLAYBOOK, env, extra_vars={"template": template, **extra}, check=check)


def test_a_violation_fails_the_task_with_every_problem_also_in_check_mode(ansible: AnsibleEnv) -> None:
    for check in (False, True):
        result = gate(ansible, TEMPLATE, check=check, start="/")
        assert result.rc == 2, result.output
        task = result.task("Check the template against the policy")
        assert task["failed"] is True
        assert task["msg"].startswith("template breaks the guardrail policy safe-defaults (built in)")
        assert "(2 problems); nothing was changed:" in task["msg"]
        assert "stopConditions: [stop_condition_required] has no CloudWatch alarm" in task["msg"]
        assert "targets.web.selectionMode: [max_selection] ALL on a target chosen by tags" in task["msg"]
        assert {(p["path"], p.get("rule")) for p in task["problems"]} == {
            ("stopConditions", "stop_condition_required"),
            ("targets.web.selectionMode", "max_selection"),
        }
        assert task["guardrails"]["verdicts"]["max_selection"] == "fail"


def test_a_waived_template_passes_with_a_warning(ansible: AnsibleEnv) -> None:
    template = copy.deepcopy(TEMPLATE)
    template["tags"]["chaos:waiver"] = "stop_condition_required max_selection: staging game day, see OPS-7"
    result = gate(ansible, template, start="/")
    assert result.rc == 0, result.output
    task = result.task("Check the template against the policy")
    assert task["guardrails"]["policy"] == "safe-defaults"
    assert [w["rule"] for w in task["guardrails"]["waivers"]] == ["stop_condition_required", "max_selection"]
    assert any("guardrail rule max_selection is waived: staging game day" in w for w in task["warnings"])


def test_policy_file_and_project_config(ansible: AnsibleEnv, tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text(
        "version: 1\nname: team\nextends: none\nrules: {required_tags: [owner]}\n"
    )
    (tmp_path / "chaos-pulumi.yaml").write_text("policy: team.yaml\n")
    result = gate(ansible, TEMPLATE, start=str(tmp_path))
    task = result.task("Check the template against the policy")
    assert result.rc == 2 and "tags.owner: [required_tags] is required by the policy" in task["msg"]
    assert task["guardrails"]["origin"] == f"named by {tmp_path / 'chaos-pulumi.yaml'}"

    result = gate(ansible, TEMPLATE, start=str(tmp_path), policy_file="none")
    assert result.rc == 0, result.output
    assert set(result.task("Check the template against the policy")["guardrails"]["verdicts"].values()) == {
        "off"
    }

    (tmp_path / "team.yaml").write_text("version: 1\nrules: {denied_actions: 'aws:ec2:*'}\n")
    result = gate(ansible, TEMPLATE, start=str(tmp_path))
    task = result.task("Check the template against the policy")
    assert result.rc == 2
    assert task["msg"].startswith(
        f"the guardrail policy (named in {tmp_path / 'chaos-pulumi.yaml'}) cannot be used"
    )
    assert "rules.denied_actions: must be a list of strings" in task["msg"]
