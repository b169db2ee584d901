"""The guardrail policy when a component is constructed: its template must pass before anything is registered.

The policy is the one the CrossGuard pack applies to the same project (``$CHAOS_PULUMI_POLICY``, else the
nearest ``chaos-pulumi.yaml`` above the program's directory, else the safe defaults), evaluated by the
same ``chaos_pulumi.spec.guardrails.evaluate``. A component knows which of its arguments set each template
field, so the error names the argument, the rule and the field. The pack still checks the registered
``ExperimentTemplate`` (it also sees values known only at ``up`` and the role's trust policy).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pulumi

from chaos_pulumi.spec import Problem, TemplateSpec
from chaos_pulumi.spec.guardrails import Evaluation, Policy, evaluate, resolve_policy


def applicable_policy(what: str, start: Path | None = None) -> Policy:
    """The policy for the program's project; a policy that cannot be used stops the program (fail closed)."""
    choice = resolve_policy(start=start or Path.cwd(), option="policy setting")
    if not choice.ok or choice.policy is None:
        where = f" (named in {choice.config_file})" if choice.config_file else ""
        lines = "\n".join(f"  {p}" for p in choice.problems if p.severity == "error")
        raise pulumi.RunError(f"{what}: the guardrail policy{where} cannot be used, so nothing is created; "
                              f"fix it first:\n{lines}")
    return choice.policy


def _line(problem: Problem, argument: Callable[[str], str | None]) -> str:
    name = argument(problem.path)
    field = f"{name} (template field {problem.path})" if name else problem.path or "(template)"
    return f"{field}: [{problem.rule}] {problem.message}"


def enforce_guardrails(
    what: str,
    spec: TemplateSpec,
    policy: Policy,
    argument: Callable[[str], str | None] = lambda _path: None,
    waive_hint: str = "",
) -> Evaluation:
    """Evaluate ``policy`` on ``spec``: every error in one ``RunError`` (no traceback), warnings and
    waivers as Pulumi warnings. ``argument`` maps a template field path to the argument that sets it;
    ``waive_hint`` says how this component waives a rule, after the errors of waivable ones."""
    result = evaluate(spec, policy)
    errors = [p for p in result.problems if p.severity == "error"]
    if errors:
        lines = "\n".join(f"  {_line(p, argument)}" for p in errors)
        waivable = {v.rule for v in result.verdicts if v.waivable}
        if waive_hint and any(p.rule in waivable for p in errors):
            lines += f"\n  {waive_hint}"
        raise pulumi.RunError(
            f"{what}: breaks the guardrail policy {policy.describe()}; nothing is created:\n{lines}"
        )
    for problem in result.problems:
        pulumi.log.warn(f"{what}: {_line(problem, argument)}")
    for verdict in result.verdicts:
        if verdict.status == "waived" and result.waiver is not None:
            pulumi.log.warn(f"{what}: guardrail rule {verdict.rule} is waived: {result.waiver.reason}")
    return result
