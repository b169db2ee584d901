"""The kill switch end to end: ``chaos-pulumi stop-all`` and the ``chaos.faults.stop_all`` playbook.

Real FIS runs on the moto server (kept ``running`` until something stops them), real host faults on
localhost and on namespace hosts reached over SSH, the real ``chaos-pulumi`` command and the real
``ansible-playbook``. Heavy: run under ``flock /tmp/chaos-heavy.lock``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chaos_pulumi.aws.safety import PAUSED_MARK
from chaos_pulumi.spec.schedules import SCHEDULE_TAG
from tests.conftest import MotoServer
from tests.harness import hosts as hosts_harness
from tests.harness.ansible import VENV_BIN, AnsibleEnv, run_playbook
from tests.harness.experiments import running_experiments, start, wait_template
from tests.harness.hosts import TestHosts, leftovers, wait_until

pytestmark = [pytest.mark.ansible, pytest.mark.root]
test_hosts = hosts_harness.test_hosts

PLAYBOOKS = Path(__file__).parent / "playbooks" / "safety"
STOP_ALL = "chaos.faults.stop_all"  # the collection playbook, by its name, as a user runs it


@pytest.fixture(autouse=True)
def _root() -> None:
    if os.geteuid() != 0:
        pytest.skip("real host faults need root")


@pytest.fixture
def local_records(tmp_path: Path, ansible: AnsibleEnv) -> Iterator[Path]:
    """localhost's fault records, out of the machine's /run/chaos-faults; reverted whatever happens."""
    path = tmp_path / "records"
    yield path
    cleanup = tmp_path / "cleanup.yml"
    cleanup.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        f"    - chaos.faults.fault_status: {{revert: [all], record_dir: '{path}'}}\n"
    )
    run_playbook(cleanup, ansible)


def localhost_entry(records: Path) -> dict[str, Any]:
    return {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "fault": "cpu_stress",
        "fault_record_dir": str(records),
        "stop_all_record_dir": str(records),
    }


def write_inventory(path: Path, hosts: dict[str, dict[str, Any]], group_vars: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"all": {"hosts": hosts, "vars": group_vars}}, indent=2))
    return path


def chaos_pulumi(moto: MotoServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **moto.env}
    env.pop("AWS_PROFILE", None)
    return subprocess.run(
        [str(VENV_BIN / "chaos-pulumi"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def records_in(path: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(path.glob("*.json"))]


def inject(ansible: AnsibleEnv, inventory: Path) -> None:
    result = run_playbook(PLAYBOOKS / "inject.yml", ansible, inventory=inventory)
    assert result.rc == 0, result.output


def active_ids(records: list[dict[str, Any]]) -> list[str]:
    return [r["fault_id"] for r in records if not r.get("reverted_at")]


def test_playbook_engages_the_lever_and_reverts_localhost(
    ansible_moto: AnsibleEnv, moto: MotoServer, local_records: Path, tmp_path: Path
) -> None:
    fis = moto.client("fis")
    inventory = write_inventory(
        tmp_path / "inventory.json", {"localhost": localhost_entry(local_records)}, {}
    )
    with running_experiments(moto.url, fis, 2) as ids:
        inject(ansible_moto, inventory)
        [fault_id] = active_ids(records_in(local_records))

        result = run_playbook(
            STOP_ALL,
            ansible_moto,
            inventory=inventory,
            extra_vars={"stop_all_reason": "INC-5: checkout errors"},
        )
        assert result.rc == 0, result.output
        [lever] = result.task("Engage the safety lever in each Region")["results"]
        assert lever["changed"] is True and lever["safety_lever"]["status"] == "engaged"
        for experiment_id in ids:
            assert fis.get_experiment(id=experiment_id)["experiment"]["state"]["status"] == "stopped"
        assert result.task("Revert every active host fault")["reverted"] == [fault_id]
        summary = result.task("Summary")["msg"]
        assert summary["hosts"]["localhost"]["reverted"] == [fault_id]
        assert summary["hosts"]["localhost"]["still_active"] == []
        [record] = records_in(local_records)
        assert record["reverted_by"] == "revert" and record["state"] == "reverted"
        assert start(fis, wait_template(fis))["state"]["status"] == "cancelled"

        again = run_playbook(
            STOP_ALL, ansible_moto, inventory=inventory, extra_vars={"stop_all_reason": "again"}
        )
        assert again.rc == 0, again.output
        assert again.task("Revert every active host fault")["reverted"] == []
        assert again.task("Engage the safety lever in each Region")["results"][0]["changed"] is False

    resumed = chaos_pulumi(moto, "resume", "--reason", "INC-5 resolved")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "safety lever: disengaged (was engaged)" in resumed.stdout
    assert start(fis, wait_template(fis))["state"]["status"] == "pending"


def test_unreachable_host_and_missing_reason_fail_the_playbook(
    ansible_moto: AnsibleEnv, moto: MotoServer, local_records: Path, tmp_path: Path
) -> None:
    ghost = {
        "ansible_host": "127.0.0.1",
        "ansible_port": 9,
        "ansible_connection": "ssh",
        "ansible_user": "root",
        "ansible_ssh_common_args": "-o ConnectTimeout=3 -o StrictHostKeyChecking=no",
    }
    inventory = write_inventory(
        tmp_path / "inventory.json", {"localhost": localhost_entry(local_records), "ghost": ghost}, {}
    )
    inject(
        ansible_moto,
        write_inventory(tmp_path / "local.json", {"localhost": localhost_entry(local_records)}, {}),
    )
    result = run_playbook(
        STOP_ALL, ansible_moto, inventory=inventory, extra_vars={"stop_all_reason": "drill"}
    )
    assert result.rc != 0
    failure = result.task("Fail when something was not stopped")["msg"]
    assert "ghost unreachable" in failure and "revert themselves" in failure
    assert result.task("Summary")["msg"]["hosts"]["localhost"][
        "reverted"
    ]  # the reachable host still reverted
    assert active_ids(records_in(local_records)) == []

    no_reason = run_playbook(STOP_ALL, ansible_moto, inventory=inventory)
    assert no_reason.rc != 0 and "stop_all_reason is required" in no_reason.output


def test_stop_all_cli_and_playbook_on_namespace_hosts_and_localhost(
    test_hosts, ansible_moto: AnsibleEnv, moto: MotoServer, local_records: Path, tmp_path: Path
) -> None:
    hosts: TestHosts = test_hosts(2)
    h1, h2 = hosts
    fis, scheduler = moto.client("fis"), moto.client("scheduler")
    scheduler.create_schedule_group(Name="chaos-dev", Tags=[{"Key": SCHEDULE_TAG, "Value": "dev"}])
    scheduler.create_schedule(
        Name="weekday",
        GroupName="chaos-dev",
        Description="weekday game day",
        ScheduleExpression="cron(0 10 ? * MON-FRI *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": "arn:aws:scheduler:::aws-sdk:fis:startExperiment",
            "RoleArn": "arn:aws:iam::123456789012:role/s",
            "Input": "{}",
        },
    )
    fleet = json.loads(hosts.inventory.read_text())["all"]
    fleet["hosts"][h1.name]["fault"] = "network_blackhole"
    fleet["hosts"][h2.name]["fault"] = "cpu_stress"
    fleet["hosts"]["localhost"] = localhost_entry(local_records)
    inventory = write_inventory(tmp_path / "inventory.json", fleet["hosts"], fleet["vars"])

    with running_experiments(moto.url, fis, 2) as ids:
        inject(ansible_moto, inventory)
        injected = {h.name: active_ids(h.fault_records()) for h in hosts}
        injected["localhost"] = active_ids(records_in(local_records))
        assert all(len(v) == 1 for v in injected.values()), injected
        assert h1.http_get(timeout=1.0)[0] is None  # the blackhole is on

        cli = chaos_pulumi(moto, "stop-all", "--reason", "INC-6: payments down", "--format", "json")
        assert cli.returncode == 0, cli.stdout + cli.stderr
        region = json.loads(cli.stdout)["regions"]["us-east-1"]
        assert region["lever"]["after"] == {"status": "engaged", "reason": "INC-6: payments down"}
        assert {e["id"]: e["final"] for e in region["experiments"]} == {i: "stopped" for i in ids}
        assert [(s["name"], s["after"]) for s in region["schedules"]] == [("weekday", "DISABLED")]

        book = run_playbook(
            STOP_ALL,
            ansible_moto,
            inventory=inventory,
            extra_vars={"stop_all_reason": "INC-6: payments down"},
        )
        assert book.rc == 0, book.output
        report = book.task("Summary")["msg"]["hosts"]
        for name, fault_ids in injected.items():
            assert report[name]["reverted"] == fault_ids, (name, report)
            assert book.task("Revert every active host fault", name)["reverted"] == fault_ids
        for h in hosts:
            assert active_ids(h.fault_records()) == []
            assert {r["reverted_by"] for r in h.fault_records()} == {"revert"}
            wait_until(lambda h=h: leftovers(h) == [], 10, 0.2, f"{h.name} to be clean: {leftovers(h)}")
        assert h1.http_get()[0] == 200
        assert active_ids(records_in(local_records)) == []

        for experiment_id in ids:
            assert fis.get_experiment(id=experiment_id)["experiment"]["state"]["status"] == "stopped"
        assert start(fis, wait_template(fis))["state"]["status"] == "cancelled"
        paused = scheduler.get_schedule(Name="weekday", GroupName="chaos-dev")
        assert paused["State"] == "DISABLED" and paused["Description"].startswith(PAUSED_MARK)

        resumed = chaos_pulumi(moto, "resume", "--reason", "INC-6 resolved")
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    schedule = scheduler.get_schedule(Name="weekday", GroupName="chaos-dev")
    assert schedule["State"] == "ENABLED" and schedule["Description"] == "weekday game day"
    assert fis.get_safety_lever(id="default")["safetyLever"]["state"]["status"] == "disengaged"
    assert start(fis, wait_template(fis))["state"]["status"] == "pending"
