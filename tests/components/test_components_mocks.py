"""The components under Pulumi's unit-test mocks: resources, parents, and the exact AWS arguments.

pulumi-aws's provider plugin cannot run here, so these tests stop at what the program registers;
tests/components/test_components_moto.py sends the same arguments to the AWS APIs (moto server).
"""

from __future__ import annotations

import inspect
import json
import runpy
from datetime import UTC, datetime
from pathlib import Path

import pulumi
import pytest

from chaos_pulumi.spec.experiment_role import role_policy
from chaos_pulumi.spec.iam import trust_policy
from chaos_pulumi.spec.scenario_params import scenario_declarations
from chaos_pulumi.spec.scenarios import render_scenario
from chaos_pulumi.spec.schedules import (
    SCHEDULE_TAG,
    monkey_settings,
    plan_runs,
    scheduler_role_policy,
    scheduler_trust_policy,
)

from .mocks import ACCOUNT, REGION, mocked

ROLE_T = "aws:iam/role:Role"
POLICY_T = "aws:iam/rolePolicy:RolePolicy"
TEMPLATE_T = "pulumi-python:dynamic/fis:ExperimentTemplate"
SCHEDULE_T = "aws:scheduler/schedule:Schedule"
GROUP_T = "aws:scheduler/scheduleGroup:ScheduleGroup"
ALARM = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:checkout-5xx"
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "components" / "__main__.py"


@pytest.fixture
def registry():
    with mocked() as reg:
        yield reg


def _parent_chain(urn: str) -> list[str]:
    """[parent type, own type] as the URN records them (a root resource has only its own)."""
    return urn.split("::")[2].split("$")


