"""``ChaosSchedule``: EventBridge Scheduler starts an experiment template (cron/rate, or Chaos Monkey)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pulumi
import pulumi_aws as aws

from chaos_pulumi.spec import TemplateSpec
from chaos_pulumi.spec.durations import parse_duration
from chaos_pulumi.spec.explain import timeline
from chaos_pulumi.spec.problems import Problem
from chaos_pulumi.spec.schedules import (
    SCHEDULE_TAG,
    PlannedRun,
    ScheduleError,
    StartExperimentTarget,
    check_expression,
    monkey_settings,
    plan_runs,
    schedule_entries,
    scheduler_role_policy,
    scheduler_trust_policy,
)

from .role import account_of, user_error


@dataclass(frozen=True)
class ChaosMonkey:
    """Chaos Monkey mode: random runs in office hours, planned ahead so ``pulumi preview`` shows them.

    ``seed`` defaults to the schedule's resource name; the same seed plans the same times.
    """

    mean_days_between_runs: float = 2.0
    min_gap: str = "P1D"
    window: str = "09:00-15:00"
    weekdays: str | Sequence[str] = "MON-FRI"
    quiet_dates: Sequence[str] = ()
    horizon_days: int = 14
    seed: str | None = None


def max_duration_seconds(template: TemplateSpec | float | str | None) -> float:
    """A template's maximum duration: the longest startAfter path of a spec, or a given duration."""
    if template is None:
        return 0.0
    if isinstance(template, TemplateSpec):
        return timeline(template).total_seconds
    if isinstance(template, (int, float)):
        return float(template)
    seconds = parse_duration(template)
    if seconds is None:
        raise ScheduleError([Problem("max_duration", f"'{template}' is not an ISO-8601 duration, e.g. PT1H")])
    return seconds


