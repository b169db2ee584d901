"""FIS experiment runs: check, start, wait, judge, stop and summarise, for both front ends.

The Pulumi ``Experiment`` provider and the Ansible ``fis_experiment`` module run experiments through
:func:`run_experiment`, stop them through :func:`stop_experiment`, and report them through
:func:`experiment_summary`; the states, the defaults and the verdict are defined here once. Every
start goes through :func:`start_experiment`, which first makes the checks every front end makes
(:func:`check_start`: the FIS safety lever, then the blast-radius preflight), so both refuse the same
runs with the same message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chaos_pulumi.aws.errors import FisError, error_code, error_text, is_not_found
from chaos_pulumi.aws.tokens import client_token

if TYPE_CHECKING:
    from chaos_pulumi.aws.start_checks import Preflight, StartCheck

STATUSES = ("pending", "initiating", "running", "completed", "stopping", "stopped", "failed", "cancelled")
# A run in one of these has ended; its state no longer moves.
TERMINAL_STATES = frozenset({"completed", "stopped", "failed", "cancelled"})
# The states a caller may fail on (the terminal ones, in a stable order) and the default: anything but
# completed, so a run that did not go to plan fails the deployment or the playbook.
FAIL_ON_CHOICES = ("completed", "stopped", "failed", "cancelled")
DEFAULT_FAIL_ON = ("failed", "stopped", "cancelled")
ACTIONS_MODES = ("run-all", "skip-all")  # skip-all is FIS's dry run: targets resolved, nothing injected
DEFAULT_ACTIONS_MODE = "run-all"
# Action states that are not a failure of the run.
_ACTION_OK = ("completed", "skipped")
# A stop refused with one of these raced with the run ending or going away.
_STOP_RACES = ("ResourceNotFoundException", "ConflictException", "ValidationException")


class ExperimentTimeout(TimeoutError):
    """The experiment did not reach a terminal state in time; ``experiment`` is the last one seen."""

    def __init__(self, experiment_id: str, timeout_s: float, experiment: dict[str, Any] | None) -> None:
        super().__init__(
            f"experiment {experiment_id} still '{experiment_status(experiment)}' after {timeout_s:g}s"
        )
        self.experiment_id = experiment_id
        self.experiment = experiment


def experiment_status(experiment: Mapping[str, Any] | None) -> str:
    return str(((experiment or {}).get("state") or {}).get("status", "unknown"))


def run_token(owner: str, template_id: str, trigger: str, actions_mode: str) -> str:
    """The start client token: one run per owner, template, trigger and mode, however often it is asked."""
    return client_token(owner, template_id, trigger, actions_mode)


# ----- start, wait, stop ------------------------------------------------------------------------------


def start_experiment(
    client: Any,
    template_id: str,
    *,
    client_token: str,
    preflight: Preflight | None,
    actions_mode: str = DEFAULT_ACTIONS_MODE,
    tags: Mapping[str, str] | None = None,
    on_checked: Callable[[StartCheck], None] | None = None,
) -> dict[str, Any]:
    """The one place every run starts: :func:`check_start` (``preflight`` None skips the preflight; the
    caller says so visibly), then StartExperiment. Returns the experiment as FIS started it."""
    # Imported here: importing this module needs no botocore (ansible-test imports the modules without it).
    from chaos_pulumi.aws.start_checks import check_start

    checked = check_start(client, template_id, preflight)
    if on_checked is not None:
        on_checked(checked)
    request: dict[str, Any] = {"clientToken": client_token, "experimentTemplateId": template_id}
    if actions_mode != DEFAULT_ACTIONS_MODE:
        request["experimentOptions"] = {"actionsMode": actions_mode}
    if tags:
        request["tags"] = dict(tags)
    try:
        return client.start_experiment(**request)["experiment"]
    except Exception as err:
        if is_not_found(err):
            region = client.meta.region_name
            raise FisError(
                f"template_id: no FIS experiment template with id {template_id} in {region}; "
                "check the id and the region"
            ) from err
        raise


def wait_for_experiment(
    client: Any,
    experiment_id: str,
    timeout_s: float,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    poll_s: float = 2.0,
    max_poll_s: float = 15.0,
) -> dict[str, Any]:
    """Poll GetExperiment until a terminal state; return the final experiment dict.

    The interval starts at ``poll_s`` and grows by half each round up to ``max_poll_s``.
    ``on_progress`` sees every experiment dict whose status changed. Raises ``ExperimentTimeout``.
    """
    deadline = time.monotonic() + timeout_s
    interval = poll_s
    last_status: str | None = None
    while True:
        experiment = client.get_experiment(id=experiment_id)["experiment"]
        status = experiment_status(experiment)
        if status != last_status:
            last_status = status
            if on_progress is not None:
                on_progress(experiment)
        if status in TERMINAL_STATES:
            return experiment
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ExperimentTimeout(experiment_id, timeout_s, experiment)
        time.sleep(min(interval, remaining))
        interval = min(interval * 1.5, max_poll_s)


@dataclass(frozen=True)
class Stop:
    """What :func:`stop_experiment` did: ``stopped`` when this call stopped the run, and the run as
    last seen (None when it does not exist)."""

    stopped: bool
    experiment: dict[str, Any] | None


def stop_experiment(client: Any, experiment_id: str, experiment: Mapping[str, Any] | None = None) -> Stop:
    """Stop a run, safely: harmless when it already ended, is stopping, or no longer exists.

    ``experiment`` is the run as last seen, which saves reading it first.
    """
    if experiment is None:
        experiment = get_experiment(client, experiment_id)
        if experiment is None:
            return Stop(False, None)
    if experiment_status(experiment) in TERMINAL_STATES | {"stopping"}:
        return Stop(False, dict(experiment))
    try:
        return Stop(True, client.stop_experiment(id=experiment_id)["experiment"])
    except Exception as err:
        if error_code(err) not in _STOP_RACES:
            raise
        current = get_experiment(client, experiment_id)
        if current is None or experiment_status(current) in TERMINAL_STATES | {"stopping"}:
            return Stop(False, current)  # it ended (or went away) between our last look and the stop
        raise


# ----- one run, start to verdict -------------------------------------------------------------------


def run_failure(experiment: Mapping[str, Any], fail_on: Sequence[str]) -> str | None:
    """The verdict: why the run failed (it ended in one of ``fail_on``), or None when it passed."""
    state = experiment.get("state") or {}
    status = state.get("status")
    if status not in fail_on:
        return None
    unfinished = [
        f"{name}={(action.get('state') or {}).get('status')}"
        for name, action in sorted((experiment.get("actions") or {}).items())
        if (action.get("state") or {}).get("status") not in _ACTION_OK
    ]
    message = f"FIS experiment {experiment.get('id')} ended {status}"
    if state.get("reason"):
        message += f": {state['reason']}"
    if unfinished:
        message += f" (actions: {', '.join(unfinished)})"
    return message


@dataclass(frozen=True)
class Run:
    """The outcome of :func:`run_experiment`."""

    experiment: dict[str, Any]  # the run as last seen
    checked: StartCheck  # what was checked before the start (the preflight report)
    timeout: ExperimentTimeout | None = None  # the wait gave up before the run ended
    stopped: bool = False  # ... and the run was stopped because of it
    failure: str | None = None  # the verdict of a run waited for: why it failed, None when it passed
    # What FIS resolved for the run (target name -> ARNs), read once it ended; None without a wait
    resolved_targets: dict[str, list[str]] | None = None
    notes: tuple[str, ...] = ()  # e.g. the resolved targets could not be read


def run_experiment(
    client: Any,
    template_id: str,
    *,
    client_token: str,
    preflight: Preflight | None,
    actions_mode: str = DEFAULT_ACTIONS_MODE,
    tags: Mapping[str, str] | None = None,
    wait: bool = False,
    timeout_s: float = 1800.0,
    fail_on: Sequence[str] = DEFAULT_FAIL_ON,
    poll_s: float = 2.0,
    stop_on_timeout: bool = True,
    on_checked: Callable[[StartCheck], None] | None = None,
    on_start: Callable[[dict[str, Any]], None] | None = None,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
) -> Run:
    """Check and start a run (:func:`start_experiment`) and, with ``wait``, wait for its end, judge it
    against ``fail_on`` and read what FIS resolved for it.

    A run the wait gives up on is stopped (unless ``stop_on_timeout=False``): a run nobody watches is a
    run nobody can stop, so it does not outlive the caller's patience.
    """
    seen: list[StartCheck] = []

    def checked(check: StartCheck) -> None:
        seen.append(check)
        if on_checked is not None:
            on_checked(check)

    experiment = start_experiment(
        client,
        template_id,
        client_token=client_token,
        preflight=preflight,
        actions_mode=actions_mode,
        tags=tags,
        on_checked=checked,
    )
    check = seen[0]
    if on_start is not None:
        on_start(experiment)
    if not wait:
        return Run(experiment, check)
    try:
        experiment = wait_for_experiment(client, experiment["id"], timeout_s, on_progress, poll_s)
    except ExperimentTimeout as timeout:
        last = timeout.experiment or experiment
        if not stop_on_timeout:
            return Run(last, check, timeout=timeout)
        stop = stop_experiment(client, experiment["id"], last)
        return Run(stop.experiment or last, check, timeout=timeout, stopped=stop.stopped)
    resolved, note = read_resolved_targets(client, experiment["id"])
    return Run(
        experiment,
        check,
        failure=run_failure(experiment, fail_on),
        resolved_targets=resolved,
        notes=(note,) if note else (),
    )


def read_resolved_targets(client: Any, experiment_id: str) -> tuple[dict[str, list[str]] | None, str | None]:
    """What FIS resolved for a run (ListExperimentResolvedTargets: target name -> ARNs), or None and why
    it could not be read (a missing permission must not fail a run that already happened)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from chaos_pulumi.aws.targets import resolved_by_fis

    try:
        return resolved_by_fis(client, experiment_id), None
    except (BotoCoreError, ClientError) as e:
        return None, f"what FIS resolved for experiment {experiment_id} could not be read ({error_text(e)})"


