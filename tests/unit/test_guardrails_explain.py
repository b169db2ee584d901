"""explain: the guardrail verdicts (with any waiver) and the Mermaid gantt chart of the timeline."""

from __future__ import annotations

import dataclasses

from chaos_pulumi.spec import TemplateSpec, load_file
from chaos_pulumi.spec.explain import explain, gantt, timeline
from chaos_pulumi.spec.guardrails import Policy, evaluate, safe_defaults

from ._spec_fixtures import EXAMPLES, base_template

RDS = next(p for p in EXAMPLES if p.name == "rds-reboot.yaml")


def test_gantt_block_puts_each_action_at_its_latest_start() -> None:
    spec = load_file(RDS).spec
    assert gantt(spec, timeline(spec)) == [
        "```mermaid",
        "gantt",
        "    title Action timeline - latest start of each action, longest path in red",
        "    dateFormat HH:mm:ss",
        "    axisFormat %H:%M:%S",
        "    section Actions",
        "    baseline :crit, a0, 00:00:00, 60s",
        "    reboot :crit, milestone, a1, 00:01:00, 0s",
        "    recover :crit, a2, 00:01:00, 300s",
        "    verify :crit, milestone, a3, 00:06:00, 0s",
        "```",
    ]
    assert "\n".join(gantt(spec, timeline(spec))) in explain(spec)


def test_gantt_marks_only_the_longest_path_and_keeps_labels_mermaid_safe() -> None:
    t = base_template()  # stop (5m) -> stress (2m)
    t["actions"]["short:side"] = {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1H30M"}}
    spec = TemplateSpec.from_dict(t)
    chart = gantt(spec, timeline(spec))
    assert chart[-4:] == [
        "    stop :a0, 00:00:00, 300s",
        "    stress :a1, 00:05:00, 120s",
        "    short_side :crit, a2, 00:00:00, 5400s",
        "```",
    ]
    long = TemplateSpec.from_dict(
        {**t, "actions": {"w": {"actionId": "aws:fis:wait", "parameters": {"duration": "P2D"}}}}
    )
    assert gantt(long, timeline(long)) == ["_No chart: the experiment can run for a day or more._"]


def test_explain_without_a_policy_has_no_guardrails_section() -> None:
    assert "### Guardrails" not in explain(load_file(RDS).spec)


def test_explain_shows_rules_verdicts_and_what_is_off() -> None:
    spec = load_file(RDS).spec
    md = explain(spec, guardrails=evaluate(spec, safe_defaults()))
    assert "### Guardrails" in md
    assert md.index("### Guardrails") < md.index("### What it does")
    assert "Policy: **safe-defaults** (built in)." in md
    assert "| `max_duration` | whole experiment at most 1h | pass (this template: 6m) |" in md
    assert "| `role_trust` | role trust limited by aws:SourceAccount and aws:SourceArn | not checked" in md
    assert (
        "Not enforced by this policy: `allowed_actions`, `required_tags`, `require_logging`, "
        "`require_report`." in md
    )
    assert "Violations:" not in md


def test_explain_shows_the_waiver_and_what_it_waives() -> None:
    spec = load_file(RDS).spec
    spec = dataclasses.replace(
        spec, stop_conditions=(), tags={"chaos:waiver": "stop_condition_required: staging only, OPS-123"}
    )
    md = explain(spec, guardrails=evaluate(spec, safe_defaults()))
    assert "| `stop_condition_required` | a CloudWatch alarm stop condition | **waived** (no alarm) |" in md
    assert '**Waiver** (tag `chaos:waiver`): waives `stop_condition_required` - "staging only, OPS-123"' in md
    assert "- waived `stopConditions` (`stop_condition_required`): has no CloudWatch alarm" in md


def test_explain_lists_violations_with_paths() -> None:
    t = base_template()
    t["targets"]["web"]["selectionMode"] = "PERCENT(80)"
    spec = TemplateSpec.from_dict(t)
    md = explain(spec, guardrails=evaluate(spec, safe_defaults()))
    assert "| `max_selection` | *: COUNT ≤ 10, PERCENT ≤ 50, ALL only on listed ARNs | **FAIL** |" in md
    assert "- error `targets.web.selectionMode` (`max_selection`): PERCENT(80) selects 80%" in md


def test_explain_says_when_guardrails_are_off() -> None:
    spec = load_file(RDS).spec
    md = explain(spec, guardrails=evaluate(spec, Policy.off("from --policy")))
    assert "Guardrails are **off**: policy `none` (from --policy). No rule is checked." in md
