# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Action plugin chaos.faults.game_day_phase: the phases of the game_day role, in the controller's Python."""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.chaos.faults.plugins.module_utils.game_day.files import run_paths, write_reports
from ansible_collections.chaos.faults.plugins.module_utils.game_day.journal import MODES, build_journal
from ansible_collections.chaos.faults.plugins.module_utils.game_day.notes import (
    NoteError,
    note_from_value,
    notes_from_text,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.clock import utc_iso
from ansible_collections.chaos.faults.plugins.plugin_utils import during_sampler
from ansible_collections.chaos.faults.plugins.plugin_utils.game_day_plan import (
    FaultDefinitionError,
    check_faults,
    run_id,
    window_seconds,
)
from ansible_collections.chaos.faults.plugins.plugin_utils.game_day_results import (
    FAILED_VAR,
    INJECT_VAR,
    PROBES_VAR,
    REVERT_VAR,
    injections,
    revert_ids,
    reverts,
)
from ansible_collections.chaos.faults.plugins.plugin_utils.probe_set import (
    ProbeDefinitionError,
    ProbeRun,
    expand,
    sample_all,
)

START_VAR = "game_day__start"
WATCH_VAR = "game_day__watch"
DEFAULT_RECORD_DIR = "/run/chaos-faults"
ARGUMENT_SPEC = dict(
    phase=dict(type="str", required=True, choices=["start", "watch", "revert", "finish"]),
    title=dict(type="str", default="game day"),
    description=dict(type="str", default=""),
    tags=dict(type="list", elements="str", default=[]),
    faults=dict(type="list", elements="raw", default=[]),
    mode=dict(type="str", choices=list(MODES), default=MODES[0]),
    during_seconds=dict(type="int", default=0),
    output_dir=dict(type="path"),
    abort_file=dict(type="path", default=""),
    notes=dict(type="list", elements="raw", default=[]),
    notes_file=dict(type="path", default=""),
)


def _now() -> datetime:
    return datetime.now(timezone.utc)  # noqa: UP017 - the controller's Python may be older than 3.11


def _failed_msg(result: dict[str, Any]) -> str:
    return str(result.get("msg") or "failed")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        try:
            result.update(getattr(self, f"_{args['phase']}")(args, task_vars))
        except (FaultDefinitionError, ProbeDefinitionError, NoteError) as e:
            raise AnsibleActionFail(str(e)) from None
        except OSError as e:  # the run directory: the only files the phases write
            raise AnsibleActionFail(f"game_day_output_dir: cannot write the game day's files: {e}") from None
        return result

    # ----------------------------------------------------------------------------------- helpers

    def _hostvar(self, task_vars: dict[str, Any], host: str, name: str) -> Any:
        return (task_vars.get("hostvars") or {}).get(host, {}).get(name)

    def _probe_runs(self, task_vars: dict[str, Any], hosts: list[str]) -> list[ProbeRun]:
        by_host = {h: self._hostvar(task_vars, h, PROBES_VAR) or [] for h in hosts}
        return expand(by_host, first_host=task_vars["inventory_hostname"])

    # ------------------------------------------------------------------------------------ phases

    def _start(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        """Check the definitions, write the placeholder journal, probe before, start the probes during."""
        if not args["output_dir"]:
            raise AnsibleActionFail("output_dir: required for the start phase")
        check_faults(args["faults"])
        runs = self._probe_runs(task_vars, list(task_vars.get("ansible_play_hosts") or []))
        now = _now()
        rid = run_id(args["title"], now)
        run = {
            "run_id": rid,
            "run_dir": run_paths(args["output_dir"], rid)["run_dir"],
            "output_dir": args["output_dir"],
            "started_at": now.isoformat(),
            "window_s": window_seconds(args["faults"], args["during_seconds"]),
            "mode": args["mode"],
            "abort_file": args["abort_file"],
            "hosts": list(task_vars.get("ansible_play_hosts_all") or []),
            "title": args["title"],
            "description": args["description"],
            "tags": args["tags"],
            "faults": args["faults"],
            "sampler_pid": None,
        }
        if not self._task.check_mode:  # check mode probes (read-only) but writes and injects nothing
            write_reports(self._report_params(run, phase="start"))
        before = sample_all(runs, "before")
        held = all(r["result"].get("within_tolerance") for r in before)
        aborted = ""
        if args["abort_file"] and os.path.exists(args["abort_file"]):
            aborted = f"abort file {args['abort_file']} exists; no fault was injected"
        inject = held and not aborted and bool(args["faults"]) and not self._task.check_mode
        if inject:
            run["sampler_pid"] = during_sampler.start(
                run["run_dir"], runs, run["window_s"], stop_on_violation=args["mode"] == "automated"
            )
        changed = not self._task.check_mode
        return {"changed": changed, "run": run, "before": before, "inject": inject, "aborted_reason": aborted}

    def _watch(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        """Wait out the faults' window; end it early on the abort file or, when automated, on a failed
        injection or a probe that can no longer meet its tolerance."""
        run = (task_vars.get(START_VAR) or {}).get("run") or {}
        if not run.get("sampler_pid"):
            return {"skipped": True, "msg": "no fault was injected"}
        run_dir, abort_file = run["run_dir"], run.get("abort_file")
        if run["mode"] == "automated":
            for host in run["hosts"]:
                for inj in injections(host, self._hostvar(task_vars, host, INJECT_VAR)):
                    if inj["result"].get("failed") or inj["result"].get("unreachable"):
                        why = f"{inj['name']} could not be injected on {host}: {_failed_msg(inj['result'])}"
                        during_sampler.request_stop(run_dir, why)
        aborted = []

        def check_abort() -> None:
            if abort_file and not aborted and os.path.exists(abort_file):
                aborted.append(f"abort file {abort_file} appeared; the faults were reverted")
                during_sampler.request_stop(run_dir, aborted[0])

        data = during_sampler.collect(run_dir, run["sampler_pid"], run["window_s"] + 60, on_tick=check_abort)
        return {
            "changed": False,
            "probes": data.get("runs") or [],
            "stopped_early": data.get("stopped_early"),
            "aborted_reason": aborted[0] if aborted else "",
            "sampler_error": data.get("error", ""),
        }

    def _revert(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        """Revert this host's faults of this game day with chaos.faults.fault_status (revert: ids)."""
        host = task_vars["inventory_hostname"]
        injected = injections(host, task_vars.get(INJECT_VAR))
        ids = revert_ids(injected)
        if not ids:
            return {"skipped": True, "msg": f"no fault of this game day to revert on {host}"}
        by_dir: dict[str, list[str]] = {}
        for inj in injected:
            if inj["result"].get("fault_id") in ids:
                record_dir = inj["args"].get("record_dir") or DEFAULT_RECORD_DIR
                by_dir.setdefault(record_dir, []).append(inj["result"]["fault_id"])
        start = utc_iso(time.time())
        status: dict[str, Any] = {"faults": [], "reverted": []}
        failures = []
        for record_dir, dir_ids in by_dir.items():
            res = self._execute_module(
                module_name="chaos.faults.fault_status",
                module_args={"revert": dir_ids, "record_dir": record_dir},
                task_vars=task_vars,
            )
            if res.get("failed"):
                failures.append(_failed_msg(res))
            status["faults"] += res.get("faults") or []
            status["reverted"] += res.get("reverted") or []
        out = {
            "changed": bool(status["reverted"]),
            "fault_ids": ids,
            "start": start,
            "end": utc_iso(time.time()),
            "fault_status": status,
        }
        if failures:
            out.update(failed=True, msg="; ".join(failures))
        return out

    def _finish(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        """Probe after, then write the journals and the reports."""
        start = task_vars.get(START_VAR) or {}
        run = start.get("run")
        if not run:
            raise AnsibleActionFail(f"the start phase has not run ({START_VAR} is not set)")
        watch = task_vars.get(WATCH_VAR) or {}
        if run.get("sampler_pid") and "probes" not in watch:  # a step failed before the watch phase
            during_sampler.request_stop(run["run_dir"], "a step of the game day failed")
            late = during_sampler.collect(run["run_dir"], run["sampler_pid"], 60)
            watch = {"probes": late.get("runs") or []}
        after = (
            []
            if self._task.check_mode
            else sample_all(
                self._probe_runs(task_vars, list(task_vars.get("ansible_play_hosts") or [])), "after"
            )
        )
        params = self._report_params(run, phase="final")
        params["probes"] = list(start.get("before") or []) + list(watch.get("probes") or []) + after
        failed = []
        for host in run["hosts"]:
            injected = injections(host, self._hostvar(task_vars, host, INJECT_VAR))
            host_reverts, records = reverts(host, self._hostvar(task_vars, host, REVERT_VAR), injected)
            params["injections"] += injected
            params["reverts"] += host_reverts
            params["records"] += records
            reason = self._hostvar(task_vars, host, FAILED_VAR)
            if reason:
                failed.append(str(reason).strip())
        if watch.get("sampler_error"):
            failed.append(watch["sampler_error"])
        params["failed_reason"] = "; ".join(failed)
        params["aborted_reason"] = start.get("aborted_reason") or watch.get("aborted_reason") or ""
        params["stopped_early"] = watch.get("stopped_early")
        params["notes"] = self._notes(args, run)
        if self._task.check_mode:  # where the files would be; nothing is written
            journal = build_journal(params)
            paths = run_paths(run["output_dir"], run["run_id"])
            return dict(
                paths, changed=False, journal=journal, status=journal["status"], deviated=journal["deviated"]
            )
        return dict(write_reports(params), changed=True)

    # -------------------------------------------------------------------------------- the report

    def _report_params(self, run: dict[str, Any], phase: str) -> dict[str, Any]:
        return {
            "title": run["title"],
            "description": run["description"],
            "tags": run["tags"],
            "output_dir": run["output_dir"],
            "run_id": run["run_id"],
            "phase": phase,
            "started_at": run["started_at"],
            "ended_at": _now().isoformat(),
            "hosts": run["hosts"],
            "faults": run["faults"],
            "mode": run["mode"],
            "probes": [],
            "injections": [],
            "reverts": [],
            "records": [],
        }

    def _notes(self, args: dict[str, Any], run: dict[str, Any]) -> list[dict[str, Any]]:
        notes = [note_from_value(n, f"game_day_notes[{i}]") for i, n in enumerate(args["notes"])]
        if args["notes_file"]:
            try:
                with open(args["notes_file"], encoding="utf-8") as f:
                    text = f.read()
            except FileNotFoundError:
                text = ""  # no note was written during the drill
            except OSError as e:
                raise NoteError(f"game_day_notes_file: cannot read {args['notes_file']}: {e}") from None
            notes += notes_from_text(text, datetime.fromisoformat(run["started_at"]))
        return notes
