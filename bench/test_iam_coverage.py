"""bench_iam_coverage's arithmetic on a small made-up library (the real one is not in this repository)."""

from __future__ import annotations

import json

from bench.bench_iam_coverage import compare_library, report

TEMPLATE = {
    "description": "stress then nothing else",
    "roleArn": "arn:aws:iam::<YOUR ACCOUNT>:role/fis",
    "stopConditions": [{"source": "none"}],
    "targets": {
        "web": {"resourceType": "aws:ec2:instance", "resourceTags": {"app": "web"}, "selectionMode": "ALL"}
    },
    "actions": {
        "stress": {
            "actionId": "aws:ssm:send-command",
            "parameters": {
                "documentArn": "arn:aws:ssm:us-east-1::document/AWSFIS-Run-CPU-Stress",
                "duration": "PT5M",
            },
            "targets": {"Instances": "web"},
        }
    },
}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["ssm:SendCommand", "ssm:ListCommands", "ec2:RebootInstances"],
            "Resource": "*",
        },
        {"Effect": "Allow", "Action": "fis:StartExperiment", "Resource": "*"},
        {"Effect": "Allow", "Action": ["logs:PutLogEvents", "made:UpAction"], "Resource": "*"},
    ],
}


def test_needed_actions_exclude_only_what_the_role_provably_does_not_use() -> None:
    files = {
        "stress/stress-template.json": json.dumps(TEMPLATE),
        "stress/stress-iam-policy.json": json.dumps(POLICY),
        "stress/fis-iam-trust-relationship.json": "{}",
        "templates/example-iam-policy.json": json.dumps(POLICY),  # no template beside it: skipped
    }
    (row,) = compare_library(files)
    assert row.name == "stress"
    assert row.aws == {
        "ssm:SendCommand",
        "ssm:ListCommands",
        "ec2:RebootInstances",
        "fis:StartExperiment",
        "logs:PutLogEvents",
        "made:UpAction",
    }
    assert set(row.not_needed) == {"ec2:RebootInstances", "fis:StartExperiment", "logs:PutLogEvents"}
    assert row.missing == ["made:UpAction"]  # unknown to us: counted as needed, and missing
    assert "tag:GetResources" in row.broader
    text, figures = report([row])
    assert figures["needed_coverage"] == 2 / 3
    assert figures["raw_coverage"] == 2 / 6
    assert figures["action_star"] == 0.0
    assert "2/6 of AWS's actions" in text and "2/3 of those the role needs" in text
