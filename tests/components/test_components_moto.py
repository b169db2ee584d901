"""What the components hand to pulumi-aws, sent to the AWS APIs (boto3 -> moto server over HTTP).

The mocks test checks the arguments; this one checks the real API shapes accept them: botocore
validates every request against the service model, and moto's IAM parses the policy documents.
Each pulumi-aws input maps one-to-one to the API member the provider sends it as.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pulumi
import pytest

from chaos_pulumi.spec import TemplateSpec, has_errors, validate
from chaos_pulumi.spec.schedules import SCHEDULE_TAG

from .mocks import mocked

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def _register(build) -> dict:
    """Run ``build`` under Pulumi's mocks; return every registration's inputs by (type, name)."""
    with mocked() as registry:

        @pulumi.runtime.test
        def program():
            return pulumi.Output.all(*build())

        program()
    return {key: dict(args.inputs) for key, args in registry.resources.items()}


def _tags(tags: dict | None) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in (tags or {}).items()]


def _apply(moto, resources: dict) -> dict[str, str]:
    """Make the AWS calls pulumi-aws would make for these inputs; return the created ARNs by name."""
    iam, scheduler, cloudwatch, fis = (moto.client(s) for s in ("iam", "scheduler", "cloudwatch", "fis"))
    arns: dict[str, str] = {}
    by_type: dict[str, list[tuple[str, dict]]] = {}
    for (typ, name), inputs in resources.items():
        by_type.setdefault(typ, []).append((name, inputs))
    for name, a in by_type.get("aws:cloudwatch/metricAlarm:MetricAlarm", []):
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace=a["namespace"],
            MetricName=a["metricName"],
            Dimensions=[{"Name": k, "Value": v} for k, v in a["dimensions"].items()],
            Statistic=a["statistic"],
            # Pulumi's wire format carries numbers as doubles; the provider sends the schema's integers.
            Period=int(a["period"]),
            EvaluationPeriods=int(a["evaluationPeriods"]),
            Threshold=a["threshold"],
            ComparisonOperator=a["comparisonOperator"],
            TreatMissingData=a["treatMissingData"],
        )
        arns[name] = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmArn"]
    for name, a in by_type.get("aws:iam/role:Role", []):
        created = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=a["assumeRolePolicy"],
            Description=a.get("description", ""),
            Tags=_tags(a.get("tags")),
        )
        arns[name] = created["Role"]["Arn"]
    for name, a in by_type.get("aws:iam/rolePolicy:RolePolicy", []):
        role = next(n for n, _ in by_type["aws:iam/role:Role"] if a["role"] == f"{n}-id")
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=a["policy"])
    for name, a in by_type.get("aws:iam/policy:Policy", []):
        arns[name] = iam.create_policy(PolicyName=name, PolicyDocument=a["policy"])["Policy"]["Arn"]
    for name, a in by_type.get("pulumi-python:dynamic/fis:ExperimentTemplate", []):
        document = dict(a["template"])
        assert not has_errors(validate(document))
        created = fis.create_experiment_template(**TemplateSpec.from_dict(document).to_create_request())
        arns[name] = created["experimentTemplate"]["id"]
    for name, a in by_type.get("aws:scheduler/scheduleGroup:ScheduleGroup", []):
        arns[name] = scheduler.create_schedule_group(Name=name, Tags=_tags(a.get("tags")))["ScheduleGroupArn"]
    for name, a in by_type.get("aws:scheduler/schedule:Schedule", []):
        t = a["target"]
        group = next(n for n, _ in by_type["aws:scheduler/scheduleGroup:ScheduleGroup"])
        scheduler.create_schedule(
            Name=name,
            GroupName=group,
            ScheduleExpression=a["scheduleExpression"],
            ScheduleExpressionTimezone=a["scheduleExpressionTimezone"],
            FlexibleTimeWindow={"Mode": a["flexibleTimeWindow"]["mode"]},
            Description=a["description"],
            State=a["state"],
            Target={
                "Arn": t["arn"],
                "RoleArn": t["roleArn"],
                "Input": t["input"],
                "RetryPolicy": {
                    "MaximumRetryAttempts": int(t["retryPolicy"]["maximumRetryAttempts"]),
                    "MaximumEventAgeInSeconds": int(t["retryPolicy"]["maximumEventAgeInSeconds"]),
                },
            },
        )
    return arns


def test_scenario_role_alarm_and_chaos_monkey_schedules_are_accepted_by_the_apis(moto) -> None:
    import pulumi_aws as aws

    from chaos_pulumi.components import AzApplicationSlowdown, ChaosMonkey, ChaosSchedule

    def build():
        alarm = aws.cloudwatch.MetricAlarm(
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
        slow = AzApplicationSlowdown("slow", availability_zone="us-east-1a", stop_conditions=[alarm.arn])
        sched = ChaosSchedule(
            "monkey",
            experiment=slow,
            chaos_monkey=ChaosMonkey(seed="moto", mean_days_between_runs=1, min_gap="PT2H"),
            timezone="Europe/Berlin",
            leashed=True,
            now=NOW,
        )
        return [sched.schedule_names, slow.template.template, slow.role.policies[0].urn]

    resources = _register(build)
    arns = _apply(moto, resources)
    iam, scheduler = moto.client("iam"), moto.client("scheduler")

    role = iam.get_role(RoleName="slow-role")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    policy = iam.get_role_policy(RoleName="slow-role", PolicyName="slow-role-permissions")["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    assert {a for s in policy["Statement"] for a in s["Action"]} >= {"ssm:SendCommand", "ecs:DescribeTasks"}

    groups = scheduler.list_schedule_groups()["ScheduleGroups"]
    group = next(g for g in groups if g["Name"] == "monkey-group")
    tags = scheduler.list_tags_for_resource(ResourceArn=group["Arn"])["Tags"]
    assert {"Key": SCHEDULE_TAG, "Value": "monkey"} in tags
    schedules = scheduler.list_schedules(GroupName="monkey-group")["Schedules"]
    planned = [n for (t, n) in resources if t == "aws:scheduler/schedule:Schedule"]
    assert sorted(s["Name"] for s in schedules) == sorted(planned) and planned
    one = scheduler.get_schedule(Name=planned[0], GroupName="monkey-group")
    assert one["ScheduleExpression"].startswith("at(")
    assert one["Target"]["RetryPolicy"] == {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 300}
    assert json.loads(one["Target"]["Input"])["experimentOptions"] == {"actionsMode": "skip-all"}
    assert "slow-template" in arns


@pytest.mark.parametrize("expression", ["cron(0 10 ? * TUE *)", "rate(7 days)"])
def test_plain_schedule_and_scheduler_role_are_accepted(moto, expression: str) -> None:
    from chaos_pulumi.components import ChaosSchedule

    template_arn = "arn:aws:fis:us-east-1:123456789012:experiment-template/EXT1a2b3c4d5e6f7"

    def build():
        s = ChaosSchedule(
            "weekly",
            template_id="EXT1a2b3c4d5e6f7",
            template_arn=template_arn,
            max_duration="PT30M",
            schedule_expression=expression,
            timezone="America/New_York",
        )
        return [s.schedule_names, s.role_policy.urn]

    resources = _register(build)
    _apply(moto, resources)
    iam, scheduler = moto.client("iam"), moto.client("scheduler")
    policy = iam.get_role_policy(RoleName="weekly-scheduler", PolicyName="weekly-scheduler")["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    assert policy["Statement"][0]["Action"] == ["fis:StartExperiment"]
    assert template_arn in policy["Statement"][0]["Resource"]
    got = scheduler.get_schedule(Name="weekly", GroupName="weekly-group")
    assert got["ScheduleExpression"] == expression
    assert got["ScheduleExpressionTimezone"] == "America/New_York"
    assert got["Target"]["Arn"] == "arn:aws:scheduler:::aws-sdk:fis:startExperiment"


def test_attached_managed_policies_are_accepted(moto) -> None:
    from chaos_pulumi.components import ExperimentRole

    templates = [
        {
            "description": f"stop group {i}",
            "roleArn": "arn:aws:iam::123456789012:role/x",
            "stopConditions": [{"source": "none"}],
            "targets": {
                "web": {
                    "resourceType": "aws:ec2:instance",
                    "resourceArns": [
                        f"arn:aws:ec2:us-east-1:123456789012:instance/i-{i:04d}{j:013d}" for j in range(3)
                    ],
                    "selectionMode": "ALL",
                }
            },
            "actions": {"stop": {"actionId": "aws:ec2:stop-instances", "targets": {"Instances": "web"}}},
        }
        for i in range(40)
    ]

    def build():
        role = ExperimentRole("big", templates=templates)
        return [role.arn, *[p.urn for p in role.policies]]

    resources = _register(build)
    arns = _apply(moto, resources)
    iam = moto.client("iam")
    for name in resources:
        if name[0] == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            iam.attach_role_policy(RoleName="big", PolicyArn=arns[name[1]])
    attached = iam.list_attached_role_policies(RoleName="big")["AttachedPolicies"]
    assert len(attached) >= 2
