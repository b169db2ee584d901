"""Evaluate a policy on a template: one verdict per rule, and the violations as Problems with paths."""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from ..catalog import Catalog, catalog
from ..model import TemplateSpec
from ..problems import Problem, Severity, has_errors
from .policy import Policy, RuleConfig
from .reader import suggest
from .rules import RULES, Finding, Note, Subject
from .waivers import WAIVER_RULE, Waiver, read_waiver

Status = Literal["pass", "fail", "waived", "off", "not checked", "undecided"]
_INDEX = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Verdict:
    """What one rule says about the template. ``note`` describes the template ("this template: 6m")."""

    rule: str
    status: Status
    requirement: str = ""
    note: str = ""
    level: Severity = "error"
    waivable: bool = True
    findings: tuple[Finding, ...] = ()


_OFF = {rule: Verdict(rule, "off") for rule in RULES}


# What evaluate records per rule: (rule id, status, note, findings, its config or None when off).
Outcome = tuple[str, Status, Note, tuple[Finding, ...], RuleConfig | None]


@dataclass(frozen=True)
class Evaluation:
    policy: Policy
    outcomes: tuple[Outcome, ...] = field(repr=False)
    problems: tuple[Problem, ...] = ()  # violations (at each rule's level) and waiver problems
    waiver: Waiver | None = None

    @functools.cached_property
    def verdicts(self) -> tuple[Verdict, ...]:
        """One verdict per rule, in ``RULES`` order (built on first use: most callers need only problems)."""
        return _verdicts(self.outcomes)

    @property
    def passed(self) -> bool:
        return not has_errors(self.problems)

    def verdict(self, rule: str) -> Verdict | None:
        return next((v for v in self.verdicts if v.rule == rule), None)

    def waived(self, rule: str) -> bool:
        verdict = self.verdict(rule)
        return verdict is not None and verdict.status == "waived"


def _verdicts(outcomes: tuple[Outcome, ...] | list[Outcome]) -> tuple[Verdict, ...]:
    return tuple(
        Verdict(
            rule,
            status,
            config.requirement(),
            note if isinstance(note, str) else note(),
            config.level,
            config.waivable,
            findings,
        )
        if config is not None
        else _OFF[rule]
        for rule, status, note, findings, config in outcomes
    )


def _norm(path: str) -> str:
    return _INDEX.sub(r".\1", path)


def _touches(path: str, unknown: list[str]) -> bool:
    path = _norm(path)
    return any(u == "" or path == u or path.startswith(u + ".") or u.startswith(path + ".") for u in unknown)


def evaluate(
    spec: TemplateSpec,
    policy: Policy,
    *,
    role_trust_policy: Any = None,
    unknown: Collection[str] = (),
    cat: Catalog | None = None,
) -> Evaluation:
    """Every rule of ``policy`` on ``spec``. Never raises: a rule that crashes fails closed.

    ``role_trust_policy`` is the experiment role's trust policy document when the caller knows it.
    ``unknown`` lists template paths whose values are not known yet (``pulumi preview``): a rule that
    reads one of them and finds nothing definite is ``undecided`` instead of passing or failing.
    """
    cat = cat or catalog()
    if not policy.enabled:
        return Evaluation(policy, tuple((rule, "off", "", (), None) for rule in RULES))
    unknown_paths = [_norm(u) for u in unknown]
    subject = Subject(spec, cat, role_trust_policy)
    waiver, problems = read_waiver(spec.tags, policy.waiver_tag)
    waiver_undecided = bool(unknown_paths) and _touches(f"tags.{policy.waiver_tag}", unknown_paths)
    if waiver_undecided:
        problems = []
    waived_rules = set(waiver.rules) if waiver else set()
    outcomes: list[Outcome] = []
    for rule_id, config in policy.plan:
        if config is None:
            outcomes.append((rule_id, "off", "", (), None))
            continue
        try:
            checked, note = RULES[rule_id].check(subject, config.params)
        except Exception as e:  # a rule must never take the caller down, nor pass by crashing
            checked, note = (
                [Finding("", f"could not be checked ({type(e).__name__}: {e}); report this bug")],
                "",
            )
        if checked is None:
            outcomes.append((rule_id, "not checked", note, (), config))
            continue
        findings = checked
        in_scope_unknown = False
        scope = RULES[rule_id].scope
        if unknown_paths and scope:
            in_scope_unknown = any(_touches(s, unknown_paths) for s in scope)
            findings = [f for f in findings if not _touches(f.path, unknown_paths)]
        if not findings:
            outcomes.append((rule_id, "undecided" if in_scope_unknown else "pass", note, (), config))
            continue
        if config.waivable and (waiver_undecided or rule_id in waived_rules):
            outcomes.append(
                (rule_id, "undecided" if waiver_undecided else "waived", note, tuple(findings), config)
            )
            continue
        hint = (
            f' (or waive it visibly: tag {policy.waiver_tag}: "{rule_id}: <reason>")'
            if config.waivable
            else " (this policy does not let a template waive it)"
        )
        problems += [Problem(f.path, f.message + hint, config.level, rule_id) for f in findings]
        outcomes.append((rule_id, "fail", note, tuple(findings), config))
    if waiver is not None and not waiver_undecided:
        problems += _waiver_problems(waiver, policy, _verdicts(outcomes))
    return Evaluation(policy, tuple(outcomes), tuple(problems), waiver)


def _waiver_problems(waiver: Waiver, policy: Policy, verdicts: tuple[Verdict, ...]) -> list[Problem]:
    by_rule = {v.rule: v for v in verdicts}
    out = []
    for rule_id in waiver.rules:
        verdict = by_rule.get(rule_id)
        if verdict is None:
            out.append(
                Problem(
                    waiver.path,
                    f"waives '{rule_id}', which is not a guardrail rule{suggest(rule_id, RULES)}",
                    rule=WAIVER_RULE,
                )
            )
        elif verdict.status == "off":
            out.append(
                Problem(
                    waiver.path,
                    f"waives {rule_id}, which policy {policy.name} does not enforce; remove it from the "
                    "waiver",
                    "warning",
                    WAIVER_RULE,
                )
            )
        elif not verdict.waivable:
            out.append(
                Problem(
                    waiver.path,
                    f"waives {rule_id}, which policy {policy.name} does not let a template waive; comply "
                    f"with it instead ({verdict.requirement})",
                    rule=WAIVER_RULE,
                )
            )
        elif verdict.status == "pass":
            out.append(
                Problem(
                    waiver.path,
                    f"waives {rule_id}, which this template complies with; remove it so that waivers keep "
                    "meaning something",
                    "warning",
                    WAIVER_RULE,
                )
            )
    return out
