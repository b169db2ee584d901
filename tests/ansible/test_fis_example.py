"""examples/ansible/fis-gameday.yml runs as written against the embedded default (moto)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MotoServer
from tests.harness.ansible import AnsibleEnv, run_playbook

pytestmark = pytest.mark.ansible

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ansible" / "fis-gameday.yml"


def test_fis_gameday_example(ansible_moto: AnsibleEnv, moto: MotoServer) -> None:
    result = run_playbook(EXAMPLE, ansible_moto)
    assert result.rc == 0, result.output
    outcome = result.task("Print the outcome")["msg"]
    assert outcome[1] == "outcome: completed - Experiment completed", outcome
    assert outcome[2] == "actions: stop-web=completed", outcome
    assert outcome[3].endswith("-> completed"), outcome

    client = moto.client("fis")
    (template,) = client.list_experiment_templates()["experimentTemplates"]
    assert template["tags"]["Name"] == "web-stop-one-instance"
    runs = client.list_experiments()["experiments"]
    modes = sorted(e["experimentOptions"]["actionsMode"] for e in runs)
    assert modes == ["run-all", "skip-all"]
