"""The guardrail rules: each one an id, how its parameters are read, and a small check of a template.

A rule's check returns findings (field path + what is wrong and how to comply) and a note about the
template (e.g. "this template: 6m"); findings ``None`` means the rule cannot be decided from what is
known (``role_trust`` without the role's trust policy), and the note says what is missing.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..catalog import Catalog
from ..durations import format_duration
from ..model import TemplateSpec
from ..timeline import Timeline, action_seconds, duration_parameter, timeline
from . import selection, trust
from .reader import Reader, join

ALARM_SOURCE = "aws:cloudwatch:alarm"


@dataclass(frozen=True)
class Finding:
    path: str
    message: str


@dataclass
class Subject:
    """What the rules look at: the template, the catalog, and facts about it known only to some callers."""

    spec: TemplateSpec
    catalog: Catalog
    role_trust_policy: Any = None  # the experiment role's trust policy document, when known

    @cached_property
    def timeline(self) -> Timeline:
        return timeline(self.spec, self.catalog)

    @cached_property
    def durations(self) -> dict[str, float]:
        """Each action's longest run in seconds (0: completes when its API calls return)."""
        return {name: action_seconds(self.spec, name, self.catalog) for name in self.spec.actions}


# A check returns its findings and a note about the template: text, or a function making it (notes
# are shown by explain and the pack only, so they are formatted when asked for).
Note = str | Callable[[], str]
Check = Callable[[Subject, Any], tuple[list[Finding] | None, Note]]
Parse = Callable[[Any, str, Reader, Catalog], Any]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str  # what it protects against, one line
    value_key: str | None  # key of the rule's value in the long form; None for on/off rules
    parse: Parse
    describe: Callable[[Any], str]  # parameters -> what the rule requires, for explain and the pack
    check: Check
    # The template fields it reads: an unknown one there leaves it undecided. Empty for role_trust, which
    # judges the role's trust policy (roleArn only says where to point).
    scope: tuple[str, ...]


# ----- parameters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DurationCap:
    seconds: float
    text: str


@dataclass(frozen=True)
class ActionPatterns:
    patterns: tuple[str, ...]

    def match(self, action_id: str) -> str | None:
        """The first pattern ``action_id`` matches, or None (one compiled regex for all patterns)."""
        if _any_of(self.patterns).match(action_id) is None:
            return None
        return next(p for p in self.patterns if fnmatch.fnmatchcase(action_id, p))


@functools.lru_cache(maxsize=64)
def _any_of(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns) or "(?!)")


@dataclass(frozen=True)
class RequiredTags:
    tags: Mapping[str, tuple[str, ...] | None]  # key -> allowed values (None: any value)


def _no_params(value: Any, path: str, reader: Reader, cat: Catalog) -> Any:
    return {}


def _duration(value: Any, path: str, reader: Reader, cat: Catalog) -> DurationCap | None:
    read = reader.duration(path, value)
    return DurationCap(*read) if read else None


def _patterns(value: Any, path: str, reader: Reader, cat: Catalog) -> ActionPatterns | None:
    patterns = reader.strings(path, value, "'aws:ec2:*', 'aws:fis:wait'")
    if patterns is None:
        return None
    for i, p in enumerate(patterns):
        if not any(c in p for c in "*?[") and p not in cat.actions:
            reader.warn(f"{path}[{i}]", f"'{p}' is not a FIS action in the catalog; check the spelling")
    return ActionPatterns(patterns)


def _required_tags(value: Any, path: str, reader: Reader, cat: Catalog) -> RequiredTags | None:
    if isinstance(value, list):
        keys = reader.strings(path, value, "team, owner")
        return RequiredTags({k: None for k in keys}) if keys is not None else None
    data = reader.mapping(path, value, "tag keys to allowed values (a list, or null for any value)")
    if data is None:
        return None
    tags: dict[str, tuple[str, ...] | None] = {}
    ok = True
    for key, allowed in data.items():
        p = join(path, key)
        if reader.text(p, key, "team") is None:
            ok = False
        elif allowed is None:
            tags[key] = None
        else:
            values = reader.strings(p, allowed, "staging, production")
            ok = ok and values is not None
            tags[key] = values
    return RequiredTags(tags) if ok else None


