"""Actions: the catalog entry of each, its parameters and target references, and the startAfter graph."""

from __future__ import annotations

import json
import re
from typing import Any

from ..catalog import ActionSpec, HostDuration
from ..durations import format_duration, parse_duration
from .context import Context
from .fields import mapping, name_ok, string, string_map, too_many, unknown_keys, without_nulls
from .parameters import MAX_PARAM_VALUE, check_parameters
from .text import join, names, quote, suggest, type_name

ACTION_KEYS = ("actionId", "description", "parameters", "targets", "startAfter")
MAX_ACTIONS = 20  # FIS service quota "Actions per experiment template" (not adjustable)
MAX_DESCRIPTION = 512
ONE_HOUR = 3600.0
SECONDS = re.compile(r"^\s*\d{1,18}\s*$")


def check_actions(ctx: Context, value: Any, targets: dict[str, str]) -> None:
    data = mapping(ctx, "actions", value, "action names to actions")
    if data is None or too_many(ctx, "actions", len(data), "actions"):
        return
    if not data:
        ctx.error("actions", "must define at least one action")
        return
    if len(data) > MAX_ACTIONS:
        ctx.error(
            "actions", f"has {len(data)} actions; FIS takes at most {MAX_ACTIONS} per template, split it"
        )
    defined = [n for n in data if isinstance(n, str)]
    used: set[str] = set()
    graph: dict[str, list[str]] = {}
    undefined_reference = False
    for name, action in data.items():
        path = join("actions", name)
        if not name_ok(ctx, path, name, "action"):
            continue
        a = mapping(ctx, path, action, "action fields (actionId, parameters, targets, ...)")
        if a is None:
            continue
        after, missing_target = _action(ctx, path, name, a, targets, defined, used)
        graph[name] = after
        undefined_reference = undefined_reference or missing_target
    _cycles(ctx, graph)
    if undefined_reference:
        return  # a misspelt reference would also show up as an unused target: say it once
    for tname in targets:
        if tname not in used:
            ctx.warn(
                join("targets", tname), "is not used by any action; remove it or reference it from an action"
            )


def _action(
    ctx: Context,
    path: str,
    name: str,
    a: Any,
    targets: dict[str, str],
    defined: list[str],
    used: set[str],
) -> tuple[list[str], bool]:
    """Check one action; return its startAfter names and whether it refers to an undefined target."""
    a = without_nulls(a, ("actionId",))
    unknown_keys(ctx, path, a, ACTION_KEYS)
    spec: ActionSpec | None = None
    action_id = a.get("actionId")
    if action_id is None:
        ctx.error(f"{path}.actionId", "is required, e.g. 'aws:ec2:stop-instances'")
    elif string(ctx, f"{path}.actionId", action_id, 128) is not None:
        spec = ctx.cat.actions.get(action_id)
        if spec is None:
            ctx.error(
                f"{path}.actionId",
                f"unknown action {quote(action_id)}{suggest(action_id, ctx.cat.actions)}"
                " (see `chaos-pulumi catalog list`, or refresh the catalog if FIS added it)",
            )
        elif spec.deprecated:
            ctx.warn(f"{path}.actionId", f"'{action_id}' is a legacy id; use '{spec.deprecated}'")
    if "description" in a:
        string(ctx, f"{path}.description", a["description"], MAX_DESCRIPTION, min_len=0)

    params: dict[str, str] = {}
    if "parameters" in a:
        params = string_map(
            ctx, f"{path}.parameters", a["parameters"], "parameter names to values", None, 64, MAX_PARAM_VALUE
        )
    if spec is not None:
        check_parameters(
            ctx, f"{path}.parameters", params, spec.parameters, f"action {spec.id}", present="parameters" in a
        )
        _catalog_rules(ctx, path, spec, params)
    missing_target = _target_refs(ctx, path, a, spec, targets, used)
    after = _start_after(ctx, path, name, a["startAfter"], defined) if "startAfter" in a else []
    return after, missing_target


def _target_refs(
    ctx: Context, path: str, a: Any, spec: ActionSpec | None, targets: dict[str, str], used: set[str]
) -> bool:
    """Check ``targets`` (action target key -> target name); True when a name is not defined."""
    refs: dict[str, str] = {}
    if "targets" in a:
        refs = string_map(ctx, f"{path}.targets", a["targets"], "action target keys to target names")
    missing = False
    for key, tname in refs.items():
        p = join(f"{path}.targets", key)
        if spec is not None and key not in spec.targets:
            if spec.targets:
                ctx.error(
                    p,
                    f"{spec.id} has no target key {quote(key)}{suggest(key, spec.targets)} "
                    f"(it takes: {names(spec.targets)})",
                )
            else:
                ctx.error(p, f"{spec.id} takes no targets; remove {quote(key)}")
        if tname not in targets:
            ctx.error(
                p,
                f"target {quote(tname)} is not defined ("
                + (f"defined: {names(targets)}" if targets else "the template defines no targets")
                + ")",
            )
            missing = True
            continue
        used.add(tname)
        want = spec.targets.get(key) if spec is not None else None
        have = targets[tname]
        if want and have and have != want and not _legacy_equal(ctx, have, want):
            ctx.error(p, f"target '{tname}' has resourceType {have}, but {spec.id} needs {want} for {key}")
    if spec is not None:
        for key, rtype in spec.targets.items():
            if key not in refs:
                ctx.error(
                    f"{path}.targets",
                    f"{spec.id} needs a target for '{key}' ({rtype}); add targets: {{{key}: <target name>}}",
                )
    return missing


