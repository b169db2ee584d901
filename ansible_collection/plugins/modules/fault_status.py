#!/usr/bin/python
# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)

from __future__ import annotations

DOCUMENTATION = r"""
module: fault_status
short_description: List the host-fault records on a host, and revert active faults by id or all at once
version_added: 0.1.0
description:
  - Reads the records the chaos.faults host-fault modules keep under O(record_dir), one per fault, with
    what was injected, when, when and by what it was reverted (C(duration), C(guard), C(absent),
    C(watchdog-recovery), C(signal), C(injection-failed)), and the guard violation if there was one.
  - With O(recover=true) (the default), first reverts active faults whose watchdog is gone
    (C(reverted_by=watchdog-recovery)).
  - With O(revert), reverts the listed active faults, or every active fault with V(all), through the
    revert steps each fault recorded before it was injected (C(reverted_by=revert)). Reverting a fault
    that has already ended changes nothing, so the task is safe to repeat (a kill switch, the end of a
    game day).
options:
  record_dir:
    description: Directory of the fault records on the target.
    type: path
    default: /run/chaos-faults
  fault_id:
    description: Only this fault.
    type: str
  fault:
    description: Only faults made by this module (for example V(cpu_stress)).
    type: str
  active_only:
    description: Only faults that are still active.
    type: bool
    default: false
  recover:
    description: Revert active faults whose watchdog has died before listing.
    type: bool
    default: true
  revert:
    description:
      - Fault ids to revert now, or the single value V(all) for every active fault on the host.
      - An id with no record in O(record_dir) fails the task before anything is reverted.
    type: list
    elements: str
attributes:
  check_mode:
    support: full
    description: Lists only; recovery is skipped, and O(revert) reports what it would revert.
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
- name: What did the game day leave, and why was it reverted?
  chaos.faults.fault_status:
  register: faults

- name: Kill switch for this host's faults (idempotent)
  chaos.faults.fault_status:
    revert: all

- name: Revert two faults of a game day early
  chaos.faults.fault_status:
    revert: "{{ injections | map(attribute='fault_id') | list }}"

- name: Show guard violations
  ansible.builtin.debug:
    msg: "{{ faults.faults | selectattr('reverted_by', 'equalto', 'guard') | list }}"
"""

RETURN = r"""
faults:
  description:
    - The records, oldest first. Keys include C(fault_id), C(fault), C(state) (C(armed), C(active),
      C(reverted), C(done)), C(injected), C(started_at), C(active_at), C(reverts_at), C(duration),
      C(watchdog_pid), C(reverted_at), C(reverted_by), C(revert_errors) and C(guard_violation).
    - Timestamps are ISO-8601 UTC with milliseconds. C(revert_seconds) is C(reverted_at) minus the guard
      violation's C(detected_at), when both exist.
  returned: always
  type: list
  elements: dict
active:
  description: Ids of the faults still active.
  returned: always
  type: list
  elements: str
recovered:
  description: Ids of faults reverted by this run because their watchdog had died.
  returned: always
  type: list
  elements: str
reverted:
  description: Ids of faults O(revert) reverted in this run (in check mode, that it would revert).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.chaos.faults.plugins.module_utils.host_faults import (
    RecordStore,
    is_active,
    parse_iso,
    recover_orphans,
    revert_fault,
)

REVERT_ALL = "all"


def revert_requested(module, store):
    """Revert what O(revert) names; returns the ids reverted (or, in check mode, that would be)."""
    wanted = module.params["revert"]
    if not wanted:
        return []
    records = {r.get("fault_id"): r for r in store.all()}
    if REVERT_ALL in wanted:
        if len(wanted) > 1:
            module.fail_json(msg="revert: 'all' cannot be combined with fault ids; give either 'all' or ids")
        ids = [i for i, r in records.items() if is_active(r)]
    else:
        unknown = [i for i in wanted if i not in records]
        if unknown:
            module.fail_json(msg="revert: no fault record {} in {}; nothing was reverted (known: {})".format(
                ", ".join(unknown), store.directory, ", ".join(sorted(records)) or "none"))
        ids = [i for i in dict.fromkeys(wanted) if is_active(records[i])]
    if module.check_mode:
        return ids
    return [i for i in ids if revert_fault(store, i, "revert")]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            record_dir=dict(type="path", default="/run/chaos-faults"),
            fault_id=dict(type="str"),
            fault=dict(type="str"),
            active_only=dict(type="bool", default=False),
            recover=dict(type="bool", default=True),
            revert=dict(type="list", elements="str"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    store = RecordStore(p["record_dir"])
    recovered = recover_orphans(store) if p["recover"] and not module.check_mode else []
    reverted = revert_requested(module, store)
    faults = []
    for rec in store.all():
        if p["fault_id"] and rec.get("fault_id") != p["fault_id"]:
            continue
        if p["fault"] and rec.get("fault") != p["fault"]:
            continue
        if p["active_only"] and not is_active(rec):
            continue
        violation = rec.get("guard_violation") or {}
        if violation.get("detected_at") and rec.get("reverted_at"):
            seconds = parse_iso(rec["reverted_at"]) - parse_iso(violation["detected_at"])
            rec["revert_seconds"] = round(seconds, 3)
        faults.append(rec)
    module.exit_json(changed=bool(recovered or reverted), faults=faults, recovered=recovered,
                     reverted=reverted, active=[r["fault_id"] for r in faults if is_active(r)])


if __name__ == "__main__":
    main()
