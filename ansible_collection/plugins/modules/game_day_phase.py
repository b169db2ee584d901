#!/usr/bin/python
# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)

from __future__ import annotations

DOCUMENTATION = r"""
module: game_day_phase
short_description: The phases of the chaos.faults.game_day role
version_added: 0.1.0
description:
  - Used by the M(chaos.faults.game_day) role; runs in the controller's Python (no module is shipped,
    except M(chaos.faults.fault_status) in the V(revert) phase).
  - V(start) (once) checks the fault and probe definitions, writes the journal placeholder
    (status V(interrupted)), samples the probes before the faults and, when the steady state holds
    and no abort file exists, starts sampling the probes during the faults in a detached process.
  - V(watch) (once) waits until the window of the faults ends; it ends it early when the abort file
    appears or, in the V(automated) mode, when an injection failed or a probe can no longer meet its
    tolerance.
  - V(revert) (on every host) reverts the faults this game day injected on the host with
    M(chaos.faults.fault_status) (O(chaos.faults.fault_status#module:revert) by id) and reads the fault
    records back.
  - V(finish) (once) samples the probes after the faults and writes C(journal.json),
    C(journal-chaostoolkit.json), C(report.md) and C(report.html).
  - The phases read what the role registered before them from host variables, C(game_day__probes)
    (the probe definitions as templated for each host), C(game_day__start), C(game_day__inject),
    C(game_day__watch), C(game_day__revert) and C(game_day__failed).
options:
  phase:
    description: The phase to run.
    type: str
    required: true
    choices: [start, watch, revert, finish]
  title:
    description: Title of the game day (V(start)).
    type: str
    default: game day
  description:
    description: What the game day checks (V(start)).
    type: str
    default: ""
  tags:
    description: Free tags for the journal (V(start)).
    type: list
    elements: str
    default: []
  faults:
    description: The fault definitions, as O(chaos.faults.game_day#role:main:game_day_faults) (V(start)).
    type: list
    elements: raw
    default: []
  mode:
    description: V(automated) or V(observe), see O(chaos.faults.game_day#role:main:game_day_mode) (V(start)).
    type: str
    choices: [automated, observe]
    default: automated
  during_seconds:
    description: Seconds the probes sample during the faults; V(0) for the default (V(start)).
    type: int
    default: 0
  output_dir:
    description: Directory on the controller the run directory is made in (V(start)).
    type: path
  abort_file:
    description: When this file exists, nothing is injected, or the faults are reverted at once.
    type: path
    default: ""
  notes:
    description: Operator notes for the journal (V(finish)).
    type: list
    elements: raw
    default: []
  notes_file:
    description: A text file of operator notes, one per line (V(finish)).
    type: path
    default: ""
attributes:
  action:
    support: full
    description: An action plugin on the controller.
  check_mode:
    support: full
    description:
      - Checks the definitions, samples the probes before the faults (probes only read) and builds the
        journal; injects nothing and writes no file.
  diff_mode:
    support: none
    description: Nothing to diff.
  platform:
    support: full
    platforms: posix
    description: The controller.
author:
  - chaos-pulumi contributors (@chaos-pulumi)
"""

EXAMPLES = r"""
# Used by the chaos.faults.game_day role; see its tasks/main.yml.
- name: Game day | revert
  chaos.faults.game_day_phase:
    phase: revert
"""

RETURN = r"""
run:
  description: The run (V(start)) - C(run_id), C(run_dir), C(started_at), C(window_s), C(mode) and more.
  returned: phase start
  type: dict
inject:
  description: Whether the faults are to be injected (V(start)).
  returned: phase start
  type: bool
status:
  description: completed, failed, aborted or interrupted (V(finish)).
  returned: phase finish
  type: str
deviated:
  description: Whether a steady-state probe failed during or after the faults (V(finish)).
  returned: phase finish
  type: bool
journal:
  description: The journal written to journal.json (V(finish)).
  returned: phase finish
  type: dict
journal_path:
  description: Path of journal.json (V(finish)).
  returned: phase finish
  type: str
journal_chaostoolkit_path:
  description: Path of journal-chaostoolkit.json (V(finish)).
  returned: phase finish
  type: str
report_md_path:
  description: Path of report.md (V(finish)).
  returned: phase finish
  type: str
report_html_path:
  description: Path of report.html (V(finish)).
  returned: phase finish
  type: str
"""