def _selection_caps(value: Any, path: str, reader: Reader, cat: Catalog) -> Any:
    return selection.parse(value, path, reader, tuple(cat.resource_types))


# ----- checks ----------------------------------------------------------------------------------------


def _stop_condition(subject: Subject, params: Any) -> tuple[list[Finding], Note]:
    alarms = [s for s in subject.spec.stop_conditions if s.source == ALARM_SOURCE and s.value]
    if alarms:
        return [], f"{len(alarms)} alarm{'s' if len(alarms) != 1 else ''}"
    return [
        Finding(
            "stopConditions",
            "has no CloudWatch alarm, so nothing stops the experiment early if the system misbehaves; add "
            f"{{source: {ALARM_SOURCE}, value: <alarm ARN>}} on a customer-impact metric the experiment "
            "does not itself perturb",
        )
    ], "no alarm"


def _max_duration(subject: Subject, params: DurationCap) -> tuple[list[Finding], Note]:
    if sum(subject.durations.values()) <= params.seconds:
        # No startAfter path is longer than all actions one after another: the timeline can wait.
        return [], lambda: _note("this template: ", subject.timeline.total_seconds)
    tl = subject.timeline
    note = functools.partial(_note, "this template: ", tl.total_seconds)
    if tl.total_seconds <= params.seconds:
        return [], note
    path = " → ".join(tl.critical_path)
    return [
        Finding(
            "actions",
            f"the experiment runs up to {format_duration(tl.total_seconds)} (along {path}); the policy "
            f"allows {params.text} for a whole experiment: shorten the durations on that path or split it",
        )
    ], note


def _max_action_duration(subject: Subject, params: DurationCap) -> tuple[list[Finding], Note]:
    spec = subject.spec
    findings = []
    longest = 0.0
    for name, seconds in subject.durations.items():
        longest = max(longest, seconds)
        if seconds > params.seconds:
            param = duration_parameter(spec.actions[name].action_id, subject.catalog) or "duration"
            findings.append(
                Finding(
                    f"actions.{name}.parameters.{param}",
                    f"runs {format_duration(seconds)}; the policy allows {params.text} per action: "
                    f"set {param} to at most {_iso(params.seconds)}",
                )
            )
    return findings, functools.partial(_note, "longest action: ", longest) if longest else "no timed action"


def _note(prefix: str, seconds: float) -> str:
    return prefix + format_duration(seconds)


def _iso(seconds: float) -> str:
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return "PT" + (f"{h}H" if h else "") + (f"{m}M" if m else "") + (f"{sec}S" if sec or s == 0 else "")


def _selection(subject: Subject, params: selection.SelectionCaps) -> tuple[list[Finding], Note]:
    findings = []
    targets = subject.spec.targets
    for name, target in targets.items():
        problem = selection.check_target(name, target, params.cap(target.resource_type))
        if problem:
            findings.append(Finding(f"targets.{name}.selectionMode", problem))
    return findings, lambda: ", ".join(f"{n}: {t.selection_mode}" for n, t in targets.items()) or "no targets"


def _allowed(subject: Subject, params: ActionPatterns) -> tuple[list[Finding], Note]:
    findings = [
        Finding(
            f"actions.{name}.actionId",
            f"'{action.action_id}' is not an allowed action (allowed_actions: {', '.join(params.patterns)}); "
            "use one of those, or ask the policy's owner to allow it",
        )
        for name, action in subject.spec.actions.items()
        if params.match(action.action_id) is None
    ]
    return findings, f"{len(subject.spec.actions)} action{'s' if len(subject.spec.actions) != 1 else ''}"


def _denied(subject: Subject, params: ActionPatterns) -> tuple[list[Finding], Note]:
    findings = []
    for name, action in subject.spec.actions.items():
        hit = params.match(action.action_id)
        if hit is not None:
            findings.append(
                Finding(
                    f"actions.{name}.actionId",
                    f"'{action.action_id}' is denied by the policy (denied_actions: {hit}); use a reversible "
                    "action instead",
                )
            )
    return findings, ""


