"""Validate a FIS experiment template (file format, camelCase) against the FIS rules and the catalog.

``validate`` returns every problem it finds, each with the dotted path of the field at fault and a
message that says how to fix it. It never raises, whatever it is given.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Mapping
from typing import Any

from .catalog import ActionSpec, Catalog, ParameterSpec, ResourceTypeSpec, catalog
from .durations import format_duration, parse_duration
from .problems import Problem

TOP_LEVEL_KEYS = (
    "description",
    "roleArn",
    "stopConditions",
    "targets",
    "actions",
    "logConfiguration",
    "experimentOptions",
    "experimentReportConfiguration",
    "tags",
)
# Present in files exported by `aws fis get-experiment-template` or the CLI skeleton; ignored.
IGNORED_KEYS = frozenset(
    {"id", "arn", "creationTime", "lastUpdateTime", "targetAccountConfigurationsCount", "clientToken"}
)
TARGET_KEYS = ("resourceType", "resourceArns", "resourceTags", "filters", "selectionMode", "parameters")
ACTION_KEYS = ("actionId", "description", "parameters", "targets", "startAfter")
STOP_SOURCES = ("none", "aws:cloudwatch:alarm")

MAX_DESCRIPTION = 512
MAX_NAME = 64
MAX_TAGS = 50
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
MAX_PARAM_VALUE = 1024
ONE_HOUR = 3600.0

_NAME = re.compile(r"^\S+$")
_SELECTION = re.compile(r"^(ALL|COUNT\((\d+)\)|PERCENT\((\d+)\))$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_ALARM_ARN = re.compile(r"^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.{1,255}$")
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}|aws)?:.+$")
_LOG_GROUP_ARN = re.compile(r"^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[\w#/.-]{1,512}(:\*)?$")
_DASHBOARD_ARN = re.compile(r"^arn:aws[a-z-]*:cloudwatch::\d{12}:dashboard/[\w-]{1,255}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")
_INTEGER = re.compile(r"^-?\d+$")


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


@functools.lru_cache(maxsize=2048)
def _closest(word: str, candidates: tuple[str, ...]) -> str | None:
    if ":" in word and len(candidates) > 12:
        # Action ids and resource types: compare the last segment within the same service.
        prefix = word[: word.rfind(":") + 1]
        same = {c[len(prefix) :]: c for c in candidates if c.startswith(prefix)}
        if same:
            close = difflib.get_close_matches(word[len(prefix) :], list(same), n=1, cutoff=0.6)
            return same[close[0]] if close else None
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def _suggest(word: str, choices: Any) -> str:
    """'; did you mean 'x'?' for a near miss, else ''. Bounded lengths, cached."""
    close = _closest(str(word)[:80], tuple(str(c) for c in choices))
    return f"; did you mean '{close}'?" if close else ""


def _names(keys: Any) -> str:
    keys = list(keys)
    return ", ".join(str(k) for k in keys) if keys else "none"


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


class _Checker:
    def __init__(self, cat: Catalog) -> None:
        self.cat = cat
        self.problems: list[Problem] = []
        self.undefined_target_reference = False

    def error(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message, "error"))

    def warn(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message, "warning"))

    # ---------------------------------------------------------------- helpers
    def mapping(self, path: str, value: Any, what: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.error(path, f"must be a mapping of {what}, not {_type_name(value)}")
        return None

    def string(self, path: str, value: Any, max_len: int | None = None, min_len: int = 1) -> str | None:
        if not isinstance(value, str):
            self.error(path, f"must be a string, not {_type_name(value)}")
            return None
        if len(value) < min_len:
            self.error(path, "must not be empty")
            return None
        if max_len is not None and len(value) > max_len:
            self.error(path, f"is {len(value)} characters long; the limit is {max_len}, shorten it")
            return None
        return value

    def unknown_keys(self, path: str, data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        for key in data:
            if key not in allowed and not (path == "" and key in IGNORED_KEYS):
                self.error(
                    _join(path, key),
                    f"unknown field '{key}'{_suggest(str(key), allowed)} (allowed: {_names(allowed)})",
                )

    def string_map(
        self,
        path: str,
        value: Any,
        what: str,
        max_items: int | None = None,
        max_key: int | None = None,
        max_value: int | None = None,
    ) -> dict[str, str]:
        data = self.mapping(path, value, what)
        if data is None:
            return {}
        if max_items is not None and len(data) > max_items:
            self.error(path, f"has {len(data)} entries; the limit is {max_items}")
        out: dict[str, str] = {}
        for k, v in data.items():
            p = _join(path, k)
            if not isinstance(k, str):
                self.error(p, f"key must be a string, not {_type_name(k)}; quote it")
                continue
            if max_key is not None and len(k) > max_key:
                self.error(p, f"key is {len(k)} characters long; the limit is {max_key}")
            if isinstance(v, bool):
                self.warn(
                    p,
                    f"is a YAML boolean; FIS takes strings, it will be sent as '{str(v).lower()}' "
                    f"(quote it to silence this)",
                )
                v = "true" if v else "false"
            elif isinstance(v, (int, float)):
                self.warn(p, f"is a number; FIS takes strings, it will be sent as '{v}' (quote it)")
                v = str(v)
            elif not isinstance(v, str):
                self.error(p, f"must be a string, not {_type_name(v)}")
                continue
            if max_value is not None and len(v) > max_value:
                self.error(p, f"is {len(v)} characters long; the limit is {max_value}")
            out[k] = v
        return out

    def name_ok(self, path: str, name: Any, what: str) -> bool:
        if not isinstance(name, str):
            self.error(path, f"{what} names must be strings, not {_type_name(name)}")
            return False
        if not name or len(name) > MAX_NAME or not _NAME.match(name):
            self.error(path, f"{what} name '{name}' must be 1-{MAX_NAME} characters without spaces")
            return False
        return True

    # ---------------------------------------------------------------- top level
    def template(self, data: Any) -> None:
        if not isinstance(data, Mapping):
            self.error(
                "",
                f"an experiment template must be a mapping with description, roleArn, "
                f"stopConditions, targets and actions, not {_type_name(data)}",
            )
            return
        data = _without_nulls(data, ("description", "roleArn", "stopConditions", "actions"))
        self.unknown_keys("", data, TOP_LEVEL_KEYS)
        for key in ("description", "roleArn", "stopConditions", "actions"):
            if key not in data:
                fix = {
                    "description": "add a one-line description of the experiment",
                    "roleArn": "add the ARN of the IAM role FIS assumes (arn:aws:iam::<account>:role/<name>)",
                    "stopConditions": (
                        "add at least one, e.g. [{source: aws:cloudwatch:alarm, value: <alarm ARN>}]"
                    ),
                    "actions": "add at least one action",
                }[key]
                self.error(key, f"is required; {fix}")
        if "description" in data:
            self.string("description", data["description"], MAX_DESCRIPTION)
        if "roleArn" in data:
            role = self.string("roleArn", data["roleArn"], 2048)
            if role is not None and not _ROLE_ARN.match(role):
                self.error(
                    "roleArn",
                    f"'{role}' is not an IAM role ARN; use arn:aws:iam::<12-digit account>:role/<name>"
                    + _placeholder_hint(role),
                )
        if "stopConditions" in data:
            self.stop_conditions(data["stopConditions"])
        targets = self.targets(data.get("targets", {}))
        if "actions" in data:
            self.actions(data["actions"], targets)
        if "logConfiguration" in data:
            self.log_configuration(data["logConfiguration"])
        if "experimentOptions" in data:
            self.experiment_options(data["experimentOptions"])
        if "experimentReportConfiguration" in data:
            self.report_configuration(data["experimentReportConfiguration"])
        if "tags" in data:
            self.tags("tags", data["tags"])

    def tags(self, path: str, value: Any) -> dict[str, str]:
        tags = self.string_map(path, value, "tag keys to values", MAX_TAGS, MAX_TAG_KEY, MAX_TAG_VALUE)
        for key in tags:
            if key.lower().startswith("aws:"):
                self.error(_join(path, key), "tag keys starting with 'aws:' are reserved by AWS; rename it")
        return tags

    # ---------------------------------------------------------------- stop conditions
    def stop_conditions(self, value: Any) -> None:
        path = "stopConditions"
        if not isinstance(value, list):
            self.error(path, f"must be a list of {{source, value}} entries, not {_type_name(value)}")
            return
        if not value:
            self.error(
                path,
                "must have at least one entry; use a CloudWatch alarm, or "
                "[{source: none}] to opt out visibly",
            )
            return
        sources = []
        for i, item in enumerate(value):
            p = f"{path}[{i}]"
            sc = self.mapping(p, item, "source and value")
            if sc is None:
                continue
            self.unknown_keys(p, sc, ("source", "value"))
            source = sc.get("source")
            if source is None:
                self.error(f"{p}.source", "is required: 'aws:cloudwatch:alarm' or 'none'")
                continue
            if source not in STOP_SOURCES:
                self.error(
                    f"{p}.source",
                    f"'{source}' is not a stop-condition source; use "
                    f"'aws:cloudwatch:alarm' (with value: <alarm ARN>) or 'none'",
                )
                continue
            sources.append(source)
            val = sc.get("value")
            if source == "none":
                if val not in (None, ""):
                    self.error(f"{p}.value", "must be omitted when source is 'none'")
            elif val is None:
                self.error(
                    f"{p}.value",
                    "is required for aws:cloudwatch:alarm; "
                    "set it to the alarm ARN (arn:aws:cloudwatch:<region>:<account>:alarm:<name>)",
                )
            elif not isinstance(val, str) or not _ALARM_ARN.match(val):
                self.error(
                    f"{p}.value",
                    f"'{val}' is not a CloudWatch alarm ARN; "
                    "use arn:aws:cloudwatch:<region>:<account>:alarm:<name>" + _placeholder_hint(val),
                )
        if sources and all(s == "none" for s in sources):
            self.warn(
                path,
                "the experiment has no stop condition (source 'none'); nothing stops it early "
                "if the system misbehaves - add an aws:cloudwatch:alarm",
            )
        elif "none" in sources:
            self.error(path, "'none' cannot be combined with alarm stop conditions; remove the 'none' entry")
        alarms = [json.dumps(v, sort_keys=True, default=str) for v in value if isinstance(v, Mapping)]
        if len(set(alarms)) != len(alarms):
            self.error(path, "lists the same stop condition twice; remove the duplicate")

    # ---------------------------------------------------------------- targets
    def targets(self, value: Any) -> dict[str, str]:
        """Check the targets; return name -> resource type for the ones that parsed."""
        data = self.mapping("targets", value, "target names to targets")
        out: dict[str, str] = {}
        if data is None:
            return out
        for name, target in data.items():
            path = f"targets.{name}"
            if not self.name_ok(path, name, "target"):
                continue
            t = self.mapping(path, target, "target fields (resourceType, selectionMode, ...)")
            if t is None:
                out[name] = ""
                continue
            out[name] = self.target(path, t)
        return out

    def target(self, path: str, t: Mapping[str, Any]) -> str:
        t = _without_nulls(t, ("resourceType", "selectionMode"))
        self.unknown_keys(path, t, TARGET_KEYS)
        rtype_spec: ResourceTypeSpec | None = None
        rtype = t.get("resourceType")
        if rtype is None:
            self.error(f"{path}.resourceType", "is required, e.g. 'aws:ec2:instance'")
            rtype = ""
        elif self.string(f"{path}.resourceType", rtype, 128) is None:
            rtype = ""
        else:
            rtype_spec = self.cat.resource_types.get(rtype)
            if rtype_spec is None:
                self.error(
                    f"{path}.resourceType",
                    f"unknown resource type '{rtype}'"
                    f"{_suggest(rtype, self.cat.resource_types)} (see `chaos-pulumi catalog list` "
                    "or refresh the catalog)",
                )
            elif rtype_spec.deprecated:
                self.warn(
                    f"{path}.resourceType", f"'{rtype}' is a legacy name; use '{rtype_spec.deprecated}'"
                )

        mode = t.get("selectionMode")
        if mode is None:
            self.error(f"{path}.selectionMode", "is required: ALL, COUNT(n) or PERCENT(n)")
        elif isinstance(mode, str) and (m := _SELECTION.match(mode)):
            if m.group(2) is not None and int(m.group(2)) < 1:
                self.error(f"{path}.selectionMode", "COUNT(n) needs n >= 1")
            if m.group(3) is not None and not 1 <= int(m.group(3)) <= 100:
                self.error(f"{path}.selectionMode", f"PERCENT({m.group(3)}) is out of range; use 1-100")
        else:
            self.error(
                f"{path}.selectionMode",
                f"'{mode}' is not a selection mode; use ALL, COUNT(n) or PERCENT(n), e.g. COUNT(1)",
            )

        arns = t.get("resourceArns")
        has_arns = has_tags = has_filters = has_params = False
        if arns is not None:
            if not isinstance(arns, list):
                self.error(f"{path}.resourceArns", f"must be a list of ARNs, not {_type_name(arns)}")
            else:
                has_arns = bool(arns)
                limit = rtype_spec.max_arns if rtype_spec else 5
                if len(arns) > limit:
                    self.error(
                        f"{path}.resourceArns",
                        f"has {len(arns)} ARNs; FIS takes at most {limit} per "
                        "target - select by resourceTags or filters instead, or split the target",
                    )
                for i, arn in enumerate(arns):
                    ap = f"{path}.resourceArns[{i}]"
                    if self.string(ap, arn, 2048) is None:
                        continue
                    if not _ARN.match(arn):
                        self.error(
                            ap,
                            f"'{arn}' is not an ARN (arn:aws:<service>:<region>:<account>:<resource>)"
                            + _placeholder_hint(arn),
                        )
                    elif rtype_spec is not None and not _arn_matches(arn, rtype_spec.arn):
                        self.error(
                            ap,
                            f"'{arn}' is not an ARN of a {rtype}; expected {rtype_spec.arn}"
                            + _placeholder_hint(arn),
                        )
                if len(set(map(str, arns))) != len(arns):
                    self.error(f"{path}.resourceArns", "lists the same ARN twice; remove the duplicate")
        tags = t.get("resourceTags")
        if tags is not None:
            tag_map = self.tags(f"{path}.resourceTags", tags)
            has_tags = bool(tag_map)
        filters = t.get("filters")
        if filters is not None:
            has_filters = self.filters(f"{path}.filters", filters)
        params = t.get("parameters")
        if params is not None:
            pmap = self.string_map(f"{path}.parameters", params, "parameter names to values", None, 64, 1024)
            has_params = bool(pmap)
            if rtype_spec is not None:
                self.parameters(f"{path}.parameters", pmap, rtype_spec.parameters, f"resource type {rtype}")

        if rtype_spec is not None:
            self.selection_rules(path, rtype_spec, has_arns, has_tags, has_filters, has_params)
        if has_arns and has_filters:
            self.error(
                path, "takes resourceArns or filters, not both; listed ARNs are not filtered - drop one"
            )
        if has_arns and has_tags:
            self.error(
                path, "takes resourceArns or resourceTags, not both; keep one (add filters to narrow tags)"
            )
        if not (has_arns or has_tags or has_params) and (
            rtype_spec is None or rtype_spec.select_by != {"parameters"}
        ):
            self.error(path, "selects nothing; add resourceArns or resourceTags (and optionally filters)")
        listed = len(arns) if has_arns and isinstance(arns, list) else 0
        m = _SELECTION.match(mode) if isinstance(mode, str) else None
        if listed and m and m.group(2) is not None and int(m.group(2)) > listed:
            self.warn(
                f"{path}.selectionMode",
                f"{mode} asks for more resources than the {listed} listed ARNs; use COUNT({listed}) or ALL",
            )
        if listed and m and m.group(3) is not None and listed * int(m.group(3)) // 100 == 0:
            self.error(
                f"{path}.selectionMode",
                f"{mode} of {listed} listed ARNs selects no resource (FIS rounds down) and the experiment "
                f"fails; use at least PERCENT({-(-100 // listed)}) or COUNT(1)",
            )
        if isinstance(mode, str) and mode == "ALL" and has_tags and not has_filters and not has_arns:
            self.warn(
                f"{path}.selectionMode",
                f"ALL selects every {rtype or 'resource'} with these tags; "
                "consider COUNT(n) or PERCENT(n), or narrow the selection with filters",
            )
        return rtype if isinstance(rtype, str) else ""

    def selection_rules(
        self, path: str, spec: ResourceTypeSpec, arns: bool, tags: bool, filters: bool, params: bool
    ) -> None:
        allowed = spec.select_by
        how = _names(sorted(allowed))
        for used, key, field_name in (
            (arns, "arns", "resourceArns"),
            (tags, "tags", "resourceTags"),
            (filters, "filters", "filters"),
            (params, "parameters", "parameters"),
        ):
            if used and key not in allowed:
                self.error(
                    f"{path}.{field_name}",
                    f"{spec.name} does not support {field_name}; it is selected by {how}",
                )
        if spec.parameters_only and not params:
            required = [n for n, p in spec.parameters.items() if p.required]
            self.error(
                f"{path}.parameters",
                f"{spec.name} is selected by parameters only; set {', '.join(required) or 'its parameters'}",
            )

    def filters(self, path: str, value: Any) -> bool:
        if not isinstance(value, list):
            self.error(path, f"must be a list of {{path, values}} entries, not {_type_name(value)}")
            return False
        for i, item in enumerate(value):
            p = f"{path}[{i}]"
            f = self.mapping(p, item, "path and values")
            if f is None:
                continue
            self.unknown_keys(p, f, ("path", "values"))
            if "path" not in f:
                self.error(f"{p}.path", "is required, e.g. 'State.Name' or 'Placement.AvailabilityZone'")
            elif self.string(f"{p}.path", f["path"], 256) is not None:
                fpath = f["path"]
                if any(part[:1].islower() for part in fpath.split(".")):
                    fixed = ".".join(part[:1].upper() + part[1:] for part in fpath.split("."))
                    self.error(
                        f"{p}.path",
                        f"'{fpath}': every element of a filter path is PascalCase, even where the describe "
                        f"API output is camelCase; write '{fixed}'",
                    )
            vals = f.get("values")
            if vals is None:
                self.error(f"{p}.values", "is required: a list of values to match, e.g. [running]")
            elif not isinstance(vals, list) or not vals:
                self.error(f"{p}.values", "must be a non-empty list of strings")
            else:
                for j, v in enumerate(vals):
                    if not isinstance(v, str):
                        self.error(f"{p}.values[{j}]", f"must be a string, not {_type_name(v)}; quote it")
                    elif len(v) > 128:
                        self.error(f"{p}.values[{j}]", "is longer than 128 characters")
        return bool(value)

    # ---------------------------------------------------------------- actions
    def actions(self, value: Any, targets: dict[str, str]) -> None:
        data = self.mapping("actions", value, "action names to actions")
        if data is None:
            return
        if not data:
            self.error("actions", "must define at least one action")
            return
        names = [n for n in data if isinstance(n, str)]
        used_targets: set[str] = set()
        graph: dict[str, list[str]] = {}
        for name, action in data.items():
            path = f"actions.{name}"
            if not self.name_ok(path, name, "action"):
                continue
            a = self.mapping(path, action, "action fields (actionId, parameters, targets, ...)")
            if a is None:
                continue
            graph[name] = self.action(path, name, a, targets, names, used_targets)
        self.cycles(graph)
        if self.undefined_target_reference:
            return  # a misspelt reference would also show up as an unused target: say it once
        for tname in targets:
            if tname not in used_targets:
                self.warn(
                    f"targets.{tname}", "is not used by any action; remove it or reference it from an action"
                )

    def action(
        self,
        path: str,
        name: str,
        a: Mapping[str, Any],
        targets: dict[str, str],
        names: list[str],
        used_targets: set[str],
    ) -> list[str]:
        a = _without_nulls(a, ("actionId",))
        self.unknown_keys(path, a, ACTION_KEYS)
        spec: ActionSpec | None = None
        action_id = a.get("actionId")
        if action_id is None:
            self.error(f"{path}.actionId", "is required, e.g. 'aws:ec2:stop-instances'")
        elif self.string(f"{path}.actionId", action_id, 128) is not None:
            spec = self.cat.actions.get(action_id)
            if spec is None:
                self.error(
                    f"{path}.actionId",
                    f"unknown action '{action_id}'{_suggest(action_id, self.cat.actions)}"
                    " (see `chaos-pulumi catalog list`, or refresh the catalog if FIS added it)",
                )
            elif spec.deprecated:
                self.warn(f"{path}.actionId", f"'{action_id}' is a legacy id; use '{spec.deprecated}'")
        if "description" in a:
            self.string(f"{path}.description", a["description"], MAX_DESCRIPTION, min_len=0)

        params: dict[str, str] = {}
        if "parameters" in a:
            params = self.string_map(
                f"{path}.parameters", a["parameters"], "parameter names to values", None, 64, MAX_PARAM_VALUE
            )
        if spec is not None:
            self.parameters(
                f"{path}.parameters", params, spec.parameters, f"action {spec.id}", present="parameters" in a
            )
            self.action_extras(path, spec, params)

        refs = {}
        if "targets" in a:
            refs = self.string_map(f"{path}.targets", a["targets"], "action target keys to target names")
        for key, tname in refs.items():
            p = f"{path}.targets.{key}"
            if spec is not None and key not in spec.targets:
                if spec.targets:
                    self.error(
                        p,
                        f"{spec.id} has no target key '{key}'{_suggest(key, spec.targets)} "
                        f"(it takes: {_names(spec.targets)})",
                    )
                else:
                    self.error(p, f"{spec.id} takes no targets; remove '{key}'")
            if tname not in targets:
                self.error(
                    p,
                    f"target '{tname}' is not defined ("
                    + (f"defined: {_names(targets)}" if targets else "the template defines no targets")
                    + ")",
                )
                self.undefined_target_reference = True
                continue
            used_targets.add(tname)
            want = spec.targets.get(key) if spec is not None else None
            have = targets[tname]
            if want and have and have != want and not _legacy_equal(self.cat, have, want):
                self.error(
                    p, f"target '{tname}' has resourceType {have}, but {spec.id} needs {want} for {key}"
                )
        if spec is not None:
            for key, rtype in spec.targets.items():
                if key not in refs:
                    self.error(
                        f"{path}.targets",
                        f"{spec.id} needs a target for '{key}' ({rtype}); "
                        f"add targets: {{{key}: <target name>}}",
                    )

        after: list[str] = []
        if "startAfter" in a:
            sa = a["startAfter"]
            if not isinstance(sa, list):
                self.error(f"{path}.startAfter", f"must be a list of action names, not {_type_name(sa)}")
            else:
                for i, dep in enumerate(sa):
                    p = f"{path}.startAfter[{i}]"
                    if not isinstance(dep, str):
                        self.error(p, f"must be an action name, not {_type_name(dep)}")
                    elif dep == name:
                        self.error(p, f"action '{name}' cannot start after itself")
                    elif dep not in names:
                        self.error(
                            p,
                            f"action '{dep}' is not defined ("
                            + (
                                f"defined: {_names(others)}"
                                if (others := [n for n in names if n != name])
                                else "there are no other actions"
                            )
                            + ")",
                        )
                    else:
                        after.append(dep)
        return after

    def action_extras(self, path: str, spec: ActionSpec, params: dict[str, str]) -> None:
        dp = spec.duration_parameter
        if dp and dp in params:
            secs = parse_duration(params[dp])
            if secs is not None and secs > ONE_HOUR:
                self.warn(
                    f"{path}.parameters.{dp}",
                    f"runs for {format_duration(secs)}, over one hour; "
                    "make sure that is intended and that a stop condition guards it",
                )
        if spec.id == "aws:network:disrupt-connectivity":
            if params.get("scope") == "prefix-list" and "prefixListIdentifier" not in params:
                self.error(
                    f"{path}.parameters.prefixListIdentifier",
                    "is required when scope is 'prefix-list'; set it to the prefix list id (pl-...)",
                )
            if "prefixListIdentifier" in params and params.get("scope") != "prefix-list":
                self.error(f"{path}.parameters.prefixListIdentifier", "is only used with scope 'prefix-list'")
        if spec.id == "aws:ssm:send-command":
            self.ssm_document_duration(path, params)
        if spec.id == "aws:ec2:stop-instances" and "startInstancesAfterDuration" not in params:
            self.warn(
                f"{path}.parameters",
                "has no startInstancesAfterDuration: the instances stay stopped "
                "after the experiment; set it (e.g. PT5M) so they restart by themselves",
            )

    def ssm_document_duration(self, path: str, params: dict[str, str]) -> None:
        """AWSFIS-Run-* documents bound the fault by DurationSeconds, independent of the FIS action."""
        try:
            doc_params = json.loads(params.get("documentParameters") or "{}")
        except (ValueError, RecursionError):
            return
        if not isinstance(doc_params, dict) or "AWSFIS-Run-" not in params.get("documentArn", ""):
            return
        raw = doc_params.get("DurationSeconds")
        action_secs = parse_duration(params.get("duration"))
        p = f"{path}.parameters.documentParameters"
        if raw is None:
            self.error(
                p, 'the AWSFIS-Run-* documents need DurationSeconds; add "DurationSeconds": "<seconds>"'
            )
            return
        try:
            doc_secs = int(str(raw))
        except ValueError:
            self.error(p, f"DurationSeconds '{raw}' is not a whole number of seconds")
            return
        if action_secs is not None and doc_secs > action_secs:
            self.warn(
                p,
                f"DurationSeconds {doc_secs} is longer than the action duration "
                f"{params.get('duration')} ({int(action_secs)}s): FIS marks the action done while the "
                "fault keeps running on the host; make them equal",
            )

    def parameters(
        self,
        path: str,
        params: dict[str, str],
        specs: dict[str, ParameterSpec],
        owner: str,
        present: bool = True,
    ) -> None:
        for name, value in params.items():
            ps = specs.get(name)
            if ps is None:
                allowed = _names(specs) if specs else "none"
                self.error(
                    f"{path}.{name}",
                    f"unknown parameter '{name}' for {owner}{_suggest(name, specs)} (allowed: {allowed})",
                )
                continue
            self.parameter(f"{path}.{name}", value, ps)
        missing = [n for n, ps in specs.items() if ps.required and n not in params]
        for n in missing:
            example = _example(specs[n])
            self.error(
                f"{path}.{n}" if present else path,
                f"required parameter '{n}' of {owner} is missing; add {n}: '{example}'",
            )

    def parameter(self, path: str, value: str, ps: ParameterSpec) -> None:
        kind = ps.type
        if kind == "duration":
            secs = parse_duration(value)
            if secs is None:
                self.error(
                    path,
                    f"'{value}' is not an ISO-8601 duration; write e.g. PT5M (5 minutes), PT30S or PT1H30M",
                )
                return
            if ps.minimum is not None and secs < ps.minimum:
                self.error(
                    path,
                    f"{value} is shorter than the minimum {ps.min_text}; use {ps.min_text}..{ps.max_text}",
                )
            if ps.maximum is not None and secs > ps.maximum:
                self.error(
                    path,
                    f"{value} is longer than the maximum {ps.max_text}; use {ps.min_text}..{ps.max_text}",
                )
        elif kind == "integer":
            if not _INTEGER.match(value.strip()):
                self.error(path, f"'{value}' is not a whole number" + _range_hint(ps))
                return
            n = int(value)
            if (ps.minimum is not None and n < ps.minimum) or (ps.maximum is not None and n > ps.maximum):
                self.error(path, f"{n} is out of range" + _range_hint(ps))
        elif kind == "enum":
            if value not in ps.values:
                self.error(path, f"'{value}' is not one of {_names(ps.values)}{_suggest(value, ps.values)}")
        elif kind == "number":
            if not _NUMBER.match(value.strip()):
                self.error(path, f"'{value}' is not a number" + _range_hint(ps))
                return
            x = float(value)
            if (ps.minimum is not None and x < ps.minimum) or (ps.maximum is not None and x > ps.maximum):
                self.error(path, f"{value} is out of range" + _range_hint(ps))
        elif kind == "boolean":
            if value.lower() not in ("true", "false"):
                self.error(path, f"'{value}' is not a boolean; use 'true' or 'false'")
        elif kind == "list":
            items = value.split(",")
            if any(not i.strip() for i in items):
                self.error(path, f"'{value}' has an empty item; write a comma-separated list like 'a,b'")
                return
            if ps.nospace and any(i != i.strip() for i in items):
                self.error(
                    path,
                    f"'{value}' has spaces around its items; FIS wants them without, e.g. "
                    f"'{','.join(i.strip() for i in items)}'",
                )
            if ps.max_items is not None and len(items) > ps.max_items:
                self.error(path, f"has {len(items)} items; the limit is {ps.max_items}")
            if ps.values:
                for item in items:
                    if item.strip() not in ps.values:
                        self.error(
                            path,
                            f"'{item.strip()}' is not one of {_names(ps.values)}"
                            f"{_suggest(item.strip(), ps.values)}",
                        )
            if ps.item == "arn":
                for item in items:
                    if not _ARN.match(item.strip()):
                        self.error(path, f"'{item.strip()}' is not an ARN" + _placeholder_hint(item.strip()))
        elif kind == "json":
            try:
                json.loads(value)
            except (ValueError, RecursionError) as e:
                msg = getattr(e, "msg", str(e))
                self.error(
                    path,
                    f"is not valid JSON ({msg}); it must be a JSON document in a string, "
                    'e.g. \'{"DurationSeconds": "120"}\'',
                )
        elif kind == "arn":
            if not _ARN.match(value):
                self.error(
                    path,
                    f"'{value}' is not an ARN (arn:aws:<service>:<region>:<account>:<resource>)"
                    + _placeholder_hint(value),
                )

    def cycles(self, graph: dict[str, list[str]]) -> None:
        state: dict[str, int] = {}  # 1 = on the stack, 2 = done
        reported: set[frozenset[str]] = set()

        def visit(node: str, stack: list[str]) -> None:
            state[node] = 1
            stack.append(node)
            for dep in graph.get(node, ()):
                if state.get(dep) == 1:
                    cycle = stack[stack.index(dep) :] + [dep]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        self.error(
                            f"actions.{dep}.startAfter",
                            "startAfter forms a cycle: "
                            f"{' -> '.join(cycle)}; remove one of these startAfter entries",
                        )
                elif dep in graph and state.get(dep) is None:
                    visit(dep, stack)
            stack.pop()
            state[node] = 2

        for node in graph:
            if state.get(node) is None:
                visit(node, [])

    # ---------------------------------------------------------------- options
    def log_configuration(self, value: Any) -> None:
        path = "logConfiguration"
        lc = self.mapping(path, value, "logging settings")
        if lc is None:
            return
        self.unknown_keys(path, lc, ("logSchemaVersion", "cloudWatchLogsConfiguration", "s3Configuration"))
        v = lc.get("logSchemaVersion")
        if v is None:
            self.error(f"{path}.logSchemaVersion", "is required; use 2")
        elif isinstance(v, bool) or not isinstance(v, int) or v not in (1, 2):
            self.error(f"{path}.logSchemaVersion", f"'{v}' is not a log schema version; use 2 (or 1)")
        cw, s3 = lc.get("cloudWatchLogsConfiguration"), lc.get("s3Configuration")
        if cw is None and s3 is None:
            self.error(
                path,
                "has no destination; add cloudWatchLogsConfiguration.logGroupArn or "
                "s3Configuration.bucketName",
            )
        if cw is not None:
            c = self.mapping(f"{path}.cloudWatchLogsConfiguration", cw, "logGroupArn")
            if c is not None:
                self.unknown_keys(f"{path}.cloudWatchLogsConfiguration", c, ("logGroupArn",))
                arn = c.get("logGroupArn")
                p = f"{path}.cloudWatchLogsConfiguration.logGroupArn"
                if arn is None:
                    self.error(p, "is required: arn:aws:logs:<region>:<account>:log-group:<name>")
                elif self.string(p, arn, 2048) is not None and not _LOG_GROUP_ARN.match(arn):
                    self.error(
                        p,
                        f"'{arn}' is not a log group ARN; "
                        "use arn:aws:logs:<region>:<account>:log-group:<name>" + _placeholder_hint(arn),
                    )
        if s3 is not None:
            self.s3_location(f"{path}.s3Configuration", s3, 700)

    def s3_location(self, path: str, value: Any, max_prefix: int) -> None:
        s = self.mapping(path, value, "bucketName and prefix")
        if s is None:
            return
        self.unknown_keys(path, s, ("bucketName", "prefix"))
        b = s.get("bucketName")
        if b is None:
            self.error(f"{path}.bucketName", "is required")
        elif self.string(f"{path}.bucketName", b, 63) is not None and not _BUCKET.match(b):
            self.error(
                f"{path}.bucketName",
                f"'{b}' is not a valid S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)",
            )
        if "prefix" in s:
            self.string(f"{path}.prefix", s["prefix"], max_prefix)

    def experiment_options(self, value: Any) -> None:
        path = "experimentOptions"
        eo = self.mapping(path, value, "options")
        if eo is None:
            return
        self.unknown_keys(path, eo, ("accountTargeting", "emptyTargetResolutionMode"))
        for key, allowed in (
            ("accountTargeting", ("single-account", "multi-account")),
            ("emptyTargetResolutionMode", ("fail", "skip")),
        ):
            if key in eo and eo[key] not in allowed:
                self.error(f"{path}.{key}", f"'{eo[key]}' is not one of {_names(allowed)}")

    def report_configuration(self, value: Any) -> None:
        path = "experimentReportConfiguration"
        rc = self.mapping(path, value, "report settings")
        if rc is None:
            return
        self.unknown_keys(
            path, rc, ("outputs", "dataSources", "preExperimentDuration", "postExperimentDuration")
        )
        outputs = rc.get("outputs")
        if outputs is None:
            self.warn(
                f"{path}.outputs",
                "is missing, so the report goes nowhere; add outputs.s3Configuration.bucketName",
            )
        else:
            o = self.mapping(f"{path}.outputs", outputs, "s3Configuration")
            if o is not None:
                self.unknown_keys(f"{path}.outputs", o, ("s3Configuration",))
                if "s3Configuration" not in o:
                    self.error(f"{path}.outputs.s3Configuration", "is required (bucketName, prefix)")
                else:
                    self.s3_location(f"{path}.outputs.s3Configuration", o["s3Configuration"], 256)
        if "dataSources" in rc:
            ds = self.mapping(f"{path}.dataSources", rc["dataSources"], "cloudWatchDashboards")
            if ds is not None:
                self.unknown_keys(f"{path}.dataSources", ds, ("cloudWatchDashboards",))
                dbs = ds.get("cloudWatchDashboards", [])
                p = f"{path}.dataSources.cloudWatchDashboards"
                if not isinstance(dbs, list):
                    self.error(p, f"must be a list of {{dashboardIdentifier}} entries, not {_type_name(dbs)}")
                else:
                    for i, d in enumerate(dbs):
                        dm = self.mapping(f"{p}[{i}]", d, "dashboardIdentifier")
                        if dm is None:
                            continue
                        self.unknown_keys(f"{p}[{i}]", dm, ("dashboardIdentifier",))
                        ident = dm.get("dashboardIdentifier")
                        if ident is None or not isinstance(ident, str) or not _DASHBOARD_ARN.match(ident):
                            self.error(
                                f"{p}[{i}].dashboardIdentifier",
                                f"'{ident}' is not a dashboard ARN; "
                                "use arn:aws:cloudwatch::<account>:dashboard/<name>"
                                + _placeholder_hint(ident),
                            )
        for key in ("preExperimentDuration", "postExperimentDuration"):
            if key in rc:
                v = rc[key]
                secs = parse_duration(v)
                if secs is None:
                    self.error(f"{path}.{key}", f"'{v}' is not an ISO-8601 duration; write e.g. PT20M")


_PLACEHOLDER = re.compile(r"<[^<>]{1,60}>|\{\{[^{}]{1,60}\}\}")


def _placeholder_hint(value: Any) -> str:
    """' (fill in the placeholder <YOUR ACCOUNT>)' when a value still has a template placeholder."""
    m = _PLACEHOLDER.search(value) if isinstance(value, str) else None
    return f" [fill in the placeholder {m.group(0)}]" if m else ""


def _without_nulls(data: Mapping[str, Any], required: tuple[str, ...]) -> Mapping[str, Any]:
    """Optional fields set to null (YAML `tags:` with nothing after it, unset Pulumi inputs) are absent."""
    if all(v is not None for v in data.values()):
        return data
    return {k: v for k, v in data.items() if v is not None or k in required}


@functools.lru_cache(maxsize=64)
def _arn_regex(pattern: str) -> re.Pattern[str]:
    regex = re.escape(pattern).replace(r"\*", ".*")
    return re.compile("^" + regex.replace("arn:aws:", r"arn:aws[a-z-]*:", 1) + "$")


def _arn_matches(arn: str, pattern: str) -> bool:
    """Does ``arn`` fit an IAM resource pattern like ``arn:aws:ec2:*:*:instance/*``?"""
    return pattern == "*" or _arn_regex(pattern).match(arn) is not None


def _legacy_equal(cat: Catalog, have: str, want: str) -> bool:
    spec = cat.resource_types.get(have)
    return bool(spec and spec.deprecated == want)


def _range_hint(ps: ParameterSpec) -> str:
    if ps.minimum is not None and ps.maximum is not None:
        return f"; use {ps.min_text or f'{ps.minimum:g}'}-{ps.max_text or f'{ps.maximum:g}'}"
    return ""


def _example(ps: ParameterSpec) -> str:
    if ps.default is not None:
        return ps.default
    if ps.type == "duration":
        return "PT5M" if (ps.minimum or 0) <= 300 <= (ps.maximum or 1e9) else (ps.min_text or "PT5M")
    if ps.type == "integer":
        return str(int(ps.minimum if ps.minimum is not None else 1)) if ps.minimum else "1"
    if ps.type == "enum" or (ps.type == "list" and ps.values):
        return ps.values[0]
    if ps.type == "boolean":
        return "false"
    if ps.type == "json":
        return "{}"
    if ps.type == "arn":
        return "arn:aws:..."
    return "<value>"


def validate(data: Any, cat: Catalog | None = None) -> list[Problem]:
    """Every problem in ``data`` (FIS file format, camelCase), errors and warnings. Never raises."""
    try:
        checker = _Checker(cat or catalog())
        checker.template(data)
        return checker.problems
    except RecursionError:
        return [Problem("", "the template is nested too deeply to be a FIS experiment template")]
    except Exception as e:  # a bug in a check must not crash `pulumi preview` or a playbook
        return [Problem("", f"internal validator error ({type(e).__name__}: {e}); please report it")]
