#!/usr/bin/python
# Copyright: chaos-pulumi contributors
# Apache-2.0 (see the collection's LICENSE)
"""Write the journal (also in Chaos Toolkit's format) and the Markdown/HTML report of a game day."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: game_day_report
short_description: Write the journal and the Markdown/HTML report of a game day
version_added: 0.1.0
description:
  - Rebuilds the journal and the reports of a game day from the results of its steps, on the
    controller (delegated to C(localhost)). The M(chaos.faults.game_day) role writes the same files
    itself (with M(chaos.faults.game_day_phase)); this module is for other playbooks and for
    rebuilding a report.
  - Builds a journal in the shape of Chaos Toolkit's run journal (C(status), C(deviated),
    C(steady_states), C(run), C(rollbacks)) plus an C(events) list where every event has a
    timestamp and a host, and writes C(journal.json), C(journal-chaostoolkit.json) (Chaos Toolkit's
    own journal format), C(report.md) and a self-contained C(report.html) with an inline SVG
    timeline (probe latency and success over time, fault windows shaded per host).
  - With I(phase=start) it writes a placeholder journal with C(status=interrupted), so a run that
    is killed before the end still leaves an honest journal behind.
  - Needs only the Python standard library.
options:
  title:
    description: Title of the game day.
    type: str
    required: true
  description:
    description: What the game day checks.
    type: str
    default: ""
  tags:
    description: Free tags copied into the journal's experiment.
    type: list
    elements: str
    default: []
  output_dir:
    description: Directory the run directory is created in.
    type: path
    required: true
  run_id:
    description: Name of the run directory under I(output_dir); the same for the start and final phase.
    type: str
    required: true
  phase:
    description: C(start) writes the placeholder journal, C(final) the journal and both reports.
    type: str
    choices: [start, final]
    default: final
  started_at:
    description: ISO-8601 UTC time the game day started.
    type: str
    required: true
  ended_at:
    description: ISO-8601 UTC time the game day ended (default now).
    type: str
  hosts:
    description: Hosts of the play.
    type: list
    elements: str
    default: []
  faults:
    description: The fault definitions of the game day (C(module), C(args), optional C(name)).
    type: list
    elements: dict
    default: []
  probes:
    description:
      - Probe runs, each C(phase) (before, during, after), C(name), C(host), C(start), C(end),
        C(spec) (the probe definition) and C(result) (what M(chaos.faults.probe) returns; its
        C(samples) each have C(at), C(ok) and C(latency_ms)).
    type: list
    elements: dict
    default: []
  injections:
    description: Fault injections, each C(host), C(name), C(module), C(args), C(start), C(end), C(result).
    type: list
    elements: dict
    default: []
  reverts:
    description:
      - Reverts, each C(host), C(module) (the fault's), C(fault_id), C(start), C(end) and C(result)
        (what M(chaos.faults.fault_status) returned).
    type: list
    elements: dict
    default: []
  records:
    description: Fault records read back with M(chaos.faults.fault_status), each C(host) and C(records).
    type: list
    elements: dict
    default: []
  aborted_reason:
    description: Set when the game day was aborted (abort file, operator); makes the status C(aborted).
    type: str
    default: ""
  failed_reason:
    description: Set when a step of the game day failed; makes the status C(failed).
    type: str
    default: ""
  mode:
    description: The game day's mode, recorded in the journal.
    type: str
    choices: [automated, observe]
    default: automated
  stopped_early:
    description: When the faults were reverted before the end of their window, C(at) (ISO-8601) and C(reason).
    type: dict
  notes:
    description:
      - Operator notes, each C(text) and optionally C(at) (ISO-8601, default the end), C(author) and C(host).
    type: list
    elements: dict
    default: []
author:
  - chaos-pulumi contributors (@chaos-pulumi)
"""

EXAMPLES = r"""
- name: Write the journal and the report
  chaos.faults.game_day_report:
    title: API survives CPU pressure
    output_dir: /var/tmp/game-days
    run_id: "20260101T120000Z-api"
    started_at: "2026-01-01T12:00:00+00:00"
    probes: "{{ probe_runs }}"
    injections: "{{ injections }}"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""

status:
  description: completed, failed, aborted or interrupted.
  type: str
  returned: always
deviated:
  description: Whether a steady-state probe failed during or after the faults.
  type: bool
  returned: always
run_dir:
  description: Directory holding the journal and the reports.
  type: str
  returned: always
journal_path:
  description: Path of journal.json.
  type: str
  returned: always
report_md_path:
  description: Path of report.md (phase final).
  type: str
  returned: always
report_html_path:
  description: Path of report.html (phase final).
  type: str
  returned: always
journal_chaostoolkit_path:
  description: Path of journal-chaostoolkit.json, the journal in Chaos Toolkit's format.
  type: str
  returned: always
journal:
  description: The journal written to journal.json.
  type: dict
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.chaos.faults.plugins.module_utils.game_day.files import write_reports
from ansible_collections.chaos.faults.plugins.module_utils.game_day.journal import MODES, build_journal
from ansible_collections.chaos.faults.plugins.module_utils.game_day.notes import NoteError, note_from_value
from ansible_collections.chaos.faults.plugins.module_utils.game_day.times import parse_time


def main():
    module = AnsibleModule(
        argument_spec=dict(
            title=dict(type="str", required=True),
            description=dict(type="str", default=""),
            tags=dict(type="list", elements="str", default=[]),
            output_dir=dict(type="path", required=True),
            run_id=dict(type="str", required=True),
            phase=dict(type="str", choices=["start", "final"], default="final"),
            started_at=dict(type="str", required=True),
            ended_at=dict(type="str"),
            hosts=dict(type="list", elements="str", default=[]),
            faults=dict(type="list", elements="dict", default=[]),
            probes=dict(type="list", elements="dict", default=[]),
            injections=dict(type="list", elements="dict", default=[]),
            reverts=dict(type="list", elements="dict", default=[]),
            records=dict(type="list", elements="dict", default=[]),
            aborted_reason=dict(type="str", default=""),
            failed_reason=dict(type="str", default=""),
            mode=dict(type="str", choices=list(MODES), default=MODES[0]),
            stopped_early=dict(type="dict"),
            notes=dict(type="list", elements="dict", default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if "/" in p["run_id"] or p["run_id"] in ("", ".", ".."):
        module.fail_json(msg=f"run_id: {p['run_id']!r} must be a plain directory name (no '/')")
    if parse_time(p["started_at"]) is None:
        module.fail_json(msg=f"started_at: {p['started_at']!r} is not an ISO-8601 time")
    try:
        p = dict(p, notes=[note_from_value(n, f"notes[{i}]") for i, n in enumerate(p["notes"])])
    except NoteError as e:
        module.fail_json(msg=str(e))
    if module.check_mode:
        journal = build_journal(p)
        module.exit_json(changed=False, journal=journal, status=journal["status"],
                         deviated=journal["deviated"])
    try:
        result = write_reports(p)
    except OSError as exc:
        module.fail_json(msg=f"output_dir: cannot write the game day report under {p['output_dir']}: {exc}")
    module.exit_json(changed=True, **result)


if __name__ == "__main__":
    main()
