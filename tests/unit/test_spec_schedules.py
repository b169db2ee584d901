"""Chaos Monkey planning: windows, gaps, quiet dates, time zones and DST, determinism from the seed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaos_pulumi.spec.schedules import (
    MAX_EVENT_AGE_SECONDS,
    START_EXPERIMENT_TARGET,
    ScheduleError,
    StartExperimentTarget,
    check_expression,
    monkey_settings,
    plan_runs,
    scheduler_role_policy,
)

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "America/St_Johns"]

settings_strategy = st.builds(
    lambda seed, mean, gap_h, start_h, length_h, zone, days, run_m, horizon, quiet: dict(
        seed=seed,
        mean_days_between_runs=mean,
        min_gap=f"PT{gap_h}H",
        window=f"{start_h:02d}:00-{start_h + length_h:02d}:00",
        weekdays=",".join(days),
        timezone=zone,
        run_seconds=run_m * 60,
        horizon_days=horizon,
        quiet_dates=quiet,
    ),
    seed=st.text(min_size=1, max_size=12),
    mean=st.floats(min_value=1, max_value=5),
    gap_h=st.integers(min_value=2, max_value=72),
    start_h=st.integers(min_value=0, max_value=20),
    length_h=st.integers(min_value=2, max_value=3),
    zone=st.sampled_from(ZONES),
    days=st.lists(
        st.sampled_from(["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]), min_size=1, unique=True
    ),
    run_m=st.integers(min_value=0, max_value=90),
    horizon=st.integers(min_value=1, max_value=30),
    quiet=st.lists(st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)), max_size=5),
)
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC)
)


@settings(max_examples=150, deadline=None)
@given(kw=settings_strategy, now=instants)
def test_runs_fall_in_the_window_on_allowed_days_outside_quiet_dates(kw: dict, now: datetime) -> None:
    s = monkey_settings(**kw)
    zone = ZoneInfo(s.timezone)
    for run in plan_runs(s, now):
        local_start = run.start.astimezone(zone)
        day = local_start.date()
        lo = datetime.combine(day, s.window_start, zone).astimezone(UTC)
        hi = datetime.combine(day, s.window_end, zone).astimezone(UTC)
        assert lo <= run.start and run.start + timedelta(seconds=s.run_seconds) <= hi
        assert day.weekday() in s.weekdays
        assert day not in s.quiet_dates
        assert run.start.second == 0 and run.start.microsecond == 0


@settings(max_examples=150, deadline=None)
@given(kw=settings_strategy, now=instants)
def test_runs_keep_the_minimum_gap_and_never_overlap(kw: dict, now: datetime) -> None:
    s = monkey_settings(**kw)
    runs = [r.start for r in plan_runs(s, now)]
    assert runs == sorted(runs)
    for a, b in zip(runs, runs[1:], strict=False):
        assert (b - a).total_seconds() >= s.min_gap_seconds >= s.run_seconds


@settings(max_examples=150, deadline=None)
@given(kw=settings_strategy, now=instants, later=st.integers(min_value=0, max_value=20 * 24 * 60))
def test_rolling_the_horizon_keeps_every_planned_time(kw: dict, now: datetime, later: int) -> None:
    """pulumi up on another day must not reshuffle runs already planned (and reviewed)."""
    s = monkey_settings(**kw)
    then = now + timedelta(minutes=later)
    first = {r.start for r in plan_runs(s, now)}
    second = {r.start for r in plan_runs(s, then)}
    start = then + timedelta(seconds=s.lead_seconds)
    end = now + timedelta(days=s.horizon_days)
    assert {t for t in first if start <= t < end} == {t for t in second if start <= t < end}
    assert all(now + timedelta(seconds=s.lead_seconds) <= t < end for t in first)


@settings(max_examples=60, deadline=None)
@given(kw=settings_strategy, now=instants)
def test_same_seed_same_plan_and_quiet_dates_remove_only_their_own_runs(kw: dict, now: datetime) -> None:
    s = monkey_settings(**kw)
    assert plan_runs(s, now) == plan_runs(monkey_settings(**kw), now)
    runs = plan_runs(monkey_settings(**{**kw, "quiet_dates": []}), now)
    if runs:
        quiet_day = runs[0].local(s.timezone).date()
        with_quiet = plan_runs(monkey_settings(**{**kw, "quiet_dates": [quiet_day]}), now)
        assert with_quiet == [r for r in runs if r.local(s.timezone).date() != quiet_day]


def test_a_different_seed_plans_different_times() -> None:
    now = datetime(2026, 12, 1, 6, tzinfo=UTC)
    plans = {
        tuple(r.start for r in plan_runs(monkey_settings(seed=f"svc-{i}", horizon_days=60), now))
        for i in range(5)
    }
    assert len(plans) == 5


def test_mean_days_between_runs_sets_the_rate() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    daily = plan_runs(
        monkey_settings(seed="rate", mean_days_between_runs=1, min_gap="PT1H", horizon_days=366), now
    )
    rare = plan_runs(
        monkey_settings(seed="rate", mean_days_between_runs=5, min_gap="PT1H", horizon_days=366), now
    )
    workdays = sum(1 for i in range(366) if (date(2026, 1, 1) + timedelta(days=i)).weekday() < 5)
    assert len(daily) in range(workdays - 2, workdays + 1)
    assert workdays / 5 * 0.6 < len(rare) < workdays / 5 * 1.4


def test_dst_spring_forward_window_is_shorter_but_runs_stay_inside() -> None:
    # Europe/Berlin skips 02:00-03:00 on 2026-03-29 (a Sunday).
    s = monkey_settings(
        seed="dst",
        mean_days_between_runs=1,
        min_gap="PT1H",
        window="01:00-04:00",
        weekdays="SUN",
        timezone="Europe/Berlin",
        horizon_days=60,
    )
    runs = plan_runs(s, datetime(2026, 3, 1, tzinfo=UTC))
    day = [r for r in runs if r.local("Europe/Berlin").date() == date(2026, 3, 29)]
    assert len(day) == 1
    assert datetime(2026, 3, 29, 0, tzinfo=UTC) <= day[0].start < datetime(2026, 3, 29, 2, tzinfo=UTC)


def test_at_expressions_are_utc_and_names_sort_by_time() -> None:
    s = monkey_settings(seed="names", timezone="America/New_York", mean_days_between_runs=1, min_gap="PT1H")
    runs = plan_runs(s, datetime(2026, 12, 1, tzinfo=UTC))
    assert runs
    for r in runs:
        assert r.at_expression == f"at({r.start:%Y-%m-%dT%H:%M:00})"
        assert time(9) <= r.local("America/New_York").time() <= time(15)
    assert [r.name() for r in runs] == sorted(r.name() for r in runs)


@pytest.mark.parametrize(
    ("kw", "field", "words"),
    [
        ({"min_gap": "PT30M", "run_seconds": 3600}, "min_gap", "overlap"),
        ({"window": "09:00-09:30", "run_seconds": 3600}, "window", "widen"),
        ({"window": "15:00-09:00"}, "window", "ends before"),
        ({"window": "9am-3pm"}, "window", "HH:MM"),
        ({"timezone": "Mars/Olympus"}, "timezone", "IANA"),
        ({"weekdays": "MON,FUNDAY"}, "weekdays", "weekday"),
        ({"quiet_dates": ["25.12.2026"]}, "quiet_dates[0]", "YYYY-MM-DD"),
        ({"mean_days_between_runs": 0.5}, "mean_days_between_runs", ">= 1"),
        ({"seed": ""}, "seed", "required"),
        ({"horizon_days": 0}, "horizon_days", "1-366"),
    ],
)
def test_bad_settings_name_the_field(kw: dict, field: str, words: str) -> None:
    with pytest.raises(ScheduleError) as err:
        monkey_settings(**{"seed": "x", **kw})
    assert any(p.path == field and words in p.message for p in err.value.problems), err.value.problems


def test_plain_expressions() -> None:
    for ok in ("rate(1 hour)", "rate(7 days)", "cron(0 10 ? * TUE *)", "at(2026-12-01T10:00:00)"):
        check_expression(ok)
    for bad in ("rate(1 hours)", "every tuesday", "cron(0 10 * *)"):
        with pytest.raises(ScheduleError):
            check_expression(bad)


def test_start_experiment_target_is_leashed_and_never_retried() -> None:
    target = StartExperimentTarget(
        "EXT123",
        "arn:aws:iam::123456789012:role/sched",
        leashed=True,
        tags={"chaos-pulumi:schedule": "nightly"},
    )
    req = target.to_request()
    assert req["Arn"] == START_EXPERIMENT_TARGET
    assert req["RetryPolicy"] == {
        "MaximumRetryAttempts": 0,
        "MaximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS,
    }
    assert json.loads(req["Input"]) == {
        "experimentTemplateId": "EXT123",
        "clientToken": "<aws.scheduler.execution-id>",
        "experimentOptions": {"actionsMode": "skip-all"},
        "tags": {"chaos-pulumi:schedule": "nightly"},
    }
    assert "experimentOptions" not in StartExperimentTarget("EXT123", "r").input()


def test_scheduler_role_may_start_only_its_template() -> None:
    arn = "arn:aws:fis:us-east-1:123456789012:experiment-template/EXT123"
    policy = scheduler_role_policy([arn])
    start = policy["Statement"][0]
    assert start["Action"] == ["fis:StartExperiment"]
    assert start["Resource"] == [arn, "arn:aws:fis:us-east-1:123456789012:experiment/*"]
    assert all("*" != s["Resource"] for s in policy["Statement"])