def _required_tags_check(subject: Subject, params: RequiredTags) -> tuple[list[Finding], Note]:
    tags = subject.spec.tags
    findings = []
    for key, allowed in params.tags.items():
        if key not in tags:
            example = allowed[0] if allowed else "<value>"
            findings.append(
                Finding(f"tags.{key}", f"is required by the policy: add tags: {{{key}: {example}}}")
            )
        elif allowed is not None and tags[key] not in allowed:
            findings.append(
                Finding(f"tags.{key}", f"is '{tags[key]}'; the policy allows only {', '.join(allowed)}")
            )
    return findings, ""


def _logging(subject: Subject, params: Any) -> tuple[list[Finding], Note]:
    if subject.spec.log_configuration is not None:
        return [], ""
    return [
        Finding(
            "logConfiguration",
            "is required by the policy: send the experiment log to CloudWatch Logs or S3, e.g. "
            "logConfiguration: {logSchemaVersion: 2, cloudWatchLogsConfiguration: {logGroupArn: <ARN>}}",
        )
    ], ""


def _report(subject: Subject, params: Any) -> tuple[list[Finding], Note]:
    report = subject.spec.report_configuration
    if report is not None and report.s3_bucket_name is not None:
        return [], ""
    return [
        Finding(
            "experimentReportConfiguration",
            "is required by the policy: have FIS write a report to S3, e.g. experimentReportConfiguration: "
            "{outputs: {s3Configuration: {bucketName: <bucket>}}}",
        )
    ], ""


def _role_trust(subject: Subject, params: Any) -> tuple[list[Finding] | None, Note]:
    if subject.role_trust_policy is None:
        return None, "the role's trust policy is not known here"
    problems = trust.trust_problems(subject.role_trust_policy, subject.spec.role_arn)
    return [Finding("roleArn", p) for p in problems], ""


def _on(params: Any) -> str:
    return "on"


def _rule(
    id: str,
    title: str,
    value_key: str | None,
    parse: Parse,
    describe: Callable[[Any], str],
    check: Check,
    scope: str,
) -> Rule:
    return Rule(id, title, value_key, parse, describe, check, (scope,) if scope else ())


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        _rule(
            "stop_condition_required",
            "an experiment that nothing can stop early",
            None,
            _no_params,
            lambda p: "a CloudWatch alarm stop condition",
            _stop_condition,
            "stopConditions",
        ),
        _rule(
            "max_duration",
            "a long experiment",
            "max",
            _duration,
            lambda p: f"whole experiment at most {p.text}",
            _max_duration,
            "actions",
        ),
        _rule(
            "max_action_duration",
            "a long action",
            "max",
            _duration,
            lambda p: f"each action at most {p.text}",
            _max_action_duration,
            "actions",
        ),
        _rule(
            "max_selection",
            "hitting more resources than intended",
            "resource_types",
            _selection_caps,
            selection.describe,
            _selection,
            "targets",
        ),
        _rule(
            "allowed_actions",
            "actions outside an approved list",
            "actions",
            _patterns,
            lambda p: "actions matching " + ", ".join(p.patterns),
            _allowed,
            "actions",
        ),
        _rule(
            "denied_actions",
            "forbidden actions (irreversible ones, say)",
            "actions",
            _patterns,
            lambda p: "no action matching " + ", ".join(p.patterns),
            _denied,
            "actions",
        ),
        _rule(
            "required_tags",
            "templates nobody owns",
            "tags",
            _required_tags,
            lambda p: (
                "tags " + ", ".join(k if v is None else f"{k} in [{', '.join(v)}]" for k, v in p.tags.items())
            ),
            _required_tags_check,
            "tags",
        ),
        _rule(
            "require_logging",
            "runs without a log",
            None,
            _no_params,
            lambda p: "a logConfiguration",
            _logging,
            "logConfiguration",
        ),
        _rule(
            "require_report",
            "runs without a report",
            None,
            _no_params,
            lambda p: "an experiment report to S3",
            _report,
            "experimentReportConfiguration",
        ),
        _rule(
            "role_trust",
            "a role any account's FIS experiments could use (confused deputy)",
            None,
            _no_params,
            lambda p: "role trust limited by aws:SourceAccount and aws:SourceArn",
            _role_trust,
            "",
        ),
    )
}
