# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Short text forms of journal values, shared by the events, the Markdown and the HTML report."""

from __future__ import annotations

import json
from typing import Any

from ansible_collections.chaos.faults.plugins.module_utils.probe_samples import latency

# Keys of an `injected` description too bulky for a table cell (argv, pid lists, revert steps).
BULKY_KEYS = ("command", "pids", "argv", "killed", "steps", "revert")


def short(value: Any, limit: int = 160) -> str:
    """value as text, cut to `limit` characters with an ellipsis."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compact(value: Any, limit: int = 110) -> str:
    """key=value pairs of a dict without the bulky keys, for tables."""
    if not isinstance(value, dict):
        return short(value, limit)
    text = ", ".join(
        f"{k}={short(v, 40)}" for k, v in value.items() if k not in BULKY_KEYS and v not in (None, "")
    )
    return short(text, limit)


def fmt_ms(value: Any) -> str:
    return f"{value:.1f}" if isinstance(value, (int, float)) else "–"


def fmt_ratio(value: Any) -> str:
    return f"{value:.0%}" if isinstance(value, (int, float)) else "–"


def met(value: Any) -> str:
    return "yes" if value is True else ("no" if value is False else "–")


def all_probes(journal: dict[str, Any]) -> list[dict[str, Any]]:
    """Every probe entry of the journal: before, each during run, after."""
    ss = journal["steady_states"]
    out = list((ss.get("before") or {}).get("probes") or [])
    for d in ss.get("during") or []:
        out += d.get("probes") or []
    out += (ss.get("after") or {}).get("probes") or []
    return out


def probe_row(entry: dict[str, Any]) -> tuple[str, str, str, str]:
    """(success ratio, p50, p95, p99) of a probe entry, formatted for a table."""
    out = entry["output"]
    return (fmt_ratio(out.get("success_ratio")),) + tuple(
        fmt_ms(latency(out, w)) for w in ("p50", "p95", "p99")
    )


def probe_summary(entry: dict[str, Any]) -> str:
    """`success 100%, p50 3.5 ms, ...` of a probe entry."""
    out = entry["output"]
    parts = []
    if isinstance(out.get("success_ratio"), (int, float)):
        parts.append(f"success {out['success_ratio']:.0%}")
    for which in ("p50", "p95", "p99"):
        value = latency(out, which)
        if value is not None:
            parts.append(f"{which} {value:.1f} ms")
    if not parts and out.get("msg"):
        parts.append(short(out["msg"], 100))
    return ", ".join(parts)
