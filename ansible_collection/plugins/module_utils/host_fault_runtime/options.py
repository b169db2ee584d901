# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Option specs, in AnsibleModule's argument_spec format: the one declaration both drivers read.

A fault module declares only its own options (OPTIONS); the options every timed fault shares are
declared here and documented once, in the chaos.faults.host_fault doc fragment. The Ansible driver
passes the merged spec to AnsibleModule (so ansible-test's validate-modules checks it against the
module's DOCUMENTATION); the CLI turns the same spec into command-line options.
"""

from __future__ import annotations

import copy

from .records import RECORD_DIR

TIMED_OPTIONS = dict(
    duration=dict(type="int"),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    fault_id=dict(type="str"),
    force=dict(type="bool", default=False),
    record_dir=dict(type="path", default=RECORD_DIR),
    stop_on=dict(
        type="dict",
        options=dict(
            url=dict(type="str"),
            status=dict(type="list", elements="int", default=[200]),
            max_latency_ms=dict(type="int"),
            command=dict(type="raw"),
            timeout_ms=dict(type="int", default=1000),
            interval_ms=dict(type="int", default=200),
        ),
    ),
)


def timed_fault_spec(fault_options: dict) -> dict:
    """The whole argument spec of a timed fault: the shared options plus the fault's own."""
    clash = sorted(set(fault_options) & set(TIMED_OPTIONS))
    if clash:
        raise ValueError(f"fault options {clash} redefine shared timed-fault options")
    spec = copy.deepcopy(TIMED_OPTIONS)
    spec.update(copy.deepcopy(fault_options))
    return spec
