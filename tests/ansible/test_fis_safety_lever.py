"""chaos.faults.fis_safety_lever through real ansible-playbook against the moto server's lever stand-in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REGION, MotoServer
from tests.harness.ansible import AnsibleEnv, PlaybookResult, run_playbook
from tests.harness.experiments import running_experiments, start, wait_template

pytestmark = pytest.mark.ansible

LEVER = Path(__file__).parent / "playbooks" / "safety" / "lever.yml"


def set_lever(env: AnsibleEnv, moto: MotoServer, state: str, reason: str, **kw: Any) -> PlaybookResult:
    extra = {"aws_endpoint_url": moto.url, "aws_region": REGION, "lever_state": state, "lever_reason": reason}
    return run_playbook(LEVER, env, extra_vars=extra, **kw)


def test_engage_is_idempotent_with_check_and_diff(ansible_moto: AnsibleEnv, moto: MotoServer) -> None:
    fis = moto.client("fis")
    with running_experiments(moto.url, fis, 1) as [experiment_id]:
        checked = set_lever(ansible_moto, moto, "engaged", "INC-1", check=True, diff=True)
        assert checked.rc == 0, checked.output
        task = checked.task("Set the lever")
        assert task["changed"] is True and task["safety_lever"]["status"] == "disengaged"
        assert task["diff"] == {
            "before": {"status": "disengaged"},
            "after": {"status": "engaged", "reason": "INC-1"},
        }
        assert fis.get_safety_lever(id="default")["safetyLever"]["state"]["status"] == "disengaged"
        assert fis.get_experiment(id=experiment_id)["experiment"]["state"]["status"] == "running"

        engaged = set_lever(ansible_moto, moto, "engaged", "INC-1", diff=True).task("Set the lever")
        assert engaged["changed"] is True
        assert engaged["safety_lever"] == {
            "id": "default",
            "arn": "arn:aws:fis:us-east-1:123456789012:safety-lever/default",
            "status": "engaged",
            "reason": "INC-1",
        }
        assert engaged["previous"] == {"status": "disengaged"}
        assert fis.get_experiment(id=experiment_id)["experiment"]["state"]["status"] == "stopped"
        assert start(fis, wait_template(fis))["state"]["status"] == "cancelled"

        again = set_lever(ansible_moto, moto, "engaged", "someone else's reason").task("Set the lever")
        assert again["changed"] is False and again["safety_lever"]["reason"] == "INC-1"

    disengaged = set_lever(ansible_moto, moto, "disengaged", "INC-1 resolved", diff=True).task(
        "Set the lever"
    )
    assert disengaged["changed"] is True and disengaged["safety_lever"]["status"] == "disengaged"
    assert disengaged["diff"]["before"] == {"status": "engaged", "reason": "INC-1"}
    assert start(fis, wait_template(fis))["state"]["status"] == "pending"


def test_empty_reason_and_unreachable_endpoint_fail_clearly(
    ansible_moto: AnsibleEnv, moto: MotoServer
) -> None:
    empty = set_lever(ansible_moto, moto, "engaged", " ")
    assert empty.rc != 0
    assert "say why the safety lever changes" in empty.task("Set the lever")["msg"]
    gone = run_playbook(
        LEVER,
        ansible_moto,
        extra_vars={
            "aws_endpoint_url": "http://127.0.0.1:9",
            "aws_region": REGION,
            "lever_state": "engaged",
            "lever_reason": "x",
        },
    )
    assert gone.rc != 0
    assert "FIS safety lever" in gone.task("Set the lever")["msg"]
