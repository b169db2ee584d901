"""chaos.faults.ssm_fault_document and examples/fleet/fleet-cpu-stress.yml, by ansible-playbook, against moto.

The module registers the document `chaos-pulumi ssm-document` prints (CreateDocument), changes nothing the
second time, updates the default version when the document differs, reports in check mode, deletes with
state=absent; the example makes the document and applies the FIS template file `chaos-pulumi ssm-template`
wrote (examples/fleet/web-cpu-stress.yaml, which that command, as written at its top, still writes), and
fis_experiment_template applies what the command writes here too (JSON, with a waiver).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from chaos_pulumi.fleet.ssm_document import build_document
from tests.conftest import MotoServer
from tests.harness.ansible import AnsibleEnv, run_playbook

pytestmark = pytest.mark.ansible

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fleet" / "fleet-cpu-stress.yml"
EXAMPLE_TEMPLATE = EXAMPLE.with_name("web-cpu-stress.yaml")
CLI = [sys.executable, "-m", "chaos_pulumi.cli"]

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


def header_command(path: Path) -> list[str]:
    """The `chaos-pulumi ...` command quoted in a file's header comment, as argv."""
    lines = [line[1:].strip() for line in path.read_text().splitlines() if line.startswith("#")]
    start = next(i for i, line in enumerate(lines) if line.startswith("chaos-pulumi "))
    command = []
    for line in lines[start:]:
        command.append(line.rstrip("\\").strip())
        if not line.endswith("\\"):
            break
    return shlex.split(" ".join(command))


def test_the_example_template_is_what_its_command_writes(tmp_path: Path) -> None:
    argv = header_command(EXAMPLE_TEMPLATE)
    assert argv[:3] == ["chaos-pulumi", "ssm-template", "cpu_stress"]
    assert argv[-2:] == ["-o", EXAMPLE_TEMPLATE.name]
    written = subprocess.run([*CLI, *argv[1:-1], str(tmp_path / "t.yaml")], capture_output=True, text=True,
                             timeout=120, cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert yaml.safe_load((tmp_path / "t.yaml").read_text()) == yaml.safe_load(EXAMPLE_TEMPLATE.read_text())
    checked = subprocess.run([*CLI, "validate", str(EXAMPLE_TEMPLATE)], capture_output=True, text=True,
                             timeout=120, cwd=tmp_path)
    assert checked.returncode == 0 and "policy: safe-defaults" in checked.stdout, checked.stdout


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
    assert [s["source"] for s in live["stopConditions"]] == ["aws:cloudwatch:alarm"]
    again = run_playbook(EXAMPLE, ansible_moto)
    assert again.rc == 0, again.output
    assert not again.task("Register the cpu_stress document (a second run changes nothing)")["changed"]
    assert not again.task("Apply the template that sends it to one running instance tagged app=web for five "
                          "minutes")["changed"]


APPLY_FILE = """
- hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: apply
      chaos.faults.fis_experiment_template: {name: edge-blackhole, template_file: "%s"}
"""


def test_fis_experiment_template_applies_the_file_ssm_template_writes(
    ansible_moto: AnsibleEnv, moto: MotoServer, tmp_path: Path
) -> None:
    path = tmp_path / "edge-blackhole.json"
    reason = "staging drill, the alarm lands in OPS-123"
    written = subprocess.run(
        [*CLI, "ssm-template", "network_blackhole", "--account", "123456789012", "--region", "us-east-1",
         "--target-tag", "app=edge", "--target-tag", "env=staging", "--selection-mode", "PERCENT(25)",
         "--duration", "120", "--param", "ports=443", "--role-arn", "arn:aws:iam::123456789012:role/fis",
         "--waiver", reason, "--template-tag", "team=sre", "-o", str(path)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    book = tmp_path / "apply.yml"
    book.write_text(APPLY_FILE % path)
    result = run_playbook(book, ansible_moto)
    assert result.rc == 0, result.output
    assert result.task("apply")["changed"]
    fis = moto.client("fis")
    [summary] = fis.list_experiment_templates()["experimentTemplates"]
    live = fis.get_experiment_template(id=summary["id"])["experimentTemplate"]
    assert live["tags"] == {"Name": "edge-blackhole", "team": "sre",
                            "chaos:waiver": f"stop_condition_required: {reason}"}
    assert live["targets"]["instances"]["resourceTags"] == {"app": "edge", "env": "staging"}
    assert live["targets"]["instances"]["selectionMode"] == "PERCENT(25)"
    [action] = live["actions"].values()
    assert action["parameters"]["documentArn"] == (
        "arn:aws:ssm:us-east-1:123456789012:document/ChaosFaults-network_blackhole")
    assert json.loads(action["parameters"]["documentParameters"]) == {"duration": "120", "ports": "443"}
    again = run_playbook(book, ansible_moto)
    assert again.rc == 0 and not again.task("apply")["changed"], again.output
