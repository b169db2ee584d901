"""A guardrail policy: which rules apply, with which limits, and whether a template may waive them.

The document (YAML or JSON, schema in docs/guardrails.md)::

    version: 1                      # required; this chaos-pulumi reads version 1
    name: acme-production           # shown in explain and in every violation
    extends: safe-defaults          # start from the built-in defaults (default) or from `none`
    waiver_tag: chaos:waiver        # the template tag that waives rules (default chaos:waiver)
    rules:
      max_duration: PT30M           # a rule's value, or {max: PT30M, level: warning, waivable: false}
      require_logging: true         # on/off rules: true, false, or {level: ..., waivable: ...}
      denied_actions: false         # turn off a rule the base policy has

Each rule listed replaces the base policy's entry for that rule; rules not listed keep it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from types import MappingProxyType
from typing import Any

from ..catalog import Catalog, catalog
from ..loader import parse_document
from ..problems import Problem, Severity, has_errors
from .reader import Reader, join, suggest, type_name
from .rules import RULES
from .selection import SelectionCap, SelectionCaps

POLICY_VERSION = 1
DEFAULT_WAIVER_TAG = "chaos:waiver"
SAFE_DEFAULTS = "safe-defaults"
NO_POLICY = "none"
LEVELS = ("error", "warning")
TOP_KEYS = ("version", "name", "description", "extends", "waiver_tag", "rules")
COMMON_KEYS = ("level", "waivable")
_DEFAULTS_FILE = "guardrails-safe-defaults.yaml"
_MAPPING_VALUES = frozenset({"required_tags", "max_selection"})  # rules whose short form is a mapping


@dataclass(frozen=True)
class RuleConfig:
    """One rule as a policy sets it: its parameters, how hard it fails, whether a template may waive it."""

    rule: str
    params: Any = None
    level: Severity = "error"
    waivable: bool = True
    _requirement: list[str] = field(default_factory=list, compare=False, repr=False)

    def requirement(self) -> str:
        """What the rule requires, in words (formatted once: every evaluation shows it)."""
        if not self._requirement:
            self._requirement.append(RULES[self.rule].describe(self.params))
        return self._requirement[0]


@dataclass(frozen=True)
class Policy:
    """A parsed policy. ``rules`` holds the rules it enforces (in the order of ``RULES``)."""

    name: str
    rules: Mapping[str, RuleConfig] = field(default_factory=dict)
    waiver_tag: str = DEFAULT_WAIVER_TAG
    description: str = ""
    source: str = "built in"  # where the document came from: a file, or "built in"
    origin: str = ""  # how it was chosen (--policy, $CHAOS_PULUMI_POLICY, chaos-pulumi.yaml, default)
    enabled: bool = True  # False for the `none` policy: guardrails visibly off

    @functools.cached_property
    def plan(self) -> tuple[tuple[str, RuleConfig | None], ...]:
        """Every rule id in ``RULES`` order with its config here (None: off), worked out once."""
        return tuple((rule_id, self.rules.get(rule_id)) for rule_id in RULES)

    @classmethod
    def off(cls, origin: str = "") -> Policy:
        return cls(name=NO_POLICY, source="none", origin=origin, enabled=False)

    def describe(self) -> str:
        where = "built in" if self.source == "built in" else self.source
        text = f"{self.name} ({where})" if self.enabled else "none: guardrails are off"
        return f"{text}, {self.origin}" if self.origin else text


def selection_cap(policy: Policy | None, resource_type: str) -> tuple[int | None, int | None]:
    """``(max COUNT, max PERCENT)`` one target of ``resource_type`` may select under ``policy``.

    ``None`` means no cap (also when the policy is off or does not enforce ``max_selection``).
    """
    cap = selection_rule(policy, resource_type)
    return (cap.count, cap.percent) if cap is not None else (None, None)


def selection_rule(policy: Policy | None, resource_type: str) -> SelectionCap | None:
    """The whole ``max_selection`` cap for a type (COUNT, PERCENT and when ALL is allowed), or None."""
    if policy is None or not policy.enabled or "max_selection" not in policy.rules:
        return None
    params = policy.rules["max_selection"].params
    return params.cap(resource_type) if isinstance(params, SelectionCaps) else None


def parse_policy(
    data: Any, source: str = "<policy>", cat: Catalog | None = None
) -> tuple[Policy | None, list[Problem]]:
    """A policy document (parsed YAML/JSON) -> Policy, or None with the problems. Never raises."""
    reader = Reader()
    try:
        policy = _read_policy(data, source, reader, cat or catalog())
    except RecursionError:
        return None, [Problem("", f"{source}: nested too deeply to be a guardrail policy")]
    if has_errors(reader.problems):
        return None, reader.problems
    return policy, reader.problems


def _read_policy(data: Any, source: str, reader: Reader, cat: Catalog) -> Policy | None:
    doc = reader.mapping("", data, "version, name, extends, waiver_tag and rules")
    if doc is None:
        return None
    reader.unknown_keys("", doc, TOP_KEYS)
    version = doc.get("version")
    if "version" not in doc:
        reader.error("version", f"is required: write version: {POLICY_VERSION} at the top of the policy")
    elif isinstance(version, bool) or not isinstance(version, int):
        reader.error("version", f"must be the number {POLICY_VERSION}, not {type_name(version)}")
    elif version != POLICY_VERSION:
        newer = version > POLICY_VERSION
        reader.error(
            "version",
            f"is {version}; this chaos-pulumi reads policy version {POLICY_VERSION}"
            + ("; upgrade chaos-pulumi to use this policy" if newer else ""),
        )
    name = doc.get("name", _default_name(source))
    name = reader.text("name", name, "acme-production") or "policy"
    description = ""
    if "description" in doc:
        description = reader.text("description", doc["description"], "'what this policy is for'") or ""
    waiver_tag = reader.text("waiver_tag", doc.get("waiver_tag", DEFAULT_WAIVER_TAG), DEFAULT_WAIVER_TAG)
    if waiver_tag and waiver_tag.lower().startswith("aws:"):
        reader.error("waiver_tag", "tag keys starting with 'aws:' are reserved by AWS; use chaos:waiver")
    extends = doc.get("extends", SAFE_DEFAULTS)
    base: dict[str, RuleConfig] = {}
    if extends == SAFE_DEFAULTS:
        base = dict(safe_defaults().rules)
    elif extends != NO_POLICY:
        reader.error("extends", f"{extends!r} is not {SAFE_DEFAULTS} or {NO_POLICY}")
    rules = doc.get("rules", {})
    data_rules = reader.mapping("rules", rules, "rule ids to settings") if rules is not None else {}
    for rule_id, value in (data_rules or {}).items():
        path = join("rules", rule_id)
        if rule_id not in RULES:
            reader.error(
                path, f"is not a guardrail rule{suggest(rule_id, RULES)} (rules: {', '.join(RULES)})"
            )
            continue
        config = _read_rule(rule_id, value, path, reader, cat)
        if config is False:
            base.pop(rule_id, None)
        elif config is not None:
            base[rule_id] = config
    ordered = {r: base[r] for r in RULES if r in base}
    return Policy(
        name=name,
        rules=MappingProxyType(ordered),  # read-only: the cached safe defaults are shared
        waiver_tag=waiver_tag or DEFAULT_WAIVER_TAG,
        description=description,
        source=source,
    )


def _read_rule(rule_id: str, value: Any, path: str, reader: Reader, cat: Catalog) -> RuleConfig | bool | None:
    """False when the policy turns the rule off, None when the entry is broken."""
    rule = RULES[rule_id]
    if value is False:
        return False
    level: Severity = "error"
    waivable = True
    if value is True:
        if rule.value_key is not None:
            reader.error(path, f"needs a value, e.g. {_example(rule_id)} (or false to turn it off)")
            return None
        return RuleConfig(rule_id, rule.parse(None, path, reader, cat))
    if isinstance(value, Mapping) and _long_form(rule_id, value):
        allowed = ("enabled", *COMMON_KEYS, *((rule.value_key,) if rule.value_key else ()))
        if not reader.unknown_keys(path, value, allowed):
            return None
        if value.get("enabled", True) is False:
            return False
        if "enabled" in value and reader.boolean(join(path, "enabled"), value["enabled"]) is None:
            return None
        if "level" in value:
            if value["level"] not in LEVELS:
                reader.error(join(path, "level"), f"{value['level']!r} is not error or warning")
                return None
            level = value["level"]
        if "waivable" in value:
            read = reader.boolean(join(path, "waivable"), value["waivable"])
            if read is None:
                return None
            waivable = read
        if rule.value_key is None:
            params = rule.parse(None, path, reader, cat)
        elif rule.value_key not in value:
            reader.error(join(path, rule.value_key), f"is required, e.g. {_example(rule_id)}")
            return None
        else:
            params = rule.parse(value[rule.value_key], join(path, rule.value_key), reader, cat)
    elif rule.value_key is None:
        reader.error(path, f"must be true, false or a mapping with level/waivable, not {type_name(value)}")
        return None
    else:
        params = rule.parse(value, path, reader, cat)
    if params is None:
        return None
    return RuleConfig(rule_id, params, level, waivable)


def _long_form(rule_id: str, value: Mapping[str, Any]) -> bool:
    """Whether a mapping is the rule's long form (value key, level, waivable) or its value itself.

    Only required_tags and max_selection take a mapping as their value; for them a mapping is the long
    form when it has the value key or one of the common keys.
    """
    rule = RULES[rule_id]
    if rule.value_key is None or rule_id not in _MAPPING_VALUES:
        return True
    return rule.value_key in value or any(k in value for k in ("enabled", *COMMON_KEYS))


def _example(rule_id: str) -> str:
    return {
        "max_duration": "max_duration: PT1H",
        "max_action_duration": "max_action_duration: PT30M",
        "max_selection": "max_selection: {resource_types: {'*': {count: 10, percent: 50}}}",
        "allowed_actions": "allowed_actions: ['aws:ec2:*', 'aws:fis:wait']",
        "denied_actions": "denied_actions: ['aws:*:terminate-*']",
        "required_tags": "required_tags: [team, owner]",
    }.get(rule_id, f"{rule_id}: true")


def _default_name(source: str) -> str:
    stem = source.replace("\\", "/").rsplit("/", 1)[-1]
    return stem.rsplit(".", 1)[0] or "policy"


@functools.cache
def safe_defaults() -> Policy:
    """The built-in policy that applies when none is configured (chaos_pulumi/spec/data)."""
    text = resources.files("chaos_pulumi.spec").joinpath("data", _DEFAULTS_FILE).read_text(encoding="utf-8")
    data, problems = parse_document(text, _DEFAULTS_FILE)
    policy, more = parse_policy(data, "built in") if data is not None else (None, [])
    if policy is None or problems or more:
        raise RuntimeError(f"the built-in {_DEFAULTS_FILE} is broken: {[str(p) for p in problems + more]}")
    return replace(policy, name=SAFE_DEFAULTS, source="built in")


def safe_defaults_text() -> str:
    """The built-in policy as a document, to copy and adapt."""
    return resources.files("chaos_pulumi.spec").joinpath("data", _DEFAULTS_FILE).read_text(encoding="utf-8")
