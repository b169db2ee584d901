#!/usr/bin/python
# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)

from __future__ import annotations

DOCUMENTATION = r"""
module: cpu_stress
short_description: Load the CPUs of a host for a bounded time
version_added: 0.1.0
description:
  - Starts O(workers) CPU workers, each busy O(load) percent of the time, for O(duration) seconds.
  - Uses C(stress-ng --cpu) when it is installed and a built-in worker otherwise (see O(engine)).
  - The workers run in their own process group under a detached watchdog, stop by themselves at the
    deadline, and are killed by the watchdog at the deadline, on a guard violation or with O(state=absent).
options:
  load:
    description: Busy percentage of each worker, 1-100.
    type: int
    default: 100
  workers:
    description: Number of workers; V(0) means one per online CPU.
    type: int
    default: 0
  engine:
    description:
      - V(stress-ng) or V(builtin) workers; V(auto) picks stress-ng when installed.
      - With V(auto), the environment variable C(CHAOS_FAULTS_ENGINE) on the target can choose instead.
    type: str
    choices: [auto, stress-ng, builtin]
    default: auto
extends_documentation_fragment:
  - chaos.faults.host_fault
author:
  - chaos-pulumi contributors (@chaos-pulumi)
"""

EXAMPLES = r"""
- name: Load every core at 80% for two minutes, stop early if the service degrades
  chaos.faults.cpu_stress:
    load: 80
    duration: 120
    stop_on:
      url: http://127.0.0.1:8080/health
      max_latency_ms: 500
  register: cpu

- name: Revert it now
  chaos.faults.cpu_stress:
    state: absent
    fault_id: "{{ cpu.fault_id }}"
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
  description: What was started.
  returned: state=present
  type: dict
  contains:
    engine:
      description: V(stress-ng) or V(builtin).
      type: str
    workers:
      description: Number of workers.
      type: int
    load:
      description: Busy percentage per worker.
      type: int
    command:
      description: The stress-ng argv (stress-ng engine only).
      type: list
      elements: str
    pgid:
      description: Process group of the workers.
      type: int
    pids:
      description: Pids of the group leader and workers.
      type: list
      elements: int
"""

import os

from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.ansible_driver import (
    run_fault_module,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.commands import stress_ng_cpu
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.errors import FaultError
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.workloads import (
    cpu_work,
    resolve_engine,
    spawn_command,
    spawn_workers,
)

OPTIONS = dict(
    load=dict(type="int", default=100),
    workers=dict(type="int", default=0),
    engine=dict(type="str", default="auto", choices=["auto", "stress-ng", "builtin"]),
)


def plan(params, duration):
    load = params["load"]
    if not 1 <= load <= 100:
        raise FaultError(f"load: must be within 1-100 (percent busy per worker), got {load}")
    if params["workers"] < 0:
        raise FaultError(f"workers: must be 0 (one per CPU) or more, got {params['workers']}")
    workers = params["workers"] or (os.cpu_count() or 1)
    engine = resolve_engine(params["engine"])
    injected = dict(engine=engine, workers=workers, load=load)
    argv = stress_ng_cpu(workers, load, duration) if engine == "stress-ng" else None
    if argv:
        injected["command"] = argv

    def inject(ctx):
        if argv:
            return spawn_command(ctx, argv, "cpu_stress")
        return spawn_workers(ctx, "chaos-cpu", workers, cpu_work(load))

    return injected, inject, []


def main():
    run_fault_module("cpu_stress", OPTIONS, plan)


if __name__ == "__main__":
    main()
