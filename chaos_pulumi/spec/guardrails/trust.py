"""``role_trust``: the experiment role may be assumed by FIS only on behalf of this account's experiments.

A trust policy that lets ``fis.amazonaws.com`` assume the role without ``aws:SourceAccount`` and
``aws:SourceArn`` conditions lets FIS act for any account that names the role (a confused deputy).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..iam import FIS_PRINCIPAL, role_partition_account

REQUIRED_KEYS = ("aws:SourceAccount", "aws:SourceArn")


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _lower_strings(value: Any) -> set[str]:
    return {v.lower() for v in _as_list(value) if isinstance(v, str)}


def trust_problems(document: Any, role_arn: str) -> list[str]:
    """What is wrong with a role's trust policy for FIS (messages; empty when it is limited properly)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as e:
            return [f"the role's trust policy is not valid JSON ({e}); fix the document"]
    if not isinstance(document, Mapping):
        return ["the role's trust policy is not a JSON object with a Statement list"]
    found = []
    fis_statements = 0
    for i, stmt in enumerate(_as_list(document.get("Statement"))):
        if not isinstance(stmt, Mapping) or stmt.get("Effect") != "Allow":
            continue
        actions = _lower_strings(stmt.get("Action"))
        if not actions & {"sts:assumerole", "sts:*", "*"}:
            continue
        principal = stmt.get("Principal")
        if principal == "*" or (isinstance(principal, Mapping) and "*" in _as_list(principal.get("AWS"))):
            found.append(f"Statement[{i}] lets any principal assume the role; trust only {FIS_PRINCIPAL}")
            continue
        services = _lower_strings(principal.get("Service")) if isinstance(principal, Mapping) else set()
        if FIS_PRINCIPAL not in services:
            continue
        fis_statements += 1
        condition = stmt.get("Condition")
        keys = set()
        if isinstance(condition, Mapping):
            for block in condition.values():
                if isinstance(block, Mapping):
                    keys.update(str(k).lower() for k in block)
        missing = [k for k in REQUIRED_KEYS if k.lower() not in keys]
        if missing:
            found.append(
                f"Statement[{i}] lets {FIS_PRINCIPAL} assume the role without {' and '.join(missing)}, so "
                "FIS would act for any account's experiment that names this role (confused deputy); add "
                + _condition_hint(role_arn)
            )
    if not fis_statements and not found:
        found.append(
            f"the role's trust policy does not let {FIS_PRINCIPAL} assume it; FIS cannot use this role"
        )
    return found


def _condition_hint(role_arn: str) -> str:
    partition, account = role_partition_account(role_arn) or ("aws", "<account>")
    return (
        f'"Condition": {{"StringEquals": {{"aws:SourceAccount": "{account}"}}, '
        f'"ArnLike": {{"aws:SourceArn": "arn:{partition}:fis:<region>:{account}:experiment/*"}}}}'
    )
