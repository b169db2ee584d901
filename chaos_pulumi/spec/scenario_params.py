"""Scenario library declarations (data/fis-scenarios.yaml) and the checking of shared parameters.

A scenario's parameters arrive as Python values (Pulumi args, Ansible options) or as text (the CLI's
``--param k=v``); :func:`resolve_parameters` turns either into typed values with the declared
defaults, or raises :class:`ScenarioError` listing every problem with its field and fix.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from .durations import format_duration, parse_duration
from .problems import Problem

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_ALARM_ARN = re.compile(r"^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.{1,255}$")


class ScenarioError(ValueError):
    """Parameters a scenario cannot be rendered with; ``problems`` name each field and its fix."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class ParameterDecl:
    name: str
    type: str
    required: bool = False
    default: Any = None
    help: str = ""
    min: Any = None
    max: Any = None

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> ParameterDecl:
        return cls(
            name=name,
            type=str(data.get("type", "string")),
            required=bool(data.get("required", False)),
            default=data.get("default"),
            help=str(data.get("help") or "").strip(),
            min=data.get("min"),
            max=data.get("max"),
        )


@dataclass(frozen=True)
class SubActionDecl:
    key: str
    default: bool
    help: str
    tag_value: str | None = None  # value under the scenario's tag_key
    tag: dict[str, str] = field(default_factory=dict)  # a fixed default tag (cross-Region)


@dataclass(frozen=True)
class ScenarioDecl:
    name: str
    title: str
    url: str
    read: str
    verified: str
    description: str
    summary: str
    limits: tuple[str, ...]
    parameters: dict[str, ParameterDecl]  # the scenario's own, then the common ones
    sub_actions: dict[str, SubActionDecl]
    leads: tuple[str, ...] = ()
    content_differs: tuple[str, ...] = ()
    # Guardrail rules the scenario's design conflicts with -> why (the rendered template's waiver says it).
    design_waivers: dict[str, str] = field(default_factory=dict)


@functools.lru_cache(maxsize=1)
def scenario_declarations() -> dict[str, ScenarioDecl]:
    """Every scenario of the library, by its slug (``az-power-interruption``, ...)."""
    text = resources.files("chaos_pulumi.spec").joinpath("data/fis-scenarios.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    common = {k: ParameterDecl.from_dict(k, v) for k, v in data["common_parameters"].items()}
    out: dict[str, ScenarioDecl] = {}
    for name, s in data["scenarios"].items():
        own = {k: ParameterDecl.from_dict(k, v) for k, v in (s.get("parameters") or {}).items()}
        out[name] = ScenarioDecl(
            name=name,
            title=s["title"],
            url=s["url"],
            read=str(s["read"]),
            verified=s["verified"],
            description=s["description"],
            summary=" ".join(str(s.get("summary", "")).split()),
            limits=tuple(s.get("limits") or ()),
            parameters={**own, **common},
            sub_actions={
                k: SubActionDecl(
                    key=k,
                    default=bool(v.get("default", True)),
                    help=str(v.get("help", "")),
                    tag_value=v.get("tag_value"),
                    tag={str(a): str(b) for a, b in (v.get("tag") or {}).items()},
                )
                for k, v in s["sub_actions"].items()
            },
            leads=tuple(s.get("leads") or ()),
            content_differs=tuple(s.get("content_differs") or ()),
            design_waivers={str(k): str(v) for k, v in (s.get("design_waivers") or {}).items()},
        )
    return out


def _as_list(value: Any) -> list[str] | None:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = yaml.safe_load(text)
            except yaml.YAMLError:
                return None
        else:
            return [v.strip() for v in text.split(",") if v.strip()]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return None


def _as_mapping(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, str):
        try:
            value = yaml.safe_load(value) if value.strip() else {}
        except yaml.YAMLError:
            return None
    return value if isinstance(value, Mapping) else None


def _coerce(decl: ParameterDecl, value: Any, path: str, problems: list[Problem]) -> Any:
    """One value to its declared type; a Problem (and None) when it does not fit."""

    def bad(message: str) -> None:
        problems.append(Problem(path, message))

    kind = decl.type
    if kind in ("string", "role_arn"):
        if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value) == "":
            bad(f"must be a non-empty string, not {value!r}")
            return None
        text = str(value)
        if kind == "role_arn" and not _ROLE_ARN.match(text):
            bad(f"'{text}' is not an IAM role ARN; use arn:aws:iam::<12-digit account>:role/<name>")
            return None
        return text
    if kind == "duration":
        seconds = parse_duration(value)
        if seconds is None or seconds <= 0:
            bad(f"'{value}' is not an ISO-8601 duration; write e.g. PT30M, PT2H or PT90S")
            return None
        if decl.max is not None and seconds > (parse_duration(decl.max) or 0):
            bad(f"{value} is longer than the scenario's maximum {decl.max}; shorten it")
            return None
        return str(value)
    if kind == "integer":
        try:
            number = int(str(value).strip())
        except ValueError:
            bad(f"'{value}' is not a whole number")
            return None
        if (
            isinstance(value, bool)
            or (decl.min is not None and number < decl.min)
            or (decl.max is not None and number > decl.max)
        ):
            bad(f"{value} is out of range; use {decl.min}-{decl.max}")
            return None
        return number
    if kind in ("list", "alarm_list"):
        items = _as_list(value)
        if items is None:
            bad(f"must be a list (or comma-separated text), not {value!r}")
            return None
        if kind == "alarm_list":
            for i, arn in enumerate(items):
                if not _ALARM_ARN.match(arn):
                    problems.append(
                        Problem(
                            f"{path}[{i}]",
                            f"'{arn}' is not a CloudWatch alarm ARN; "
                            "use arn:aws:cloudwatch:<region>:<account>:alarm:<name>",
                        )
                    )
                    return None
        return items
    if kind == "map":
        data = _as_mapping(value)
        if data is None or any(not isinstance(v, (str, int, float)) for v in data.values()):
            bad("must be a mapping of tag keys to text values, e.g. {team: sre}")
            return None
        return {str(k): str(v) for k, v in data.items()}
    if kind == "tag_overrides":
        data = _as_mapping(value)
        if data is None or any(not isinstance(v, Mapping) or len(v) != 1 for v in data.values()):
            bad("must map sub-action names to one tag each, e.g. {failover-rds: {Team: db}}")
            return None
        return {str(k): {str(a): str(b) for a, b in v.items()} for k, v in data.items()}
    bad(f"has an unknown declared type '{kind}' (a bug in fis-scenarios.yaml)")
    return None


