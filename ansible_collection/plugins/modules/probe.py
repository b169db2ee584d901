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

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.chaos.faults.plugins.module_utils.probe_runner import (
    PROBE_ONE_OF,
    PROBE_OPTIONS,
    probe_problem,
    run_probe,
)


def main():
    module = AnsibleModule(
        argument_spec=PROBE_OPTIONS,
        required_one_of=PROBE_ONE_OF,
        mutually_exclusive=PROBE_ONE_OF,
        supports_check_mode=True,
    )
    problem = probe_problem(module.params)
    if problem:
        module.fail_json(msg=problem)
    result = run_probe(module.params)
    if result["violations"] and module.params["fail_on_violation"]:
        msg = "probe out of tolerance: " + "; ".join(result["violations"])
        module.fail_json(msg=msg, changed=False, **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
