#!/usr/bin/python
# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)

from __future__ import annotations

DOCUMENTATION = r"""
module: probe
short_description: Sample an HTTP URL or a command; report success ratio and latency percentiles
version_added: 0.1.0
description:
  - Takes samples of O(url) (one request each) or O(command) (one run each) every O(interval) seconds,
    for O(count) samples or O(period) seconds, whichever ends first (default 10 samples).
  - A sample succeeds when the HTTP status is in O(status) (or the command exits 0) within O(timeout).
  - Returns the success ratio and latency percentiles (p50, p95, p99; nearest rank over every sample's
    elapsed time, failed ones included) and every sample with its timestamp, for steady-state checks and
    timelines.
  - Fails when a tolerance (O(min_success_ratio), O(max_latency_ms)) is violated, unless
    O(fail_on_violation=false); RV(within_tolerance) and RV(violations) tell either way.
  - Read-only, so it runs in check mode too and never reports a change.
options:
  url:
    description: URL to request. Exactly one of O(url) or O(command).
    type: str
  method:
    description: HTTP method.
    type: str
    default: GET
  status:
    description: HTTP status codes that count as success.
    type: list
    elements: int
    default: [200]
  validate_certs:
    description: Verify HTTPS certificates.
    type: bool
    default: true
  command:
    description:
      - Command to run; a list of arguments, or a string split like a shell would (never run by a shell).
      - Exactly one of O(url) or O(command).
    type: raw
  count:
    description: Number of samples. Default 10 when O(period) is not given either.
    type: int
  period:
    description: Sample for this many seconds.
    type: float
  interval:
    description: Seconds from the start of one sample to the start of the next.
    type: float
    default: 0.5
  timeout:
    description: Seconds after which a sample fails.
    type: float
    default: 2
  min_success_ratio:
    description: Fail when the success ratio (0-1) is below this.
    type: float
  max_latency_ms:
    description: Fail when the O(latency_percentile) latency is above this many milliseconds.
    type: float
  latency_percentile:
    description: Which percentile O(max_latency_ms) applies to.
    type: str
    choices: [p50, p95, p99, max]
    default: p95
  fail_on_violation:
    description: Fail the task on a tolerance violation. With V(false), only report it.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Probes are read-only and run in check mode too.
  diff_mode:
    support: none
    description: Nothing to diff.
  platform:
    support: full
    platforms: posix
    description: Linux hosts (reads C(/proc)).
author:
  - chaos-pulumi contributors (@chaos-pulumi)
"""

EXAMPLES = r"""
- name: Steady state - the shop answers, 99% of requests in under 300 ms
  chaos.faults.probe:
    url: http://127.0.0.1:8080/health
    period: 10
    interval: 0.2
    min_success_ratio: 0.99
    max_latency_ms: 300
    latency_percentile: p99

- name: Record how the database check behaves, without failing
  chaos.faults.probe:
    command: [pg_isready, -h, 127.0.0.1]
    count: 20
    fail_on_violation: false
  register: db_probe
"""

RETURN = r"""
target:
  description: The URL, or the command as a list.
  returned: always
  type: raw
count:
  description: Samples taken.
  returned: always
  type: int
successes:
  description: Successful samples.
  returned: always
  type: int
success_ratio:
  description: successes / count.
  returned: always
  type: float
latency_ms:
  description: Latency statistics over every sample, in milliseconds.
  returned: always
  type: dict
  contains:
    min:
      description: Minimum.
      type: float
    mean:
      description: Mean.
      type: float
    p50:
      description: Median.
      type: float
    p95:
      description: 95th percentile.
      type: float
    p99:
      description: 99th percentile.
      type: float
    max:
      description: Maximum.
      type: float
within_tolerance:
  description: Whether every given tolerance holds.
  returned: always
  type: bool
violations:
  description: The tolerances violated, in words.
  returned: always
  type: list
  elements: str
samples:
  description: Every sample - C(at) (ISO-8601 UTC), C(ok), C(latency_ms), C(status) or C(rc), C(error).
  returned: always
  type: list
  elements: dict
started_at:
  description: Start of the first sample (ISO-8601 UTC).
  returned: always
  type: str
ended_at:
  description: End of the last sample (ISO-8601 UTC).
  returned: always
  type: str
"""

