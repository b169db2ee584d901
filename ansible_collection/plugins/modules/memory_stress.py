#!/usr/bin/python
# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)

from __future__ import annotations

DOCUMENTATION = r"""
module: memory_stress
short_description: Hold a bounded amount of memory on a host for a bounded time
version_added: 0.1.0
description:
  - Allocates and writes O(size) bytes, or O(percent) of the host's total memory, split over O(workers)
    processes, and holds it for O(duration) seconds.
  - Uses C(stress-ng --vm --vm-keep) when installed and a built-in worker otherwise (see O(engine)).
  - Refuses to take more than 90% of the currently available memory unless O(force=true), so the host
    (and the watchdog) keep room to run.
options:
  percent:
    description:
      - Percentage of total memory (C(MemTotal)) to hold, 1-100.
      - Exactly one of O(percent) or O(size).
    type: int
  size:
    description: Amount to hold, like V(512M) or V(2G). Exactly one of O(percent) or O(size).
    type: str
  workers:
    description: Number of processes sharing the amount.
    type: int
    default: 1
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
- name: Hold 30% of the memory for five minutes
  chaos.faults.memory_stress:
    percent: 30
    duration: 300

- name: Hold 512 MiB in two processes for a minute
  chaos.faults.memory_stress:
    size: 512M
    workers: 2
    duration: 60
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
    bytes:
      description: Total bytes held.
      type: int
    bytes_per_worker:
      description: Bytes held by each worker.
      type: int
    workers:
      description: Number of workers.
      type: int
    pgid:
      description: Process group of the workers.
      type: int
"""

from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.ansible_driver import (
    run_fault_module,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.commands import (
    parse_size,
    stress_ng_memory,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.errors import FaultError
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.refusals import (
    refuse_unless_force,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.workloads import (
    memory_work,
    resolve_engine,
    spawn_command,
    spawn_workers,
)

OPTIONS = dict(
    percent=dict(type="int"),
    size=dict(type="str"),
    workers=dict(type="int", default=1),
    engine=dict(type="str", default="auto", choices=["auto", "stress-ng", "builtin"]),
)


def meminfo():
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, _sep, rest = line.partition(":")
            parts = rest.split()
            if parts:
                out[key] = int(parts[0]) * 1024
    return out


def plan(params, duration):
    if (params["percent"] is None) == (params["size"] is None):
        raise FaultError("percent, size: give exactly one (percent of total memory, or a size like 512M)")
    if params["workers"] < 1:
        raise FaultError(f"workers: must be 1 or more, got {params['workers']}")
    info = meminfo()
    if params["percent"] is not None:
        if not 1 <= params["percent"] <= 100:
            raise FaultError(f"percent: must be within 1-100, got {params['percent']}")
        total = info["MemTotal"] * params["percent"] // 100
    else:
        total = parse_size(params["size"])
    available = info.get("MemAvailable", info["MemTotal"])
    refuse_unless_force(params, total > available * 0.9,
                        f"memory_stress: {total} bytes is more than 90% of the available {available} bytes")
    workers = params["workers"]
    per_worker = max(1, total // workers)
    engine = resolve_engine(params["engine"])
    injected = dict(engine=engine, bytes=per_worker * workers, bytes_per_worker=per_worker, workers=workers)
    argv = stress_ng_memory(workers, per_worker, duration) if engine == "stress-ng" else None
    if argv:
        injected["command"] = argv

    def inject(ctx):
        if argv:
            return spawn_command(ctx, argv, "memory_stress")
        return spawn_workers(ctx, "chaos-memory", workers, memory_work(per_worker))

    return injected, inject, []


def main():
    run_fault_module("memory_stress", OPTIONS, plan)


if __name__ == "__main__":
    main()
