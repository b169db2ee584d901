"""The CrossGuard policies: one per guardrail rule, each reporting that rule's violations on our
``ExperimentTemplate`` resources with the template's field path, from the same YAML policy the CLI uses.

Which policy: ``$CHAOS_PULUMI_POLICY`` (a path relative to the Pulumi project directory,
``safe-defaults`` or ``none``), else the ``policy`` of the nearest ``chaos-pulumi.yaml`` above the
project directory, else the built-in safe defaults. A policy that cannot be read fails every template
(policy ``guardrail_policy``) rather than letting them through.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from chaos_pulumi.policy_pack import PACK_DIR, PACK_NAME
from chaos_pulumi.spec import TemplateSpec
from chaos_pulumi.spec.guardrails import (
    POLICY_ENV,
    RULES,
    WAIVER_RULE,
    Evaluation,
    PolicyChoice,
    evaluate,
    resolve_policy,
    safe_defaults,
)

# `class ExperimentTemplate(pulumi.dynamic.Resource, module="fis", name="ExperimentTemplate")`
TEMPLATE_TYPE = "pulumi-python:dynamic/fis:ExperimentTemplate"
ROLE_TYPE = "aws:iam/role:Role"  # pulumi-aws; its trust policy input is `assumeRolePolicy`
POLICY_FILE_POLICY = "guardrail_policy"
WAIVED_POLICY = "waived"
_LEVELS = {"error": EnforcementLevel.MANDATORY, "warning": EnforcementLevel.ADVISORY}


class Plain:
    """Proxied props of pulumi-policy -> plain dicts and lists, recording the paths not known yet."""

    def __init__(self) -> None:
        self.unknown: list[str] = []
        self.unknown_error: UnknownValueError | None = None

    def read(self, value: Any, path: str = "") -> Any:
        if isinstance(value, Mapping):
            out = {}
            for key in list(value):
                child = f"{path}.{key}" if path else str(key)
                item = self._get(value, key, child)
                if item is not _MISSING:
                    out[str(key)] = self.read(item, child)
            return out
        if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
            items = []
            for i in range(len(value)):
                item = self._get(value, i, f"{path}.{i}")
                if item is not _MISSING:
                    items.append(self.read(item, f"{path}.{i}"))
            return items
        if isinstance(value, float) and value.is_integer():
            return int(value)  # Pulumi sends every number as a float
        return value

    def _get(self, container: Any, key: Any, path: str) -> Any:
        try:
            return container[key]
        except UnknownValueError as e:
            self.unknown.append(path)
            self.unknown_error = self.unknown_error or e
            return _MISSING


class TemplateProps(Plain):
    """The ``template`` input of one resource as plain data, and the paths of its values not known yet."""

    def __init__(self, props: Mapping[str, Any]) -> None:
        super().__init__()
        # `in` on a pulumi-policy proxy reads the value (and raises if unknown); its keys do not.
        raw = self._get(props, "template", "") if "template" in list(props) else {}
        data = {} if raw is _MISSING else self.read(raw)
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}


_MISSING = object()


class Guardrails:
    """Evaluates each template once per (resource, inputs) and hands each policy its rule's findings."""

    def __init__(self, choice: PolicyChoice) -> None:
        self.choice = choice
        self._cache: dict[tuple[str, str, str], tuple[TemplateProps, Evaluation | None]] = {}

    def evaluation(
        self, urn: str, props: Mapping[str, Any], trust: Any = None
    ) -> tuple[TemplateProps, Evaluation | None]:
        template = TemplateProps(props)
        key = (urn, json.dumps(template.data, sort_keys=True, default=str), json.dumps(trust, default=str))
        if key not in self._cache:
            result = None
            if self.choice.ok:
                spec = TemplateSpec.from_dict(template.data)
                result = evaluate(spec, self.choice.policy, role_trust_policy=trust, unknown=template.unknown)
            self._cache[key] = (template, result)
        return self._cache[key]

    def report(
        self,
        rule: str,
        template: TemplateProps,
        result: Evaluation,
        report: Callable[..., None],
        urn: str | None = None,
    ) -> None:
        """Report ``rule``'s violations; an undecided rule of one resource raises the SDK's 'not known
        at preview' (a stack policy passes ``urn`` and skips undecided templates instead)."""
        for problem in result.problems:
            if problem.rule == rule:
                text = f"{problem.path}: {problem.message}" if problem.path else problem.message
                report(f"[{rule}] {text} (policy {result.policy.name})", urn)
        verdict = result.verdict(rule)
        undecided = verdict is not None and verdict.status == "undecided"
        if undecided and urn is None and template.unknown_error is not None:
            raise template.unknown_error


def _resource_policy(guard: Guardrails, rule: str) -> ResourceValidationPolicy:
    config = guard.choice.policy.rules[rule]

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type != TEMPLATE_TYPE:
            return
        template, result = guard.evaluation(args.urn, args.props)
        if result is not None:
            guard.report(rule, template, result, report)

    return ResourceValidationPolicy(
        name=rule,
        description=f"FIS templates need {config.requirement()} (guards against {RULES[rule].title})",
        validate=validate,
        enforcement_level=_LEVELS[config.level],
    )


def _role_trust_policy(guard: Guardrails) -> StackValidationPolicy:
    config = guard.choice.policy.rules["role_trust"]

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        by_urn = {r.urn: r for r in args.resources}
        for resource in args.resources:
            if resource.resource_type != TEMPLATE_TYPE:
                continue
            document = role_trust_document(resource, args.resources, by_urn)
            if document is None:
                continue  # the role is not in this stack: nothing known to check
            template, result = guard.evaluation(resource.urn, resource.props, document)
            if result is not None:
                guard.report("role_trust", template, result, report, resource.urn)

    return StackValidationPolicy(
        name="role_trust",
        description=f"FIS templates need {config.requirement()} (guards against {RULES['role_trust'].title})",
        validate=validate,
        enforcement_level=_LEVELS[config.level],
    )