import math
import shlex
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.chaos.faults.plugins.module_utils.host_faults import (
    command_sample,
    http_opener,
    http_sample,
    utc_iso,
)


def percentile(sorted_values, q):
    """Nearest-rank percentile (q in 0..100) of sorted values; None when empty."""
    if not sorted_values:
        return None
    rank = max(1, int(math.ceil(q / 100.0 * len(sorted_values))))
    return sorted_values[rank - 1]


def summarize(samples):
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


def tolerance_violations(params, ratio, stats):
    out = []
    if params["min_success_ratio"] is not None and ratio < params["min_success_ratio"]:
        out.append(f"success ratio {ratio:.3f} < min_success_ratio {params['min_success_ratio']}")
    limit = params["max_latency_ms"]
    if limit is not None:
        value = stats[params["latency_percentile"]]
        if value is None or value > limit:
            out.append(f"{params['latency_percentile']} latency {value} ms > max_latency_ms {limit}")
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
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
        ),
        required_one_of=[("url", "command")],
        mutually_exclusive=[("url", "command")],
        supports_check_mode=True,
    )
    p = module.params
    if p["url"] and not p["url"].startswith(("http://", "https://")):
        module.fail_json(msg=f"url: must start with http:// or https://, got {p['url']!r}")
    if p["count"] is not None and p["count"] < 1:
        module.fail_json(msg=f"count: must be 1 or more, got {p['count']}")
    if p["period"] is not None and p["period"] <= 0:
        module.fail_json(msg=f"period: must be more than 0 seconds, got {p['period']}")
    if p["interval"] < 0 or p["timeout"] <= 0:
        module.fail_json(msg="interval, timeout: interval must be 0 or more and timeout more than 0")
    if p["min_success_ratio"] is not None and not 0 <= p["min_success_ratio"] <= 1:
        module.fail_json(msg=f"min_success_ratio: must be within 0-1, got {p['min_success_ratio']}")
    argv = None
    if p["command"] is not None:
        cmd = p["command"]
        argv = [str(a) for a in cmd] if isinstance(cmd, list) else shlex.split(str(cmd))
        if not argv:
            module.fail_json(msg="command: empty command")
    count = p["count"] if p["count"] is not None else (None if p["period"] is not None else 10)
    opener = http_opener(p["validate_certs"]) if p["url"] else None
    samples = []
    t_start = time.time()
    end = t_start + p["period"] if p["period"] is not None else None
    while True:
        scheduled = t_start + len(samples) * p["interval"]
        delay = scheduled - time.time()
        if delay > 0:
            time.sleep(delay)
        at = time.time()
        if end is not None and at >= end and samples:
            break
        if p["url"]:
            s = http_sample(p["url"], p["timeout"], p["method"], opener)
            s["ok"] = s["status"] in p["status"] and s["latency_ms"] <= p["timeout"] * 1000
        else:
            s = command_sample(argv, p["timeout"])
            s["ok"] = s["rc"] == 0
        s["at"] = utc_iso(at)
        samples.append(s)
        if count is not None and len(samples) >= count:
            break
    ok, stats = summarize(samples)
    ratio = ok / len(samples)
    violations = tolerance_violations(p, ratio, stats)
    result = dict(
        changed=False,
        target=p["url"] or argv,
        count=len(samples),
        successes=ok,
        success_ratio=round(ratio, 6),
        latency_ms=stats,
        within_tolerance=not violations,
        violations=violations,
        samples=samples,
        started_at=utc_iso(t_start),
        ended_at=utc_iso(time.time()),
    )
    if violations and p["fail_on_violation"]:
        module.fail_json(msg="probe out of tolerance: " + "; ".join(violations), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
