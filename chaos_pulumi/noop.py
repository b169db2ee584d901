"""``NoopResource``: the smallest useful dynamic resource. It creates nothing anywhere.

It exists for two jobs:

* the end-to-end proof that the real Pulumi engine runs this package's dynamic providers
  (``tests/e2e/test_engine_proof.py``), and
* the "engine floor" of the benchmarks: what a Pulumi operation costs when the provider itself does
  no work (no AWS call), so the cost of the FIS resources can be told apart from the engine's.

Usage in a Pulumi program::

    from chaos_pulumi.noop import NoopResource

    marker = NoopResource("marker", value={"anything": "JSON-like"})
    pulumi.export("value", marker.value)

``value`` is echoed back as the output of the same name. Changing it is an in-place update; the
resource id is a random hex string chosen at create time. ``refresh`` keeps the recorded state,
because there is nothing outside Pulumi to read.

The provider lives in this importable module (not in the program's ``__main__``), so Pulumi stores a
reference to ``chaos_pulumi.noop.NoopProvider`` in the state instead of pickled program code.
"""

from __future__ import annotations

import uuid
from typing import Any

import pulumi
from pulumi.dynamic import (
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

__all__ = ["NoopProvider", "NoopResource"]


class NoopProvider(ResourceProvider):
    """Dynamic provider that only records its input ``value``."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=uuid.uuid4().hex, outs={"value": props.get("value")})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Compare only our own input: the old outputs also carry the serialized provider.
        changed = olds.get("value") != news.get("value")
        return DiffResult(changes=changed, replaces=[], stables=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs={"value": news.get("value")})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_=id_, outs={"value": props.get("value")})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


_PROVIDER = NoopProvider()


class NoopResource(Resource, module="chaos", name="Noop"):
    """A resource that exists only in Pulumi's state. Type token ``pulumi-python:dynamic/chaos:Noop``."""

    value: pulumi.Output[Any]
    """The input ``value``, echoed back."""

    def __init__(
        self,
        resource_name: str,
        value: pulumi.Input[Any] = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(_PROVIDER, resource_name, {"value": value}, opts)
