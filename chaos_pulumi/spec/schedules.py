"""Chaos Monkey planning (pure) and the EventBridge Scheduler request that starts a FIS experiment.

Chaos Monkey's rule (Netflix): on every allowed day a coin with p = 1/mean_days comes up heads or
not; on heads there is one run at a random time inside the day's window; runs closer together than
the minimum gap are dropped. Here every day's coin and time come from ``sha256(seed, date)`` alone,
so planning is a pure function of the settings and the calendar, not of when it runs:

- re-running ``plan_runs`` on a later day returns the same times for every day both horizons
  cover; the horizon only rolls forward (new days appear, past ones drop out);
- the gap rule looks only at the coin flips of the days before (not at earlier *accepted* runs),
  so it never depends on where planning started; a run is dropped when any earlier day's candidate
  lies within the gap, which keeps accepted runs at least ``min_gap`` apart;
- quiet dates remove their own runs and nothing else (they are applied after the gap rule).

Runs never overlap: the minimum gap must be at least the template's maximum duration (the longest
``startAfter`` path, ``chaos_pulumi.spec.explain.timeline``) and each run ends inside its window.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .durations import parse_duration
from .problems import Problem

START_EXPERIMENT_TARGET = "arn:aws:scheduler:::aws-sdk:fis:startExperiment"
"""EventBridge Scheduler universal target for FIS StartExperiment."""

SCHEDULE_TAG = "chaos-pulumi:schedule"
"""Tag on every schedule group chaos-pulumi creates: the kill switch disables every schedule in them."""

MAX_EVENT_AGE_SECONDS = 300
"""A start throttled or delayed past five minutes is dropped, not fired late."""

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((\S+ ){5}\S+\)$")
_AT = re.compile(r"^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$")


class ScheduleError(ValueError):
    """Schedule settings that cannot work; ``problems`` name each field and its fix."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class MonkeySettings:
    """Chaos Monkey mode of a schedule. Times are wall-clock in ``timezone``."""

    seed: str
    mean_days_between_runs: float = 2.0
    min_gap_seconds: float = 86400.0
    window_start: time = time(9, 0)
    window_end: time = time(15, 0)
    weekdays: frozenset[int] = frozenset(range(5))  # Monday = 0
    timezone: str = "UTC"
    quiet_dates: frozenset[date] = frozenset()
    horizon_days: int = 14
    run_seconds: float = 0.0  # the template's maximum duration
    # Runs closer to "now" are left out: a schedule must exist before it fires. Kept short, because a
    # run left out of the plan is a run the next deploy deletes.
    lead_seconds: float = 60.0

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class PlannedRun:
    start: datetime  # UTC, whole minutes

    @property
    def at_expression(self) -> str:
        """EventBridge Scheduler one-time expression, in UTC (unambiguous across DST changes)."""
        return f"at({self.start.strftime('%Y-%m-%dT%H:%M:%S')})"

    def local(self, zone: str) -> datetime:
        return self.start.astimezone(ZoneInfo(zone))

    def name(self) -> str:
        """A schedule-name suffix that sorts by time: 20261201T1023Z."""
        return self.start.strftime("%Y%m%dT%H%MZ")


def _clock(text: Any, path: str, problems: list[Problem]) -> time | None:
    if isinstance(text, time):
        return text
    m = _CLOCK.match(str(text).strip())
    if not m:
        problems.append(Problem(path, f"'{text}' is not a time of day; write HH:MM, e.g. 09:00"))
        return None
    return time(int(m.group(1)), int(m.group(2)))


def _weekdays(value: Any, problems: list[Problem]) -> frozenset[int]:
    items = value.split(",") if isinstance(value, str) else list(value)
    days: set[int] = set()
    for item in items:
        word = str(item).strip().upper()[:3]
        if "-" in str(item):
            lo, _, hi = str(item).strip().upper().partition("-")
            if lo[:3] in WEEKDAYS and hi[:3] in WEEKDAYS:
                a, b = WEEKDAYS.index(lo[:3]), WEEKDAYS.index(hi[:3])
                days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
                continue
        if word not in WEEKDAYS:
            problems.append(
                Problem("weekdays", f"'{item}' is not a weekday; use MON..SUN, e.g. MON-FRI or MON,WED,FRI")
            )
            continue
        days.add(WEEKDAYS.index(word))
    if not days and not problems:
        problems.append(Problem("weekdays", "is empty; name at least one day, e.g. MON-FRI"))
    return frozenset(days)


