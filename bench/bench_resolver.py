"""Blast-radius resolver: targets resolved per second against the moto server with 1,000 tagged instances.

Ours: ``chaos_pulumi.aws.targets.resolve_target`` as the preflight and ``chaos-pulumi targets`` run it
(Tagging API ``GetResources`` pages, then ``DescribeInstances`` on those ARNs for the filter, then the
selection mode). Baseline: what one would write by hand for the same answer, one paginated
``DescribeInstances`` with EC2's own ``tag:`` and ``instance-state-name`` filters (it cannot apply
FIS's filter paths in general, only the ones EC2 happens to have a filter for).

Two targets, 1,000 instances tagged ``app=web`` (a quarter of them stopped) among 200 others:
``tags`` (ALL of the tagged ones) and ``tags + filter`` (``State.Name = running``, COUNT(1)). Figures
are targets/s (higher is better); never asserted.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from bench.common import Context, Row, Stats

INSTANCES = 1000
OTHERS = 200
BATCH = 100


def _fleet(moto: Any, count: int) -> None:
    ec2 = moto.client("ec2")
    web_tags = [{"ResourceType": "instance", "Tags": [{"Key": "app", "Value": "web"}]}]
    other_tags = [{"ResourceType": "instance", "Tags": [{"Key": "app", "Value": "batch"}]}]
    made: list[str] = []
    for start in range(0, count, BATCH):
        n = min(BATCH, count - start)
        made += [
            i["InstanceId"]
            for i in ec2.run_instances(
                ImageId="ami-12c6146b", MinCount=n, MaxCount=n, TagSpecifications=web_tags
            )["Instances"]
        ]
    for start in range(0, len(made) // 4, BATCH):
        ec2.stop_instances(InstanceIds=made[start : min(start + BATCH, len(made) // 4)])
    others = max(1, count // 5)
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=others, MaxCount=others, TagSpecifications=other_tags)


def _rate(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    """(targets/s over ``repeat`` resolutions, the count the last one found)."""
    found = 0
    t0 = time.perf_counter()
    for _ in range(repeat):
        found = fn()
    return repeat / (time.perf_counter() - t0), found


def collect(ctx: Context) -> list[Row]:
    from chaos_pulumi.aws.clients import client_factory
    from chaos_pulumi.aws.targets import resolve_target
    from chaos_pulumi.spec import Target

    moto = ctx.moto()
    moto.reset()
    count = 200 if ctx.quick else INSTANCES
    ctx.log(f"resolver: creating {count} tagged instances (+{max(1, count // 5)} others) in moto")
    _fleet(moto, count)
    with _aws_environment(moto.env):
        return _measure(ctx, client_factory(), resolve_target, Target, count)


@contextlib.contextmanager
def _aws_environment(env: dict[str, str]) -> Iterator[None]:
    """The moto server's AWS settings in this process's environment, restored afterwards."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _measure(ctx: Context, clients: Any, resolve_target: Any, Target: Any, count: int) -> list[Row]:
    ec2 = clients("ec2")
    cases = {
        "tags": (
            Target.from_dict(
                {"resourceType": "aws:ec2:instance", "resourceTags": {"app": "web"}, "selectionMode": "ALL"}
            ),
            [{"Name": "tag:app", "Values": ["web"]}],
            count,
        ),
        "tags + filter": (
            Target.from_dict(
                {
                    "resourceType": "aws:ec2:instance",
                    "resourceTags": {"app": "web"},
                    "filters": [{"path": "State.Name", "values": ["running"]}],
                    "selectionMode": "COUNT(1)",
                }
            ),
            [{"Name": "tag:app", "Values": ["web"]}, {"Name": "instance-state-name", "Values": ["running"]}],
            count - count // 4,
        ),
    }

    def baseline(filters: list[dict[str, Any]]) -> int:
        pages = ec2.get_paginator("describe_instances").paginate(Filters=filters)
        return sum(len(r["Instances"]) for page in pages for r in page["Reservations"])

    rounds = ctx.rounds_for(quick=2)
    repeat = 1 if ctx.quick else 3
    rows = []
    for case, (target, ec2_filters, expected) in cases.items():
        ours: list[float] = []
        base: list[float] = []
        for r in range(rounds):
            for who in ("ours", "baseline") if r % 2 == 0 else ("baseline", "ours"):
                if who == "ours":
                    rate, found = _rate(
                        lambda t=target: len(resolve_target(clients, "web", t).matching), repeat
                    )
                    ours.append(rate)
                else:
                    rate, found = _rate(lambda f=ec2_filters: baseline(f), repeat)
                    base.append(rate)
                if found != expected:
                    raise RuntimeError(
                        f"resolver bench: {who} found {found} instances for '{case}', not {expected}"
                    )
        rows.append(
            Row(
                f"{count} tagged instances, {case}",
                "targets resolved",
                "targets/s",
                Stats.of(ours),
                Stats.of(base),
                "DescribeInstances with EC2 tag/state filters",
                better="higher",
                note=f"{expected} matching; {repeat} resolutions per sample",
            )
        )
    return rows


if __name__ == "__main__":
    raise SystemExit("run it through the suite: .venv/bin/python bench/run.py --only resolver")
