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
    (C(reverted_by=watchdog-recovery)) and removes half-written records (RV(swept)).
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
    description: Revert active faults whose watchdog has died, and remove half-written records, first.
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
swept:
  description:
    - Half-written records (C(<fault_id>.json.<pid>.tmp)) this run removed; a writer killed between
      writing and renaming a record leaves one.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.errors import FaultError
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.lifecycle import (
    housekeeping,
    list_records,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.records import (
    RECORD_DIR,
    RecordStore,
    is_active,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.revert import (
    revert_now,
    select_for_revert,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            record_dir=dict(type="path", default=RECORD_DIR),
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
    house = housekeeping(store, check_mode=module.check_mode or not p["recover"])
    try:
        ids = select_for_revert(store, p["revert"]) if p["revert"] else []
    except FaultError as e:
        module.fail_json(msg=str(e))
    reverted = revert_now(store, ids, "revert", module.check_mode)
    faults = list_records(store, p["fault_id"], p["fault"], p["active_only"])
    module.exit_json(changed=bool(house["recovered"] or house["swept"] or reverted), faults=faults,
                     reverted=reverted, active=[r["fault_id"] for r in faults if is_active(r)], **house)


if __name__ == "__main__":
    main()
