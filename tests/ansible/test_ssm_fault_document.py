"""chaos.faults.ssm_fault_document and examples/fleet/fleet-cpu-stress.yml, by ansible-playbook, against moto.

The module registers the document `chaos-pulumi ssm-document` prints (CreateDocument), changes nothing the
second time, updates the default version when the document differs, reports in check mode, deletes with
state=absent; the example makes the document and a FIS template whose send-command action uses its ARN.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chaos_pulumi.fleet.ssm_document import build_document
from tests.conftest import MotoServer
from tests.harness.ansible import AnsibleEnv, run_playbook

pytestmark = pytest.mark.ansible

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fleet" / "fleet-cpu-stress.yml"

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: first
      chaos.faults.ssm_fault_document: {fault: network_blackhole, tags: {team: sre}}
      register: first
    - name: again
      chaos.faults.ssm_fault_document: {fault: network_blackhole}
    - name: longer, in check mode
      chaos.faults.ssm_fault_document: {fault: network_blackhole, max_duration: 7200}
      check_mode: true
    - name: longer
      chaos.faults.ssm_fault_document: {fault: network_blackhole, max_duration: 7200}
    - name: not a fault
      chaos.faults.ssm_fault_document: {fault: rm_rf}
      ignore_errors: true
    - name: gone
      chaos.faults.ssm_fault_document: {name: ChaosFaults-network_blackhole, state: absent}
    - name: gone again
      chaos.faults.ssm_fault_document: {name: ChaosFaults-network_blackhole, state: absent}
"""


def test_register_update_and_delete_a_fault_document(ansible_moto: AnsibleEnv, moto: MotoServer,
                                                     tmp_path: Path) -> None:
    book = tmp_path / "doc.yml"
    book.write_text(PLAYBOOK)
    ssm = moto.client("ssm")
    seen: dict = {}
    result = run_playbook(book, ansible_moto)
    assert result.rc == 0, result.output
    first = result.task("first")
    assert first["changed"] and first["document"]["name"] == "ChaosFaults-network_blackhole"
    arn = "arn:aws:ssm:us-east-1:123456789012:document/ChaosFaults-network_blackhole"
    assert first["document"]["arn"] == arn
    assert first["document"]["default_version"] == "1"
    assert not result.task("again")["changed"]
    assert result.task("longer, in check mode")["changed"]
    longer = result.task("longer")
    assert longer["changed"] and longer["document"]["default_version"] == "2"
    assert "not a timed host fault" in result.task("not a fault")["msg"]
    assert result.task("gone")["changed"] and not result.task("gone again")["changed"]
    seen["docs"] = ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])["DocumentIdentifiers"]
    assert seen["docs"] == []


def test_the_fleet_example_makes_the_document_and_a_template_using_it(ansible_moto: AnsibleEnv,
                                                                     moto: MotoServer) -> None:
    result = run_playbook(EXAMPLE, ansible_moto)
    assert result.rc == 0, result.output
    ssm, fis = moto.client("ssm"), moto.client("fis")
    content = json.loads(ssm.get_document(Name="ChaosFaults-cpu_stress")["Content"])
    assert content == build_document("cpu_stress").content
    [summary] = fis.list_experiment_templates()["experimentTemplates"]
    live = fis.get_experiment_template(id=summary["id"])["experimentTemplate"]
    [action] = live["actions"].values()
    assert action["parameters"]["documentArn"].endswith(":document/ChaosFaults-cpu_stress")
    assert json.loads(action["parameters"]["documentParameters"]) == {
        "duration": "300", "load": "80", "stopOnUrl": "http://127.0.0.1:8080/health"}
    again = run_playbook(EXAMPLE, ansible_moto)
    assert again.rc == 0, again.output
    assert not again.task("Register the cpu_stress document (a second run changes nothing)")["changed"]
