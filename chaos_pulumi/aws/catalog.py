"""Rebuild the FIS catalog from a live account.

Calls ListActions/GetAction/ListTargetResourceTypes/GetTargetResourceType.

FIS's API returns action ids, target keys with resource types, and parameter names with their
required flag and description. Types, ranges, IAM permissions and revert notes are not in the API:
they are kept from the packaged catalog, and guessed (and marked unconfirmed) for new entries.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
from collections.abc import Callable
from typing import Any

from chaos_pulumi.spec.catalog import ActionSpec, Catalog, ParameterSpec, ResourceTypeSpec

_ISO = re.compile(r"ISO.?8601|PT\d", re.I)


def _guess_parameter(name: str, live: dict[str, Any]) -> ParameterSpec:
    desc = str(live.get("description") or "")
    lname = name.lower()
    if "duration" in lname or _ISO.search(desc):
        kind = "duration"
    elif "percent" in lname or "milliseconds" in lname or lname.endswith(("seconds", "port", "count")):
        kind = "integer"
    elif lname.endswith("arn"):
        kind = "arn"
    elif "documentparameters" in lname or "json" in desc.lower():
        kind = "json"
    else:
        kind = "string"
    return ParameterSpec(name=name, type=kind, required=bool(live.get("required")), description=desc or None)


def _merge_parameters(
    known: dict[str, ParameterSpec], live: dict[str, Any]
) -> tuple[dict[str, ParameterSpec], bool]:
    out: dict[str, ParameterSpec] = {}
    all_known = True
    for name, info in (live or {}).items():
        info = info or {}
        if name in known:
            old = known[name]
            out[name] = dataclasses.replace(old, required=bool(info.get("required", old.required)))
        else:
            out[name] = _guess_parameter(name, info)
            all_known = False
    return out, all_known


def _pages(client: Any, method: str, key: str) -> list[dict[str, Any]]:
    """Every item of a paginated FIS list call (``list_actions``, ``list_target_resource_types``)."""
    paginator = client.get_paginator(method)
    return [
        item for page in paginator.paginate(PaginationConfig={"PageSize": 100}) for item in page.get(key, [])
    ]


def refresh_catalog(
    client: Any,
    base: Catalog,
    region: str | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> Catalog:
    """A new catalog with exactly the actions and resource types the account's FIS offers."""
    say = on_progress or (lambda _msg: None)
    actions: dict[str, ActionSpec] = {}
    summaries = _pages(client, "list_actions", "actions")
    say(f"ListActions: {len(summaries)} actions")
    for summary in summaries:
        action_id = summary["id"]
        live = client.get_action(id=action_id)["action"]
        old = base.actions.get(action_id)
        params, params_known = _merge_parameters(old.parameters if old else {}, live.get("parameters") or {})
        targets = {k: str((v or {}).get("resourceType", "")) for k, v in (live.get("targets") or {}).items()}
        if old is not None:
            actions[action_id] = dataclasses.replace(
                old,
                description=live.get("description") or old.description,
                targets=targets,
                parameters=params,
                confirmed=old.confirmed and params_known,
            )
        else:
            actions[action_id] = ActionSpec(
                id=action_id,
                description=str(live.get("description") or ""),
                targets=targets,
                parameters=params,
                duration_parameter="duration" if "duration" in params else None,
                confirmed=False,
            )
    types: dict[str, ResourceTypeSpec] = {}
    type_summaries = _pages(client, "list_target_resource_types", "targetResourceTypes")
    say(f"ListTargetResourceTypes: {len(type_summaries)} resource types")
    for summary in type_summaries:
        name = summary["resourceType"]
        live = client.get_target_resource_type(resourceType=name)["targetResourceType"]
        old = base.resource_types.get(name)
        params, params_known = _merge_parameters(old.parameters if old else {}, live.get("parameters") or {})
        if old is not None:
            select_by = old.select_by | ({"parameters"} if params else frozenset())
            types[name] = dataclasses.replace(
                old,
                description=live.get("description") or old.description,
                parameters=params,
                select_by=select_by,
                confirmed=old.confirmed and params_known,
            )
        else:
            types[name] = ResourceTypeSpec(
                name=name,
                description=str(live.get("description") or ""),
                parameters=params,
                select_by=frozenset({"arns", "tags", "filters"} | ({"parameters"} if params else set())),
                confirmed=False,
            )
    # Resource types an action refers to but ListTargetResourceTypes left out stay as they were.
    for spec in actions.values():
        for rtype in spec.targets.values():
            if rtype and rtype not in types and rtype in base.resource_types:
                types[rtype] = base.resource_types[rtype]
    today = _dt.datetime.now(_dt.UTC).date().isoformat()
    where = f" in {region}" if region else ""
    return Catalog(
        source=f"live FIS account{where} (ListActions/GetAction/ListTargetResourceTypes/"
        f"GetTargetResourceType), merged with: {base.source}",
        retrieved=today,
        actions=actions,
        resource_types=types,
    )