class ChaosSchedule(pulumi.ComponentResource):
    """Runs one experiment template from EventBridge Scheduler (universal target FIS StartExperiment).

    Children: a schedule group tagged ``chaos-pulumi:schedule`` (the kill switch disables every
    schedule in such groups), a scheduler role that may start this one template and nothing else,
    and the schedules - one for ``schedule_expression``, or with ``chaos_monkey`` one one-time
    ``at(...)`` schedule per planned run over the horizon. Every start is tried once and dropped if
    it cannot fire within five minutes. ``leashed`` starts experiments with ``actionsMode: skip-all``.
    """

    group_name: pulumi.Output[str]
    scheduler_role_arn: pulumi.Output[str]
    planned_runs: pulumi.Output[list]
    schedule_names: pulumi.Output[list]

    def __init__(
        self,
        resource_name: str,
        *,
        experiment: Any = None,
        template_id: pulumi.Input[str] | None = None,
        template_arn: pulumi.Input[str] | None = None,
        max_duration: TemplateSpec | float | str | None = None,
        schedule_expression: str | None = None,
        chaos_monkey: ChaosMonkey | None = None,
        timezone: str = "UTC",
        leashed: bool = False,
        enabled: bool = True,
        account_id: pulumi.Input[str] | None = None,
        now: datetime | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("chaos-pulumi:components:ChaosSchedule", resource_name, {}, opts)
        if experiment is not None:  # a scenario component: its template and its rendered spec
            template_id = template_id or experiment.template_id
            template_arn = template_arn or experiment.template_arn
            max_duration = max_duration if max_duration is not None else experiment.spec
        what = f"ChaosSchedule {resource_name}"
        if template_id is None or template_arn is None:
            raise user_error(
                what, [Problem("experiment", "give experiment=, or template_id= and template_arn=")]
            )
        if (schedule_expression is None) == (chaos_monkey is None):
            raise user_error(
                what,
                [Problem("schedule_expression", "give exactly one of schedule_expression= or chaos_monkey=")],
            )
        try:
            runs = self._plan(resource_name, max_duration, schedule_expression, chaos_monkey, timezone, now)
        except ScheduleError as e:
            raise user_error(what, e.problems) from None

        child = pulumi.ResourceOptions(parent=self)
        account = account_of(self, account_id)
        self.group = aws.scheduler.ScheduleGroup(
            f"{resource_name}-group", tags={SCHEDULE_TAG: resource_name}, opts=child
        )
        self.role = aws.iam.Role(
            f"{resource_name}-scheduler",
            description="EventBridge Scheduler starts one FIS experiment template (chaos-pulumi)",
            assume_role_policy=account.apply(lambda a: json.dumps(scheduler_trust_policy(a), indent=2)),
            opts=child,
        )
        self.role_policy = aws.iam.RolePolicy(
            f"{resource_name}-scheduler",
            role=self.role.id,
            policy=pulumi.Output.from_input(template_arn).apply(
                lambda arn: json.dumps(scheduler_role_policy([arn]), indent=2)
            ),
            opts=pulumi.ResourceOptions(parent=self.role),
        )

        def target(tid: str, role: str) -> dict[str, Any]:
            return StartExperimentTarget(tid, role, leashed, {SCHEDULE_TAG: resource_name}).to_request()

        request = pulumi.Output.all(template_id, self.role.arn).apply(lambda v: target(v[0], v[1]))
        target_args = aws.scheduler.ScheduleTargetArgs(
            arn=request["Arn"],
            role_arn=request["RoleArn"],
            input=request["Input"],
            retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                maximum_retry_attempts=request["RetryPolicy"]["MaximumRetryAttempts"],
                maximum_event_age_in_seconds=request["RetryPolicy"]["MaximumEventAgeInSeconds"],
            ),
        )
        # The role's permission must exist before a schedule can fire.
        sched_opts = pulumi.ResourceOptions(parent=self, depends_on=[self.role_policy])
        entries = schedule_entries(
            resource_name,
            schedule_expression=schedule_expression,
            runs=runs,
            timezone=timezone,
            leashed=leashed,
            enabled=enabled,
        )
        self.schedules: list[aws.scheduler.Schedule] = [
            aws.scheduler.Schedule(
                entry.name,
                group_name=self.group.name,
                schedule_expression=entry.expression,
                schedule_expression_timezone=entry.timezone,
                flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
                description=entry.description,
                state=entry.state,
                target=target_args,
                opts=sched_opts,
            )
            for entry in entries
        ]
        self.group_name = self.group.name
        self.scheduler_role_arn = self.role.arn
        self.planned_runs = pulumi.Output.from_input([r.start.isoformat() for r in runs])
        self.schedule_names = pulumi.Output.all(*[s.name for s in self.schedules])
        self.register_outputs(
            {
                "group_name": self.group_name,
                "scheduler_role_arn": self.scheduler_role_arn,
                "planned_runs": self.planned_runs,
                "schedule_names": self.schedule_names,
            }
        )

    @staticmethod
    def _plan(
        resource_name: str,
        max_duration: TemplateSpec | float | str | None,
        schedule_expression: str | None,
        chaos_monkey: ChaosMonkey | None,
        timezone: str,
        now: datetime | None,
    ) -> list[PlannedRun]:
        """The one-time runs of Chaos Monkey mode ([] for a plain schedule), every setting checked."""
        run_seconds = max_duration_seconds(max_duration)
        if schedule_expression is not None:
            check_expression(schedule_expression)
            monkey_settings(seed=resource_name, timezone=timezone)  # checks the time zone
            return []
        assert chaos_monkey is not None
        cm = chaos_monkey
        settings = monkey_settings(
            seed=cm.seed or resource_name,
            mean_days_between_runs=cm.mean_days_between_runs,
            min_gap=cm.min_gap,
            window=cm.window,
            weekdays=cm.weekdays,
            timezone=timezone,
            quiet_dates=cm.quiet_dates,
            horizon_days=cm.horizon_days,
            run_seconds=run_seconds,
        )
        return plan_runs(settings, now or datetime.now(UTC))
