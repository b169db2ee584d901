"""Tags of FIS resources (templates, experiments): what to change, and the calls that change it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Tag keys AWS reserves for itself: a user can neither set nor remove them.
RESERVED_PREFIX = "aws:"


@dataclass(frozen=True)
class TagChange:
    to_set: Mapping[str, str] = field(default_factory=dict)
    to_unset: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.to_set or self.to_unset)

    def applied_to(self, current: Mapping[str, str]) -> dict[str, str]:
        """The tags after this change."""
        tags = {k: v for k, v in current.items() if k not in self.to_unset}
        tags.update(self.to_set)
        return tags


def plan_tags(current: Mapping[str, str], desired: Mapping[str, str], purge: bool = True) -> TagChange:
    """Bring ``current`` to ``desired``; with ``purge``, keys not in ``desired`` go (never ``aws:`` ones)."""
    to_set = {k: str(v) for k, v in desired.items() if current.get(k) != v}
    to_unset: tuple[str, ...] = ()
    if purge:
        to_unset = tuple(sorted(k for k in current if k not in desired and not k.startswith(RESERVED_PREFIX)))
    return TagChange(to_set, to_unset)


def apply_tags(client: Any, arn: str, change: TagChange) -> None:
    """UntagResource, then TagResource, each only when there is something to do."""
    if change.to_unset:
        client.untag_resource(resourceArn=arn, tagKeys=list(change.to_unset))
    if change.to_set:
        client.tag_resource(resourceArn=arn, tags=dict(change.to_set))


__all__ = ["RESERVED_PREFIX", "TagChange", "apply_tags", "plan_tags"]
