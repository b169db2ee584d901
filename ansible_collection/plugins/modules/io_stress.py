#!/usr/bin/python
# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)

from __future__ import annotations

DOCUMENTATION = r"""
module: io_stress
short_description: Write and sync files in a directory for a bounded time
version_added: 0.1.0
description:
  - Starts O(workers) processes that write and C(fsync) scratch files in a private directory
    C(<path>/.chaos-faults-io-<fault_id>) for O(duration) seconds, keeping at most O(size) bytes (or
    O(percent) of the free space) on disk at a time.
  - Uses C(stress-ng --hdd) when installed and a built-in worker otherwise (see O(engine)).
  - The scratch directory is removed by the revert, also when the workers were killed.
options:
  path:
    description: Existing directory on the filesystem to stress.
    type: path
    default: /tmp
  mount:
    description:
      - Mount point the scratch files must stay on. The module refuses when O(path) resolves (through
        symlinks) outside it or onto another filesystem, unless O(force=true).
    type: path
  size:
    description: Scratch bytes on disk at a time, like V(256M). Exclusive with O(percent).
    type: str
  percent:
    description: Scratch bytes as a percentage (1-90) of the free space of O(path). Exclusive with O(size).
    type: int
  workers:
    description: Number of writer processes.
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
- name: Two writers on /var/lib/app for a minute, 512 MiB of scratch at most
  chaos.faults.io_stress:
    path: /var/lib/app
    mount: /var/lib/app
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
    directory:
      description: The private scratch directory (removed by the revert).
      type: str
    bytes:
      description: Scratch bytes in total.
      type: int
    workers:
      description: Number of workers.
      type: int
    pgid:
      description: Process group of the workers.
      type: int
"""

import os

from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.ansible_driver import (
    run_fault_module,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.commands import (
    parse_size,
    stress_ng_io,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.errors import FaultError
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.refusals import (
    check_path_in_mount,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.workloads import (
    io_work,
    resolve_engine,
    spawn_command,
    spawn_workers,
)

OPTIONS = dict(
    path=dict(type="path", default="/tmp"),
    mount=dict(type="path"),
    size=dict(type="str"),
    percent=dict(type="int"),
    workers=dict(type="int", default=1),
    engine=dict(type="str", default="auto", choices=["auto", "stress-ng", "builtin"]),
)


def plan(params, duration):
    path = check_path_in_mount(params, "path")
    if params["size"] is not None and params["percent"] is not None:
        raise FaultError("size, percent: give at most one")
    if params["workers"] < 1:
        raise FaultError(f"workers: must be 1 or more, got {params['workers']}")
    st = os.statvfs(path)
    free = st.f_bavail * st.f_frsize
    if params["percent"] is not None:
        if not 1 <= params["percent"] <= 90:
            raise FaultError(f"percent: must be within 1-90 (of the free space), got {params['percent']}")
        total = free * params["percent"] // 100
    else:
        total = parse_size(params["size"] or "256M")
        if total > free * 0.9 and not params["force"]:
            raise FaultError(f"size: {total} bytes is more than 90% of the {free} bytes free in {path} "
                             "(set force: true to do it anyway)")
    workers = params["workers"]
    per_worker = max(1024 * 1024, total // workers)
    engine = resolve_engine(params["engine"])
    injected = dict(engine=engine, bytes=per_worker * workers, workers=workers, path=path)

    def inject(ctx):
        directory = os.path.join(path, f".chaos-faults-io-{ctx.fault_id}")
        ctx.add_revert({"op": "remove_path", "path": directory})
        os.mkdir(directory, 0o700)
        if engine == "stress-ng":
            argv = stress_ng_io(workers, per_worker, directory, duration)
            res = spawn_command(ctx, argv, "io_stress")
            res["command"] = argv
        else:
            res = spawn_workers(ctx, "chaos-io", workers, io_work(directory, per_worker))
        res["directory"] = directory
        return res

    return injected, inject, []


def main():
    run_fault_module("io_stress", OPTIONS, plan)


if __name__ == "__main__":
    main()
