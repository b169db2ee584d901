"""iam_policy and explain: least privilege, scoped, readable."""

from __future__ import annotations

import pytest

from chaos_pulumi.spec import TemplateSpec, load_file
from chaos_pulumi.spec.explain import blast_radius, explain, timeline
from chaos_pulumi.spec.iam import iam_policy, required_actions

from ._spec_fixtures import EXAMPLES, base_template


def statements_for(policy: dict, action: str) -> list[dict]:
    return [s for s in policy["Statement"] if action in s["Action"]]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_policies_never_grant_everything(path) -> None:
    policy = iam_policy(load_file(path).spec)
    assert policy["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids))
    for s in policy["Statement"]:
        assert s["Effect"] == "Allow"
        assert isinstance(s["Action"], list) and s["Action"]
        assert all(a != "*" and not a.endswith(":*") for a in s["Action"])


def test_tag_targets_are_scoped_by_tag_condition_in_the_role_account() -> None:
    policy = iam_policy(TemplateSpec.from_dict(base_template()))
    (stop,) = statements_for(policy, "ec2:StopInstances")
    assert stop["Resource"] == "arn:aws:ec2:*:123456789012:instance/*"
    assert stop["Condition"] == {"StringEquals": {"aws:ResourceTag/app": "web"}}
    assert sorted(stop["Action"]) == ["ec2:StartInstances", "ec2:StopInstances"]


def test_arn_targets_are_scoped_to_the_arns() -> None:
    policy = iam_policy(TemplateSpec.from_dict(base_template()))
    send = statements_for(policy, "ssm:SendCommand")
    resources = {str(s["Resource"]) for s in send}
    assert "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0" in resources
    assert "arn:aws:ssm:us-east-1::document/AWSFIS-Run-CPU-Stress" in resources
    assert all("Condition" not in s for s in send)


def test_describe_calls_go_to_one_unscoped_statement() -> None:
    policy = iam_policy(TemplateSpec.from_dict(base_template()))
    (desc,) = [s for s in policy["Statement"] if s["Sid"] == "DescribeAndList"]
    assert desc["Resource"] == "*"
    # The command's lifecycle (list, invocations, cancel), resolving the target instances, and the
    # tag lookup for the tag-selected target of the stop action.
    assert set(desc["Action"]) == {
        "tag:GetResources",
        "ec2:DescribeInstances",
        "ssm:ListCommands",
        "ssm:ListCommandInvocations",
        "ssm:GetCommandInvocation",
        "ssm:CancelCommand",
        "ssm:DescribeInstanceInformation",
    }


def test_restart_needs_a_kms_grant_limited_to_ec2() -> None:
    policy = iam_policy(TemplateSpec.from_dict(base_template()))
    (kms,) = statements_for(policy, "kms:CreateGrant")
    assert kms["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    t = base_template()
    del t["actions"]["stop"]["parameters"]
    assert not statements_for(iam_policy(TemplateSpec.from_dict(t)), "kms:CreateGrant")


def test_logging_and_report_permissions_only_when_configured() -> None:
    plain = required_actions(TemplateSpec.from_dict(base_template()))
    assert not [a for a in plain if a.startswith(("logs:", "s3:", "cloudwatch:"))]
    spec = load_file(next(p for p in EXAMPLES if p.name == "rds-reboot.yaml")).spec
    policy = iam_policy(spec)
    (report,) = statements_for(policy, "s3:PutObject")
    assert report["Resource"] == "arn:aws:s3:::example-chaos-experiment-reports/rds-reboot/*"
    (bucket_policy,) = statements_for(policy, "s3:PutBucketPolicy")
    assert bucket_policy["Resource"] == "arn:aws:s3:::example-chaos-experiment-logs"
    (dash,) = statements_for(policy, "cloudwatch:GetDashboard")
    assert dash["Resource"] == "arn:aws:cloudwatch::123456789012:dashboard/orders-service"
    cw = iam_policy(load_file(next(p for p in EXAMPLES if p.name == "ebs-pause-io.json")).spec)
    assert statements_for(cw, "logs:CreateLogDelivery")


def test_api_fault_permissions_carry_their_conditions() -> None:
    t = base_template()
    t["targets"] = {
        "role": {
            "resourceType": "aws:iam:role",
            "resourceArns": ["arn:aws:iam::123456789012:role/app"],
            "selectionMode": "ALL",
        }
    }
    t["actions"] = {
        "ice": {
            "actionId": "aws:ec2:api-insufficient-instance-capacity-error",
            "parameters": {
                "duration": "PT5M",
                "availabilityZoneIdentifiers": "us-east-1a",
                "percentage": "50",
            },
            "targets": {"Roles": "role"},
        }
    }
    (inject,) = statements_for(iam_policy(TemplateSpec.from_dict(t)), "ec2:InjectApiError")
    assert inject["Condition"]["ForAnyValue:StringEquals"]["ec2:FisActionId"] == [
        "aws:ec2:api-insufficient-instance-capacity-error"
    ]


def test_timeline_follows_the_longest_start_after_path() -> None:
    spec = load_file(next(p for p in EXAMPLES if p.name == "rds-reboot.yaml")).spec
    tl = timeline(spec)
    assert tl.critical_path == ["baseline", "reboot", "recover", "verify"]
    assert tl.total_seconds == 360
    assert tl.start["recover"] == 60


def test_blast_radius_words() -> None:
    spec = TemplateSpec.from_dict(base_template())
    assert blast_radius(spec.targets["web"]) == "1 instance chosen at random"
    assert blast_radius(spec.targets["db"]) == "the 1 listed instance"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_explain_covers_every_section(path) -> None:
    result = load_file(path)
    md = explain(result.spec, result.problems)
    for heading in (
        "### What it does",
        "### Targets and blast radius",
        "### Timeline",
        "### Stop conditions",
        "### What reverts and when",
        "### IAM actions the experiment role needs",
    ):
        assert heading in md
    for name in result.spec.actions:
        assert f"**{name}**" in md
    assert "Total maximum duration" in md


def test_explain_shows_warnings_and_missing_stop_condition() -> None:
    from chaos_pulumi.spec import validate

    t = base_template()
    t["stopConditions"] = [{"source": "none"}]
    md = explain(TemplateSpec.from_dict(t), validate(t))
    assert "**None.** Nothing stops this experiment early" in md
    assert "### Warnings" in md and "no stop condition" in md


def test_injected_capacity_errors_are_limited_to_the_target_roles() -> None:
    t = base_template()
    t["targets"] = {
        "role": {
            "resourceType": "aws:iam:role",
            "resourceArns": ["arn:aws:iam::123456789012:role/app"],
            "selectionMode": "ALL",
        }
    }
    t["actions"] = {
        "ice": {
            "actionId": "aws:ec2:api-insufficient-instance-capacity-error",
            "parameters": {
                "duration": "PT5M",
                "availabilityZoneIdentifiers": "us-east-1a",
                "percentage": "50",
            },
            "targets": {"Roles": "role"},
        }
    }
    (inject,) = statements_for(iam_policy(TemplateSpec.from_dict(t)), "ec2:InjectApiError")
    assert inject["Condition"]["ForAllValues:StringEquals"] == {
        "ec2:FisTargetArns": ["arn:aws:iam::123456789012:role/app"]
    }


def test_explain_lists_set_up_dependent_permissions() -> None:
    t = base_template()
    t["targets"] = {
        "tables": {
            "resourceType": "aws:dynamodb:global-table",
            "resourceTags": {"app": "orders"},
            "selectionMode": "COUNT(1)",
        }
    }
    t["actions"] = {
        "pause": {
            "actionId": "aws:dynamodb:global-table-pause-replication",
            "parameters": {"duration": "PT5M"},
            "targets": {"Tables": "tables"},
        }
    }
    md = explain(TemplateSpec.from_dict(t))
    assert "Only in some set-ups (not in the generated policy): `dynamodb:InjectError`" in md


def test_scoped_permissions_are_authorised_on_the_target_type_only() -> None:
    """Permissions IAM checks against another resource (network ACLs, container instances) are not
    narrowed to the target's ARNs, which would deny them."""
    spec = load_file(next(p for p in EXAMPLES if p.name == "network-disrupt-subnet.json")).spec
    policy = iam_policy(spec)
    (replace,) = statements_for(policy, "ec2:ReplaceNetworkAclAssociation")
    assert replace["Resource"] == "*"


def test_global_table_policy_covers_its_stream_without_tag_conditions() -> None:
    t = base_template()
    t["targets"] = {
        "tables": {
            "resourceType": "aws:dynamodb:global-table",
            "resourceArns": ["arn:aws:dynamodb:us-east-1:123456789012:table/orders"],
            "selectionMode": "ALL",
        }
    }
    t["actions"] = {
        "pause": {
            "actionId": "aws:dynamodb:global-table-pause-replication",
            "parameters": {"duration": "PT5M"},
            "targets": {"Tables": "tables"},
        }
    }
    (stmt,) = statements_for(iam_policy(TemplateSpec.from_dict(t)), "dynamodb:PutResourcePolicy")
    assert stmt["Resource"] == [
        "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
        "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/*",
    ]
    del t["targets"]["tables"]["resourceArns"]
    t["targets"]["tables"]["resourceTags"] = {"app": "orders"}
    t["targets"]["tables"]["selectionMode"] = "COUNT(1)"
    (stmt,) = statements_for(iam_policy(TemplateSpec.from_dict(t)), "dynamodb:PutResourcePolicy")
    assert stmt["Resource"] == "arn:aws:dynamodb:*:123456789012:table/*" and "Condition" not in stmt
