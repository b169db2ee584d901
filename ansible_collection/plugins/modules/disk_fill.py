#!/usr/bin/python
# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)

from __future__ import annotations

DOCUMENTATION = r"""
module: disk_fill
short_description: Fill a filesystem with one file for a bounded time
version_added: 0.1.0
description:
  - Allocates one file C(<path>/.chaos-faults-fill-<fault_id>) (C(posix_fallocate), or writing zeros
    where the filesystem cannot allocate) and removes it after O(duration) seconds.
  - O(percent) is the target usage of the whole filesystem, as in AWS FIS C(AWSFIS-Run-Disk-Fill) - not a
    percentage of the free space. O(size) adds a fixed amount instead.
  - Keeps at least O(reserve) free (so SSH, journald and the watchdog can still write) unless O(force=true).
options:
  path:
    description:
      - Existing directory on the filesystem to fill; the fill file is created directly in it.
      - Required with O(state=present).
    type: path
  mount:
    description:
      - Mount point the fill must stay on. The module refuses when O(path) resolves (through symlinks)
        outside it or onto another filesystem, unless O(force=true).
    type: path
  percent:
    description: Fill until the filesystem is this percent used (1-100). Exactly one of O(percent) or O(size).
    type: int
  size:
    description: Bytes to allocate, like V(200M) or V(5G). Exactly one of O(percent) or O(size).
    type: str
  reserve:
    description: Free space to leave on the filesystem, like V(100M). Ignored with O(force=true).
    type: str
    default: 100M
extends_documentation_fragment:
  - chaos.faults.host_fault
author:
  - chaos-pulumi contributors (@chaos-pulumi)
"""

EXAMPLES = r"""
- name: Fill /var to 95% for ten minutes
  chaos.faults.disk_fill:
    path: /var/tmp
    mount: /var
    percent: 95
    duration: 600

- name: Add a 200 MiB file for 30 seconds
  chaos.faults.disk_fill:
    path: /srv/data
    size: 200M
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
  description: What was allocated.
  returned: state=present
  type: dict
  contains:
    file:
      description: The fill file (removed by the revert).
      type: str
    bytes:
      description: Bytes allocated.
      type: int
    used_percent_before:
      description: Usage of the filesystem before the fill.
      type: float
    used_percent_after:
      description: Expected usage with the fill in place.
      type: float
    method:
      description: V(fallocate) or V(write).
      type: str
"""

import errno
import os

from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.ansible_driver import (
    run_fault_module,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.commands import parse_size
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.errors import FaultError
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.refusals import (
    check_path_in_mount,
)

OPTIONS = dict(
    path=dict(type="path"),
    mount=dict(type="path"),
    percent=dict(type="int"),
    size=dict(type="str"),
    reserve=dict(type="str", default="100M"),
)
CHUNK = 8 * 1024 * 1024


def fill_file(path, nbytes):
    """Create `path` with `nbytes` allocated; returns the method used."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.posix_fallocate(fd, 0, nbytes)
            return "fallocate"
        except OSError as e:
            if e.errno == errno.ENOSPC:
                raise FaultError(f"disk_fill: no space left allocating {nbytes} bytes in {path}") from None
            if e.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                raise
        zeros = bytes(CHUNK)
        left = nbytes
        while left > 0:
            n = os.write(fd, zeros[: min(CHUNK, left)])
            left -= n
        os.fsync(fd)
        return "write"
    finally:
        os.close(fd)


def plan(params, duration):
    path = check_path_in_mount(params, "path")
    if (params["percent"] is None) == (params["size"] is None):
        raise FaultError("percent, size: give exactly one (target usage percent, or a size like 200M)")
    reserve = parse_size(params["reserve"], "reserve")
    st = os.statvfs(path)
    total = st.f_blocks * st.f_frsize
    free = st.f_bavail * st.f_frsize
    used = total - st.f_bfree * st.f_frsize
    if params["percent"] is not None:
        if not 1 <= params["percent"] <= 100:
            raise FaultError(f"percent: must be within 1-100, got {params['percent']}")
        nbytes = total * params["percent"] // 100 - used
        if nbytes <= 0:
            pct = 100.0 * used / total
            raise FaultError(f"percent: the filesystem of {path} is already {pct:.1f}% used, "
                             f"at or above percent={params['percent']}; nothing to fill")
    else:
        nbytes = parse_size(params["size"])
    if nbytes > free - reserve and not params["force"]:
        raise FaultError(f"disk_fill: {nbytes} bytes would leave less than reserve={params['reserve']} free "
                         f"in {path} ({free} bytes free); lower percent/size or set force: true")
    nbytes = min(nbytes, free) if not params["force"] else nbytes
    injected = dict(
        bytes=nbytes,
        path=path,
        used_percent_before=round(100.0 * used / total, 2) if total else None,
        used_percent_after=round(100.0 * (used + nbytes) / total, 2) if total else None,
    )

    def inject(ctx):
        target = os.path.join(path, f".chaos-faults-fill-{ctx.fault_id}")
        ctx.add_revert({"op": "remove_path", "path": target})
        method = fill_file(target, nbytes)
        return {"file": target, "method": method}

    return injected, inject, []


def main():
    run_fault_module("disk_fill", OPTIONS, plan)


if __name__ == "__main__":
    main()
