#!/usr/bin/python
# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)

from __future__ import annotations

DOCUMENTATION = r"""
module: service_stop
short_description: Stop a systemd unit for a bounded time, then start it again
version_added: 0.1.0
description:
  - Runs C(systemctl stop) on an active unit and C(systemctl start) at the end of O(duration), on a guard
    violation, or with O(state=absent).
  - Needs systemd as PID 1 on the target.
  - Refuses units that cut the host off or break the revert machinery (C(ssh), C(sshd), C(dbus),
    C(systemd-journald), C(systemd-logind), networking) unless O(force=true).
options:
  name:
    description:
      - The systemd unit; V(.service) is appended when no suffix is given.
      - Required with O(state=present).
    type: str
extends_documentation_fragment:
  - chaos.faults.host_fault
author:
  - chaos-pulumi contributors (@chaos-pulumi)
"""

EXAMPLES = r"""
- name: Stop nginx for 30 seconds
  chaos.faults.service_stop:
    name: nginx
    duration: 30
"""

RETURN = r"""
fault_id:
  description: Id of the fault; its record is C(<record_dir>/<fault_id>.json) on the target.
  returned: state=present
  type: str
  sample: 3f9a1c2b7d4e
fault:
  description: The module that made the fault.
  returned: always
  type: str
started_at:
  description: When the fault was armed (ISO-8601 UTC, milliseconds).
  returned: state=present
  type: str
  sample: "2026-11-26T19:04:57.123Z"
active_at:
  description: When the injection completed (ISO-8601 UTC); null in check mode.
  returned: state=present
  type: str
reverts_at:
  description: When the watchdog reverts the fault at the latest (ISO-8601 UTC).
  returned: state=present
  type: str
duration:
  description: The duration in seconds.
  returned: state=present
  type: int
watchdog_pid:
  description: Pid of the detached watchdog on the target; null in check mode.
  returned: state=present
  type: int
record:
  description: The full fault record as written on the target (see M(chaos.faults.fault_status)).
  returned: state=present
  type: dict
reverted:
  description: Ids of the faults reverted by O(state=absent).
  returned: state=absent
  type: list
  elements: str
recovered:
  description: Ids of faults whose watchdog had died and that this run reverted.
  returned: success
  type: list
  elements: str
swept:
  description:
    - Half-written records (C(<fault_id>.json.<pid>.tmp)) this run removed; a writer killed between
      writing and renaming a record leaves one.
  returned: success
  type: list
  elements: str
injected:
  description: What was stopped.
  returned: state=present
  type: dict
  contains:
    unit:
      description: The unit name.
      type: str
    stop_command:
      description: The argv that stopped it.
      type: list
      elements: str
    start_command:
      description: The argv the revert runs.
      type: list
      elements: str
"""

import os

from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.ansible_driver import (
    run_fault_module,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.commands import (
    PROTECTED_UNITS,
    unit_name,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.errors import FaultError
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.refusals import (
    refuse_unless_force,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.runner import (
    run,
    run_checked,
)

OPTIONS = dict(name=dict(type="str"))


def plan(params, duration):
    if not params.get("name"):
        raise FaultError("name: required with state=present (a systemd unit such as nginx.service)")
    unit = unit_name(params["name"])
    if not os.path.isdir("/run/systemd/system"):
        raise FaultError("service_stop: systemd is not running on this host (needs systemd as PID 1)")
    refuse_unless_force(params, unit in PROTECTED_UNITS,
                        f"name: {unit} keeps the host reachable or the reverts working")
    rc, out, err = run(["systemctl", "is-active", unit])
    state = out.strip() or err.strip()
    if state != "active":
        raise FaultError(f"name: {unit} is not active ({state or f'rc={rc}'}); nothing to stop")
    stop = ["systemctl", "stop", unit]
    start = ["systemctl", "start", unit]

    def inject(ctx):
        ctx.add_revert({"op": "run", "argv": start})
        run_checked(stop, what="systemctl stop")
        return {}

    return dict(unit=unit, stop_command=stop, start_command=start), inject, []


def main():
    run_fault_module("service_stop", OPTIONS, plan)


if __name__ == "__main__":
    main()
