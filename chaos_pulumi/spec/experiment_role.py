"""The experiment role's documents: one least-privilege policy for several templates, and its trust.

``iam_policy`` (iam.py) scopes one template's permissions; a role that serves several templates
gets their union here, duplicates removed, split into inline policies that fit IAM's size limit.
Its trust policy is ``iam.trust_policy``: FIS, only for experiments of this account and Region.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from .iam import iam_policy
from .model import TemplateSpec

INLINE_POLICY_LIMIT = 10_240
"""IAM's limit on the aggregate size of a role's inline policies is 10,240 characters (no spaces)."""

MANAGED_POLICY_LIMIT = 6_144
"""IAM's limit on one managed policy document (no spaces); inline chunks are kept under it too."""


def _minified(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), sort_keys=True)


def role_policy(templates: Iterable[TemplateSpec], account_id: str) -> dict[str, Any]:
    """The union of every template's least-privilege policy, each statement once."""
    statements: list[dict[str, Any]] = []
    seen: set[str] = set()
    role = f"arn:aws:iam::{account_id}:role/chaos-pulumi-experiments"
    for spec in templates:
        # iam_policy narrows ARN patterns to the role's account: give it the real one.
        for stmt in iam_policy(replace(spec, role_arn=role))["Statement"]:
            key = _minified({k: v for k, v in stmt.items() if k != "Sid"})
            if key in seen:
                continue
            seen.add(key)
            statements.append(dict(stmt))
    counts: dict[str, int] = {}
    for stmt in statements:
        sid = stmt["Sid"]
        counts[sid] = counts.get(sid, 0) + 1
        if counts[sid] > 1:
            stmt["Sid"] = f"{sid}{counts[sid]}"
    return {"Version": "2012-10-17", "Statement": statements}


def split_policy(policy: Mapping[str, Any], limit: int = MANAGED_POLICY_LIMIT) -> list[dict[str, Any]]:
    """Statements packed in order into documents no larger than ``limit`` characters minified.

    Raises ValueError for a single statement over the limit (it cannot be split without widening it).
    """
    docs: list[list[dict[str, Any]]] = [[]]
    for stmt in policy["Statement"]:
        if len(_minified({"Version": "2012-10-17", "Statement": [stmt]})) > limit:
            raise ValueError(f"statement {stmt.get('Sid')} alone is over {limit} characters")
        if len(_minified({"Version": "2012-10-17", "Statement": [*docs[-1], stmt]})) > limit:
            docs.append([])
        docs[-1].append(stmt)
    return [{"Version": "2012-10-17", "Statement": d} for d in docs if d]
