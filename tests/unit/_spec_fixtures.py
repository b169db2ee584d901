"""Shared template builders for the spec tests."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "experiments").glob("*.*"))
ROLE = "arn:aws:iam::123456789012:role/chaos-fis"
ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx"


def base_template() -> dict[str, Any]:
    """A valid template with two targets and a startAfter chain; tests break one field each."""
    return copy.deepcopy(
        {
            "description": "Stop one web instance, then stress the db",
            "roleArn": ROLE,
            "stopConditions": [{"source": "aws:cloudwatch:alarm", "value": ALARM}],
            "targets": {
                "web": {
                    "resourceType": "aws:ec2:instance",
                    "resourceTags": {"app": "web"},
                    "filters": [{"path": "State.Name", "values": ["running"]}],
                    "selectionMode": "COUNT(1)",
                },
                "db": {
                    "resourceType": "aws:ec2:instance",
                    "resourceArns": ["arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"],
                    "selectionMode": "ALL",
                },
            },
            "actions": {
                "stop": {
                    "actionId": "aws:ec2:stop-instances",
                    "parameters": {"startInstancesAfterDuration": "PT5M"},
                    "targets": {"Instances": "web"},
                },
                "stress": {
                    "actionId": "aws:ssm:send-command",
                    "parameters": {
                        "documentArn": "arn:aws:ssm:us-east-1::document/AWSFIS-Run-CPU-Stress",
                        "documentParameters": '{"DurationSeconds": "120"}',
                        "duration": "PT2M",
                    },
                    "targets": {"Instances": "db"},
                    "startAfter": ["stop"],
                },
            },
            "tags": {"team": "platform"},
        }
    )
