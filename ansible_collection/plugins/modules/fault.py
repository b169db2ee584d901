#!/usr/bin/python
# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)

from __future__ import annotations

DOCUMENTATION = r"""
module: fault
short_description: Run one host fault whose module is chosen at run time
version_added: 0.1.0
description:
  - Runs the chaos.faults host-fault module named by O(module) with the options O(args) on the task's
    host, the way M(ansible.builtin.package) picks its backend. One task can therefore loop over
    faults of different kinds, as the M(chaos.faults.game_day) role does.
  - The host-fault modules are the C(host_faults) action group of the collection's C(meta/runtime.yml);
    a module outside it is refused before anything runs.
  - In check mode the fault module runs in check mode, which checks every option and refusal (unknown
    options, paths, guards that already fail) without injecting anything.
options:
  module:
    description:
      - The host-fault module, for example V(cpu_stress) or V(chaos.faults.network_blackhole).
    type: str
    required: true
  args:
    description: The options of that module.
    type: dict
    default: {}
  hosts:
    description:
      - Run only when the task's host is one of these inventory hosts; on any other host the task is
        skipped. Default is every host.
    type: list
    elements: str
attributes:
  action:
    support: full
    description: An action plugin runs the named module on the host.
  check_mode:
    support: full
    description: The fault module runs in check mode.
  diff_mode:
    support: none
    description: Nothing to diff.
  platform:
    support: full
    platforms: posix
    description: Linux hosts, as the fault modules.
author:
  - chaos-pulumi contributors (@chaos-pulumi)
"""

EXAMPLES = r"""
- name: Every fault of the list, whatever its module
  chaos.faults.fault:
    module: "{{ item.module }}"
    args: "{{ item.args }}"
  loop:
    - {module: cpu_stress, args: {load: 80, duration: 60}}
    - {module: network_latency, args: {delay_ms: 200, duration: 60}}

- name: Check the options of a fault without injecting it
  chaos.faults.fault:
    module: disk_fill
    args: {path: /var/tmp, size: 1G, duration: 120}
  check_mode: true
"""

RETURN = r"""
fault_id:
  description: Id of the fault record on the host (what the named module returns).
  returned: when the module injected a fault
  type: str
start:
  description: When the module was started (ISO-8601 UTC).
  returned: unless skipped
  type: str
end:
  description: When the module returned (ISO-8601 UTC).
  returned: unless skipped
  type: str
"""
