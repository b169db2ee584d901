"""The FIS experiment template that runs a fault document on EC2 instances chosen by tags.

One `aws:ssm:send-command` action with the document's ARN, its parameters (checked here against the
document's own patterns, so a bad value fails at preview instead of at SendCommand) and a FIS action
duration a little longer than the fault's: the fault ends by its own deadline (command Success);
FIS cancelling the command at its duration, or when the experiment stops, reverts it at once.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .parameters import FIS_MAX_DURATION
from .ssm_document import FaultDocument

TARGET = "instances"
ACTION_MARGIN_S = 60  # FIS cancels the command at the action's duration: leave the fault time to end itself


def action_duration(fault_seconds: int) -> str:
    """ISO-8601 FIS action duration: the fault's plus a margin, in whole minutes (FIS takes PT1M-PT12H)."""
    minutes = max(1, math.ceil((fault_seconds + ACTION_MARGIN_S) / 60))
    return f"PT{min(minutes, FIS_MAX_DURATION // 60)}M"


def document_parameters(doc: FaultDocument, duration: int, parameters: Mapping[str, Any]) -> dict[str, str]:
    """The JSON `documentParameters` map; ValueError names a parameter the document would refuse."""
    declared = doc.content["parameters"]
    values = {"duration": str(duration)}
    for name, raw in parameters.items():
        if name not in declared:
            raise ValueError(f"parameters.{name}: the {doc.fault} document has no such parameter "
                             f"(it takes {', '.join(declared)})")
        if name == "duration":
            raise ValueError("parameters.duration: give the duration as its own argument")
        value = ",".join(str(v) for v in raw) if isinstance(raw, (list, tuple)) else \
            ("true" if raw is True else "false" if raw is False else str(raw))
        values[name] = value
    for name, value in values.items():
        decl = declared[name]
        if "allowedValues" in decl and value not in decl["allowedValues"]:
            raise ValueError(f"parameters.{name}: {value!r} is not one of {decl['allowedValues']}")
        if "allowedPattern" in decl and not re.search(decl["allowedPattern"], value):
            what = "duration" if name == "duration" else f"parameters.{name}"
            pattern = decl["allowedPattern"]
            raise ValueError(f"{what}: {value!r} does not match the document's pattern {pattern}")
    return values


def host_fault_template(
    doc: FaultDocument,
    *,
    document_arn: str,
    duration: int,
    target_tags: Mapping[str, str],
    role_arn: str,
    parameters: Mapping[str, Any] | None = None,
    selection_mode: str = "COUNT(1)",
    stop_conditions: Sequence[str] = (),
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A CreateExperimentTemplate-shaped template, what the validator, explain and ExperimentTemplate take."""
    if not target_tags:
        raise ValueError("target_tags: give at least one tag, e.g. {'app': 'web'} (the instances to hit)")
    values = document_parameters(doc, duration, parameters or {})
    return {
        "description": description or f"{doc.fault} for {duration}s on {selection_mode} of the instances "
        + ", ".join(f"{k}={v}" for k, v in target_tags.items()),
        "roleArn": role_arn,
        "stopConditions": [{"source": "aws:cloudwatch:alarm", "value": a} for a in stop_conditions]
        or [{"source": "none"}],
        "targets": {
            TARGET: {
                "resourceType": "aws:ec2:instance",
                "resourceTags": dict(target_tags),
                "filters": [{"path": "State.Name", "values": ["running"]}],
                "selectionMode": selection_mode,
            }
        },
        "actions": {
            doc.fault.replace("_", "-"): {
                "actionId": "aws:ssm:send-command",
                "description": f"chaos-faults {doc.fault} through the host-fault runtime",
                "parameters": {
                    "documentArn": document_arn,
                    "documentParameters": json.dumps(values, separators=(",", ":")),
                    "duration": action_duration(duration),
                },
                "targets": {"Instances": TARGET},
            }
        },
        "tags": dict(tags or {}),
    }
