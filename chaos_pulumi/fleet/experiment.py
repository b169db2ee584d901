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

from chaos_pulumi.spec.guardrails import DEFAULT_WAIVER_TAG, RULES
from chaos_pulumi.spec.guardrails.reader import suggest

from .parameters import FIS_MAX_DURATION
from .ssm_document import TIMEOUT_MARGIN_S, FaultDocument

TARGET = "instances"
ACTION_MARGIN_S = 60  # FIS cancels the command at the action's duration: leave the fault time to end itself
STOP_RULE = "stop_condition_required"
MAX_TAG_VALUE = 256  # FIS tag values are at most 256 characters
_DOCUMENT_NAME = re.compile(r"^[a-zA-Z0-9_.-]{3,128}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_ACCOUNT = re.compile(r"^\d{12}$")
_RULE_ID = re.compile(r"^[a-z]+(_[a-z]+)+$")  # looks like a rule id (a reason would not)
_PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"))


# Where each argument of host_fault_template lands in the template (longest prefix first).
_ARGUMENTS = (
    ("stopConditions", "stop_conditions"),
    (f"targets.{TARGET}.selectionMode", "selection_mode"),
    ("targets", "target_tags"),
    ("roleArn", "role_arn"),
    ("logConfiguration", "log_configuration"),
    ("description", "description"),
    ("tags", "tags"),
)
_ACTION_PARAMETERS = {
    "duration": "duration", "documentParameters": "parameters", "documentArn": "document_arn"
}


def argument_of(path: str, waiver_tag: str = DEFAULT_WAIVER_TAG) -> str | None:
    """The argument of :func:`host_fault_template` that sets template field ``path`` (a problem's path),
    so front ends can name their own option; None for a field no argument sets."""
    if path == f"tags.{waiver_tag}":
        return "waiver"
    parts = path.split(".")
    if parts[0] == "actions":
        if len(parts) == 1:
            return "duration"  # the experiment's length: the action's, from the fault's duration
        if len(parts) > 3 and parts[2] == "parameters":
            return _ACTION_PARAMETERS.get(parts[3])
        return "fault" if len(parts) > 2 and parts[2] == "actionId" else None
    for prefix, argument in _ARGUMENTS:
        if path == prefix or path.startswith(prefix + "."):
            return argument + path[len(prefix):] if argument == "tags" else argument
    return None


def check_document_name(name: str) -> str:
    """``name`` if SSM takes it for a document of ours; ValueError says why not."""
    if not _DOCUMENT_NAME.match(name) or name.lower().startswith(("aws", "amazon", "amzn")):
        raise ValueError(f"document_name: {name!r}: SSM document names are 3-128 of a-z A-Z 0-9 _ - . and "
                         "cannot start with aws, amazon or amzn")
    return name


def document_arn_of(name: str, *, region: str, account: str) -> str:
    """The ARN of document ``name`` owned by ``account`` in ``region`` (the partition from the Region)."""
    if not _REGION.match(region):
        raise ValueError(f"region: {region!r} is not a Region name such as us-east-1")
    if not _ACCOUNT.match(account):
        raise ValueError(f"account: {account!r} is not a 12-digit AWS account id")
    partition = next((p for prefix, p in _PARTITIONS if region.startswith(prefix)), "aws")
    return f"arn:{partition}:ssm:{region}:{account}:document/{check_document_name(name)}"


def waiver_value(waiver: str, *, alarms: bool) -> str:
    """The waiver tag's value (the guardrails' ``<rule>[, <rule>]: <reason>``) from ``waiver``.

    ``waiver`` names the rules it waives before a colon, or is a reason alone: the reason for running
    without a stop condition. Without an alarm, ``stop_condition_required`` is always among the rules.
    """
    names, colon, rest = waiver.partition(":")
    named = [n for n in re.split(r"[,\s]+", names.strip()) if n]
    unknown = [n for n in named if n not in RULES]
    if colon and named and unknown and all(_RULE_ID.match(n) for n in named):
        raise ValueError(f"waiver: '{unknown[0]}' is not a guardrail rule{suggest(unknown[0], RULES)}")
    rules, reason = (list(dict.fromkeys(named)), rest.strip()) if colon and named and all(
        n in RULES for n in named) else ([], waiver.strip())
    if not alarms and STOP_RULE not in rules:
        rules.insert(0, STOP_RULE)
    if not rules:
        raise ValueError("waiver: waives nothing, stop conditions are given; remove it, or name the "
                         "guardrail rules it waives: '<rule>[, <rule>]: <reason>'")
    value = f"{', '.join(rules)}: {reason}"
    if len(value) > MAX_TAG_VALUE:
        raise ValueError(f"waiver: the tag would be {len(value)} characters, over FIS's {MAX_TAG_VALUE} "
                         "for a tag value; shorten the reason")
    return value


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
            if name == "duration":
                longest = doc.content["mainSteps"][0]["inputs"]["timeoutSeconds"] - TIMEOUT_MARGIN_S
                raise ValueError(f"duration: {value!r} is not whole seconds within 1-{longest}, what this "
                                 f"document accepts (one made with a larger max_duration takes up to "
                                 f"{FIS_MAX_DURATION})")
            pattern = decl["allowedPattern"]
            raise ValueError(f"parameters.{name}: {value!r} does not match the document's pattern {pattern}")
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
    waiver: str | None = None,
    waiver_tag: str = DEFAULT_WAIVER_TAG,
    log_configuration: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A CreateExperimentTemplate-shaped template, what the validator, explain and ExperimentTemplate take.

    ``waiver`` (see :func:`waiver_value`) goes to the ``waiver_tag`` tag, where the guardrails read it;
    ``log_configuration`` is FIS's ``logConfiguration`` in the file format.
    """
    if not target_tags:
        raise ValueError("target_tags: give at least one tag, e.g. {'app': 'web'} (the instances to hit)")
    values = document_parameters(doc, duration, parameters or {})
    all_tags = dict(tags or {})
    if waiver is not None:
        if waiver_tag in all_tags:
            raise ValueError(f"waiver: the tags already hold {waiver_tag}; give the waiver once")
        all_tags[waiver_tag] = waiver_value(waiver, alarms=bool(stop_conditions))
    template: dict[str, Any] = {
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
        "tags": all_tags,
    }
    if log_configuration:
        template["logConfiguration"] = dict(log_configuration)
    return template
