# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Options and return values shared by the timed host-fault modules."""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  duration:
    description:
      - How long the fault lasts, in seconds. Required with O(state=present).
      - Must be within 1-3600; up to 86400 with O(force=true).
      - The revert is armed before the fault is injected and happens at the end of the duration even if
        C(ansible-playbook), the SSH connection or the module process dies.
    type: int
  state:
    description:
      - V(present) injects a new fault.
      - V(absent) reverts now the active fault O(fault_id), or every active fault of this module when
        O(fault_id) is not given. Harmless when nothing is active.
    type: str
    choices: [present, absent]
    default: present
  fault_id:
    description:
      - With O(state=absent), the fault to revert (from RV(fault_id) of an earlier run).
      - With O(state=present), an id of your choice for the new fault (default a random 12-hex id).
    type: str
  force:
    description:
      - Do what the module refuses by default (see each module's notes), allow durations up to 86400 s,
        and inject even when the O(stop_on) guard already fails.
    type: bool
    default: false
  record_dir:
    description:
      - Directory of the fault records (one C(<fault_id>.json) per fault) on the target.
      - Change it only to keep independent runs apart (tests); M(chaos.faults.fault_status) must be given
        the same directory.
    type: path
    default: /run/chaos-faults
  stop_on:
    description:
      - A guard the watchdog checks every O(stop_on.interval_ms) while the fault is active. When it fails
        the fault is reverted at once and the violation is kept in the record (C(reverted_by=guard)).
      - The guard is also checked once before injecting; a failing guard refuses the fault unless
        O(force=true).
      - Give exactly one of O(stop_on.url) or O(stop_on.command).
    type: dict
    suboptions:
      url:
        description:
          - An C(http://) or C(https://) URL requested from the target with GET. Redirects are not followed.
        type: str
      status:
        description: The HTTP status codes that count as healthy.
        type: list
        elements: int
        default: [200]
      max_latency_ms:
        description: A response slower than this (milliseconds) is a violation.
        type: int
      command:
        description:
          - A command (a list of arguments, or a string split like a shell would but never run by one)
            that exits 0 while the system is healthy.
        type: raw
      timeout_ms:
        description: A check that takes longer than this (milliseconds) fails.
        type: int
        default: 1000
      interval_ms:
        description: Time between checks in milliseconds, 10-250.
        type: int
        default: 200
notes:
  - Standard library only on the target; Python 3.8 or later.
  - Every fault is recorded under O(record_dir) and can be listed with M(chaos.faults.fault_status).
  - The watchdog is a double-forked process in its own session (process name C(chaos-watchdog)). When systemd
    is PID 1 it is also moved into a transient scope C(chaos-faults-<fault_id>.scope), so that logind does
    not kill it with the SSH session.
  - Every module run first reverts active faults whose watchdog has died (C(reverted_by=watchdog-recovery)),
    and removes half-written records (C(<fault_id>.json.<pid>.tmp) older than 10 s with no live writer).
attributes:
  check_mode:
    support: full
    description: Returns what would be injected; nothing is recorded or changed.
  diff_mode:
    support: none
    description: Nothing to diff.
  platform:
    support: full
    platforms: posix
    description: Linux hosts (reads C(/proc)).
"""
