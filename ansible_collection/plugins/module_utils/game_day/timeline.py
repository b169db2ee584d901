# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""The report's timeline: an inline SVG with the fault windows per host and fault on top, and every
probe sample's latency (failed samples marked) over time below, the before/during/after phases shaded."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from ansible_collections.chaos.faults.plugins.module_utils.game_day.events import PHASES
from ansible_collections.chaos.faults.plugins.module_utils.game_day.text import all_probes, short
from ansible_collections.chaos.faults.plugins.module_utils.game_day.times import parse_time

FAULT_COLORS = {
    "cpu_stress": "#e8590c",
    "memory_stress": "#7048e8",
    "io_stress": "#1098ad",
    "disk_fill": "#5c940d",
    "service_stop": "#c2255c",
    "network_latency": "#1c7ed6",
    "network_blackhole": "#212529",
    "process_kill": "#f08c00",
}
SERIES_COLORS = ("#1c7ed6", "#e8590c", "#2b8a3e", "#862e9c", "#c92a2a", "#495057")


def lane_key(w: dict[str, Any]) -> str:
    return f"{w['host']} · {w['fault']}"


def _phase_bands(journal: dict[str, Any]) -> list[tuple[str, datetime, datetime]]:
    bands = []
    for phase in PHASES:
        starts, ends = [], []
        for p in all_probes(journal):
            if p["phase"] == phase:
                starts.append(parse_time(p["start"]))
                ends.append(parse_time(p["end"]))
        starts = [t for t in starts if t]
        ends = [t for t in ends if t]
        if starts and ends:
            bands.append((phase, min(starts), max(ends)))
    return bands


