"""The resource types the blast-radius resolver can resolve offline, and how it reads each one.

For each type: its Resource Groups Tagging API type (``service:resourceType``, what ``GetResources``
filters on), the Describe call FIS applies ``filters`` to (the table in "Targets for AWS FIS",
https://docs.aws.amazon.com/fis/latest/userguide/targets.html#target-filters), and the resource
parameters FIS documents for it that the resolver applies to the Describe output.

Only types listed here resolve from tags, filters or parameters; a target of any other type
resolves only when it lists ARNs. Adding a type means adding a ``ResourceKind`` with a test against
the moto server: a wrong Tagging API type would silently find nothing, which a preflight must never
report as "hits nothing".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chaos_pulumi.aws.clients import ClientFactory

# Describe: (clients, ARNs to describe or None for every resource of the type, target parameters)
# -> {ARN: the resource as the Describe call returns it}.
Describe = Callable[[ClientFactory, Sequence[str] | None, Mapping[str, str]], dict[str, Any]]
ParameterMatch = Callable[[Any, str], bool]

_CHUNK = 200  # values per EC2 Describe filter (the documented maximum per filter)


@dataclass(frozen=True)
class ResourceKind:
    """How to resolve one FIS resource type offline."""

    tagging_type: str
    describe_call: str  # the API action FIS applies filters to, named in reports
    describe: Describe
    parameters: Mapping[str, ParameterMatch] = field(default_factory=dict)


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def _resource_id(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _ec2_arn(client: Any, kind: str, resource_id: str, account: str) -> str:
    return f"arn:{client.meta.partition}:ec2:{client.meta.region_name}:{account}:{kind}/{resource_id}"


def _account(clients: ClientFactory) -> str:
    return str(clients("sts").get_caller_identity()["Account"])


def _ec2_describe(
    clients: ClientFactory, arns: Sequence[str] | None, operation: str, id_key: str, result_key: str
) -> Iterator[tuple[str | None, Any]]:
    """(the ARN asked for, or None when listing everything; record) from an EC2 Describe call whose
    records carry their id under ``id_key`` (filtered by ``subnet-id``, ``volume-id``, ...)."""
    paginator = clients("ec2").get_paginator(operation)
    if arns is None:
        for page in paginator.paginate():
            yield from ((None, r) for r in page[result_key])
        return
    by_id = {_resource_id(a): a for a in arns}
    id_filter = id_key[: -len("Id")].lower() + "-id"
    for ids in _chunks(sorted(by_id)):
        for page in paginator.paginate(Filters=[{"Name": id_filter, "Values": ids}]):
            yield from ((by_id.get(r[id_key]), r) for r in page[result_key])


def describe_instances(
    clients: ClientFactory, arns: Sequence[str] | None, _: Mapping[str, str]
) -> dict[str, Any]:
    ec2 = clients("ec2")
    out: dict[str, Any] = {}
    paginator = ec2.get_paginator("describe_instances")
    if arns is None:
        pages = paginator.paginate()
        by_id: dict[str, str] = {}
    else:
        by_id = {_resource_id(a): a for a in arns}
        pages = (
            page
            for ids in _chunks(sorted(by_id))
            for page in paginator.paginate(Filters=[{"Name": "instance-id", "Values": ids}])
        )
    for page in pages:
        for reservation in page["Reservations"]:
            for instance in reservation["Instances"]:
                arn = by_id.get(instance["InstanceId"]) or _ec2_arn(
                    ec2, "instance", instance["InstanceId"], reservation.get("OwnerId", "")
                )
                out[arn] = instance
    return out


def describe_subnets(
    clients: ClientFactory, arns: Sequence[str] | None, _: Mapping[str, str]
) -> dict[str, Any]:
    ec2 = clients("ec2")
    return {
        asked or r.get("SubnetArn") or _ec2_arn(ec2, "subnet", r["SubnetId"], r.get("OwnerId", "")): r
        for asked, r in _ec2_describe(clients, arns, "describe_subnets", "SubnetId", "Subnets")
    }


def describe_volumes(
    clients: ClientFactory, arns: Sequence[str] | None, _: Mapping[str, str]
) -> dict[str, Any]:
    ec2 = clients("ec2")
    account = _account(clients) if arns is None else ""  # volumes do not carry their owner
    return {
        asked or _ec2_arn(ec2, "volume", r["VolumeId"], account): r
        for asked, r in _ec2_describe(clients, arns, "describe_volumes", "VolumeId", "Volumes")
    }


def _rds(operation: str, result_key: str, arn_key: str) -> Describe:
    def describe(clients: ClientFactory, arns: Sequence[str] | None, _: Mapping[str, str]) -> dict[str, Any]:
        wanted = set(arns) if arns is not None else None
        out: dict[str, Any] = {}
        for page in clients("rds").get_paginator(operation).paginate():
            for record in page[result_key]:
                if wanted is None or record[arn_key] in wanted:
                    out[record[arn_key]] = record
        return out

    return describe


def _task_cluster(task_arn: str) -> str | None:
    """The cluster name in a task ARN (``task/<cluster>/<id>``); None for the old ``task/<id>`` form."""
    resource = task_arn.split(":", 5)[-1]
    parts = resource.split("/")
    return parts[1] if len(parts) == 3 else None


def describe_tasks(
    clients: ClientFactory, arns: Sequence[str] | None, parameters: Mapping[str, str]
) -> dict[str, Any]:
    ecs = clients("ecs")
    by_cluster: dict[str, list[str]] = {}
    if arns is not None:
        for arn in arns:
            cluster = _task_cluster(arn)
            if cluster is None:
                raise ValueError(f"task ARN {arn} does not name its cluster (old ARN format)")
            by_cluster.setdefault(cluster, []).append(arn)
    else:
        clusters = (
            [parameters["cluster"]]
            if parameters.get("cluster")
            else [c for page in ecs.get_paginator("list_clusters").paginate() for c in page["clusterArns"]]
        )
        for cluster in clusters:
            listing: dict[str, str] = {"cluster": cluster}
            if parameters.get("service"):
                listing["serviceName"] = parameters["service"]
            pages = ecs.get_paginator("list_tasks").paginate(**listing)
            by_cluster[cluster] = [t for page in pages for t in page["taskArns"]]
    out: dict[str, Any] = {}
    for cluster, task_arns in by_cluster.items():
        for chunk in _chunks(task_arns, 100):  # DescribeTasks takes up to 100 tasks
            for task in ecs.describe_tasks(cluster=cluster, tasks=chunk)["tasks"]:
                out[task["taskArn"]] = task
    return out


def _zone(record: Any, value: str) -> bool:
    return value in (record.get("AvailabilityZone"), record.get("AvailabilityZoneId"))


def _ecs_cluster(task: Any, value: str) -> bool:
    arn = str(task.get("clusterArn", ""))
    return arn == value or arn.endswith(f"/{value}")


def _ecs_service(task: Any, value: str) -> bool:
    return task.get("group") == f"service:{_resource_id(value)}"


KINDS: dict[str, ResourceKind] = {
    "aws:ec2:instance": ResourceKind("ec2:instance", "DescribeInstances", describe_instances),
    "aws:ec2:subnet": ResourceKind(
        "ec2:subnet",
        "DescribeSubnets",
        describe_subnets,
        {"availabilityZoneIdentifier": _zone, "vpc": lambda r, v: r.get("VpcId") == v},
    ),
    "aws:ec2:ebs-volume": ResourceKind(
        "ec2:volume", "DescribeVolumes", describe_volumes, {"availabilityZoneIdentifier": _zone}
    ),
    "aws:rds:db": ResourceKind(
        "rds:db", "DescribeDBInstances", _rds("describe_db_instances", "DBInstances", "DBInstanceArn")
    ),
    "aws:rds:cluster": ResourceKind(
        "rds:cluster", "DescribeDBClusters", _rds("describe_db_clusters", "DBClusters", "DBClusterArn")
    ),
    "aws:ecs:task": ResourceKind(
        "ecs:task", "DescribeTasks", describe_tasks, {"cluster": _ecs_cluster, "service": _ecs_service}
    ),
}


__all__ = ["KINDS", "ResourceKind"]
