# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""The shape of a probe's samples and result, and the statistics over them.

One definition for every writer and reader: the chaos.faults.probe module and the game day's
controller-side probes write these shapes, the game day journal and report read them.
Standard library only (it runs on targets inside the probe module's payload).
"""

from __future__ import annotations

import math
from typing import Any, TypedDict


class ProbeSample(TypedDict, total=False):
    """One request or command run."""

    at: str  # ISO-8601 UTC time the sample started, e.g. 2026-11-26T19:04:57.123Z
    ok: bool  # within the expected status / exit code and the timeout
    latency_ms: float
    status: int | None  # HTTP probes: the status code, None when no answer came
    rc: int | None  # command probes: the exit status
    error: str | None  # why there was no answer, or the command's stderr tail


class LatencyStats(TypedDict):
    """Latency over every sample, failed ones included (nearest rank)."""

    min: float | None
    mean: float | None
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None


class ProbeResult(TypedDict, total=False):
    """What one probe run returns (the RETURN of chaos.faults.probe)."""

    target: object  # the URL, or the command as a list
    count: int
    successes: int
    success_ratio: float
    latency_ms: LatencyStats
    within_tolerance: bool
    violations: list[str]
    samples: list[ProbeSample]
    started_at: str
    ended_at: str


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of sorted values; None when empty."""
    if not sorted_values:
        return None
    rank = max(1, int(math.ceil(q / 100.0 * len(sorted_values))))
    return sorted_values[rank - 1]


def summarize(samples: list[ProbeSample]) -> tuple[int, LatencyStats]:
    """(successful samples, LatencyStats) of a list of samples."""
    lat = sorted(s["latency_ms"] for s in samples)
    ok = sum(1 for s in samples if s["ok"])
    stats = dict(
        min=lat[0] if lat else None,
        mean=round(sum(lat) / len(lat), 3) if lat else None,
        p50=percentile(lat, 50),
        p95=percentile(lat, 95),
        p99=percentile(lat, 99),
        max=lat[-1] if lat else None,
    )
    return ok, stats


def tolerance_violations(params: dict[str, Any], ratio: float, stats: LatencyStats) -> list[str]:
    """The tolerances (min_success_ratio, max_latency_ms at latency_percentile) violated, in words."""
    out = []
    if params["min_success_ratio"] is not None and ratio < params["min_success_ratio"]:
        out.append(f"success ratio {ratio:.3f} < min_success_ratio {params['min_success_ratio']}")
    limit = params["max_latency_ms"]
    if limit is not None:
        value = stats[params["latency_percentile"]]
        if value is None or value > limit:
            out.append(f"{params['latency_percentile']} latency {value} ms > max_latency_ms {limit}")
    return out


def certain_violation(params: dict[str, Any], samples: list[ProbeSample], most_samples: int) -> str | None:
    """A tolerance violation that no later sample can undo, in words, or None.

    `most_samples` bounds how many samples the run can take in all; the check assumes every sample
    still to come succeeds fast, so it only fires when the verdict at the end is already known.
    """
    taken = len(samples)
    if not taken:
        return None
    most = max(most_samples, taken)
    minimum = params.get("min_success_ratio")
    if minimum is not None:
        failed = sum(1 for s in samples if not s["ok"])
        best = (most - failed) / most
        if best < minimum:
            return f"{failed} of at most {most} samples failed: success ratio < min_success_ratio {minimum}"
    limit = params.get("max_latency_ms")
    if limit is not None:
        which = params.get("latency_percentile") or "p95"
        slow = sum(1 for s in samples if s["latency_ms"] > limit)
        q = 100.0 if which == "max" else float(which[1:])
        # pXX > limit at the end iff at least `most - rank + 1` samples are slower than the limit
        needed = most - max(1, int(math.ceil(q / 100.0 * most))) + 1
        if slow >= needed:
            return f"{slow} of at most {most} samples slower than {limit} ms: {which} above max_latency_ms"
    return None


def probe_result(
    target: Any, samples: list[ProbeSample], params: dict[str, Any], started_at: str, ended_at: str
) -> ProbeResult:
    """The ProbeResult of a finished run (at least one sample)."""
    ok, stats = summarize(samples)
    ratio = ok / len(samples) if samples else 0.0
    violations = tolerance_violations(params, ratio, stats) if samples else ["no sample was taken"]
    return dict(
        target=target,
        count=len(samples),
        successes=ok,
        success_ratio=round(ratio, 6),
        latency_ms=stats,
        within_tolerance=not violations,
        violations=violations,
        samples=samples,
        started_at=started_at,
        ended_at=ended_at,
    )


def latency(result: Any, which: str) -> float | None:
    """The `which` (p50, p95, p99, max, ...) latency of a ProbeResult in ms, or None."""
    stats = result.get("latency_ms") if isinstance(result, dict) else None
    value = stats.get(which) if isinstance(stats, dict) else None
    return float(value) if isinstance(value, (int, float)) else None