def role_trust_document(template: Any, resources: Sequence[Any], by_urn: Mapping[str, Any]) -> Any:
    """The trust policy of the ``aws.iam.Role`` a template uses, when that role is in the stack.

    Found through the template's dependencies (``role_arn=role.arn``), else by ARN. None when unknown.
    """
    candidates = list(getattr(template, "dependencies", None) or [])
    for deps in (getattr(template, "property_dependencies", None) or {}).values():
        candidates.extend(deps)
    roles = [by_urn.get(getattr(r, "urn", None), r) for r in candidates]
    roles = [r for r in roles if getattr(r, "resource_type", None) == ROLE_TYPE]
    if not roles:
        try:
            arn = template.props["template"]["roleArn"]
        except (UnknownValueError, KeyError, TypeError):
            return None
        roles = [r for r in resources if r.resource_type == ROLE_TYPE and _get(r.props, "arn") == arn]
    for role in roles:
        document = _get(role.props, "assumeRolePolicy")
        plain = Plain()
        document = plain.read(document)
        if document is not None and not plain.unknown:
            return document
    return None


def _get(props: Mapping[str, Any], key: str) -> Any:
    try:
        return props[key]
    except (UnknownValueError, KeyError):
        return None


def _waiver_policies(guard: Guardrails) -> list[ResourceValidationPolicy]:
    def broken(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type != TEMPLATE_TYPE:
            return
        _, result = guard.evaluation(args.urn, args.props)
        for p in result.problems if result else ():
            if p.rule == WAIVER_RULE and p.severity == "error":
                report(f"[{WAIVER_RULE}] {p.path}: {p.message}")

    def waived(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type != TEMPLATE_TYPE:
            return
        _, result = guard.evaluation(args.urn, args.props)
        if result is None:
            return
        for v in result.verdicts:
            if v.status == "waived" and result.waiver is not None:
                where = ", ".join(f.path for f in v.findings)
                report(f"[{v.rule}] waived by tag {result.waiver.tag} ({where}): {result.waiver.reason}")
        for p in result.problems:
            if p.rule == WAIVER_RULE and p.severity == "warning":
                report(f"[{WAIVER_RULE}] {p.path}: {p.message}")

    return [
        ResourceValidationPolicy(
            name=WAIVER_RULE,
            description=f"a {guard.choice.policy.waiver_tag} tag names known, waivable rules and a reason",
            validate=broken,
            enforcement_level=EnforcementLevel.MANDATORY,
        ),
        ResourceValidationPolicy(
            name=WAIVED_POLICY,
            description="shows every rule a template waives, and why (advisory: waivers are allowed)",
            validate=waived,
            enforcement_level=EnforcementLevel.ADVISORY,
        ),
    ]


def _policy_file_policy(choice: PolicyChoice) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type != TEMPLATE_TYPE:
            return
        if not choice.ok:
            errors = "; ".join(str(p) for p in choice.problems if p.severity == "error")
            report(
                f"[{POLICY_FILE_POLICY}] the guardrail policy cannot be used, so no template may pass: "
                + errors
            )

    if choice.ok and not choice.policy.enabled:
        description = f"guardrails are off: {choice.policy.describe()}"
    elif choice.ok:
        description = f"guardrail policy {choice.policy.describe()}"
    else:
        description = "the guardrail policy must load (it does not)"
    return ResourceValidationPolicy(
        name=POLICY_FILE_POLICY,
        description=description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def policies(choice: PolicyChoice) -> list[Any]:
    """The pack's policies for a chosen guardrail policy (one per enabled rule, plus waivers)."""
    out: list[Any] = [_policy_file_policy(choice)]
    if not choice.ok or not choice.policy.enabled:
        return out
    guard = Guardrails(choice)
    for rule in choice.policy.rules:
        out.append(_role_trust_policy(guard) if rule == "role_trust" else _resource_policy(guard, rule))
    return out + _waiver_policies(guard)


def project_directory() -> Path | None:
    """The Pulumi project the pack checks: the language host that starts it runs in that directory.

    Our host starts the pack in the pack's own directory and runs in the project's; upstream hosts
    start plugins in the project directory. A candidate counts only if it holds a Pulumi.yaml.
    """
    candidates = [Path.cwd()]
    try:
        candidates.append(Path(os.readlink(f"/proc/{os.getppid()}/cwd")))
    except OSError:
        pass
    for directory in candidates:
        if directory != PACK_DIR and any((directory / n).is_file() for n in ("Pulumi.yaml", "Pulumi.yml")):
            return directory
    return None


def choose_policy() -> PolicyChoice:
    project = project_directory()
    if project is not None:
        os.chdir(project)  # relative paths in $CHAOS_PULUMI_POLICY are relative to the project
        return resolve_policy(start=project, option="the policy pack")
    if os.environ.get(POLICY_ENV):
        return resolve_policy(option="the policy pack")
    # Searching upwards from the pack's own directory would find some other repository's config.
    return PolicyChoice(
        replace(safe_defaults(), origin=f"the default (project directory not found; set ${POLICY_ENV})")
    )


def serve() -> None:
    """Serve the pack to the Pulumi engine (blocks; the engine stops the process)."""
    PolicyPack(
        name=PACK_NAME, policies=policies(choose_policy()), enforcement_level=EnforcementLevel.MANDATORY
    )
