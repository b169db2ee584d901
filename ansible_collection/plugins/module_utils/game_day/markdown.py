# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""report.md: the journal as a Markdown page."""

from __future__ import annotations

from typing import Any

from ansible_collections.chaos.faults.plugins.module_utils.game_day.text import (
    all_probes,
    met,
    probe_row,
    short,
)


def _cell(value: Any) -> str:
    return str(value).replace("|", "/")


def render_markdown(journal: dict[str, Any], html_name: str = "report.html") -> str:
    exp = journal["experiment"]
    lines = [f"# Game day: {exp['title']}", ""]
    if exp.get("description"):
        lines += [exp["description"], ""]
    lines += [
        "| | |",
        "|---|---|",
        f"| status | **{journal['status']}** |",
        f"| steady state deviated | **{'yes' if journal['deviated'] else 'no'}** |",
        f"| mode | {journal.get('mode') or 'automated'} |",
        f"| started | {journal['start']} |",
        f"| ended | {journal['end']} |",
        f"| duration | {journal['duration']} s |",
        f"| hosts | {', '.join(journal['hosts']) or '–'} |",
        f"| controller | {journal['node']} |",
        "",
    ]
    if journal["reasons"]:
        lines += ["## Why", ""] + [f"- {r}" for r in journal["reasons"]] + [""]
    if journal.get("stopped_early"):
        stop = journal["stopped_early"]
        lines += ["## Stopped early", "", f"- {stop.get('at')}: {stop.get('reason')}", ""]
    lines += [
        "## Steady state",
        "",
        "| phase | probe | host | tolerance met | success | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in all_probes(journal):
        ratio, p50, p95, p99 = probe_row(p)
        lines.append(
            f"| {p['phase']} | {p['activity']['name']} | {p['host']} | {met(p['tolerance_met'])} | "
            f"{ratio} | {p50} | {p95} | {p99} |"
        )
    lines += [
        "",
        "## Faults",
        "",
        "| host | fault | id | started | reverted | by | guard violation |",
        "|---|---|---|---|---|---|---|",
    ]
    for w in journal["faults"]:
        lines.append(
            f"| {w['host']} | {w['fault']} | {w['fault_id']} | {w['start'] or '–'} | {w['end'] or '–'} | "
            f"{w['reverted_by'] or '–'} | "
            f"{short(w['guard_violation'], 80) if w['guard_violation'] else '–'} |"
        )
    failed = [r for r in journal["run"] + journal["rollbacks"] if r["status"] == "failed"]
    if failed:
        lines += ["", "## Failed steps", ""]
        lines += [f"- {r['host']}: {r['activity']['name']}: {r['exception'][0]}" for r in failed]
    if journal.get("notes"):
        lines += ["", "## Operator notes", ""]
        lines += [
            f"- {n['at']}{' ' + n['author'] if n.get('author') else ''}: {n['text']}"
            for n in journal["notes"]
        ]
    lines += ["", "## Events", "", "| time | host | event | detail |", "|---|---|---|---|"]
    for e in journal["events"]:
        lines.append(f"| {e['ts']} | {e['host']} | {e['event']} | {_cell(e['detail'])} |")
    lines += ["", f"Timeline chart: [{html_name}]({html_name}); journal: [journal.json](journal.json)", ""]
    return "\n".join(lines)
