"""The kill switch: engage the FIS safety lever, stop every run, pause every chaos schedule; and resume.

:func:`stop_all` does, in each Region and independently of the others:

1. engage FIS's safety lever (``UpdateSafetyLeverState``): FIS stops the runs in progress (they end
   ``stopped``) and cancels every run started while it is engaged (``cancelled``);
2. stop every experiment still pending, initiating or running (``StopExperiment``), so that it
   does not depend on how fast the lever acts, then wait (bounded) until they have ended; the record
   names every run that was in progress when stop-all began (listed before the lever was engaged);
3. disable every schedule in an EventBridge Scheduler schedule group tagged ``chaos-pulumi:schedule``
   (the groups this project's ``ChaosSchedule`` creates; a schedule itself cannot carry tags, its
   group can). Each schedule it disables gets a visible mark at the start of its description, which
   is how :func:`resume` knows which ones to enable again: schedules that were already disabled stay
   disabled.

:func:`resume` disengages the lever first (so a schedule firing at once is not cancelled), then
enables the marked schedules and removes the mark. Stopped and cancelled runs stay ended: FIS cannot
resume them; start new ones.

Both are idempotent and safe to run twice at once: a lever already in the wanted state is left alone
(a concurrent change shows as ``ConflictException`` and is read back), stopping a run that already
ended is a no-op, and two runs writing the same schedule write the same content. Every step that
fails is recorded and the others still run; the returned record (JSON-able) says what was done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chaos_pulumi.aws.clients import ClientFactory
from chaos_pulumi.aws.errors import error_code, error_text
from chaos_pulumi.spec.schedules import SCHEDULE_TAG

LEVER_ID = "default"
ENGAGED, ENGAGING, DISENGAGED = "engaged", "engaging", "disengaged"
PAUSED_MARK = "[paused by chaos-pulumi stop-all]"
SCHEDULE_DESCRIPTION_MAX = 512  # EventBridge Scheduler's limit on a schedule's description
IN_PROGRESS = ("pending", "initiating", "running")
ENDED = frozenset({"completed", "stopped", "failed", "cancelled"})
_STOP_RACES = ("ResourceNotFoundException", "ConflictException", "ValidationException")
# UpdateSchedule replaces the whole schedule: these fields of GetSchedule are sent back unchanged.
_SCHEDULE_FIELDS = (
    "Name",
    "GroupName",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "StartDate",
    "EndDate",
    "KmsKeyArn",
    "Target",
    "FlexibleTimeWindow",
    "ActionAfterCompletion",
)

RegionClients = Callable[[str], ClientFactory]  # region -> its client factory
AwsError = (BotoCoreError, ClientError)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ----- the safety lever -----------------------------------------------------------------------------


def safety_lever(fis: Any) -> dict[str, Any]:
    """This Region's lever as GetSafetyLever returns it: ``{id, arn, state: {status, reason}}``."""
    return dict(fis.get_safety_lever(id=LEVER_ID)["safetyLever"])


def lever_state(fis: Any) -> dict[str, str]:
    """``{status, reason}`` of this Region's lever."""
    return dict(safety_lever(fis).get("state") or {})


def lever_engaged(fis: Any) -> str | None:
    """Why the lever blocks runs (its reason) when it is engaged or engaging, else None: the check a
    front end makes before StartExperiment, so it can say why at once instead of FIS cancelling."""
    state = lever_state(fis)
    if state.get("status") in (ENGAGED, ENGAGING):
        return state.get("reason") or f"the safety lever is {state.get('status')} (no reason given)"
    return None


def lever_is(state: dict[str, str], status: str) -> bool:
    """Whether a lever in ``state`` already is at ``status`` (``engaging`` counts as engaged: FIS is
    stopping the runs and refuses every change meanwhile)."""
    current = state.get("status")
    return current == status or (status == ENGAGED and current == ENGAGING)


def set_lever(fis: Any, status: str, reason: str, wait_s: float = 60.0) -> dict[str, Any]:
    """Bring the lever to ``status``; ``{before, after, changed}``. Already there (or ``engaging`` when
    engaged is wanted) changes nothing; a lever still ``engaging`` is waited for before disengaging."""
    deadline = time.monotonic() + wait_s
    before = lever_state(fis)
    current = before
    while True:
        if lever_is(current, status):
            return {"before": before, "after": current, "changed": False}
        if current.get("status") == ENGAGING:  # FIS refuses any change until it has engaged
            if time.monotonic() > deadline:
                raise TimeoutError(f"the safety lever is still engaging after {wait_s:g}s; try again")
            time.sleep(1.0)
            current = lever_state(fis)
            continue
        try:
            lever = fis.update_safety_lever_state(id=LEVER_ID, state={"status": status, "reason": reason})
        except ClientError as e:
            if error_code(e) != "ConflictException" or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
            current = lever_state(fis)  # changed by someone else meanwhile: look again
            continue
        return {"before": before, "after": dict(lever["safetyLever"].get("state") or {}), "changed": True}


