"""The kill switch library (chaos_pulumi.aws.safety) against the moto server with the lever stand-in."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from chaos_pulumi.aws.clients import client_factory
from chaos_pulumi.aws.safety import (
    PAUSED_MARK,
    SCHEDULE_TAG,
    lever_engaged,
    resume,
    stop_all,
)
from chaos_pulumi.local import free_port
from tests.harness.experiments import running_experiments, start, wait_template

TARGET = {
    "Arn": "arn:aws:scheduler:::aws-sdk:fis:startExperiment",
    "RoleArn": "arn:aws:iam::123456789012:role/chaos-scheduler",
    "Input": json.dumps({"ExperimentTemplateId": "EXT1"}),
}


def clients_for(region: str):
    return client_factory(region=region)


def make_schedules(scheduler, long_description: bool = False) -> None:
    """A tagged group (two enabled schedules, one disabled before) and an untagged group."""
    scheduler.create_schedule_group(Name="chaos-dev", Tags=[{"Key": SCHEDULE_TAG, "Value": "dev"}])
    scheduler.create_schedule_group(Name="team-jobs", Tags=[{"Key": "team", "Value": "data"}])
    common = {
        "ScheduleExpression": "cron(0 10 ? * MON-FRI *)",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": TARGET,
    }
    scheduler.create_schedule(Name="weekday", GroupName="chaos-dev", Description="weekday game day", **common)
    scheduler.create_schedule(Name="bare", GroupName="chaos-dev", **common)
    scheduler.create_schedule(Name="retired", GroupName="chaos-dev", State="DISABLED", **common)
    scheduler.create_schedule(Name="nightly-etl", GroupName="team-jobs", **common)
    if long_description:
        scheduler.create_schedule(Name="wordy", GroupName="chaos-dev", Description="x" * 500, **common)


def schedule(scheduler, group: str, name: str) -> dict[str, Any]:
    return scheduler.get_schedule(Name=name, GroupName=group)


def test_stop_all_engages_stops_and_pauses_then_resume_restores(moto) -> None:
    fis, scheduler = moto.client("fis"), moto.client("scheduler")
    make_schedules(scheduler)
    with running_experiments(moto.url, fis, 2) as ids:
        record = stop_all(["us-east-1"], "incident 7", clients_for, wait_s=10)
        json.dumps(record)  # JSON-able as returned
        assert record["ok"] is True and record["action"] == "stop-all" and record["reason"] == "incident 7"
        region = record["regions"]["us-east-1"]
        assert region["errors"] == []
        assert region["lever"]["changed"] is True
        assert region["lever"]["before"]["status"] == "disengaged"
        assert region["lever"]["after"] == {"status": "engaged", "reason": "incident 7"}
        assert sorted(r["id"] for r in region["experiments"]) == sorted(ids)
        assert all(r["before"] == "running" and r["final"] == "stopped" for r in region["experiments"])
        for experiment_id in ids:
            assert fis.get_experiment(id=experiment_id)["experiment"]["state"]["status"] == "stopped"
        paused = {(r["group"], r["name"]): r for r in region["schedules"]}
        assert set(paused) == {("chaos-dev", "weekday"), ("chaos-dev", "bare"), ("chaos-dev", "retired")}
        assert (
            paused[("chaos-dev", "weekday")]["after"] == "DISABLED"
            and paused[("chaos-dev", "weekday")]["resume"]
        )
        assert paused[("chaos-dev", "retired")]["resume"] is False
        weekday = schedule(scheduler, "chaos-dev", "weekday")
        assert weekday["State"] == "DISABLED" and weekday["Description"] == f"{PAUSED_MARK} weekday game day"
        assert weekday["Target"]["Input"] == TARGET["Input"]  # UpdateSchedule got the schedule back whole
        assert schedule(scheduler, "chaos-dev", "bare")["State"] == "DISABLED"
        assert schedule(scheduler, "team-jobs", "nightly-etl")["State"] == "ENABLED"  # not ours

        assert lever_engaged(fis) == "incident 7"
        assert start(fis, wait_template(fis))["state"]["status"] == "cancelled"

        again = stop_all(["us-east-1"], "incident 7, again", clients_for, wait_s=10)["regions"]["us-east-1"]
        assert again["errors"] == [] and again["lever"]["changed"] is False
        assert again["lever"]["after"]["reason"] == "incident 7"  # the first reason stands
        assert again["experiments"] == []
        assert all(
            r["note"] == "already paused by stop-all" for r in again["schedules"] if r["name"] != "retired"
        )

        back = resume(["us-east-1"], "incident 7 resolved", clients_for)
        assert back["ok"] is True
        region = back["regions"]["us-east-1"]
        assert region["lever"]["after"] == {"status": "disengaged", "reason": "incident 7 resolved"}
        assert sorted(r["name"] for r in region["schedules"]) == ["bare", "weekday"]
    assert lever_engaged(fis) is None
    weekday = schedule(scheduler, "chaos-dev", "weekday")
    assert weekday["State"] == "ENABLED" and weekday["Description"] == "weekday game day"
    assert schedule(scheduler, "chaos-dev", "bare")["State"] == "ENABLED"
    assert schedule(scheduler, "chaos-dev", "retired")["State"] == "DISABLED"  # was off before stop-all
    assert start(fis, wait_template(fis))["state"]["status"] == "pending"
    assert resume(["us-east-1"], "once more", clients_for)["regions"]["us-east-1"]["schedules"] == []


def test_two_stop_alls_at_once(moto) -> None:
    fis, scheduler = moto.client("fis"), moto.client("scheduler")
    make_schedules(scheduler)
    records: list[dict[str, Any]] = []
    with running_experiments(moto.url, fis, 3) as ids:
        runs = [
            threading.Thread(target=lambda r=r: records.append(stop_all(["us-east-1"], r, clients_for, 10)))
            for r in ("pager: api down", "operator: halt")
        ]
        for t in runs:
            t.start()
        for t in runs:
            t.join(60)
        assert len(records) == 2 and all(r["ok"] for r in records), records
        assert sum(r["regions"]["us-east-1"]["lever"]["changed"] for r in records) == 1
        for experiment_id in ids:
            assert fis.get_experiment(id=experiment_id)["experiment"]["state"]["status"] == "stopped"
    for name in ("weekday", "bare"):
        s = schedule(scheduler, "chaos-dev", name)
        assert s["State"] == "DISABLED" and s["Description"].count(PAUSED_MARK) == 1
    resume(["us-east-1"], "all clear", clients_for)
    assert schedule(scheduler, "chaos-dev", "weekday")["Description"] == "weekday game day"


def test_every_region_and_errors_do_not_stop_the_rest(moto) -> None:
    record = stop_all(["us-east-1", "eu-west-1"], "region drill", clients_for, wait_s=5)
    assert record["ok"]
    for region in ("us-east-1", "eu-west-1"):
        assert lever_engaged(client_factory(region=region)("fis")) == "region drill"

    unreachable = f"http://127.0.0.1:{free_port()}"

    def broken_eu(region: str):
        return client_factory(region=region, endpoint_url=unreachable if region == "eu-west-1" else None)

    resume(["us-east-1"], "reset", clients_for)
    partial = stop_all(["us-east-1", "eu-west-1"], "half reachable", broken_eu, wait_s=5)
    assert partial["ok"] is False
    eu = partial["regions"]["eu-west-1"]
    assert {e["step"] for e in eu["errors"]} == {"in_progress", "lever", "experiments", "schedules"}
    assert all("Could not connect" in e["error"] for e in eu["errors"])
    assert partial["regions"]["us-east-1"]["errors"] == []
    assert lever_engaged(client_factory(region="us-east-1")("fis")) == "half reachable"


def test_long_description_is_paused_but_left_for_a_human(moto) -> None:
    scheduler = moto.client("scheduler")
    make_schedules(scheduler, long_description=True)
    record = stop_all(["us-east-1"], "drill", clients_for, wait_s=5)["regions"]["us-east-1"]
    [wordy] = [r for r in record["schedules"] if r["name"] == "wordy"]
    assert wordy["after"] == "DISABLED" and wordy["resume"] is False and "by hand" in wordy["note"]
    assert schedule(scheduler, "chaos-dev", "wordy")["Description"] == "x" * 500
    resume(["us-east-1"], "done", clients_for)
    assert schedule(scheduler, "chaos-dev", "wordy")["State"] == "DISABLED"


def test_reason_is_required() -> None:
    with pytest.raises(ValueError, match="reason is required"):
        stop_all(["us-east-1"], "  ", clients_for)
    with pytest.raises(ValueError, match="reason is required"):
        resume(["us-east-1"], "", clients_for)