# ----- reading runs -----------------------------------------------------------------------------


def get_experiment(client: Any, experiment_id: str) -> dict[str, Any] | None:
    """The experiment as GetExperiment returns it, or None when it does not exist."""
    try:
        return client.get_experiment(id=experiment_id)["experiment"]
    except Exception as err:
        if is_not_found(err):
            return None
        raise


def list_experiments(client: Any, template_id: str | None = None) -> list[dict[str, Any]]:
    """Experiment summaries (ListExperiments, all pages), of one template when ``template_id`` is given."""
    kwargs = {"experimentTemplateId": template_id} if template_id else {}
    paginator = client.get_paginator("list_experiments")
    return [e for page in paginator.paginate(**kwargs) for e in page.get("experiments", [])]


def iso_time(value: Any) -> str | None:
    """A boto3 timestamp as ISO-8601 text (plain JSON for state and results)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def experiment_summary(experiment: Mapping[str, Any]) -> dict[str, Any]:
    """A run in plain JSON: id, ARN, status and reason, each action's id, status, reason and times."""
    state = experiment.get("state") or {}
    actions = {}
    for name, action in sorted((experiment.get("actions") or {}).items()):
        action_state = action.get("state") or {}
        actions[name] = {
            "action_id": action.get("actionId"),
            "status": action_state.get("status"),
            "reason": action_state.get("reason"),
            "start_time": iso_time(action.get("startTime")),
            "end_time": iso_time(action.get("endTime")),
        }
    return {
        "experiment_id": experiment.get("id"),
        "experiment_arn": experiment.get("arn"),
        "status": state.get("status"),
        "reason": state.get("reason"),
        "actions": actions,
        "start_time": iso_time(experiment.get("startTime")),
        "end_time": iso_time(experiment.get("endTime")),
    }


__all__ = [
    "ACTIONS_MODES",
    "DEFAULT_ACTIONS_MODE",
    "DEFAULT_FAIL_ON",
    "FAIL_ON_CHOICES",
    "STATUSES",
    "TERMINAL_STATES",
    "ExperimentTimeout",
    "Run",
    "Stop",
    "experiment_status",
    "experiment_summary",
    "get_experiment",
    "iso_time",
    "list_experiments",
    "read_resolved_targets",
    "run_experiment",
    "run_failure",
    "run_token",
    "start_experiment",
    "stop_experiment",
    "wait_for_experiment",
]