def _legacy_equal(ctx: Context, have: str, want: str) -> bool:
    spec = ctx.cat.resource_types.get(have)
    return bool(spec and spec.deprecated == want)


def _start_after(ctx: Context, path: str, name: str, sa: Any, defined: list[str]) -> list[str]:
    if not isinstance(sa, list):
        ctx.error(f"{path}.startAfter", f"must be a list of action names, not {type_name(sa)}")
        return []
    if too_many(ctx, f"{path}.startAfter", len(sa), "entries"):
        return []
    after: list[str] = []
    for i, dep in enumerate(sa):
        p = f"{path}.startAfter[{i}]"
        if not isinstance(dep, str):
            ctx.error(p, f"must be an action name, not {type_name(dep)}")
        elif dep == name:
            ctx.error(p, f"action '{name}' cannot start after itself")
        elif dep not in defined:
            others = [n for n in defined if n != name]
            ctx.error(
                p,
                f"action {quote(dep)} is not defined ("
                + (f"defined: {names(others)}" if others else "there are no other actions")
                + ")",
            )
        else:
            after.append(dep)
    return after


def _cycles(ctx: Context, graph: dict[str, list[str]]) -> None:
    """Report each startAfter cycle once, with its loop. Iterative: a chain may be long."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    reported: set[frozenset[str]] = set()
    for root in graph:
        if root in state:
            continue
        stack: list[str] = [root]
        deps = [iter(graph[root])]
        state[root] = 1
        while deps:
            dep = next(deps[-1], None)
            if dep is None:
                state[stack.pop()] = 2
                deps.pop()
            elif state.get(dep) == 1:
                cycle = stack[stack.index(dep) :] + [dep]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    ctx.error(
                        f"actions.{dep}.startAfter",
                        f"startAfter forms a cycle: {' -> '.join(cycle)}; "
                        "remove one of these startAfter entries",
                    )
            elif dep in graph and dep not in state:
                state[dep] = 1
                stack.append(dep)
                deps.append(iter(graph[dep]))


def _catalog_rules(ctx: Context, path: str, spec: ActionSpec, params: dict[str, str]) -> None:
    """The action-level rules the catalog gives as data: a long duration, a host-side duration."""
    dp = spec.duration_parameter
    if dp and dp in params:
        secs = parse_duration(params[dp])
        if secs is not None and secs > ONE_HOUR:
            ctx.warn(
                f"{path}.parameters.{dp}",
                f"runs for {format_duration(secs)}, over one hour; "
                "make sure that is intended and that a stop condition guards it",
            )
    for hd in spec.host_rules:
        _host_duration(ctx, path, hd, params, dp)


def _host_duration(ctx: Context, path: str, hd: HostDuration, params: dict[str, str], dp: str | None) -> None:
    """A document that bounds the fault on the host: its duration key is set and within the action's."""
    if not hd.applies(params):
        return
    raw_json = params.get(hd.parameters) or "{}"
    if len(raw_json) > MAX_PARAM_VALUE:
        return  # reported as too long
    try:
        doc_params = json.loads(raw_json)
    except (ValueError, RecursionError):
        return  # reported as invalid JSON by the parameter check
    if not isinstance(doc_params, dict):
        return
    p = f"{path}.parameters.{hd.parameters}"
    raw = doc_params.get(hd.key)
    if raw is None:
        ctx.error(p, f'the {hd.matches}* documents need {hd.key}; add "{hd.key}": "<seconds>"')
        return
    text = raw if isinstance(raw, str) else json.dumps(raw)
    if not SECONDS.match(text):
        ctx.error(p, f"{hd.key} {quote(text)} is not a whole number of seconds")
        return
    host_secs = int(text)
    action_secs = parse_duration(params.get(dp)) if dp else None
    if action_secs is not None and host_secs > action_secs:
        ctx.warn(
            p,
            f"{hd.key} {host_secs} is longer than the action duration {params.get(dp)} "
            f"({int(action_secs)}s): FIS marks the action done while the fault keeps running on the host; "
            "make them equal",
        )
