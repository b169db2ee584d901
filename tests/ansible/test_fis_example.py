"""examples/ansible/fis-gameday.yml runs as written against the embedded default (moto)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MotoServer
from tests.harness.ansible import AnsibleEnv, run_playbook

pytestmark = pytest.mark.ansible

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ansible" / "fis-gameday.yml"


def test_fis_gameday_example(ansible_moto: AnsibleEnv, moto: MotoServer) -> None:
    # The account the example runs against: three instances its target selects one of, one not tagged.
    web = moto.run_instances(3, {"app": "web", "chaos-ready": "true"})
    moto.run_instances(1, {"app": "web"})
    result = run_playbook(EXAMPLE, ansible_moto)
    assert result.rc == 0, result.output
    outcome = result.task("Print the outcome")["msg"]
    assert outcome[1] == "outcome: completed - Experiment completed", outcome
    assert outcome[2] == "actions: stop-web=completed", outcome
    assert outcome[3].endswith("-> completed"), outcome
    assert outcome[4] == "preflight: web would hit 1 of 3 (policy safe-defaults)", outcome
    assert outcome[5] == "resolved by FIS: {}", outcome  # moto resolves only targets listing ARNs
    matched = result.task("Dry run - resolve the targets and check permissions, inject nothing")
    assert sorted(a.rsplit("/", 1)[1] for a in matched["preflight"]["targets"][0]["matching"]) == sorted(web)

    client = moto.client("fis")
    (template,) = client.list_experiment_templates()["experimentTemplates"]
    assert template["tags"]["Name"] == "web-stop-one-instance"
    runs = client.list_experiments()["experiments"]
    modes = sorted(e["experimentOptions"]["actionsMode"] for e in runs)
    assert modes == ["run-all", "skip-all"]


def test_fis_gameday_example_stops_before_a_start_that_would_hit_nothing(
    ansible_moto: AnsibleEnv, moto: MotoServer
) -> None:
    result = run_playbook(EXAMPLE, ansible_moto)
    assert result.rc == 2, result.output
    msg = result.task("Dry run - resolve the targets and check permissions, inject nothing")["msg"]
    assert "target 'web' (aws:ec2:instance, COUNT(1)) matches no resource" in msg, msg
    assert moto.client("fis").list_experiments()["experiments"] == []