def monkey_settings(
    *,
    seed: str,
    mean_days_between_runs: float = 2.0,
    min_gap: str | float = "P1D",
    window: str = "09:00-15:00",
    weekdays: str | Iterable[str] = "MON-FRI",
    timezone: str = "UTC",
    quiet_dates: Iterable[str | date] = (),
    horizon_days: int = 14,
    run_seconds: float = 0.0,
    lead_seconds: float = 60.0,
) -> MonkeySettings:
    """Settings from user-facing values, checked together; raises ScheduleError naming each field."""
    problems: list[Problem] = []
    if not seed:
        problems.append(Problem("seed", "is required: any text; the same seed plans the same times"))
    try:
        mean = float(mean_days_between_runs)
    except (TypeError, ValueError):
        mean = 0.0
    if not math.isfinite(mean) or mean < 1:
        problems.append(
            Problem("mean_days_between_runs", f"{mean_days_between_runs!r} must be a number >= 1 (days)")
        )
    gap = float(min_gap) if isinstance(min_gap, (int, float)) else parse_duration(min_gap)
    if gap is None or gap < 0:
        problems.append(
            Problem("min_gap", f"'{min_gap}' is not an ISO-8601 duration; write e.g. P1D or PT12H")
        )
        gap = 0.0
    start_text, _, end_text = str(window).partition("-")
    start = _clock(start_text, "window", problems)
    end = _clock(end_text, "window", problems)
    if start and end and end <= start:
        problems.append(Problem("window", f"'{window}' ends before it starts; write e.g. 09:00-15:00"))
    days = _weekdays(weekdays, problems)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(Problem("timezone", f"'{timezone}' is not an IANA time zone; use e.g. Europe/Berlin"))
    quiet: set[date] = set()
    for i, d in enumerate(quiet_dates):
        try:
            quiet.add(d if isinstance(d, date) else date.fromisoformat(str(d)))
        except ValueError:
            problems.append(Problem(f"quiet_dates[{i}]", f"'{d}' is not a date; write YYYY-MM-DD"))
    if not isinstance(horizon_days, int) or not 1 <= horizon_days <= 366:
        problems.append(Problem("horizon_days", f"{horizon_days!r} must be a whole number of days, 1-366"))
    if run_seconds and gap is not None and gap < run_seconds:
        problems.append(
            Problem(
                "min_gap",
                f"is shorter than the template's maximum duration ({run_seconds:.0f}s), so two runs could "
                "overlap; make min_gap at least that long",
            )
        )
    if start and end and run_seconds:
        length = (datetime.combine(date.min, end) - datetime.combine(date.min, start)).total_seconds()
        if run_seconds > length:
            problems.append(
                Problem(
                    "window",
                    f"is {length / 3600:g}h long but a run takes up to {run_seconds / 3600:g}h; "
                    "widen the window or shorten the template",
                )
            )
    if problems:
        raise ScheduleError(problems)
    assert start is not None and end is not None and gap is not None
    return MonkeySettings(
        seed=seed,
        mean_days_between_runs=mean,
        min_gap_seconds=gap,
        window_start=start,
        window_end=end,
        weekdays=days,
        timezone=timezone,
        quiet_dates=frozenset(quiet),
        horizon_days=horizon_days,
        run_seconds=float(run_seconds),
        lead_seconds=float(lead_seconds),
    )