# ----- experiments ----------------------------------------------------------------------------------


def _experiments(fis: Any) -> Iterable[dict[str, Any]]:
    for page in fis.get_paginator("list_experiments").paginate():
        yield from page.get("experiments", [])


def _status(experiment: dict[str, Any]) -> str:
    return str((experiment.get("state") or {}).get("status", ""))


def in_progress(fis: Any) -> list[dict[str, Any]]:
    """Summaries (ListExperiments) of the runs not yet ended: pending, initiating, running, stopping."""
    return [e for e in _experiments(fis) if _status(e) in (*IN_PROGRESS, "stopping")]


def _stop_one(fis: Any, experiment_id: str) -> str:
    try:
        return _status(fis.stop_experiment(id=experiment_id)["experiment"])
    except ClientError as e:
        if error_code(e) not in _STOP_RACES:
            raise
        return "ended before it could be stopped"  # raced with its own end or with the lever


def stop_experiments(
    fis: Any, seen_before: Sequence[dict[str, Any]] = (), wait_s: float = 60.0, workers: int = 8
) -> list[dict[str, Any]]:
    """Stop every run in progress, and report on those in ``seen_before`` too (the runs in progress
    before the lever was engaged, which it may have stopped already); wait up to ``wait_s`` until all
    have ended. One record per run: ``{id, template_id, before, after, final}``."""
    now = {e["id"]: e for e in _experiments(fis)}
    runs = {e["id"]: e for e in seen_before} | {
        i: e for i, e in now.items() if _status(e) in (*IN_PROGRESS, "stopping")
    }
    records = {
        i: {"id": i, "template_id": e.get("experimentTemplateId"), "before": _status(e)}
        for i, e in runs.items()
    }
    to_stop = [i for i in runs if _status(now.get(i, {})) in IN_PROGRESS]
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(to_stop)))) as pool:
        for experiment_id, after in zip(to_stop, pool.map(lambda i: _stop_one(fis, i), to_stop), strict=True):
            records[experiment_id]["after"] = after
    for i, record in records.items():
        record.setdefault("after", _status(now[i]) if i in now else "gone")
    final = wait_until_ended(fis, list(records), wait_s)
    for i, record in records.items():
        record["final"] = final.get(i, "gone")
    return sorted(records.values(), key=lambda r: r["id"])


def wait_until_ended(fis: Any, ids: Sequence[str], wait_s: float) -> dict[str, str]:
    """Poll GetExperiment until every run in ``ids`` has ended or ``wait_s`` passed; id -> last status."""
    deadline = time.monotonic() + wait_s
    last: dict[str, str] = {}
    pending = list(ids)
    interval = 0.2
    while pending:
        for experiment_id in list(pending):
            try:
                last[experiment_id] = _status(fis.get_experiment(id=experiment_id)["experiment"])
            except ClientError as e:
                if error_code(e) != "ResourceNotFoundException":
                    raise
                last[experiment_id] = "gone"
            if last[experiment_id] in ENDED or last[experiment_id] == "gone":
                pending.remove(experiment_id)
        if not pending or time.monotonic() >= deadline:
            return last
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
        interval = min(interval * 2, 2.0)
    return last


# ----- schedules ------------------------------------------------------------------------------------


def chaos_schedule_groups(scheduler: Any) -> list[str]:
    """Names of the schedule groups tagged ``chaos-pulumi:schedule``."""
    found = []
    for page in scheduler.get_paginator("list_schedule_groups").paginate():
        for group in page.get("ScheduleGroups", []):
            tags = scheduler.list_tags_for_resource(ResourceArn=group["Arn"]).get("Tags", [])
            if any(t.get("Key") == SCHEDULE_TAG for t in tags):
                found.append(group["Name"])
    return found


def _schedules(scheduler: Any, group: str) -> Iterable[dict[str, Any]]:
    for page in scheduler.get_paginator("list_schedules").paginate(GroupName=group):
        # Compare the group ourselves: moto matches GroupName as a substring.
        yield from (s for s in page.get("Schedules", []) if s.get("GroupName") == group)


def _update_schedule(scheduler: Any, schedule: dict[str, Any], state: str, description: str) -> None:
    """UpdateSchedule with everything GetSchedule returned, but ``state`` and ``description``."""
    request = {k: schedule[k] for k in _SCHEDULE_FIELDS if schedule.get(k) is not None}
    start = request.get("StartDate")
    if isinstance(start, datetime) and start <= datetime.now(start.tzinfo or UTC):
        del request["StartDate"]  # already passed, so it changes nothing; a past one would be refused
    request["State"] = state
    if description:
        request["Description"] = description
    scheduler.update_schedule(**request)


