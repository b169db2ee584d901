"""chaos.faults.fis_experiment_template on hostile templates, through real ansible-playbook against moto.

``template_file`` goes through the spec layer's loader and ``template`` through its validator; the
module has no limit code of its own. Each hostile input must fail the task with the field path and
the limit, in a bounded message, before any FIS call that writes.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chaos_pulumi.spec.limits import MAX_NODES
from tests.ansible.test_fis_template import PLAYBOOKS, TEMPLATE, WRITE_CALLS, templates
from tests.conftest import REGION, MotoServer
from tests.harness.ansible import AnsibleEnv, PlaybookResult, run_playbook
from tests.harness.proxy import CountingProxy
from tests.unit.test_spec_limits import alias_nest

pytestmark = pytest.mark.ansible


@pytest.fixture
def env(ansible_moto: AnsibleEnv) -> AnsibleEnv:
    """As in test_fis_template: only the module's endpoint_url option aims it at moto."""
    return AnsibleEnv(
        root=ansible_moto.root, env={k: v for k, v in ansible_moto.env.items() if k != "AWS_ENDPOINT_URL"}
    )


@pytest.fixture
def proxy(moto: MotoServer) -> Iterator[CountingProxy]:
    counting = CountingProxy(moto.url)
    try:
        yield counting
    finally:
        counting.close()


def apply(
    env: AnsibleEnv, proxy: CountingProxy, tmp_path: Path, **extra: Any
) -> tuple[PlaybookResult, list[str]]:
    """Run the template playbook with ``extra`` in a vars file (a command-line argument caps at 128 KiB)."""
    extra_vars = {"aws_endpoint_url": proxy.url, "aws_region": REGION, "template_name": "hostile", **extra}
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(extra_vars))
    before = proxy.snapshot()
    result = run_playbook(PLAYBOOKS / "template.yml", env, args=["-e", f"@{vars_file}"])
    calls = CountingProxy.diff(proxy.snapshot(), before)
    writes = sorted(WRITE_CALLS.get(op, op) for op in calls if not op.startswith(("GET ", "HEAD ")))
    return result, writes


def failed_task(result: PlaybookResult, writes: list[str]) -> dict[str, Any]:
    assert result.rc != 0, result.output
    task = result.task("Apply the template")
    assert task["failed"] is True
    assert "Traceback" not in task["msg"] and "please report it" not in task["msg"]
    assert len(task["msg"]) < 5_000, len(task["msg"])
    assert writes == []
    return task


def test_template_file_with_an_alias_nest_is_refused_with_its_path(
    env: AnsibleEnv, moto: MotoServer, proxy: CountingProxy, tmp_path: Path
) -> None:
    nest = tmp_path / "nest.yaml"
    nest.write_text(alias_nest())
    task = failed_task(*apply(env, proxy, tmp_path, template_file=str(nest)))
    assert task["msg"].startswith(f"template_file {nest} cannot be used:\n")
    (problem,) = task["problems"]
    assert problem["path"].startswith("stopConditions[0].value")
    assert problem["message"] == f"YAML aliases expand to more than {MAX_NODES:,} nodes; write the value out"
    assert templates(moto) == []


def test_template_file_over_one_mebibyte_is_not_read(
    env: AnsibleEnv, moto: MotoServer, proxy: CountingProxy, tmp_path: Path
) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("description: '" + "A" * 3_000_000 + "'\n")
    task = failed_task(*apply(env, proxy, tmp_path, template_file=str(big)))
    assert "is larger than 1 MiB" in task["msg"]


def test_template_with_huge_values_and_digit_strings_fails_with_paths(
    env: AnsibleEnv, moto: MotoServer, proxy: CountingProxy, tmp_path: Path
) -> None:
    bad = copy.deepcopy(TEMPLATE)
    bad["stopConditions"][0]["value"] = "A" * 500_000
    bad["targets"]["webInstances"]["selectionMode"] = "COUNT(" + "9" * 5_000 + ")"
    bad["actions"]["stopWeb"]["parameters"]["startInstancesAfterDuration"] = "9" * 5_000
    bad["targets"].update({f"t{i}": {"resourceType": "aws:ec2:instance"} for i in range(2_000)})
    task = failed_task(*apply(env, proxy, tmp_path, template_content=bad))
    msg = task["msg"]
    assert (
        "stopConditions[0].value: 'AAAA" in msg
        and "(500,000 characters) is not a CloudWatch alarm ARN" in msg
    )
    assert "targets: has 2,001 targets; the validator reads at most 1,000" in msg
    assert "actions.stopWeb.parameters.startInstancesAfterDuration: is 5,000 characters long" in msg
    assert templates(moto) == []
