"""The FIS action and target-type catalog: loaded once from package data (or CHAOS_PULUMI_CATALOG)."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .durations import parse_duration

CATALOG_ENV = "CHAOS_PULUMI_CATALOG"
PARAMETER_TYPES = frozenset(
    {"duration", "integer", "number", "enum", "list", "boolean", "json", "arn", "string"}
)


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    type: str = "string"
    required: bool = False
    minimum: float | None = None  # seconds for durations
    maximum: float | None = None
    min_text: str | None = None  # as written in the catalog (PT1M), for messages
    max_text: str | None = None
    values: tuple[str, ...] = ()
    max_items: int | None = None
    item: str | None = None
    nospace: bool = False  # list items written without spaces ("a,b", not "a, b")
    default: str | None = None
    description: str | None = None
    # (parameter, value): this one is used only when that parameter has that value, and then required.
    when: tuple[str, str] | None = None
    if_missing: str | None = None  # warning when the parameter is left out: what happens without it

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> ParameterSpec:
        kind = str(data.get("type", "string"))
        lo, hi = data.get("min"), data.get("max")
        when = data.get("when")
        if when is not None and not (isinstance(when, Mapping) and len(when) == 1):
            raise ValueError(f"parameter {name}: 'when' takes one entry, {{parameter: value}}")
        if kind == "duration":
            minimum, maximum = parse_duration(lo), parse_duration(hi)
        else:
            minimum = float(lo) if lo is not None else None
            maximum = float(hi) if hi is not None else None
        return cls(
            name=name,
            type=kind if kind in PARAMETER_TYPES else "string",
            required=bool(data.get("required", False)),
            minimum=minimum,
            maximum=maximum,
            min_text=None if lo is None else str(lo),
            max_text=None if hi is None else str(hi),
            values=tuple(str(v) for v in data.get("values") or ()),
            max_items=data.get("maxItems"),
            item=data.get("item"),
            nospace=bool(data.get("nospace", False)),
            default=None if data.get("default") is None else str(data.get("default")),
            description=data.get("description"),
            when=None if when is None else next((str(k), str(v)) for k, v in when.items()),
            if_missing=data.get("if_missing"),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.required:
            out["required"] = True
        if self.min_text is not None:
            out["min"] = self.min_text
        if self.max_text is not None:
            out["max"] = self.max_text
        if self.values:
            out["values"] = list(self.values)
        if self.max_items is not None:
            out["maxItems"] = self.max_items
        if self.item is not None:
            out["item"] = self.item
        if self.nospace:
            out["nospace"] = True
        if self.default is not None:
            out["default"] = self.default
        if self.description:
            out["description"] = self.description
        if self.when is not None:
            out["when"] = {self.when[0]: self.when[1]}
        if self.if_missing:
            out["if_missing"] = self.if_missing
        return out


@dataclass(frozen=True)
class HostDuration:
    """A document run on the hosts bounds the fault itself, by a key of a JSON parameter, apart from FIS.

    When parameter ``document`` contains ``matches``, the JSON in parameter ``parameters`` must set
    ``key`` (whole seconds), and that should not outlast the action's duration.
    """

    document: str
    matches: str
    parameters: str
    key: str
    reverts: str | None = None  # what reverts, when such a document runs (explain)

    @classmethod
    def from_dict(cls, data: Any) -> HostDuration | None:
        if data is None:
            return None
        if not isinstance(data, Mapping) or not {"document", "matches", "parameters", "key"} <= set(data):
            raise ValueError("host_duration takes document, matches, parameters and key (and reverts)")
        reverts = str(data["reverts"]).strip() if data.get("reverts") else None
        fields = (str(data[k]) for k in ("document", "matches", "parameters", "key"))
        return cls(*fields, reverts=reverts)

    def applies(self, params: Mapping[str, str]) -> bool:
        return self.matches in str(params.get(self.document, ""))

    def to_dict(self) -> dict[str, str]:
        out = {
            "document": self.document,
            "matches": self.matches,
            "parameters": self.parameters,
            "key": self.key,
        }
        if self.reverts:
            out["reverts"] = self.reverts
        return out


@dataclass(frozen=True)
class SpecialPermission:
    """A permission with a fixed resource and optional condition (e.g. ec2:InjectApiError)."""

    action: str
    resource: str = "*"
    condition: dict[str, Any] | None = None
    target_arns_condition: str | None = None  # condition key to list the targets' ARNs under


@dataclass(frozen=True)
class Permissions:
    scoped: tuple[str, ...] = ()  # act on the target resources: scoped by ARN or tag condition
    unscoped: tuple[str, ...] = ()  # describe/list calls and the like: Resource "*"
    optional: tuple[str, ...] = ()  # needed only in some set-ups (explained, not granted)
    special: tuple[SpecialPermission, ...] = ()
    document_parameter: str | None = None  # parameter naming an SSM document the role must reach

    @classmethod
    def from_dict(cls, data: Any) -> Permissions:
        if not isinstance(data, Mapping):
            return cls()
        return cls(
            scoped=tuple(data.get("scoped") or ()),
            unscoped=tuple(data.get("unscoped") or ()),
            optional=tuple(data.get("optional") or ()),
            special=tuple(
                SpecialPermission(
                    str(s["action"]),
                    str(s.get("resource", "*")),
                    s.get("condition"),
                    s.get("target_arns_condition"),
                )
                for s in data.get("special") or ()
            ),
            document_parameter=data.get("document_parameter"),
        )

    @property
    def all_actions(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for a in (*self.scoped, *self.unscoped, *(s.action for s in self.special)):
            seen.setdefault(a)
        return tuple(seen)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.scoped:
            out["scoped"] = list(self.scoped)
        if self.unscoped:
            out["unscoped"] = list(self.unscoped)
        if self.optional:
            out["optional"] = list(self.optional)
        if self.special:
            out["special"] = [
                {
                    "action": s.action,
                    "resource": s.resource,
                    **({"condition": s.condition} if s.condition else {}),
                    **({"target_arns_condition": s.target_arns_condition} if s.target_arns_condition else {}),
                }
                for s in self.special
            ]
        if self.document_parameter:
            out["document_parameter"] = self.document_parameter
        return out


@dataclass(frozen=True)
class ActionSpec:
    id: str
    description: str = ""
    targets: dict[str, str] = field(default_factory=dict)  # action target key -> resource type
    parameters: dict[str, ParameterSpec] = field(default_factory=dict)
    permissions: Permissions = field(default_factory=Permissions)
    reverts: str | None = None
    duration_parameter: str | None = None
    confirmed: bool = True
    deprecated: str | None = None
    note: str | None = None
    host_duration: HostDuration | None = None
    host_runtime: HostDuration | None = None  # chaos-pulumi's own documents (chaos_pulumi.fleet)

    @property
    def host_rules(self) -> tuple[HostDuration, ...]:
        return tuple(r for r in (self.host_duration, self.host_runtime) if r is not None)

    def reverts_for(self, params: Mapping[str, str]) -> str | None:
        """What reverts, for this action with these parameters (a host document may say it better)."""
        for rule in self.host_rules:
            if rule.reverts and rule.applies(params):
                return rule.reverts
        return self.reverts

    @classmethod
    def from_dict(cls, action_id: str, data: Mapping[str, Any]) -> ActionSpec:
        params = data.get("parameters") or {}
        duration_parameter = data.get("duration_parameter")
        if duration_parameter is None and "duration" in params:
            duration_parameter = "duration"
        return cls(
            id=action_id,
            description=str(data.get("description") or ""),
            targets={str(k): str(v) for k, v in (data.get("targets") or {}).items()},
            parameters={str(k): ParameterSpec.from_dict(str(k), v or {}) for k, v in params.items()},
            permissions=Permissions.from_dict(data.get("permissions")),
            reverts=data.get("reverts"),
            duration_parameter=duration_parameter,
            confirmed=bool(data.get("confirmed", True)),
            deprecated=data.get("deprecated"),
            note=data.get("note"),
            host_duration=HostDuration.from_dict(data.get("host_duration")),
            host_runtime=HostDuration.from_dict(data.get("host_runtime")),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "description": self.description,
            "targets": dict(self.targets),
            "parameters": {k: p.to_dict() for k, p in self.parameters.items()},
            "permissions": self.permissions.to_dict(),
        }
        if self.reverts:
            out["reverts"] = self.reverts
        if self.duration_parameter and self.duration_parameter != "duration":
            out["duration_parameter"] = self.duration_parameter
        if not self.confirmed:
            out["confirmed"] = False
        if self.deprecated:
            out["deprecated"] = self.deprecated
        if self.note:
            out["note"] = self.note
        if self.host_duration is not None:
            out["host_duration"] = self.host_duration.to_dict()
        if self.host_runtime is not None:
            out["host_runtime"] = self.host_runtime.to_dict()
        return out


@dataclass(frozen=True)
class ResourceTypeSpec:
    name: str
    description: str = ""
    select_by: frozenset[str] = frozenset({"arns", "tags", "filters"})
    parameters: dict[str, ParameterSpec] = field(default_factory=dict)
    parameters_only: bool = False
    max_arns: int = 5
    arn: str = "*"  # IAM resource pattern for scoping policies
    arn_suffixes: tuple[str, ...] = ()  # sub-resources the scoped permissions also reach
    tag_condition: bool = True  # whether an aws:ResourceTag condition can scope them
    confirmed: bool = True
    deprecated: str | None = None

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> ResourceTypeSpec:
        params = data.get("parameters") or {}
        select_by = frozenset(data.get("select_by") or ("arns", "tags", "filters"))
        if params:
            select_by |= {"parameters"}
        return cls(
            name=name,
            description=str(data.get("description") or ""),
            select_by=select_by,
            parameters={str(k): ParameterSpec.from_dict(str(k), v or {}) for k, v in params.items()},
            parameters_only=bool(data.get("parameters_only", False)),
            max_arns=int(data.get("max_arns", 5)),
            arn=str(data.get("arn") or "*"),
            arn_suffixes=tuple(str(x) for x in data.get("arn_suffixes") or ()),
            tag_condition=bool(data.get("tag_condition", True)),
            confirmed=bool(data.get("confirmed", True)),
            deprecated=data.get("deprecated"),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "description": self.description,
            "select_by": sorted(self.select_by),
        }
        if self.parameters:
            out["parameters"] = {k: p.to_dict() for k, p in self.parameters.items()}
        if self.parameters_only:
            out["parameters_only"] = True
        if self.max_arns != 5:
            out["max_arns"] = self.max_arns
        out["arn"] = self.arn
        if self.arn_suffixes:
            out["arn_suffixes"] = list(self.arn_suffixes)
        if not self.tag_condition:
            out["tag_condition"] = False
        if not self.confirmed:
            out["confirmed"] = False
        if self.deprecated:
            out["deprecated"] = self.deprecated
        return out


@dataclass(frozen=True)
class Catalog:
    source: str
    retrieved: str
    actions: dict[str, ActionSpec]
    resource_types: dict[str, ResourceTypeSpec]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Catalog:
        return cls(
            source=str(data.get("source", "")),
            retrieved=str(data.get("retrieved", "")),
            actions={
                str(k): ActionSpec.from_dict(str(k), v or {}) for k, v in (data.get("actions") or {}).items()
            },
            resource_types={
                str(k): ResourceTypeSpec.from_dict(str(k), v or {})
                for k, v in (data.get("resource_types") or {}).items()
            },
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "retrieved": self.retrieved,
            "version": 1,
            "actions": {k: self.actions[k].to_dict() for k in sorted(self.actions)},
            "resource_types": {k: self.resource_types[k].to_dict() for k in sorted(self.resource_types)},
        }


def _yaml_loader() -> type[yaml.SafeLoader]:
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Read a catalog file (YAML or JSON); with no path, the one shipped in the package."""
    if path is None:
        text = resources.files("chaos_pulumi.spec").joinpath("data/fis-catalog.yaml").read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    return Catalog.from_dict(yaml.load(text, Loader=_yaml_loader()))  # noqa: S506 - safe loader


@functools.lru_cache(maxsize=4)
def _cached(path: str | None) -> Catalog:
    return load_catalog(path)


def catalog() -> Catalog:
    """The catalog in use: ``$CHAOS_PULUMI_CATALOG`` if set (a refreshed copy), else the packaged one."""
    return _cached(os.environ.get(CATALOG_ENV) or None)
