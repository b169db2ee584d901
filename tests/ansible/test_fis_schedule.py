"""chaos.faults.fis_schedule through real ansible-playbook against a moto server.

As in test_fis_template.py, the module reaches moto only through its ``endpoint_url`` option, aimed
at a call-counting proxy, so "no write call" on a second run is checked on the wire.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chaos_pulumi.spec.schedules import SCHEDULE_TAG, monkey_settings, plan_runs
from tests.conftest import REGION, MotoServer
from tests.harness.ansible import AnsibleEnv, PlaybookResult, run_playbook
from tests.harness.proxy import CountingProxy

from .test_fis_template import PLAYBOOKS

pytestmark = pytest.mark.ansible

ROLE = "arn:aws:iam::123456789012:role/chaos-scheduler"
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
MONKEY = {"mean_days_between_runs": 1.5, "min_gap": "PT20H", "window": "10:00-15:00", "seed": "ansible"}


@pytest.fixture
def env(ansible_moto: AnsibleEnv) -> AnsibleEnv:
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


@pytest.fixture
def template_id(moto: MotoServer) -> str:
    """A one-hour template (aws:fis:wait), named wait-an-hour."""
    created = moto.client("fis").create_experiment_template(
        description="wait an hour",
        roleArn="arn:aws:iam::123456789012:role/fis",
        stopConditions=[{"source": "none"}],
        targets={},
        actions={"wait": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1H"}}},
        tags={"Name": "wait-an-hour"},
    )
    return created["experimentTemplate"]["id"]


def apply(
    env: AnsibleEnv, proxy: CountingProxy, *, check: bool = False, **extra: Any
) -> tuple[PlaybookResult, list]:
    extra_vars = {"aws_endpoint_url": proxy.url, "aws_region": REGION, "role_arn": ROLE, **extra}
    before = proxy.snapshot()
    result = run_playbook(PLAYBOOKS / "schedule.yml", env, extra_vars=extra_vars, check=check, diff=True)
    calls = CountingProxy.diff(proxy.snapshot(), before)
    writes = sorted(op for op in calls if not op.startswith(("GET ", "HEAD ")))
    return result, writes


def schedules(moto: MotoServer, group: str) -> dict[str, dict]:
    client = moto.client("scheduler")
    return {
        s["Name"]: client.get_schedule(Name=s["Name"], GroupName=group)
        for s in client.list_schedules(GroupName=group)["Schedules"]
    }


def test_plain_schedule_is_created_once_and_tagged(env, moto, proxy, template_id) -> None:
    first, writes = apply(
        env,
        proxy,
        schedule_name="weekly",
        template_name="wait-an-hour",
        schedule_expression="cron(0 10 ? * TUE *)",
        timezone="Europe/Berlin",
    )
    assert first.rc == 0, first.output
    task = first.task("Apply the schedule")
    assert task["changed"] is True and task["planned_runs"] == []
    assert writes, "the first run must create the group and the schedule"
    live = schedules(moto, "weekly")["weekly"]
    assert live["ScheduleExpression"] == "cron(0 10 ? * TUE *)"
    assert live["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert live["Target"]["Arn"] == "arn:aws:scheduler:::aws-sdk:fis:startExperiment"
    assert live["Target"]["RoleArn"] == ROLE
    assert live["Target"]["RetryPolicy"] == {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 300}
    assert json.loads(live["Target"]["Input"]) == {
        "experimentTemplateId": template_id,
        "clientToken": "<aws.scheduler.execution-id>",
        "tags": {SCHEDULE_TAG: "weekly"},
    }
    client = moto.client("scheduler")
    group = client.get_schedule_group(Name="weekly")
    assert {"Key": SCHEDULE_TAG, "Value": "weekly"} in client.list_tags_for_resource(
        ResourceArn=group["Arn"]
    )["Tags"]

    second, writes = apply(
        env,
        proxy,
        schedule_name="weekly",
        template_id=template_id,
        schedule_expression="cron(0 10 ? * TUE *)",
        timezone="Europe/Berlin",
    )
    assert second.rc == 0, second.output
    assert second.task("Apply the schedule")["changed"] is False
    assert writes == []


def test_check_mode_plans_chaos_monkey_runs_without_writing(env, moto, proxy, template_id) -> None:
    result, writes = apply(
        env,
        proxy,
        check=True,
        schedule_name="monkey",
        template_id=template_id,
        chaos_monkey=MONKEY,
        plan_now=NOW.isoformat(),
    )
    assert result.rc == 0, result.output
    task = result.task("Apply the schedule")
    plan = plan_runs(
        monkey_settings(
            seed="ansible",
            mean_days_between_runs=1.5,
            min_gap="PT20H",
            window="10:00-15:00",
            run_seconds=3600,
        ),
        NOW,
    )
    assert plan and task["planned_runs"] == [r.start.isoformat() for r in plan]
    assert task["changed"] is True
    assert [s["name"] for s in task["diff"]["after"]["schedules"]] == sorted(
        f"monkey-{r.name()}" for r in plan
    )
    assert writes == []
    assert moto.client("scheduler").list_schedule_groups()["ScheduleGroups"] == [] or all(
        g["Name"] != "monkey" for g in moto.client("scheduler").list_schedule_groups()["ScheduleGroups"]
    )


def test_chaos_monkey_rolls_the_horizon_without_reshuffling(env, moto, proxy, template_id) -> None:
    first, _ = apply(
        env,
        proxy,
        schedule_name="monkey",
        template_id=template_id,
        chaos_monkey=MONKEY,
        plan_now=NOW.isoformat(),
        leashed=True,
    )
    assert first.rc == 0, first.output
    day1 = schedules(moto, "monkey")
    planned = first.task("Apply the schedule")["planned_runs"]
    assert (
        sorted(day1) == sorted(f"monkey-{datetime.fromisoformat(t):%Y%m%dT%H%MZ}" for t in planned)
        and len(day1) >= 3
    )
    for live in day1.values():
        assert live["ScheduleExpression"].startswith("at(") and live["ScheduleExpressionTimezone"] == "UTC"
        assert json.loads(live["Target"]["Input"])["experimentOptions"] == {"actionsMode": "skip-all"}

    later = NOW + timedelta(days=3)
    second, writes = apply(
        env,
        proxy,
        schedule_name="monkey",
        template_id=template_id,
        chaos_monkey=MONKEY,
        plan_now=later.isoformat(),
        leashed=True,
    )
    assert second.rc == 0, second.output
    day4 = schedules(moto, "monkey")
    kept = {n for n in day1 if n in day4}
    gone = set(day1) - set(day4)
    # Runs before the new "now" are gone; every run still ahead is kept exactly, unchanged.
    assert all(day1[n]["ScheduleExpression"] == day4[n]["ScheduleExpression"] for n in kept)
    assert all(n[len("monkey-") :] < f"{later + timedelta(minutes=10):%Y%m%dT%H%MZ}" for n in gone)
    assert all(n[len("monkey-") :] >= f"{later:%Y%m%dT%H%MZ}" for n in kept)
    assert not any(w.startswith("PATCH") or "update" in w.lower() for w in writes), writes


def test_overlapping_runs_fail_with_the_field_and_nothing_is_created(env, moto, proxy, template_id) -> None:
    result, writes = apply(
        env,
        proxy,
        schedule_name="tight",
        template_id=template_id,
        chaos_monkey={**MONKEY, "min_gap": "PT30M"},
        plan_now=NOW.isoformat(),
    )
    assert result.rc != 0
    msg = result.task("Apply the schedule")["msg"]
    assert "chaos_monkey.min_gap: is shorter than the template's maximum duration (3600s)" in msg
    assert writes == []


def test_absent_deletes_schedules_and_the_group(env, moto, proxy, template_id) -> None:
    assert (
        apply(
            env, proxy, schedule_name="weekly", template_id=template_id, schedule_expression="rate(7 days)"
        )[0].rc
        == 0
    )
    gone, _ = apply(env, proxy, schedule_name="weekly", schedule_state="absent")
    assert gone.rc == 0, gone.output
    assert gone.task("Apply the schedule")["changed"] is True
    groups = moto.client("scheduler").list_schedule_groups()["ScheduleGroups"]
    assert all(g["Name"] != "weekly" for g in groups)
    again, writes = apply(env, proxy, schedule_name="weekly", schedule_state="absent")
    assert again.task("Apply the schedule")["changed"] is False and writes == []