@pulumi.runtime.test
def test_scenario_component_makes_its_role_and_template_as_children(registry):
    from chaos_pulumi.components import AzPowerInterruption

    az = AzPowerInterruption(
        "az-power",
        availability_zone="us-east-1a",
        stop_conditions=[pulumi.Output.from_input(ALARM)],  # e.g. an alarm resource's arn
        include=["stop-instances", "failover-rds", "pause-ebs-io"],
    )
    expected = render_scenario(
        "az-power-interruption",
        {
            "availability_zone": "us-east-1a",
            "role_arn": f"arn:aws:iam::{ACCOUNT}:role/az-power-role",
            "stop_conditions": [ALARM],
            "include": ["stop-instances", "failover-rds", "pause-ebs-io"],
        },
    )

    def verify(values: list) -> None:
        template_urn, component_urn, role_urn, policy_urn, actions, role_arn, template_id = values
        assert _parent_chain(template_urn) == ["chaos-pulumi:scenarios:AzPowerInterruption", TEMPLATE_T]
        assert _parent_chain(component_urn) == [
            "chaos-pulumi:scenarios:AzPowerInterruption",
            "chaos-pulumi:components:ExperimentRole",
        ]
        assert _parent_chain(role_urn) == ["chaos-pulumi:components:ExperimentRole", ROLE_T]
        assert _parent_chain(policy_urn)[-2:] == [ROLE_T, POLICY_T]
        document = registry.get(TEMPLATE_T, "az-power-template")["template"]
        assert registry.failures["az-power-template"] == []
        assert document == expected.to_dict()
        assert document["roleArn"] == role_arn == f"arn:aws:iam::{ACCOUNT}:role/az-power-role"
        assert actions == {
            "Failover-RDS": "aws:rds:failover-db-cluster",
            "Pause-EBS-IO": "aws:ebs:pause-volume-io",
            "Stop-Instances": "aws:ec2:stop-instances",
        }
        assert template_id == "EXTaz-power-template"
        role = registry.get(ROLE_T, "az-power-role")
        assert json.loads(role["assumeRolePolicy"]) == trust_policy(ACCOUNT, REGION)
        statement = json.loads(role["assumeRolePolicy"])["Statement"][0]
        assert statement["Principal"] == {"Service": "fis.amazonaws.com"}
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:fis:{REGION}:{ACCOUNT}:experiment/*"},
        }
        policy = json.loads(registry.get(POLICY_T, "az-power-role-permissions")["policy"])
        assert policy == role_policy([expected.spec], ACCOUNT)
        assert all(s["Action"] != "*" and "*" not in s["Action"] for s in policy["Statement"])

    return pulumi.Output.all(
        az.template.urn,
        az.role.urn,
        az.role.role.urn,
        az.role.policies[0].urn,
        az.actions,
        az.role_arn,
        az.template_id,
    ).apply(verify)


@pulumi.runtime.test
def test_a_given_role_arn_makes_no_role(registry):
    from chaos_pulumi.components import CrossRegionConnectivity

    role = f"arn:aws:iam::{ACCOUNT}:role/shared-fis"
    c = CrossRegionConnectivity(
        "dr", destination_region="eu-west-1", role_arn=role, waiver="DR drill, watched"
    )

    def verify(document: dict) -> None:
        assert registry.names(ROLE_T) == []
        assert document["roleArn"] == role
        assert document["stopConditions"] == [{"source": "none"}]
        assert document["tags"]["chaos:waiver"] == (
            "stop_condition_required, max_selection, max_action_duration, max_duration: DR drill, watched; "
            "cross-region-connectivity by AWS's design: ALL on its opt-in tags (the preflight caps runs), "
            "3 h default isolation"
        )

    return c.template.template.apply(verify)


@pulumi.runtime.test
def test_plain_schedule_arguments(registry):
    from chaos_pulumi.components import AzApplicationSlowdown, ChaosSchedule

    slow = AzApplicationSlowdown("slow", availability_zone="us-east-1a", stop_conditions=[ALARM])
    sched = ChaosSchedule(
        "weekly", experiment=slow, schedule_expression="cron(0 10 ? * TUE *)", timezone="Europe/Berlin"
    )

    def verify(values: list) -> None:
        schedule_urn, group_name, role_urn = values
        assert _parent_chain(schedule_urn) == ["chaos-pulumi:components:ChaosSchedule", SCHEDULE_T]
        assert _parent_chain(role_urn) == ["chaos-pulumi:components:ChaosSchedule", ROLE_T]
        assert registry.get(GROUP_T, "weekly-group") == {"tags": {SCHEDULE_TAG: "weekly"}}
        schedule = registry.get(SCHEDULE_T, "weekly")
        target = schedule.pop("target")
        assert schedule == {
            "groupName": group_name,
            "scheduleExpression": "cron(0 10 ? * TUE *)",
            "scheduleExpressionTimezone": "Europe/Berlin",
            "flexibleTimeWindow": {"mode": "OFF"},
            "description": "chaos-pulumi: start the experiment cron(0 10 ? * TUE *) Europe/Berlin",
            "state": "ENABLED",
        }
        assert target == {
            "arn": "arn:aws:scheduler:::aws-sdk:fis:startExperiment",
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/weekly-scheduler",
            "input": json.dumps(
                {
                    "clientToken": "<aws.scheduler.execution-id>",
                    "experimentTemplateId": "EXTslow-template",
                    "tags": {SCHEDULE_TAG: "weekly"},
                },
                sort_keys=True,
                separators=(",", ":"),
            ),
            "retryPolicy": {"maximumRetryAttempts": 0, "maximumEventAgeInSeconds": 300},
        }
        role = registry.get(ROLE_T, "weekly-scheduler")
        assert json.loads(role["assumeRolePolicy"]) == scheduler_trust_policy(ACCOUNT)
        policy = json.loads(registry.get(POLICY_T, "weekly-scheduler")["policy"])
        template_arn = f"arn:aws:fis:{REGION}:{ACCOUNT}:experiment-template/EXTslow-template"
        assert policy == scheduler_role_policy([template_arn])

    return pulumi.Output.all(sched.schedules[0].urn, sched.group_name, sched.role.urn).apply(verify)


@pulumi.runtime.test
def test_chaos_monkey_creates_one_time_schedules_for_the_planned_runs(registry):
    from chaos_pulumi.components import AzApplicationSlowdown, ChaosMonkey, ChaosSchedule

    slow = AzApplicationSlowdown(
        "slow", availability_zone="us-east-1a", stop_conditions=[ALARM], duration="PT20M"
    )
    monkey = ChaosMonkey(
        mean_days_between_runs=2, window="10:00-15:00", quiet_dates=["2026-12-08"], seed="s1"
    )
    sched = ChaosSchedule(
        "monkey", experiment=slow, chaos_monkey=monkey, timezone="Europe/Berlin", leashed=True, now=NOW
    )
    plan = plan_runs(
        monkey_settings(
            seed="s1",
            window="10:00-15:00",
            quiet_dates=["2026-12-08"],
            timezone="Europe/Berlin",
            run_seconds=1200,
        ),
        NOW,
    )
    assert plan, "the seed must plan at least one run in 14 days for this test to mean anything"

    def verify(values: list) -> None:
        planned, names = values
        assert planned == [r.start.isoformat() for r in plan]
        assert registry.names(SCHEDULE_T) == sorted(f"monkey-{r.name()}" for r in plan)
        assert len(names) == len(plan)
        for run in plan:
            args = registry.get(SCHEDULE_T, f"monkey-{run.name()}")
            assert args["scheduleExpression"] == run.at_expression
            assert args["scheduleExpressionTimezone"] == "UTC"
            assert json.loads(args["target"]["input"])["experimentOptions"] == {"actionsMode": "skip-all"}
            assert args["target"]["retryPolicy"] == {
                "maximumRetryAttempts": 0,
                "maximumEventAgeInSeconds": 300,
            }
            assert "leashed" in args["description"] and "Europe/Berlin" in args["description"]

    return pulumi.Output.all(sched.planned_runs, sched.schedule_names).apply(verify)


@pulumi.runtime.test
def test_overlapping_runs_are_refused_before_anything_is_created(registry):
    from chaos_pulumi.components import AzPowerInterruption, ChaosMonkey, ChaosSchedule

    az = AzPowerInterruption("az", availability_zone="us-east-1a", stop_conditions=[ALARM])  # 1 hour
    with pytest.raises(pulumi.RunError) as err:
        ChaosSchedule("too-close", experiment=az, chaos_monkey=ChaosMonkey(min_gap="PT30M"), now=NOW)
    assert "min_gap: is shorter than the template's maximum duration (3600s)" in str(err.value)
    assert registry.names(SCHEDULE_T) == [] and registry.names(GROUP_T) == []
    return az.template_id


@pulumi.runtime.test
def test_large_role_policies_become_attached_managed_policies(registry):
    from chaos_pulumi.components import ExperimentRole
    from chaos_pulumi.spec import TemplateSpec

    # Forty templates that each stop their own three instances: forty differently scoped statements.
    templates = [
        TemplateSpec.from_dict(
            {
                "description": f"stop group {i}",
                "roleArn": f"arn:aws:iam::{ACCOUNT}:role/x",
                "stopConditions": [{"source": "aws:cloudwatch:alarm", "value": ALARM}],
                "targets": {
                    "web": {
                        "resourceType": "aws:ec2:instance",
                        "resourceArns": [
                            f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-{i:04d}{j:013d}" for j in range(3)
                        ],
                        "selectionMode": "ALL",
                    }
                },
                "actions": {"stop": {"actionId": "aws:ec2:stop-instances", "targets": {"Instances": "web"}}},
            }
        )
        for i in range(40)
    ]
    assert len(json.dumps(role_policy(templates, ACCOUNT), separators=(",", ":"))) > 10_240
    role = ExperimentRole("big", templates=templates)

    def verify(values: list) -> None:
        documents = values[0]
        managed = registry.names("aws:iam/policy:Policy")
        attachments = registry.names("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        assert len(managed) == len(attachments) == len(documents) >= 2
        assert registry.names(POLICY_T) == []
        merged = [s for d in documents for s in json.loads(d)["Statement"]]
        assert merged == role_policy(templates, ACCOUNT)["Statement"]
        assert all(len(json.dumps(json.loads(d), separators=(",", ":"))) <= 6_144 for d in documents)

    return pulumi.Output.all(role.policy_documents, *[p.urn for p in role.policies]).apply(verify)


def test_component_signatures_match_the_declared_parameters() -> None:
    from chaos_pulumi.components import scenarios

    for cls in (
        scenarios.AzPowerInterruption,
        scenarios.AzApplicationSlowdown,
        scenarios.CrossAzTrafficSlowdown,
        scenarios.CrossRegionConnectivity,
    ):
        declared = set(scenario_declarations()[cls.scenario].parameters)
        taken = set(inspect.signature(cls.__init__).parameters) - {"self", "resource_name", "opts"}
        assert taken == declared, cls.__name__


@pulumi.runtime.test
def test_the_example_program_registers_alarm_scenario_role_and_schedules(registry):
    program = runpy.run_path(str(EXAMPLE), run_name="__main__")

    def verify(_: object) -> None:
        alarm = registry.get("aws:cloudwatch/metricAlarm:MetricAlarm", "checkout-5xx")
        assert alarm["comparisonOperator"] == "GreaterThanThreshold"
        document = registry.get(TEMPLATE_T, "checkout-slow-1a-template")["template"]
        assert registry.failures["checkout-slow-1a-template"] == []
        assert document["stopConditions"] == [
            {
                "source": "aws:cloudwatch:alarm",
                "value": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:checkout-5xx",
            }
        ]
        assert document["roleArn"] == f"arn:aws:iam::{ACCOUNT}:role/checkout-slow-1a-role"
        assert registry.get(GROUP_T, "checkout-monkey-group") == {"tags": {SCHEDULE_TAG: "checkout-monkey"}}
        for name in registry.names(SCHEDULE_T):
            assert name.startswith("checkout-monkey-2")
            assert '"actionsMode":"skip-all"' in registry.get(SCHEDULE_T, name)["target"]["input"]

    done = [
        program["monkey"].schedule_names,
        program["slowdown"].template.template,
        program["checkout_errors"].arn,
    ]
    return pulumi.Output.all(*done).apply(verify)
