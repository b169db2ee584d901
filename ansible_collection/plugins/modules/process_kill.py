#!/usr/bin/python
# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)

from __future__ import annotations

DOCUMENTATION = r"""
module: process_kill
short_description: Send a signal to processes chosen by name, pattern or pid
version_added: 0.1.0
description:
  - Sends O(signal) to the processes matching O(name), O(pattern) or O(pid). Instant; there is nothing
    to revert, but the kill is recorded like other faults (see M(chaos.faults.fault_status)).
  - Refuses pid 1, kernel threads, chaos-faults watchdogs and the process tree of the running Ansible
    connection (the module, its ancestors such as the SSH session or C(ansible-playbook), and its
    children). With O(name) or O(pattern), such processes are skipped and listed in RV(refused); with O(pid)
    the module fails. O(force=true) allows them (never the module itself).
  - Fails when no process matches.
options:
  name:
    description: Process name, compared with C(/proc/<pid>/comm) and the base name of C(argv[0]).
    type: str
  pattern:
    description: Python regular expression searched in the full command line (arguments joined by spaces).
    type: str
  pid:
    description: One process id.
    type: int
  signal:
    description: Signal name (V(SIGTERM), V(KILL)) or number.
    type: str
    default: SIGTERM
  count:
    description: Kill at most this many matching processes, oldest first; V(0) kills all.
    type: int
    default: 0
  force:
    description: Allow protected processes (see the description).
    type: bool
    default: false
  record_dir:
    description: Directory of the fault records on the target.
    type: path
    default: /run/chaos-faults
attributes:
  check_mode:
    support: full
    description: Returns the processes that would be signalled.
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
- name: Kill one nginx worker
  chaos.faults.process_kill:
    pattern: "^nginx: worker process"
    count: 1
    signal: SIGKILL

- name: Terminate every process called gunicorn
  chaos.faults.process_kill:
    name: gunicorn
"""

RETURN = r"""
fault_id:
  description: Id of the record of this kill.
  returned: success
  type: str
fault:
  description: V(process_kill).
  returned: always
  type: str
injected:
  description: Signal and processes.
  returned: success
  type: dict
  contains:
    signal:
      description: Signal name.
      type: str
    killed:
      description: The processes signalled (pid, name, cmdline).
      type: list
      elements: dict
killed:
  description: The processes signalled (or, in check mode, that would be).
  returned: success
  type: list
  elements: dict
refused:
  description: Matching processes left alone, each with the reason.
  returned: always
  type: list
  elements: dict
started_at:
  description: When the signals were sent (ISO-8601 UTC).
  returned: success
  type: str
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
"""

import os
import re
import signal as signal_mod
import socket
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.clock import utc_iso
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.commands import parse_signal
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.errors import FaultError
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.lifecycle import housekeeping
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.procs import (
    all_pids,
    cmdline,
    is_kernel_thread,
    proc_stat,
    protected_processes,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.records import (
    RECORD_DIR,
    RecordStore,
    new_fault_id,
)


def matches(params, st, argv):
    if params["pid"] is not None:
        return st["pid"] == params["pid"]
    if params["name"] is not None:
        name = params["name"]
        base = os.path.basename(argv[0]) if argv else ""
        return st["comm"] == name or st["comm"] == name[:15] and len(name) > 15 or base == name
    return bool(argv) and params["_regex"].search(" ".join(argv)) is not None


def select_processes(params):
    """(targets, refused) as lists of dicts, oldest first."""
    protected = protected_processes()
    targets, refused = [], []
    for pid in all_pids():
        st = proc_stat(pid)
        if st is None or st["state"] in ("Z", "X"):
            continue
        argv = cmdline(pid)
        if not matches(params, st, argv):
            continue
        info = dict(pid=pid, name=st["comm"], cmdline=argv, starttime=st["starttime"])
        reason = "a kernel thread" if is_kernel_thread(st) else protected.get(pid)
        if reason and (not params["force"] or pid == os.getpid()):
            refused.append(dict(info, reason=reason))
        else:
            targets.append(info)
    targets.sort(key=lambda p: (p["starttime"], p["pid"]))
    if params["count"]:
        targets = targets[: params["count"]]
    return targets, refused


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str"),
            pattern=dict(type="str"),
            pid=dict(type="int"),
            signal=dict(type="str", default="SIGTERM"),
            count=dict(type="int", default=0),
            force=dict(type="bool", default=False),
            record_dir=dict(type="path", default=RECORD_DIR),
        ),
        required_one_of=[("name", "pattern", "pid")],
        mutually_exclusive=[("name", "pattern", "pid")],
        supports_check_mode=True,
    )
    params = dict(module.params)
    try:
        signum = parse_signal(params["signal"])
        if params["count"] < 0:
            raise FaultError(f"count: must be 0 (all) or more, got {params['count']}")
        if params["pattern"] is not None:
            try:
                params["_regex"] = re.compile(params["pattern"])
            except re.error as e:
                raise FaultError(f"pattern: not a valid regular expression: {e}") from None
        store = RecordStore(params["record_dir"])
        house = housekeeping(store, module.check_mode)
        targets, refused = select_processes(params)
        if params["pid"] is not None and refused:
            raise FaultError(f"pid: refusing to signal {params['pid']}: {refused[0]['reason']} "
                             "(set force: true to do it anyway)")
        if not targets:
            what = {k: params[k] for k in ("name", "pattern", "pid") if params[k] is not None}
            extra = f"; refused: {[(p['pid'], p['reason']) for p in refused]}" if refused else ""
            raise FaultError(f"no process matches {what}{extra}")
    except FaultError as e:
        module.fail_json(msg=str(e), fault="process_kill")
    signame = signal_mod.Signals(signum).name
    public = [{k: p[k] for k in ("pid", "name", "cmdline")} for p in targets]
    refused_public = [{k: p[k] for k in ("pid", "name", "cmdline", "reason")} for p in refused]
    if module.check_mode:
        module.exit_json(changed=True, fault="process_kill", killed=public, refused=refused_public,
                         injected=dict(signal=signame, killed=public), **house)
    killed = []
    now = time.time()
    for p in targets:
        st = proc_stat(p["pid"])
        if st is None or st["starttime"] != p["starttime"]:
            continue  # exited meanwhile, or the pid now belongs to another process
        try:
            os.kill(p["pid"], signum)
        except ProcessLookupError:
            continue
        killed.append({k: p[k] for k in ("pid", "name", "cmdline")})
    fault_id = new_fault_id()
    injected = dict(signal=signame, killed=killed)
    record = dict(fault_id=fault_id, fault="process_kill", state="done", host=socket.gethostname(),
                  injected=injected, started_at=utc_iso(now), ended_at=utc_iso(time.time()), duration=0,
                  params={k: v for k, v in module.params.items() if k != "record_dir"},
                  reverted_at=None, reverted_by=None, guard_violation=None, watchdog_pid=None)
    store.write(record)
    module.exit_json(changed=bool(killed), fault_id=fault_id, fault="process_kill", injected=injected,
                     killed=killed, refused=refused_public, started_at=record["started_at"], **house)


if __name__ == "__main__":
    main()
