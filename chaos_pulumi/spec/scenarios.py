"""The FIS scenario library as code: shared parameters -> an ordinary experiment template.

FIS has no scenario API: the console fills a scenario's shared parameters into a template. Each
generator here does the same, purely, so the result can be reviewed, validated, explained, fed to
``iam-policy`` and applied by any front end. Declarations and sources: data/fis-scenarios.yaml.

    rendered = render_scenario("az-application-slowdown",
                               {"availability_zone": "us-east-1a", "role_arn": ROLE,
                                "stop_conditions": [ALARM]})
    rendered.spec  # a TemplateSpec; rendered.actions lists the FIS actions included
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .catalog import catalog
from .durations import parse_duration
from .model import TemplateSpec
from .problems import Problem
from .scenario_params import ScenarioDecl, ScenarioError, resolve_parameters, scenario_declarations
from .scenario_waivers import read_user_waiver, scenario_waiver

_AZ_NAME = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d+)[a-z]$")
_AUTOSHIFT_DELAY = 300.0  # the zonal autoshift starts five minutes into the interruption
_MIN_ACTION = 60.0


@dataclass(frozen=True)
class RenderedScenario:
    """A scenario rendered with its parameters: the template, what it includes and what it left out."""

    name: str
    spec: TemplateSpec
    sub_actions: tuple[str, ...]
    left_out: dict[str, str] = field(default_factory=dict)  # default sub-action -> why it is not included

    @property
    def actions(self) -> dict[str, str]:
        """Action name -> FIS action id, as included in the template."""
        return {name: a.action_id for name, a in sorted(self.spec.actions.items())}

    def to_dict(self) -> dict[str, Any]:
        return self.spec.to_dict()


def _iso(seconds: float) -> str:
    """Seconds -> the ISO-8601 duration FIS takes (PT1H30M)."""
    total = int(round(seconds))
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return "PT" + (f"{h}H" if h else "") + (f"{m}M" if m else "") + (f"{s}S" if s or not (h or m) else "")


def _seconds(text: str) -> float:
    return parse_duration(text) or 0.0


def _region_of(az: str, given: str | None, field_name: str = "availability_zone") -> str:
    if given:
        return given
    m = _AZ_NAME.match(az)
    if not m:
        raise ScenarioError(
            [Problem("parameters.region", f"is required when {field_name} '{az}' is not an AZ name")]
        )
    return m.group(1)


def _require_az_name(az: str, path: str = "parameters.availability_zone") -> None:
    if not _AZ_NAME.match(az):
        raise ScenarioError(
            [
                Problem(
                    path,
                    f"'{az}' is not an AZ name; this scenario filters targets by AZ name, "
                    "so use e.g. us-east-1a (not the AZ ID use1-az1)",
                )
            ]
        )


class _Builder:
    """Collects targets and actions for the included sub-actions of one scenario."""

    def __init__(self, decl: ScenarioDecl, params: dict[str, Any]) -> None:
        self.decl = decl
        self.params = params
        self.targets: dict[str, dict[str, Any]] = {}
        self.actions: dict[str, dict[str, Any]] = {}
        explicit = params.get("include")
        self.explicit = explicit is not None
        self.wanted = (
            list(explicit) if explicit is not None else [k for k, s in decl.sub_actions.items() if s.default]
        )
        self.included: list[str] = []
        self.left_out: dict[str, str] = {}

    def wants(self, key: str, missing: str | None = None) -> bool:
        """Whether a sub-action goes in; ``missing`` names what it needs and was not given."""
        if key not in self.wanted:
            return False
        if missing:
            if self.explicit:
                raise ScenarioError(
                    [Problem("parameters.include", f"'{key}' needs {missing}; give it or leave '{key}' out")]
                )
            self.left_out[key] = f"needs {missing}"
            return False
        self.included.append(key)
        return True

    def tag(self, key: str) -> dict[str, str]:
        overrides = self.params.get("target_tags") or {}
        if key in overrides:
            return dict(overrides[key])
        sub = self.decl.sub_actions[key]
        if "tag_key" in self.params:
            return {self.params["tag_key"]: self.params.get("tag_value") or sub.tag_value or ""}
        return dict(sub.tag)

    def spec(self) -> RenderedScenario:
        user_rules, user_reason, problems = read_user_waiver(self.params.get("waiver"))
        if problems:
            raise ScenarioError(problems)
        if not self.actions:
            raise ScenarioError(
                [
                    Problem(
                        "parameters.include",
                        "leaves no action in the template; include at least one of "
                        + ", ".join(self.decl.sub_actions),
                    )
                ]
            )
        p = self.params
        stops = [{"source": "aws:cloudwatch:alarm", "value": a} for a in p["stop_conditions"]]
        stops = stops or [{"source": "none"}]
        tags = {"Name": self.decl.title, **(p.get("tags") or {})}
        data: dict[str, Any] = {
            "description": p.get("description") or self.decl.description,
            "roleArn": p["role_arn"],
            "stopConditions": stops,
            "targets": self.targets,
            "actions": self.actions,
            "experimentOptions": {"accountTargeting": "single-account", "emptyTargetResolutionMode": "skip"},
            "tags": tags,
        }
        if p.get("log_group_arn"):
            data["logConfiguration"] = {
                "logSchemaVersion": 2,
                "cloudWatchLogsConfiguration": {"logGroupArn": p["log_group_arn"]},
            }
        waiver, problems = scenario_waiver(
            TemplateSpec.from_dict(data),
            slug=self.decl.name,
            design=self.decl.design_waivers,
            declared=self.decl.parameters,
            params=p,
            user_rules=user_rules,
            user_reason=user_reason,
        )
        if problems:
            raise ScenarioError(problems)
        data["tags"] = {**tags, **waiver}
        return RenderedScenario(
            self.decl.name, TemplateSpec.from_dict(data), tuple(self.included), self.left_out
        )


def _az_power_interruption(b: _Builder) -> None:
    p = b.params
    az = p["availability_zone"]
    _require_az_name(az)
    outage = _seconds(p["interruption_duration"])
    recovery = _seconds(p["recovery_duration"])
    running = [{"path": "State.Name", "values": ["running"]}]
    in_az = [{"path": "Placement.AvailabilityZone", "values": [az]}]
    restart = {"completeIfInstancesTerminated": "true", "startInstancesAfterDuration": _iso(outage)}
    # No new capacity in the AZ until recovery ends: the errors span the interruption and the recovery.
    no_capacity = {
        "availabilityZoneIdentifiers": az,
        "duration": _iso(outage + recovery),
        "percentage": "100",
    }
    stops: list[str] = []
    # Standalone and Auto Scaling instances: the same stop, told apart only by their tags.
    for key, target, action in (
        ("stop-instances", "EC2-Instances", "Stop-Instances"),
        ("stop-asg-instances", "ASG-EC2-Instances", "Stop-ASG-Instances"),
    ):
        if b.wants(key):
            b.targets[target] = {
                "resourceType": "aws:ec2:instance",
                "resourceTags": b.tag(key),
                "filters": running + in_az,
                "selectionMode": "ALL",
            }
            b.actions[action] = {
                "actionId": "aws:ec2:stop-instances",
                "parameters": restart,
                "targets": {"Instances": target},
            }
            stops.append(action)
    if b.wants(
        "pause-instance-launches", None if p["iam_roles"] else "iam_roles (the roles that launch instances)"
    ):
        b.targets["IAM-role"] = {
            "resourceType": "aws:iam:role",
            "resourceArns": p["iam_roles"],
            "selectionMode": "ALL",
        }
        b.actions["Pause-Instance-Launches"] = {
            "actionId": "aws:ec2:api-insufficient-instance-capacity-error",
            "parameters": no_capacity,
            "targets": {"Roles": "IAM-role"},
        }
    if b.wants("pause-asg-scaling"):
        b.targets["ASG"] = {
            "resourceType": "aws:ec2:autoscaling-group",
            "resourceTags": b.tag("pause-asg-scaling"),
            "selectionMode": "ALL",
        }
        b.actions["Pause-ASG-Scaling"] = {
            "actionId": "aws:ec2:asg-insufficient-instance-capacity-error",
            "parameters": no_capacity,
            "targets": {"AutoScalingGroups": "ASG"},
        }
    if b.wants("pause-network-connectivity"):
        b.targets["Subnet"] = {
            "resourceType": "aws:ec2:subnet",
            "resourceTags": b.tag("pause-network-connectivity"),
            "filters": [{"path": "AvailabilityZone", "values": [az]}],
            "selectionMode": "ALL",
        }
        b.actions["Pause-Network-Connectivity"] = {
            "actionId": "aws:network:disrupt-connectivity",
            "parameters": {"duration": p["network_disruption_duration"], "scope": "all"},
            "targets": {"Subnets": "Subnet"},
        }
    if b.wants("failover-rds"):
        b.targets["RDS-Cluster"] = {
            "resourceType": "aws:rds:cluster",
            "resourceTags": b.tag("failover-rds"),
            "parameters": {"writerAvailabilityZoneIdentifiers": az},
            "selectionMode": "ALL",
        }
        b.actions["Failover-RDS"] = {
            "actionId": "aws:rds:failover-db-cluster",
            "targets": {"Clusters": "RDS-Cluster"},
        }
    if b.wants("pause-elasticache"):
        b.targets["ElastiCache-Cluster"] = {
            "resourceType": "aws:elasticache:replicationgroup",
            "resourceTags": b.tag("pause-elasticache"),
            "parameters": {"availabilityZoneIdentifier": az},
            "selectionMode": "ALL",
        }
        b.actions["Pause-ElastiCache"] = {
            "actionId": "aws:elasticache:replicationgroup-interrupt-az-power",
            "parameters": {"duration": _iso(outage)},
            "targets": {"ReplicationGroups": "ElastiCache-Cluster"},
        }
    if b.wants("pause-ebs-io"):
        b.targets["EBS-Volumes"] = {
            "resourceType": "aws:ec2:ebs-volume",
            "resourceTags": b.tag("pause-ebs-io"),
            "parameters": {"availabilityZoneIdentifier": az},
            "filters": [{"path": "Attachments.DeleteOnTermination", "values": ["false"]}],
            "selectionMode": "COUNT(1)",
        }
        after = stops
        if not after:
            # A recovery symptom: without the stop actions, wait out the interruption instead.
            b.actions["Wait-For-Recovery"] = {
                "actionId": "aws:fis:wait",
                "parameters": {"duration": _iso(outage)},
            }
            after = ["Wait-For-Recovery"]
        b.actions["Pause-EBS-IO"] = {
            "actionId": "aws:ebs:pause-volume-io",
            "parameters": {"duration": _iso(recovery)},
            "targets": {"Volumes": "EBS-Volumes"},
            "startAfter": after,
        }
    shift = outage - _AUTOSHIFT_DELAY
    if b.wants(
        "start-arc-zonal-autoshift",
        None
        if shift >= _MIN_ACTION
        else "an interruption_duration of at least PT6M (it starts 5 minutes in)",
    ):
        b.targets["Zonal-Shift-Resources"] = {
            "resourceType": "aws:arc:zonal-shift-managed-resource",
            "resourceTags": b.tag("start-arc-zonal-autoshift"),
            "selectionMode": "ALL",
        }
        b.actions["Wait-Before-Autoshift"] = {"actionId": "aws:fis:wait", "parameters": {"duration": "PT5M"}}
        b.actions["Start-ARC-Zonal-Autoshift"] = {
            "actionId": "aws:arc:start-zonal-autoshift",
            "parameters": {"availabilityZoneIdentifier": az, "duration": _iso(shift)},
            "targets": {"ManagedResources": "Zonal-Shift-Resources"},
            "startAfter": ["Wait-Before-Autoshift"],
        }


def _network_impairment(b: _Builder, *, kind: str) -> None:
    """AZ: Application Slowdown (kind 'latency') and Cross-AZ: Traffic Slowdown (kind 'packet-loss')."""
    p = b.params
    az = p["availability_zone"]
    _require_az_name(az)
    region = _region_of(az, p.get("region"))
    duration = p["duration"]
    flows = str(p["flows_percent"])
    if kind == "latency":
        sources = az
        keys = ("latency-for-ec2", "latency-for-ecs", "latency-for-eks")
        names = ("LatencyForEC2", "LatencyForECS", "LatencyForEKS")
        document = "AWSFIS-Run-Network-Latency-Sources"
        ssm_fault = {"DelayMilliseconds": str(p["delay_milliseconds"]), "Sources": sources}
        fault = {"delayMilliseconds": str(p["delay_milliseconds"])}
        ecs_action, eks_action = "aws:ecs:task-network-latency", "aws:eks:pod-network-latency"
    else:
        for i, other in enumerate(p["other_availability_zones"]):
            _require_az_name(other, f"parameters.other_availability_zones[{i}]")
        if az in p["other_availability_zones"]:
            raise ScenarioError(
                [
                    Problem(
                        "parameters.other_availability_zones", f"lists {az} itself; list only the other AZs"
                    )
                ]
            )
        sources = ",".join(p["other_availability_zones"])
        keys = ("packet-loss-for-ec2", "packet-loss-for-ecs", "packet-loss-for-eks")
        names = ("PacketLossForEC2", "PacketLossForECS", "PacketLossForEKS")
        document = "AWSFIS-Run-Network-Packet-Loss-Sources"
        ssm_fault = {"Sources": sources, "LossPercent": str(p["loss_percent"])}
        fault = {"lossPercent": str(p["loss_percent"])}
        ecs_action, eks_action = "aws:ecs:task-network-packet-loss", "aws:eks:pod-network-packet-loss"
    ec2, ecs, eks = keys
    if b.wants(ec2):
        b.targets["TargetsForEC2"] = {
            "resourceType": "aws:ec2:instance",
            "resourceTags": b.tag(ec2),
            "filters": [{"path": "Placement.AvailabilityZone", "values": [az]}],
            "selectionMode": "ALL",
        }
        document_parameters = {
            **ssm_fault,
            "Interface": "DEFAULT",
            "TrafficType": "egress",
            "DurationSeconds": str(int(_seconds(duration))),
            "FlowsPercent": flows,
            "InstallDependencies": "True",
        }
        b.actions[names[0]] = {
            "actionId": "aws:ssm:send-command",
            "parameters": {
                "duration": duration,
                "documentArn": f"arn:aws:ssm:{region}::document/{document}",
                "documentParameters": json.dumps(document_parameters, separators=(",", ":")),
            },
            "targets": {"Instances": "TargetsForEC2"},
        }
    if b.wants(ecs):
        b.targets["TargetsForECS"] = {
            "resourceType": "aws:ecs:task",
            "resourceTags": b.tag(ecs),
            "filters": [{"path": "AvailabilityZone", "values": [az]}],
            "selectionMode": "ALL",
        }
        b.actions[names[1]] = {
            "actionId": ecs_action,
            "parameters": {
                **fault,
                "duration": duration,
                "flowsPercent": flows,
                "installDependencies": "true",
                "sources": sources,
                "useEcsFaultInjectionEndpoints": "true",
            },
            "targets": {"Tasks": "TargetsForECS"},
        }
    if b.wants(eks, None if p.get("eks_cluster") else "eks_cluster (the EKS cluster of the pods)"):
        label = b.tag(eks)
        b.targets["TargetsForEKS"] = {
            "resourceType": "aws:eks:pod",
            "parameters": {
                "availabilityZoneIdentifier": az,
                "clusterIdentifier": p["eks_cluster"],
                "namespace": p["eks_namespace"],
                "selectorType": "labelSelector",
                "selectorValue": ",".join(f"{k}={v}" for k, v in label.items()),
            },
            "selectionMode": "ALL",
        }
        b.actions[names[2]] = {
            "actionId": eks_action,
            "parameters": {
                **fault,
                "duration": duration,
                "flowsPercent": flows,
                "interface": "DEFAULT",
                "kubernetesServiceAccount": p["eks_service_account"],
                "sources": sources,
            },
            "targets": {"Pods": "TargetsForEKS"},
        }


def _cross_region_connectivity(b: _Builder) -> None:
    p = b.params
    region = p["destination_region"]
    duration = p["duration"]
    plan = (
        (
            "disrupt-transit-gateway-connectivity",
            "Transit-Gateway",
            "aws:ec2:transit-gateway",
            "Disrupt-Transit-Gateway-Connectivity",
            "aws:network:transit-gateway-disrupt-cross-region-connectivity",
            "TransitGateways",
            True,
        ),
        (
            "disrupt-subnet-connectivity",
            "Subnet",
            "aws:ec2:subnet",
            "Disrupt-Subnet-Connectivity",
            "aws:network:route-table-disrupt-cross-region-connectivity",
            "Subnets",
            True,
        ),
        (
            "disrupt-vpc-endpoint",
            "VPC-Endpoint",
            "aws:ec2:vpc-endpoint",
            "Disrupt-Vpc-Endpoint",
            "aws:network:disrupt-vpc-endpoint",
            "VPCEndpoints",
            False,
        ),
        (
            "pause-s3-replication",
            "S3-Bucket",
            "aws:s3:bucket",
            "Pause-S3-Replication",
            "aws:s3:bucket-pause-replication",
            "Buckets",
            True,
        ),
        (
            "pause-dynamodb-replication",
            "DynamoDB-Global-Table",
            "aws:dynamodb:global-table",
            "Pause-DynamoDB-Replication",
            "aws:dynamodb:global-table-pause-replication",
            "Tables",
            False,
        ),
        (
            "pause-memorydb-replication",
            "MemoryDB-Multi-Region-Cluster",
            "aws:memorydb:multi-region-cluster",
            "Pause-MemoryDB-Multi-Region-Cluster-Replication",
            "aws:memorydb:multi-region-cluster-pause-replication",
            "MultiRegionClusters",
            True,
        ),
    )
    cat = catalog()
    for key, target, rtype, action, action_id, slot, takes_region in plan:
        if not b.wants(key):
            continue
        b.targets[target] = {"resourceType": rtype, "resourceTags": b.tag(key), "selectionMode": "ALL"}
        # The console sets region on four actions; send it only where the catalog knows the parameter.
        spec = cat.actions.get(action_id)
        takes_region = takes_region and (spec is None or "region" in spec.parameters)
        params = {"duration": duration, **({"region": region} if takes_region else {})}
        b.actions[action] = {"actionId": action_id, "parameters": params, "targets": {slot: target}}


_GENERATORS: dict[str, Callable[[_Builder], None]] = {
    "az-power-interruption": _az_power_interruption,
    "az-application-slowdown": lambda b: _network_impairment(b, kind="latency"),
    "cross-az-traffic-slowdown": lambda b: _network_impairment(b, kind="packet-loss"),
    "cross-region-connectivity": _cross_region_connectivity,
}


def scenario_names() -> list[str]:
    """The scenarios of the library, in the order of the FIS user guide."""
    return list(scenario_declarations())


def render_scenario(name: str, parameters: Mapping[str, Any]) -> RenderedScenario:
    """Shared parameters -> the experiment template the FIS console makes from them.

    Raises :class:`ScenarioError` (every problem with its ``parameters.<field>`` path and the fix)
    for an unknown scenario, unknown or ill-typed parameters, or a template with no stop condition
    and no ``waiver``. Nothing is rendered half-way.
    """
    decls = scenario_declarations()
    if name not in decls:
        raise ScenarioError(
            [Problem("scenario", f"unknown scenario '{name}'; the library has: {', '.join(decls)}")]
        )
    decl = decls[name]
    builder = _Builder(decl, resolve_parameters(decl, parameters))
    _GENERATORS[name](builder)
    return builder.spec()


def render_option(option: Any, role_arn: str | None = None, field_name: str = "scenario") -> RenderedScenario:
    """A front end's ``scenario: {name: ..., parameters: {...}}`` option (Ansible, files) -> the template.

    ``role_arn`` (the front end's own option) fills ``parameters.role_arn`` when that is not given.
    Problems carry paths under ``field_name`` (``scenario.parameters.availability_zone``).
    """
    if not isinstance(option, Mapping) or not isinstance(option.get("name"), str):
        raise ScenarioError(
            [
                Problem(
                    field_name, "must be a mapping {name: <scenario>, parameters: {...}}; see `scenario list`"
                )
            ]
        )
    unknown = sorted(set(option) - {"name", "parameters"})
    if unknown:
        raise ScenarioError(
            [Problem(f"{field_name}.{k}", "unknown key; a scenario has name and parameters") for k in unknown]
        )
    parameters = option.get("parameters") or {}
    if not isinstance(parameters, Mapping):
        raise ScenarioError(
            [Problem(f"{field_name}.parameters", "must be a mapping of parameter names to values")]
        )
    given = dict(parameters)
    if role_arn and not given.get("role_arn"):
        given["role_arn"] = role_arn
    try:
        return render_scenario(option["name"], given)
    except ScenarioError as e:
        raise ScenarioError([replace(p, path=f"{field_name}.{p.path}") for p in e.problems]) from None
