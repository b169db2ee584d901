"""Pulumi's unit-test mocks for programs that use pulumi-aws (its provider plugin cannot run here)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pulumi

from chaos_pulumi.providers.experiment_template import ExperimentTemplateProvider

ACCOUNT = "123456789012"
REGION = "us-east-1"


class Registry(pulumi.runtime.Mocks):
    """Records every registration with the outputs AWS would fill in; runs the real FIS template check."""

    def __init__(self) -> None:
        self.resources: dict[tuple[str, str], pulumi.runtime.MockResourceArgs] = {}  # (type, name)
        self.outputs: dict[str, dict] = {}
        self.failures: dict[str, list[str]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        self.resources[(args.typ, args.name)] = args
        outs = dict(args.inputs)
        name = outs.get("name") or args.name
        if args.typ.endswith(":ExperimentTemplate"):
            checked = ExperimentTemplateProvider().check({}, dict(args.inputs))
            self.failures[args.name] = [f.reason for f in checked.failures]
            outs = dict(
                checked.inputs, arn=f"arn:aws:fis:{REGION}:{ACCOUNT}:experiment-template/EXT{args.name}"
            )
            return f"EXT{args.name}", outs
        if args.typ == "aws:iam/role:Role":
            outs.update(name=name, arn=f"arn:aws:iam::{ACCOUNT}:role/{name}")
        elif args.typ == "aws:iam/policy:Policy":
            outs.update(name=name, arn=f"arn:aws:iam::{ACCOUNT}:policy/{name}")
        elif args.typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
            outs.update(name=name, arn=f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}")
        elif args.typ == "aws:ssm/document:Document":
            outs.update(name=name, arn=f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/{name}")
        elif args.typ.startswith("aws:scheduler/"):
            outs.update(
                name=name, arn=f"arn:aws:scheduler:{REGION}:{ACCOUNT}:{args.typ.split(':')[-1]}/{name}"
            )
        self.outputs[args.name] = outs
        return f"{name}-id", outs

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        # A plain dict: the SDK iterates a tuple's second element as check failures.
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT,
                "arn": f"arn:aws:iam::{ACCOUNT}:user/ci",
                "userId": "AIDA",
                "id": ACCOUNT,
            }
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": REGION, "region": REGION, "id": REGION, "endpoint": "", "description": ""}
        raise AssertionError(f"unexpected invoke {args.token}")

    def get(self, typ: str, name: str) -> dict:
        """The inputs a resource was registered with."""
        return dict(self.resources[(typ, name)].inputs)

    def names(self, typ: str) -> list[str]:
        return sorted(n for t, n in self.resources if t == typ)


@contextmanager
def mocked(preview: bool = False) -> Iterator[Registry]:
    old = pulumi.runtime.settings.SETTINGS
    registry = Registry()
    pulumi.runtime.set_mocks(registry, project="proj", stack="dev", preview=preview)
    try:
        yield registry
    finally:
        pulumi.runtime.settings.configure(old)
