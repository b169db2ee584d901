"""The FIS scenario "AZ: Application Slowdown", guarded by an alarm, run Chaos-Monkey style in office hours.

    pulumi config set aws:region us-east-1
    pulumi preview   # shows the template, the role and one schedule per planned run
"""

import pulumi
import pulumi_aws as aws

from chaos_pulumi.components import AzApplicationSlowdown, ChaosMonkey, ChaosSchedule

# Customer impact, not the metric the experiment perturbs: stop when checkout errors climb.
checkout_errors = aws.cloudwatch.MetricAlarm(
    "checkout-5xx",
    namespace="AWS/ApplicationELB",
    metric_name="HTTPCode_Target_5XX_Count",
    dimensions={"LoadBalancer": "app/checkout/0123456789abcdef"},
    statistic="Sum",
    period=60,
    evaluation_periods=2,
    threshold=25,
    comparison_operator="GreaterThanThreshold",
    treat_missing_data="notBreaching",
)

# The scenario renders the template the FIS console would; with no role_arn it makes an
# ExperimentRole with exactly the permissions this template needs.
slowdown = AzApplicationSlowdown(
    "checkout-slow-1a",
    availability_zone="us-east-1a",
    delay_milliseconds=300,
    duration="PT15M",
    stop_conditions=[checkout_errors.arn],
    tags={"team": "checkout"},
)

# Runs on about one working day in three, 10:00-15:00 Berlin time, never on the listed dates.
# leashed: FIS resolves the targets and logs what it would do, without injecting anything.
monkey = ChaosSchedule(
    "checkout-monkey",
    experiment=slowdown,
    timezone="Europe/Berlin",
    chaos_monkey=ChaosMonkey(
        mean_days_between_runs=3,
        min_gap="P1D",
        window="10:00-15:00",
        quiet_dates=["2026-12-24", "2026-12-25", "2026-12-31"],
        horizon_days=14,
    ),
    leashed=True,
)

pulumi.export("template_id", slowdown.template_id)
pulumi.export("actions", slowdown.actions)
pulumi.export("role_arn", slowdown.role_arn)
pulumi.export("planned_runs", monkey.planned_runs)
pulumi.export("schedule_group", monkey.group_name)