def _unit(seed: str, day: date, what: str) -> float:
    """A uniform number in [0, 1) that depends on the seed, the date and nothing else."""
    digest = hashlib.sha256(f"{seed}\x00{day.isoformat()}\x00{what}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _window(s: MonkeySettings, day: date) -> tuple[datetime, datetime]:
    """The day's window as UTC instants (a DST change makes it an hour shorter or longer)."""
    zone = s.zone
    lo = datetime.combine(day, s.window_start, zone).astimezone(UTC)
    hi = datetime.combine(day, s.window_end, zone).astimezone(UTC)
    return lo, hi


def candidate(s: MonkeySettings, day: date) -> datetime | None:
    """The day's candidate run (UTC, whole minutes) if its coin comes up heads, else None."""
    if day.weekday() not in s.weekdays or _unit(s.seed, day, "coin") >= 1 / s.mean_days_between_runs:
        return None
    lo, hi = _window(s, day)
    latest = (hi - lo).total_seconds() - s.run_seconds  # the run must end inside the window
    if latest < 0:
        return None
    minutes = int(latest // 60)
    return lo + timedelta(minutes=int(_unit(s.seed, day, "time") * (minutes + 1)))


def _accepted(s: MonkeySettings, day: date) -> datetime | None:
    run = candidate(s, day)
    if run is None:
        return None
    # Any earlier day's candidate within the gap drops this one (local rule: see the module doc).
    back = int(s.min_gap_seconds // 86400) + 2
    for i in range(1, back + 1):
        other = candidate(s, day - timedelta(days=i))
        if other is not None and (run - other).total_seconds() < s.min_gap_seconds:
            return None
    if day in s.quiet_dates:
        return None
    return run


def plan_runs(s: MonkeySettings, now: datetime) -> list[PlannedRun]:
    """The runs from ``now`` (+ lead time) to the end of the horizon, in time order."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    earliest = now + timedelta(seconds=s.lead_seconds)
    until = now + timedelta(days=s.horizon_days)
    today = now.astimezone(s.zone).date()
    runs = []
    for i in range(-1, s.horizon_days + 2):
        run = _accepted(s, today + timedelta(days=i))
        if run is not None and earliest <= run < until:
            runs.append(PlannedRun(run))
    return sorted(runs, key=lambda r: r.start)


def check_expression(expression: str, path: str = "schedule_expression") -> None:
    """A plain schedule: rate(n unit) or cron(6 fields) as EventBridge Scheduler takes them."""
    text = str(expression).strip()
    m = _RATE.match(text)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        if n < 1 or (n == 1) != (not unit.endswith("s")):
            raise ScheduleError([Problem(path, f"'{text}': write rate(1 hour) or rate(5 minutes)")])
        return
    if _CRON.match(text) or _AT.match(text):
        return
    raise ScheduleError(
        [
            Problem(
                path,
                f"'{text}' is not a schedule expression; use rate(7 days), cron(0 10 ? * TUE *) "
                "or at(2026-12-01T10:00:00)",
            )
        ]
    )


@dataclass(frozen=True)
class StartExperimentTarget:
    """What EventBridge Scheduler sends to FIS: the Target of CreateSchedule, in the API's casing."""

    template_id: str
    role_arn: str  # the scheduler role, allowed fis:StartExperiment on this template only
    leashed: bool = False
    tags: dict[str, str] = field(default_factory=dict)

    def input(self) -> dict[str, Any]:
        """The StartExperiment request. The execution id makes every attempt's token unique."""
        body: dict[str, Any] = {
            "experimentTemplateId": self.template_id,
            "clientToken": "<aws.scheduler.execution-id>",
        }
        if self.leashed:
            body["experimentOptions"] = {"actionsMode": "skip-all"}
        if self.tags:
            body["tags"] = dict(sorted(self.tags.items()))
        return body

    def to_request(self) -> dict[str, Any]:
        return {
            "Arn": START_EXPERIMENT_TARGET,
            "RoleArn": self.role_arn,
            "Input": json.dumps(self.input(), sort_keys=True, separators=(",", ":")),
            "RetryPolicy": {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS},
        }


@dataclass(frozen=True)
class ScheduleEntry:
    """One EventBridge schedule of a chaos schedule: the plain one, or one per Chaos Monkey run."""

    name: str
    expression: str
    timezone: str
    description: str
    state: str

    def request(self, group: str, target: StartExperimentTarget) -> dict[str, Any]:
        """Keyword arguments for boto3 ``scheduler.create_schedule`` / ``update_schedule``."""
        return {
            "Name": self.name,
            "GroupName": group,
            "ScheduleExpression": self.expression,
            "ScheduleExpressionTimezone": self.timezone,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Description": self.description,
            "State": self.state,
            "Target": target.to_request(),
        }


def schedule_entries(
    name: str,
    *,
    schedule_expression: str | None = None,
    runs: Sequence[PlannedRun] = (),
    timezone: str = "UTC",
    leashed: bool = False,
    enabled: bool = True,
) -> list[ScheduleEntry]:
    """The schedules for a plain expression (one, called ``name``) or planned runs (``name-<UTC time>``)."""
    state = "ENABLED" if enabled else "DISABLED"
    mode = " (leashed: targets resolved, nothing injected)" if leashed else ""
    if schedule_expression is not None:
        text = f"chaos-pulumi: start the experiment {schedule_expression} {timezone}{mode}"
        return [ScheduleEntry(name, schedule_expression, timezone, text, state)]
    return [
        ScheduleEntry(
            f"{name}-{run.name()}",
            run.at_expression,
            "UTC",
            f"chaos-pulumi Chaos Monkey run {run.local(timezone):%a %Y-%m-%d %H:%M} {timezone}{mode}",
            state,
        )
        for run in runs
    ]


def is_own_schedule(name: str, schedule_name: str) -> bool:
    """Whether ``schedule_name`` is one of the schedules ``schedule_entries(name, ...)`` makes."""
    return (
        schedule_name == name or re.fullmatch(re.escape(name) + r"-\d{8}T\d{4}Z", schedule_name) is not None
    )


def scheduler_role_policy(template_arns: Sequence[str]) -> dict[str, Any]:
    """The scheduler role's policy: start these templates, nothing else.

    StartExperiment is authorised on the template and on the experiment it creates (and its tags).
    """
    arns = sorted(set(template_arns))
    experiments = sorted({re.sub(r":experiment-template/.*$", ":experiment/*", a) for a in arns})
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "StartTheScheduledTemplate",
                "Effect": "Allow",
                "Action": ["fis:StartExperiment"],
                "Resource": arns + experiments,
            },
            {
                "Sid": "TagTheExperiment",
                "Effect": "Allow",
                "Action": ["fis:TagResource"],
                "Resource": experiments,
            },
        ],
    }


def scheduler_trust_policy(account_id: str) -> dict[str, Any]:
    """Trust for the scheduler role: EventBridge Scheduler of this account only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "scheduler.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ],
    }
