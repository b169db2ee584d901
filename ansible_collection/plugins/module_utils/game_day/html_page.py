# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""report.html: the journal as one self-contained page (no script, stylesheet, font or image is loaded)."""

from __future__ import annotations

from html import escape
from typing import Any

from ansible_collections.chaos.faults.plugins.module_utils.game_day.chaostoolkit import CHAOSTOOLKIT_JOURNAL
from ansible_collections.chaos.faults.plugins.module_utils.game_day.journal import GENERATOR
from ansible_collections.chaos.faults.plugins.module_utils.game_day.text import (
    all_probes,
    compact,
    met,
    probe_row,
    short,
)
from ansible_collections.chaos.faults.plugins.module_utils.game_day.timeline import svg_timeline
from ansible_collections.chaos.faults.plugins.module_utils.game_day.times import clock

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1000px;
color:#212529}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #dee2e6}
table{border-collapse:collapse;width:100%;font-size:.88rem;table-layout:auto}\ntd{overflow-wrap:anywhere}
th,td{border:1px solid #dee2e6;padding:.3rem .5rem;
text-align:left;vertical-align:top} th{background:#f8f9fa} code{font-size:.85rem}
.badge{display:inline-block;padding:.15rem .6rem;border-radius:.8rem;color:#fff;font-weight:bold}
.completed{background:#2b8a3e}.failed{background:#c92a2a}.aborted{background:#e8590c}.interrupted{background:#868e96}
.dev-yes{background:#c92a2a}.dev-no{background:#2b8a3e}
.no{color:#c92a2a;font-weight:bold} .yes{color:#2b8a3e}
.muted{color:#868e96} figure{margin:1rem 0;overflow-x:auto}
"""


def render_html(journal: dict[str, Any]) -> str:
    e = escape
    exp = journal["experiment"]
    dev = "yes" if journal["deviated"] else "no"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Game day: {e(exp['title'])}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Game day: {e(exp['title'])}</h1>",
    ]
    if exp.get("description"):
        out.append(f"<p>{e(exp['description'])}</p>")
    out.append(
        f'<p><span class="badge {e(journal["status"])}">{e(journal["status"])}</span> '
        f'<span class="badge dev-{dev}">steady state deviated: {dev}</span></p>'
    )
    out.append("<table>")
    for k, v in (
        ("mode", journal.get("mode") or "automated"),
        ("started", journal["start"]),
        ("ended", journal["end"]),
        ("duration", f"{journal['duration']} s"),
        ("hosts", ", ".join(journal["hosts"]) or "–"),
        ("controller", journal["node"]),
    ):
        out.append(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>")
    out.append("</table>")
    if journal["reasons"]:
        out.append("<h2>Why</h2><ul>" + "".join(f"<li>{e(r)}</li>" for r in journal["reasons"]) + "</ul>")
    stop = journal.get("stopped_early")
    if stop:
        out.append(f"<h2>Stopped early</h2><p>{e(clock(stop.get('at')))}: {e(str(stop.get('reason')))}</p>")
    out.append("<h2>Timeline</h2><figure>")
    out.append(svg_timeline(journal))
    out.append("</figure>")
    out.append(
        "<h2>Steady state</h2><table><tr><th>phase</th><th>probe</th><th>host</th><th>tolerance met</th>"
        "<th>success</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th></tr>"
    )
    for p in all_probes(journal):
        ratio, p50, p95, p99 = probe_row(p)
        ok = met(p["tolerance_met"])
        out.append(
            f"<tr><td>{e(str(p['phase']))}</td><td>{e(p['activity']['name'])}</td><td>{e(str(p['host']))}</td>"
            f'<td class="{ok}">{ok}</td><td>{ratio}</td><td>{p50}</td><td>{p95}</td><td>{p99}</td></tr>'
        )
    out.append("</table>")
    out.append(
        "<h2>Faults</h2><table><tr><th>host</th><th>fault</th><th>id</th><th>injected</th><th>started</th>"
        "<th>reverted</th><th>by</th><th>guard violation</th></tr>"
    )
    for w in journal["faults"]:
        out.append(
            f"<tr><td>{e(str(w['host']))}</td><td>{e(str(w['fault']))}</td><td><code>{e(str(w['fault_id']))}"
            f"</code></td><td><code>{e(compact(w['injected']))}</code></td>"
            f"<td>{e(clock(w['start']))}</td>"
            f"<td>{e(clock(w['end']) if w['end'] else 'not reverted')}</td>"
            f"<td>{e(str(w['reverted_by'] or '–'))}</td>"
            f"<td>{e(short(w['guard_violation'], 120)) if w['guard_violation'] else '–'}</td></tr>"
        )
    out.append("</table>")
    failed = [r for r in journal["run"] + journal["rollbacks"] if r["status"] == "failed"]
    if failed:
        out.append(
            "<h2>Failed steps</h2><ul>"
            + "".join(
                f"<li>{e(str(r['host']))}: {e(r['activity']['name'])}: {e(r['exception'][0])}</li>"
                for r in failed
            )
            + "</ul>"
        )
    if journal.get("notes"):
        out.append("<h2>Operator notes</h2><ul>")
        for n in journal["notes"]:
            who = f" {n['author']}" if n.get("author") else ""
            out.append(f"<li>{e(clock(n['at']))}{e(who)}: {e(n['text'])}</li>")
        out.append("</ul>")
    out.append("<h2>Events</h2><table><tr><th>time</th><th>host</th><th>event</th><th>detail</th></tr>")
    for ev in journal["events"]:
        out.append(
            f"<tr><td>{e(clock(ev['ts']))}</td><td>{e(str(ev['host']))}</td><td>{e(ev['event'])}</td>"
            f"<td>{e(str(ev['detail']))}</td></tr>"
        )
    out.append("</table>")
    out.append(
        f'<p class="muted">Journal: <a href="journal.json">journal.json</a>, Chaos Toolkit journal: '
        f'<a href="{CHAOSTOOLKIT_JOURNAL}">{CHAOSTOOLKIT_JOURNAL}</a> · generated by {e(GENERATOR)}</p>'
    )
    out.append("</body></html>")
    return "\n".join(out)
