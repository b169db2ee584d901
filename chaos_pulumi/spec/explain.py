"""Markdown for a pull request: what an experiment template does, to whom, for how long, and how it ends."""

from __future__ import annotations

import re

from .catalog import Catalog, catalog
from .durations import format_duration
from .guardrails import Evaluation
from .iam import required_actions
from .model import Target, TemplateSpec
from .problems import Problem
from .timeline import Timeline, action_seconds, timeline

__all__ = [
    "Timeline",
    "action_seconds",
    "blast_radius",
    "describe_selection",
    "explain",
    "gantt",
    "guardrails_section",
    "timeline",
]
_MERMAID_UNSAFE = re.compile(r"[^A-Za-z0-9 _.()-]")
_ONE_DAY = 86400.0

_COUNT = re.compile(r"^COUNT\((\d+)\)$")
_PERCENT = re.compile(r"^PERCENT\((\d+)\)$")


def _code(text: str) -> str:
    return f"`{text}`"


def _total(seconds: float) -> str:
    if seconds:
        return format_duration(seconds)
    return "none fixed (every action completes once its API calls return)"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def describe_selection(target: Target) -> str:
    """'tags app=web; filter State.Name in [running]' and the like."""
    parts = []
    if target.resource_arns:
        n = len(target.resource_arns)
        parts.append(
            f"{n} listed ARN{'s' if n != 1 else ''}: " + ", ".join(_code(a) for a in target.resource_arns)
        )
    if target.resource_tags:
        parts.append("tags " + ", ".join(_code(f"{k}={v}") for k, v in target.resource_tags.items()))
    for f in target.filters:
        parts.append(f"filter {_code(f.path)} in [{', '.join(f.values)}]")
    if target.parameters:
        parts.append("parameters " + ", ".join(_code(f"{k}={v}") for k, v in target.parameters.items()))
    return "; ".join(parts) or "nothing"


def blast_radius(target: Target) -> str:
    """The most the target can hit, in words."""
    kind = target.resource_type.split(":")[-1]
    mode = target.selection_mode
    listed = len(target.resource_arns)
    if m := _COUNT.match(mode):
        n = int(m.group(1))
        if listed:
            n = min(n, listed)
        return f"{n} {kind}{'s' if n != 1 else ''} chosen at random" + (
            f" of {listed} listed" if listed else ""
        )
    if m := _PERCENT.match(mode):
        pool = f"the {listed} listed" if listed else "all matching"
        return f"{m.group(1)}% of {pool} ({kind}s, chosen at random)"
    if listed == 1:
        return f"the 1 listed {kind}"
    if listed:
        return f"all {listed} listed {kind}s"
    return f"every matching {kind} (no upper bound)"


def gantt(spec: TemplateSpec, tl: Timeline) -> list[str]:
    """A Mermaid ``gantt`` block of the actions at their latest start (GitHub renders it in pull requests).

    Times are offsets from the start written as clock times (00:05:00 = five minutes in), so the chart
    reads the same in every time zone; actions that complete at once are milestones, the longest path
    is marked critical.
    """
    if not tl.end:
        return []
    if tl.total_seconds >= _ONE_DAY:
        return ["_No chart: the experiment can run for a day or more._"]
    lines = [
        "```mermaid",
        "gantt",
        "    title Action timeline - latest start of each action, longest path in red",
        "    dateFormat HH:mm:ss",
        "    axisFormat %H:%M:%S",
        "    section Actions",
    ]
    critical = set(tl.critical_path) if len(tl.critical_path) > 1 or tl.total_seconds else set()
    for i, name in enumerate(spec.action_order()):
        start = int(tl.start[name])
        clock = f"{start // 3600:02d}:{start % 3600 // 60:02d}:{start % 60:02d}"
        seconds = int(round(tl.end[name] - tl.start[name]))
        tags = [t for t in ("crit" if name in critical else "", "milestone" if not seconds else "") if t]
        label = _MERMAID_UNSAFE.sub("_", name) or f"action {i}"
        lines.append(f"    {label} :{', '.join([*tags, f'a{i}'])}, {clock}, {seconds}s")
    lines.append("```")
    return lines


