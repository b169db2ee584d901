"""The guardrail waiver a rendered scenario carries: which rules it waives, and why, visibly.

AWS's scenarios conflict with the safe defaults by design: they select ``ALL`` resources carrying
their opt-in tags, and some run longer than the defaults allow (an AZ power interruption's capacity
errors last the interruption plus the recovery, cross-Region connectivity 3 hours). A scenario's
declaration names those rules with the reason (``design_waivers`` in data/fis-scenarios.yaml). The
template waives, in the guardrails' waiver tag (``<rule>[, <rule>]: <reason>``):

- a declared design rule only when the rendered template breaks it under the safe defaults, and a
  duration rule only while no duration parameter is longer than the scenario's default (a longer run
  is the user's choice, not AWS's design: they name the rule in ``waiver`` themselves);
- ``stop_condition_required`` only with the user's own reason (``waiver``), when there is no alarm;
- rules the user names in ``waiver`` (``"max_action_duration: 2 h drill, approved in OPS-9"``).

Nothing else is waived: a template that still breaks a rule fails the policy like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .durations import parse_duration
from .guardrails import DEFAULT_WAIVER_TAG, RULES, evaluate, safe_defaults
from .guardrails.waivers import MIN_REASON
from .model import TemplateSpec
from .problems import Problem

STOP_RULE = "stop_condition_required"
DURATION_RULES = ("max_action_duration", "max_duration")
MAX_TAG_VALUE = 256  # FIS tag values are at most 256 characters


def read_user_waiver(text: str | None) -> tuple[tuple[str, ...], str | None, list[Problem]]:
    """The ``waiver`` parameter: ``(rules it names, reason, problems)``.

    ``"<rule>[, <rule>]: <reason>"`` names guardrail rules; anything else is a reason alone (for
    running without a stop condition). The reason must be one a reviewer can judge (10+ characters).
    """
    if text is None:
        return (), None, []
    names, colon, rest = text.partition(":")
    named = tuple(n for n in names.replace(",", " ").split() if n)
    if colon and named and all(n in RULES for n in named):
        rules, reason = tuple(dict.fromkeys(named)), rest.strip()
    else:
        rules, reason = (), text.strip()
    if len(reason) < MIN_REASON:
        return (
            (),
            None,
            [
                Problem(
                    "parameters.waiver",
                    f"gives {f'the reason {reason!r}' if reason else 'no reason'}; a waiver needs a reason "
                    f"a reviewer can judge (at least {MIN_REASON} characters), optionally after the rules "
                    "it waives: '<rule>[, <rule>]: <reason>'",
                )
            ],
        )
    return rules, reason, []


def _default_durations(declared: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    """Whether every duration parameter is at most the scenario's default (AWS's design)."""
    for name, decl in declared.items():
        if decl.type != "duration" or decl.default is None or params.get(name) is None:
            continue
        if (parse_duration(params[name]) or 0) > (parse_duration(decl.default) or 0):
            return False
    return True


def scenario_waiver(
    spec: TemplateSpec,
    *,
    slug: str,
    design: Mapping[str, str],
    declared: Mapping[str, Any],
    params: Mapping[str, Any],
    user_rules: tuple[str, ...],
    user_reason: str | None,
) -> tuple[dict[str, str], list[Problem]]:
    """The waiver tag for a rendered scenario (``{}`` when nothing is waived), or the problems.

    ``design`` maps the rules the scenario's design conflicts with to a short reason; ``declared`` and
    ``params`` are its parameter declarations and values (for the duration rule above).
    """
    broken = {p.rule for p in evaluate(spec, safe_defaults()).problems if p.severity == "error"}
    by_design = [
        rule
        for rule in design
        if rule in broken and (rule not in DURATION_RULES or _default_durations(declared, params))
    ]
    rules = list(user_rules)
    alarms = any(s.source == "aws:cloudwatch:alarm" for s in spec.stop_conditions)
    if user_reason and not alarms:
        rules.insert(0, STOP_RULE)
    elif user_reason and not user_rules:
        return {}, [
            Problem(
                "parameters.waiver",
                "waives nothing: stop_conditions are given; remove it, or name the guardrail rules it "
                "waives: '<rule>[, <rule>]: <reason>'",
            )
        ]
    rules += by_design
    rules = list(dict.fromkeys(rules))
    if not rules:
        return {}, []
    reasons = [user_reason] if user_reason else []
    if by_design:
        reasons.append(f"{slug} by AWS's design: " + ", ".join(dict.fromkeys(design[r] for r in by_design)))
    value = f"{', '.join(rules)}: {'; '.join(reasons)}"
    if len(value) > MAX_TAG_VALUE:
        return {}, [
            Problem(
                "parameters.waiver",
                f"the waiver tag would be {len(value)} characters, over FIS's {MAX_TAG_VALUE} for a tag "
                f"value: shorten the reason (the tag reads {value!r})",
            )
        ]
    return {DEFAULT_WAIVER_TAG: value}, []
