"""Hypothesis strategies: valid FIS templates built from the catalog (property tests, fuzz tests, bench)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from chaos_pulumi.spec import catalog
from chaos_pulumi.spec.catalog import ParameterSpec, ResourceTypeSpec

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/chaos-fis"
ALARM = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:guard"
ACTION_IDS = sorted(a.id for a in catalog().actions.values() if not a.deprecated)


def valid_value(p: ParameterSpec) -> str:
    """A value the validator must accept for this parameter."""
    if p.type == "duration":
        return p.min_text or "PT5M"
    if p.type in ("integer", "number"):
        return f"{p.minimum:g}" if p.minimum is not None else "1"
    if p.type == "enum" or (p.type == "list" and p.values):
        return p.values[0]
    if p.type == "list" and p.item == "arn":
        return ALARM
    if p.type == "boolean":
        return "true"
    if p.type == "json":
        return '{"Mode": "test"}'
    if p.type == "arn":
        return f"arn:aws:ssm:us-east-1:{ACCOUNT}:document/Custom-Fault"
    return "value-1"


def resource_arn(rtype: ResourceTypeSpec, n: int) -> str:
    if rtype.arn == "*":
        return f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/lb{n}/1"
    parts = rtype.arn.split(":")
    if parts[3] == "*":
        parts[3] = "us-east-1"
    if parts[4] == "*":
        parts[4] = ACCOUNT
    return ":".join(parts).replace("*", f"res{n}")


@st.composite
def targets_for(draw: Any, rtype_name: str, n: int) -> dict[str, Any]:
    rtype = catalog().resource_types[rtype_name]
    target: dict[str, Any] = {"resourceType": rtype_name}
    ways = sorted(rtype.select_by - {"filters"})
    if rtype.parameters_only:
        way = "parameters"
    else:
        way = draw(st.sampled_from([w for w in ways if w != "parameters"] or ways))
    if way == "arns":
        count = draw(st.integers(1, rtype.max_arns))
        target["resourceArns"] = [resource_arn(rtype, n * 10 + i) for i in range(count)]
    elif way == "tags":
        target["resourceTags"] = {"chaos": f"t{n}"}
        if "filters" in rtype.select_by and draw(st.booleans()):
            target["filters"] = [{"path": "State.Name", "values": ["running"]}]
    required = {k: valid_value(p) for k, p in rtype.parameters.items() if p.required}
    if way == "parameters" or required:
        target["parameters"] = required or {k: valid_value(p) for k, p in list(rtype.parameters.items())[:1]}
    if "resourceArns" in target:
        modes = ["ALL", "COUNT(1)", f"COUNT({len(target['resourceArns'])})", "PERCENT(100)"]
    else:
        modes = ["ALL", "COUNT(1)", "COUNT(2)", "PERCENT(50)"]
    target["selectionMode"] = draw(st.sampled_from(modes))
    return target


@st.composite
def valid_templates(draw: Any, first: str | None = None) -> dict[str, Any]:
    ids = draw(st.lists(st.sampled_from(ACTION_IDS), min_size=0 if first else 1, max_size=4))
    if first:
        ids = [first, *ids]
    targets: dict[str, Any] = {}
    actions: dict[str, Any] = {}
    for i, action_id in enumerate(ids):
        spec = catalog().actions[action_id]
        action: dict[str, Any] = {"actionId": action_id}
        params = {k: valid_value(p) for k, p in spec.parameters.items() if p.required}
        optional = [k for k, p in spec.parameters.items() if not p.required]
        for k in draw(st.lists(st.sampled_from(optional), unique=True, max_size=2)) if optional else []:
            params[k] = valid_value(spec.parameters[k])
        if action_id == "aws:network:disrupt-connectivity" and params.get("scope") != "prefix-list":
            params.pop("prefixListIdentifier", None)
        if params:
            action["parameters"] = params
        if spec.targets:
            action["targets"] = {}
            for key, rtype in spec.targets.items():
                name = f"t{i}-{key.lower()}"
                targets[name] = draw(targets_for(rtype, i))
                action["targets"][key] = name
        if i and draw(st.booleans()):
            action["startAfter"] = [f"a{draw(st.integers(0, i - 1))}"]
        actions[f"a{i}"] = action
    template: dict[str, Any] = {
        "description": "generated",
        "roleArn": ROLE,
        "stopConditions": [{"source": "aws:cloudwatch:alarm", "value": ALARM}],
        "actions": actions,
        "tags": {"generated": "true"},
    }
    if targets:
        template["targets"] = targets
    if draw(st.booleans()):
        template["logConfiguration"] = {
            "logSchemaVersion": 2,
            "cloudWatchLogsConfiguration": {
                "logGroupArn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:fis:*"
            },
        }
    if draw(st.booleans()):
        template["experimentOptions"] = {"emptyTargetResolutionMode": draw(st.sampled_from(["fail", "skip"]))}
    return template