def resolve_parameters(decl: ScenarioDecl, given: Mapping[str, Any]) -> dict[str, Any]:
    """Declared defaults + the given values, typed and checked. Raises ScenarioError."""
    problems: list[Problem] = []
    params = decl.parameters
    out: dict[str, Any] = {}
    for key in given:
        if key not in params:
            close = difflib.get_close_matches(str(key), list(params), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.append(
                Problem(
                    f"parameters.{key}",
                    f"unknown parameter{hint} (parameters of {decl.name}: {', '.join(sorted(params))})",
                )
            )
    for name, p in params.items():
        value = given.get(name)
        if value is None:
            if p.required:
                problems.append(Problem(f"parameters.{name}", f"is required: {p.help}"))
            out[name] = json.loads(json.dumps(p.default))  # a fresh copy of mutable defaults
            continue
        out[name] = _coerce(p, value, f"parameters.{name}", problems)
    include = out.get("include")
    if include is not None:
        for item in include:
            if item not in decl.sub_actions:
                problems.append(
                    Problem(
                        "parameters.include",
                        f"'{item}' is not a sub-action of {decl.name} "
                        f"(sub-actions: {', '.join(decl.sub_actions)})",
                    )
                )
    for key in out.get("target_tags") or {}:
        if key not in decl.sub_actions:
            problems.append(
                Problem(
                    f"parameters.target_tags.{key}",
                    f"is not a sub-action of {decl.name} (sub-actions: {', '.join(decl.sub_actions)})",
                )
            )
    if not problems and not out.get("stop_conditions") and not out.get("waiver"):
        problems.append(
            Problem(
                "parameters.stop_conditions",
                "is empty and no waiver is given; list the CloudWatch alarms that stop the experiment, "
                "or set waiver: '<why this runs without one>' to opt out visibly",
            )
        )
    if problems:
        raise ScenarioError(problems)
    return out


def describe_parameter(p: ParameterDecl) -> str:
    """One line for `scenario show`: name, type, default or 'required', help."""
    if p.required:
        default = "required"
    elif p.default in (None, [], {}):
        default = "optional"
    elif p.type == "duration":
        default = f"default {p.default} ({format_duration(parse_duration(p.default) or 0)})"
    else:
        default = f"default {p.default}"
    return f"{p.name} ({p.type}, {default}): {p.help}".rstrip(": ")