def svg_timeline(journal: dict[str, Any], width: int = 960) -> str:
    """An inline SVG: fault windows per host and fault on top, probe latency and success below."""
    t0 = parse_time(journal["start"])
    t1 = parse_time(journal["end"])
    times = [parse_time(s["t"]) for p in all_probes(journal) for s in p["samples"]]
    times = [t for t in times + [t0, t1] if t is not None]
    t0, t1 = min(times), max(times)
    span = max((t1 - t0).total_seconds(), 1.0)
    left, right = 210, 20
    plot_w = width - left - right
    windows = [w for w in journal["faults"] if parse_time(w["start"])]
    lanes = sorted({lane_key(w) for w in windows}) or [str(h) for h in journal["hosts"]] or ["localhost"]
    lane_h, top = 22, 28
    lanes_h = lane_h * len(lanes)
    chart_top = top + lanes_h + 40
    chart_h = 220
    height = chart_top + chart_h + 74

    def x(t: datetime | None) -> float:
        if t is None:
            return left + plot_w
        frac = (t - t0).total_seconds() / span
        return left + plot_w * min(max(frac, 0.0), 1.0)

    e = escape
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" font-family="sans-serif" font-size="12" role="img" '
        f'aria-label="game day timeline">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{left}" y="16" font-weight="bold">Fault windows per host</text>',
    ]
    for i, lane in enumerate(lanes):
        y = top + i * lane_h
        parts.append(f'<rect x="{left}" y="{y}" width="{plot_w}" height="{lane_h - 4}" fill="#f1f3f5"/>')
        parts.append(f'<text x="{left - 8}" y="{y + lane_h / 2 + 2}" text-anchor="end">{e(lane)}</text>')
    for w in windows:
        lane = lane_key(w)
        y = top + (lanes.index(lane) if lane in lanes else 0) * lane_h
        start, end = parse_time(w["start"]), parse_time(w["end"] or w["planned_end"])
        x0, x1 = x(start), x(end)
        color = FAULT_COLORS.get(str(w["fault"]), "#868e96")
        tip = (
            f"{w['host']}: {w['fault']} {w['fault_id']} {w['start']} → {w['end'] or 'not reverted'}"
            f" (by {w['reverted_by'] or '?'})"
        )
        parts.append(
            f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 2):.1f}" height="{lane_h - 4}" '
            f'fill="{color}" fill-opacity="0.6" stroke="{color}"><title>{e(tip)}</title></rect>'
        )
        label = f"{(end - start).total_seconds():.1f} s" if start and end else ""
        if label and x1 - x0 > 7 * len(label) + 8:
            parts.append(
                f'<text x="{x0 + 4:.1f}" y="{y + lane_h / 2 + 2}" fill="#fff" '
                f'font-weight="bold">{e(label)}</text>'
            )
        if w["guard_violation"] or w["reverted_by"] == "guard":
            parts.append(
                f'<path d="M{x1:.1f},{y - 2} l5,-6 h-10 z" fill="#c92a2a">'
                f"<title>guard violation: {e(short(w['guard_violation']))}</title></path>"
            )
    parts.append(
        f'<text x="{left}" y="{chart_top - 10}" font-weight="bold">Probe latency (ms) and success</text>'
    )
    for phase, start, end in _phase_bands(journal):
        fill = {"before": "#e7f5ff", "during": "#fff4e6", "after": "#ebfbee"}[phase]
        parts.append(
            f'<rect x="{x(start):.1f}" y="{chart_top}" width="{max(x(end) - x(start), 2):.1f}" '
            f'height="{chart_h}" fill="{fill}"/>'
        )
        parts.append(f'<text x="{x(start) + 3:.1f}" y="{chart_top + 13}" fill="#868e96">{phase}</text>')
    for w in windows:  # fault windows shaded across the probe chart too
        start, end = parse_time(w["start"]), parse_time(w["end"] or w["planned_end"])
        color = FAULT_COLORS.get(str(w["fault"]), "#868e96")
        parts.append(
            f'<rect x="{x(start):.1f}" y="{chart_top + chart_h - 6}" width="{max(x(end) - x(start), 1):.1f}" '
            f'height="6" fill="{color}" fill-opacity="0.6"><title>{e(lane_key(w))}</title></rect>'
        )
    samples = [s for p in all_probes(journal) for s in p["samples"]]
    lat = [s["latency_ms"] for s in samples if s["ok"] and isinstance(s.get("latency_ms"), (int, float))]
    ymax = max(max(lat) * 1.15 if lat else 1.0, 1.0)
    parts.append(
        f'<rect x="{left}" y="{chart_top}" width="{plot_w}" height="{chart_h}" fill="none" stroke="#adb5bd"/>'
    )
    for k in range(5):
        v = ymax * k / 4
        y = chart_top + chart_h - chart_h * k / 4
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dee2e6"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#495057">{v:.0f}</text>')
    step = _tick_step(span)
    k = 0.0
    while k <= span + 1e-9:
        xx = left + plot_w * k / span
        parts.append(
            f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{chart_top + chart_h}" y2="{chart_top + chart_h + 5}" '
            f'stroke="#495057"/>'
        )
        parts.append(
            f'<text x="{xx:.1f}" y="{chart_top + chart_h + 18}" text-anchor="middle" '
            f'fill="#495057">{k:g}s</text>'
        )
        k += step
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{chart_top + chart_h + 34}" text-anchor="middle" '
        f'fill="#495057">seconds since {e(t0.strftime("%Y-%m-%d %H:%M:%S"))} UTC</text>'
    )
    # one series per probe and host; its line is broken between phases (one path per probe run)
    series = {}
    for p in all_probes(journal):
        if p["samples"]:
            run = [(x(parse_time(s["t"])), s) for s in p["samples"]]
            series.setdefault(f"{p['activity']['name']} @ {p['host']}", []).append(run)
    legend_y = chart_top + chart_h + 58
    legend_x = left
    for n, (name, runs) in enumerate(sorted(series.items())):
        color = SERIES_COLORS[n % len(SERIES_COLORS)]
        for run in runs:
            run.sort(key=lambda q: q[0])
            path = []
            for xx, s in run:
                if s["ok"] and isinstance(s.get("latency_ms"), (int, float)):
                    yy = chart_top + chart_h - chart_h * s["latency_ms"] / ymax
                    path.append(f"{'M' if not path else 'L'}{xx:.1f},{yy:.1f}")
            if len(path) > 1:
                parts.append(
                    f'<path d="{" ".join(path)}" fill="none" stroke="{color}" stroke-width="1.2" '
                    f'stroke-opacity="0.7"/>'
                )
        for xx, s in (pt for run in runs for pt in run):
            if s["ok"] and isinstance(s.get("latency_ms"), (int, float)):
                yy = chart_top + chart_h - chart_h * s["latency_ms"] / ymax
                parts.append(
                    f'<circle cx="{xx:.1f}" cy="{yy:.1f}" r="2.6" fill="{color}">'
                    f"<title>{e(name)} {e(s['t'])}: {s['latency_ms']:.1f} ms</title></circle>"
                )
            else:
                yy = chart_top + 24
                parts.append(
                    f'<path d="M{xx - 4:.1f},{yy - 4:.1f} l8,8 M{xx - 4:.1f},{yy + 4:.1f} l8,-8" '
                    f'stroke="{color}" stroke-width="2"><title>{e(name)} {e(s["t"])}: failed</title></path>'
                )
        parts.append(f'<circle cx="{legend_x + 5}" cy="{legend_y - 4}" r="4" fill="{color}"/>')
        parts.append(f'<text x="{legend_x + 13}" y="{legend_y}">{e(name)}</text>')
        legend_x += 24 + 7 * len(name)
    if samples:
        parts.append(
            f'<path d="M{legend_x:.1f},{legend_y - 8} l8,8 M{legend_x:.1f},{legend_y} l8,-8" '
            f'stroke="#495057" stroke-width="2"/>'
        )
        parts.append(f'<text x="{legend_x + 13}" y="{legend_y}">failed sample (top row)</text>')
    else:
        parts.append(
            f'<text x="{left + plot_w / 2}" y="{chart_top + chart_h / 2}" text-anchor="middle" '
            f'fill="#868e96">no probe samples</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _tick_step(span: float) -> float:
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if span / step <= 12:
            return float(step)
    return 7200.0
