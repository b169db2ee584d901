"""iam-policy grants what FIS needs to run each action: target resolution and SSM lifecycles."""

from __future__ import annotations

import json

from chaos_pulumi.spec import TemplateSpec
from chaos_pulumi.spec.iam import iam_policy, required_actions

ROLE = "arn:aws:iam::123456789012:role/fis"


def _template(targets: dict, actions: dict) -> TemplateSpec:
    return TemplateSpec.from_dict(
        {
            "description": "t",
            "roleArn": ROLE,
            "stopConditions": [{"source": "none"}],
            "targets": targets,
            "actions": actions,
        }
    )


def _automation(params: dict) -> TemplateSpec:
    action = {
        "actionId": "aws:ssm:start-automation-execution",
        "parameters": {
            "documentArn": "arn:aws:ssm:us-east-1:123456789012:document/Fail-Over",
            "documentParameters": json.dumps(params),
            "maxDuration": "PT10M",
        },
    }
    return _template({}, {"run": action})


def test_tag_targets_get_the_tagging_api_and_arn_targets_do_not() -> None:
    action = {"actionId": "aws:ec2:terminate-instances", "targets": {"Instances": "web"}}
    by_tag = {
        "web": {"resourceType": "aws:ec2:instance", "resourceTags": {"app": "web"}, "selectionMode": "ALL"}
    }
    by_arn = {
        "web": {
            "resourceType": "aws:ec2:instance",
            "selectionMode": "ALL",
            "resourceArns": ["arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"],
        }
    }
    assert "tag:GetResources" in required_actions(_template(by_tag, {"kill": action}))
    assert "tag:GetResources" not in required_actions(_template(by_arn, {"kill": action}))


def test_send_command_can_follow_and_cancel_its_command() -> None:
    targets = {
        "web": {"resourceType": "aws:ec2:instance", "resourceTags": {"app": "web"}, "selectionMode": "ALL"}
    }
    action = {
        "actionId": "aws:ssm:send-command",
        "parameters": {
            "documentArn": "arn:aws:ssm:us-east-1::document/AWSFIS-Run-CPU-Stress",
            "duration": "PT5M",
        },
        "targets": {"Instances": "web"},
    }
    granted = set(required_actions(_template(targets, {"stress": action})))
    assert {
        "ssm:SendCommand",
        "ssm:ListCommands",
        "ssm:ListCommandInvocations",
        "ssm:GetCommandInvocation",
        "ssm:CancelCommand",
        "ec2:DescribeInstances",
    } <= granted


def test_automation_passes_its_named_role_to_ssm_only() -> None:
    assume = "arn:aws:iam::123456789012:role/runbook"
    policy = iam_policy(_automation({"AutomationAssumeRole": assume}))
    (passing,) = [s for s in policy["Statement"] if s["Action"] == ["iam:PassRole"]]
    assert passing["Resource"] == assume
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}
    lifecycle = set(required_actions(_automation({"AutomationAssumeRole": assume})))
    assert {
        "ssm:StartAutomationExecution",
        "ssm:GetAutomationExecution",
        "ssm:StopAutomationExecution",
    } <= lifecycle


def test_automation_without_a_named_role_may_pass_the_accounts_roles_to_ssm_only() -> None:
    policy = iam_policy(_automation({"tableName": "orders"}))
    (passing,) = [s for s in policy["Statement"] if s["Action"] == ["iam:PassRole"]]
    assert passing["Resource"] == "arn:aws:iam::123456789012:role/*"
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}
    assert all(s["Action"] != "*" and "*" not in s["Action"] for s in policy["Statement"])


def test_spot_interruptions_resolve_spot_requests() -> None:
    targets = {
        "spot": {
            "resourceType": "aws:ec2:spot-instance",
            "resourceTags": {"app": "w"},
            "selectionMode": "ALL",
        }
    }
    action = {
        "actionId": "aws:ec2:send-spot-instance-interruptions",
        "parameters": {"durationBeforeInterruption": "PT2M"},
        "targets": {"SpotInstances": "spot"},
    }
    assert {
        "ec2:SendSpotInstanceInterruptions",
        "ec2:DescribeSpotInstanceRequests",
        "ec2:DescribeInstances",
    } <= set(required_actions(_template(targets, {"interrupt": action})))