_VERDICT_WORDS = {
    "pass": "pass",
    "fail": "**FAIL**",
    "waived": "**waived**",
    "not checked": "not checked",
    "undecided": "undecided (depends on values not known yet)",
}


def guardrails_section(evaluation: Evaluation) -> list[str]:
    """Which guardrail rules apply to the template, their verdicts, the waiver and every violation."""
    policy = evaluation.policy
    lines = ["### Guardrails", ""]
    if not policy.enabled:
        origin = f" ({policy.origin})" if policy.origin else ""
        return [*lines, f"Guardrails are **off**: policy `none`{origin}. No rule is checked.", ""]
    where = "built in" if policy.source == "built in" else _code(policy.source)
    lines.append(f"Policy: **{policy.name}** ({where})" + (f", {policy.origin}." if policy.origin else "."))
    lines += ["", "| rule | requires | verdict |", "|---|---|---|"]
    for v in evaluation.verdicts:
        if v.status == "off":
            continue
        word = "warning" if v.status == "fail" and v.level == "warning" else _VERDICT_WORDS[v.status]
        note = f" ({v.note})" if v.note and v.status != "fail" else ""
        lines.append(f"| {_code(v.rule)} | {_cell(v.requirement)} | {word}{_cell(note)} |")
    off = [_code(v.rule) for v in evaluation.verdicts if v.status == "off"]
    if off:
        lines += ["", "Not enforced by this policy: " + ", ".join(off) + "."]
    waiver = evaluation.waiver
    if waiver is not None:
        lines += [
            "",
            f"**Waiver** (tag {_code(waiver.tag)}): waives "
            + ", ".join(_code(r) for r in waiver.rules)
            + f' - "{waiver.reason}"',
        ]
        for v in evaluation.verdicts:
            if v.status == "waived":
                lines += [
                    f"- waived {_code(f.path or '(template)')} ({_code(v.rule)}): {f.message}"
                    for f in v.findings
                ]
    if evaluation.problems:
        lines += ["", "Violations:" if not evaluation.passed else "Warnings:"]
        lines += [
            f"- {p.severity} {_code(p.path or '(template)')} ({_code(p.rule or 'guardrails')}): {p.message}"
            for p in evaluation.problems
        ]
    lines.append("")
    return lines


