# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

"""The guardrail policy for the chaos.faults FIS modules (private: not a public API of the collection).

A FIS module adds ``**POLICY_OPTION`` to its argument spec and calls :func:`enforce_policy` with the
template it is about to create or start, before any call that changes AWS (and in check mode too):
a template that breaks the policy fails the task with every problem, and nothing is created or
started. The rules are chaos-pulumi's (``chaos_pulumi.spec.guardrails``), the same ones
``chaos-pulumi validate`` and the Pulumi policy pack enforce.
"""

import traceback

try:
    from chaos_pulumi.spec import TemplateSpec
    from chaos_pulumi.spec.guardrails import evaluate, resolve_policy

    HAS_GUARDRAILS = True
    GUARDRAILS_IMPORT_ERROR = None
except ImportError:
    HAS_GUARDRAILS = False
    GUARDRAILS_IMPORT_ERROR = traceback.format_exc()

# Merge into a module's argument_spec; documented by the chaos.faults.guardrails doc fragment.
POLICY_OPTION = dict(policy_file=dict(type="str"))


def _problem_dict(problem):
    out = dict(path=problem.path, message=problem.message, severity=problem.severity)
    if problem.rule:
        out["rule"] = problem.rule
    return out


def _problem_line(problem):
    rule = f"[{problem.rule}] " if problem.rule else ""
    return f"{problem.path or '(template)'}: {rule}{problem.message}"


def module_policy(module, start=None):
    """The guardrail policy that applies to this task: the module's ``policy_file`` option, else
    ``$CHAOS_PULUMI_POLICY``, else the ``chaos-pulumi.yaml`` above ``start`` (the template file, else the
    working directory), else the built-in safe defaults. A policy that cannot be used fails the task."""
    if not HAS_GUARDRAILS:
        module.fail_json(
            msg="the guardrail policy cannot be checked: chaos-pulumi is not importable on the controller",
            exception=GUARDRAILS_IMPORT_ERROR,
        )
    choice = resolve_policy(module.params.get("policy_file"), start=start, option="policy_file")
    if not choice.ok:
        where = f" (named in {choice.config_file})" if choice.config_file else ""
        module.fail_json(
            msg=f"the guardrail policy{where} cannot be used; nothing was changed:\n"
            + "\n".join(_problem_line(p) for p in choice.problems),
            problems=[_problem_dict(p) for p in choice.problems],
        )
    return choice.policy


def enforce_policy(module, template, source="template", start=None, live=False, policy=None):
    """Fail the task unless ``template`` follows the guardrail policy; return what to report about it.

    ``template`` is the template in the FIS file format (camelCase), or with ``live=True`` a
    ``GetExperimentTemplate`` response's ``experimentTemplate``. ``policy`` is the one
    :func:`module_policy` chose (looked up from ``start`` when not given). The return value goes into the
    module result as ``guardrails``.
    """
    if policy is None:
        policy = module_policy(module, start)
    spec = TemplateSpec.from_fis(template) if live else TemplateSpec.from_dict(template)
    evaluation = evaluate(spec, policy)
    summary = dict(
        policy=policy.name,
        source=policy.source,
        origin=policy.origin,
        verdicts=dict((v.rule, v.status) for v in evaluation.verdicts),
        waivers=[
            dict(rule=v.rule, reason=evaluation.waiver.reason, paths=[f.path for f in v.findings])
            for v in evaluation.verdicts
            if v.status == "waived" and evaluation.waiver is not None
        ],
    )
    errors = [p for p in evaluation.problems if p.severity == "error"]
    if errors:
        module.fail_json(
            msg=f"{source} breaks the guardrail policy {policy.describe()} ({len(errors)} "
            f"problem{'' if len(errors) == 1 else 's'}); nothing was changed:\n"
            + "\n".join(_problem_line(p) for p in errors),
            problems=[_problem_dict(p) for p in evaluation.problems],
            guardrails=summary,
        )
    for problem in evaluation.problems:
        module.warn(f"{source}: {_problem_line(problem)}")
    for waived in summary["waivers"]:
        module.warn(f"{source}: guardrail rule {waived['rule']} is waived: {waived['reason']}")
    return summary
