# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Run one probe: its options, their checks, and the sampling loop.

Used by the chaos.faults.probe module (on any host) and by the game day's probes, which run in the
controller's own Python (no module is shipped for them). Standard library only.
"""

from __future__ import annotations

import math
import shlex
import time
from typing import Any

from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.clock import utc_iso
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.guards import (
    command_sample,
    http_opener,
    http_sample,
)
from ansible_collections.chaos.faults.plugins.module_utils.probe_samples import ProbeResult, probe_result

# The options of chaos.faults.probe (its DOCUMENTATION describes each one).
PROBE_OPTIONS = dict(
    url=dict(type="str"),
    method=dict(type="str", default="GET"),
    status=dict(type="list", elements="int", default=[200]),
    validate_certs=dict(type="bool", default=True),
    command=dict(type="raw"),
    count=dict(type="int"),
    period=dict(type="float"),
    interval=dict(type="float", default=0.5),
    timeout=dict(type="float", default=2),
    min_success_ratio=dict(type="float"),
    max_latency_ms=dict(type="float"),
    latency_percentile=dict(type="str", default="p95", choices=["p50", "p95", "p99", "max"]),
    fail_on_violation=dict(type="bool", default=True),
)
PROBE_ONE_OF = [("url", "command")]


def probe_argv(params: dict[str, Any]) -> list[str] | None:
    """The command as an argument list (a string is split like a shell would), or None for a URL probe."""
    cmd = params.get("command")
    if cmd is None:
        return None
    return [str(a) for a in cmd] if isinstance(cmd, list) else shlex.split(str(cmd))


def probe_problem(params: dict[str, Any]) -> str | None:
    """What is wrong with validated options beyond their types, naming the option; None when fine."""
    p = params
    if p["url"] and not p["url"].startswith(("http://", "https://")):
        return f"url: must start with http:// or https://, got {p['url']!r}"
    if p["count"] is not None and p["count"] < 1:
        return f"count: must be 1 or more, got {p['count']}"
    if p["period"] is not None and p["period"] <= 0:
        return f"period: must be more than 0 seconds, got {p['period']}"
    if p["interval"] < 0 or p["timeout"] <= 0:
        return "interval, timeout: interval must be 0 or more and timeout more than 0"
    if p["min_success_ratio"] is not None and not 0 <= p["min_success_ratio"] <= 1:
        return f"min_success_ratio: must be within 0-1, got {p['min_success_ratio']}"
    if p["command"] is not None and not probe_argv(p):
        return "command: empty command"
    return None


def sample_count(params: dict[str, Any]) -> int | None:
    """How many samples the run takes: `count`, 10 when neither count nor period is set, else None."""
    if params["count"] is not None:
        return params["count"]
    return None if params["period"] is not None else 10


def most_samples(params: dict[str, Any]) -> int:
    """An upper bound on the samples of a run (the schedule never takes more)."""
    bounds = [n for n in (sample_count(params),) if n is not None]
    if params["period"] is not None and params["interval"] > 0:
        bounds.append(int(math.floor(params["period"] / params["interval"])) + 1)
    return min(bounds) if bounds else 10**9


def run_probe(params: dict[str, Any], stop: Any = None, on_sample: Any = None) -> ProbeResult:
    """Sample until `count` samples or `period` seconds, whichever ends first; returns a ProbeResult.

    `stop` (a threading.Event) ends the run early, after at least one sample; `on_sample(samples)` is
    called after every sample, e.g. to set `stop` when the tolerance is already lost.
    """
    p = params
    argv = probe_argv(p)
    count = sample_count(p)
    opener = http_opener(p["validate_certs"]) if p["url"] else None
    samples = []
    t_start = time.time()
    end = t_start + p["period"] if p["period"] is not None else None
    while True:
        delay = t_start + len(samples) * p["interval"] - time.time()
        if delay > 0:
            if stop is not None:
                stop.wait(delay)
            else:
                time.sleep(delay)
        at = time.time()
        if samples and ((end is not None and at >= end) or (stop is not None and stop.is_set())):
            break
        if p["url"]:
            s = http_sample(p["url"], p["timeout"], p["method"], opener)
            s["ok"] = s["status"] in p["status"] and s["latency_ms"] <= p["timeout"] * 1000
        else:
            s = command_sample(argv, p["timeout"])
            s["ok"] = s["rc"] == 0
        s["at"] = utc_iso(at)
        samples.append(s)
        if on_sample is not None:
            on_sample(samples)
        if count is not None and len(samples) >= count:
            break
    return probe_result(p["url"] or argv, samples, p, utc_iso(t_start), utc_iso(time.time()))