def explain(
    spec: TemplateSpec,
    problems: list[Problem] | None = None,
    cat: Catalog | None = None,
    guardrails: Evaluation | None = None,
) -> str:
    """A Markdown review of the template; with ``guardrails``, the policy's verdicts come first."""
    cat = cat or catalog()
    tl = timeline(spec, cat)
    lines: list[str] = [f"## Chaos experiment: {spec.description}", ""]
    lines.append(f"- **Role:** {_code(spec.role_arn)}")
    opts = spec.experiment_options
    lines.append(
        f"- **Accounts:** {opts.account_targeting}; **if no target resolves:** "
        + ("the experiment fails" if opts.empty_target_resolution_mode == "fail" else "the action is skipped")
    )
    if spec.tags:
        lines.append("- **Tags:** " + ", ".join(_code(f"{k}={v}") for k, v in spec.tags.items()))
    lines.append(
        f"- **Longest run:** {_total(tl.total_seconds)}"
        + (f" ({' → '.join(tl.critical_path)})" if len(tl.critical_path) > 1 else "")
    )
    lines.append("")
    if guardrails is not None:
        lines += guardrails_section(guardrails)

    lines += ["### What it does", ""]
    for name in spec.action_order():
        action = spec.actions[name]
        aspec = cat.actions.get(action.action_id)
        what = (aspec.description if aspec else "Unknown action.").rstrip(".")
        on = [f"**{t}**" for t in action.targets.values()]
        when = (
            "after " + ", ".join(f"**{d}**" for d in action.start_after)
            if action.start_after
            else "at the start of the experiment"
        )
        secs = action_seconds(spec, name, cat)
        dur = f"for {format_duration(secs)}" if secs else "once"
        sentence = f"1. **{name}** ({_code(action.action_id)})"
        sentence += f" on {', '.join(on)}" if on else ""
        sentence += f": {what} - {when}, {dur}."
        if action.description:
            sentence += f" _{action.description}_"
        settings = {
            k: v for k, v in action.parameters.items() if aspec is None or k != aspec.duration_parameter
        }
        if settings:
            sentence += " Settings: " + ", ".join(_code(f"{k}={v}") for k, v in settings.items()) + "."
        if aspec is not None and not aspec.confirmed:
            sentence += f" _(catalog entry not fully confirmed: {aspec.note or 'see the catalog'})_"
        lines.append(sentence)
    lines.append("")

    lines += ["### Targets and blast radius", ""]
    if spec.targets:
        lines += [
            "| target | resource type | selection | selected by | at most |",
            "|---|---|---|---|---|",
        ]
        for name, t in spec.targets.items():
            lines.append(
                f"| {name} | {_code(t.resource_type)} | {_code(t.selection_mode)} | "
                f"{_cell(describe_selection(t))} | {_cell(blast_radius(t))} |"
            )
    else:
        lines.append("No targets: the actions act on no resources directly.")
    lines.append("")

    lines += ["### Timeline", ""]
    lines += ["| action | starts (latest) | runs at most | ends (latest) |", "|---|---|---|---|"]
    for name in spec.action_order():
        secs = tl.end[name] - tl.start[name]
        lines.append(
            f"| {name} | +{format_duration(tl.start[name])} | "
            f"{format_duration(secs) if secs else 'completes at once'} | +{format_duration(tl.end[name])} |"
        )
    lines.append("")
    chart = gantt(spec, tl)
    if chart:
        lines += [*chart, ""]
    lines.append(f"Total maximum duration: **{_total(tl.total_seconds)}**.")
    lines.append("")

    lines += ["### Stop conditions", ""]
    alarms = [s for s in spec.stop_conditions if s.source == "aws:cloudwatch:alarm"]
    if alarms:
        for s in alarms:
            lines.append(
                f"- CloudWatch alarm {_code(s.value or '')}: "
                "the experiment stops as soon as it goes to ALARM."
            )
    else:
        lines.append(
            "- **None.** Nothing stops this experiment early; add an `aws:cloudwatch:alarm` stop condition."
        )
    lines.append("")

    lines += ["### What reverts and when", ""]
    for name in spec.action_order():
        aspec = cat.actions.get(spec.actions[name].action_id)
        reverts = aspec.reverts_for(spec.actions[name].parameters) if aspec else None
        reverts = reverts or "Unknown (action not in the catalog)."
        lines.append(f"- **{name}**: {reverts.strip()}")
    lines.append(
        "- Stopping the experiment (stop condition or `StopExperiment`) ends running actions the same way."
    )
    lines.append("")

    lines += ["### IAM actions the experiment role needs", ""]
    perms = required_actions(spec, cat)
    lines.append(", ".join(_code(p) for p in perms) if perms else "None.")
    optional = sorted(
        {
            f"{_code(perm)} ({spec.actions[n].action_id})"
            for n in spec.actions
            if (a := cat.actions.get(spec.actions[n].action_id)) is not None
            for perm in a.permissions.optional
            if perm not in perms
        }
    )
    if optional:
        lines.append("")
        lines.append("Only in some set-ups (not in the generated policy): " + ", ".join(optional) + ".")
    lines.append("")
    lines.append("Generate the scoped policy with `chaos-pulumi iam-policy <file>`.")
    extras = []
    if spec.log_configuration is not None:
        dests = []
        if spec.log_configuration.cloudwatch_logs_log_group_arn:
            dests.append(_code(spec.log_configuration.cloudwatch_logs_log_group_arn))
        if spec.log_configuration.s3_bucket_name:
            dests.append(_code(f"s3://{spec.log_configuration.s3_bucket_name}"))
        extras.append("- **Logs** go to " + " and ".join(dests) + ".")
    rc = spec.report_configuration
    if rc is not None and rc.s3_bucket_name:
        extras.append(f"- **Report** goes to {_code('s3://' + rc.s3_bucket_name)}.")
    if extras:
        lines += ["", "### Records", "", *extras]

    warnings = [p for p in (problems or []) if p.severity == "warning"]
    if warnings:
        lines += ["", "### Warnings", ""]
        lines += [f"- {_code(p.path or '(template)')}: {p.message}" for p in warnings]
    return "\n".join(lines).rstrip() + "\n"