def pause_schedules(scheduler: Any) -> list[dict[str, Any]]:
    """Disable every enabled schedule of the chaos schedule groups, marking each one it disabled."""
    records = []
    for group in chaos_schedule_groups(scheduler):
        for summary in _schedules(scheduler, group):
            schedule = scheduler.get_schedule(Name=summary["Name"], GroupName=group)
            description = schedule.get("Description") or ""
            record = {"group": group, "name": summary["Name"], "before": schedule.get("State")}
            if schedule.get("State") != "ENABLED":
                record["after"] = schedule.get("State")
                record["resume"] = description.startswith(PAUSED_MARK)
                record["note"] = (
                    "already paused by stop-all"
                    if record["resume"]
                    else "was disabled before; resume leaves it"
                )
            else:
                marked = f"{PAUSED_MARK} {description}".strip()
                fits = len(marked) <= SCHEDULE_DESCRIPTION_MAX
                _update_schedule(scheduler, schedule, "DISABLED", marked if fits else description)
                record.update(after="DISABLED", resume=fits)
                if not fits:
                    record["note"] = "description too long to mark: enable it again by hand after resume"
            records.append(record)
    return records


def resume_schedules(scheduler: Any) -> list[dict[str, Any]]:
    """Enable again the schedules stop-all disabled (those carrying its mark) and remove the mark."""
    records = []
    for group in chaos_schedule_groups(scheduler):
        for summary in _schedules(scheduler, group):
            schedule = scheduler.get_schedule(Name=summary["Name"], GroupName=group)
            description = schedule.get("Description") or ""
            if schedule.get("State") != "DISABLED" or not description.startswith(PAUSED_MARK):
                continue
            _update_schedule(scheduler, schedule, "ENABLED", description[len(PAUSED_MARK) :].strip())
            records.append(
                {"group": group, "name": summary["Name"], "before": "DISABLED", "after": "ENABLED"}
            )
    return records


# ----- stop-all and resume --------------------------------------------------------------------------


def _step(region_record: dict[str, Any], name: str, fn: Callable[[], Any]) -> None:
    """Run one step; an AWS error is recorded and the next step still runs (a kill switch goes on)."""
    try:
        region_record[name] = fn()
    except (*AwsError, TimeoutError) as e:
        region_record[name] = None
        region_record["errors"].append({"step": name, "error": error_text(e)})


def _per_region(regions: Sequence[str], work: Callable[[str], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=max(1, len(regions))) as pool:
        return dict(zip(regions, pool.map(work, regions), strict=True))


def _record(action: str, reason: str, started: str, regions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "action": action,
        "reason": reason,
        "started_at": started,
        "finished_at": _now(),
        "ok": not any(r["errors"] for r in regions.values()),
        "regions": regions,
    }


def stop_all(
    regions: Sequence[str], reason: str, clients_for: RegionClients, wait_s: float = 60.0
) -> dict[str, Any]:
    """The kill switch in every region of ``regions``; returns what it did (see the module doc)."""
    if not reason.strip():
        raise ValueError("a reason is required: it is recorded on the safety lever and in the record")
    started = _now()

    def region_stop(region: str) -> dict[str, Any]:
        clients = clients_for(region)
        record: dict[str, Any] = {"errors": []}
        _step(record, "in_progress", lambda: in_progress(clients("fis")))
        seen = record.pop("in_progress") or []
        _step(record, "lever", lambda: set_lever(clients("fis"), ENGAGED, reason, wait_s))
        _step(record, "experiments", lambda: stop_experiments(clients("fis"), seen, wait_s))
        _step(record, "schedules", lambda: pause_schedules(clients("scheduler")))
        return record

    return _record("stop-all", reason, started, _per_region(regions, region_stop))


def resume(
    regions: Sequence[str], reason: str, clients_for: RegionClients, wait_s: float = 60.0
) -> dict[str, Any]:
    """Disengage the lever and enable again the schedules stop-all paused, in every region."""
    if not reason.strip():
        raise ValueError("a reason is required: it is recorded on the safety lever and in the record")
    started = _now()

    def region_resume(region: str) -> dict[str, Any]:
        clients = clients_for(region)
        record: dict[str, Any] = {"errors": []}
        _step(record, "lever", lambda: set_lever(clients("fis"), DISENGAGED, reason, wait_s))
        if record["errors"]:  # enabled schedules would only fire into a lever that is still engaged
            record["schedules"] = None
            record["errors"].append(
                {"step": "schedules", "error": "left paused: the lever did not disengage"}
            )
        else:
            _step(record, "schedules", lambda: resume_schedules(clients("scheduler")))
        return record

    return _record("resume", reason, started, _per_region(regions, region_resume))


__all__ = [
    "PAUSED_MARK",
    "SCHEDULE_TAG",
    "chaos_schedule_groups",
    "lever_engaged",
    "lever_is",
    "lever_state",
    "pause_schedules",
    "resume",
    "resume_schedules",
    "safety_lever",
    "set_lever",
    "stop_all",
    "in_progress",
    "stop_experiments",
    "wait_until_ended",
]
