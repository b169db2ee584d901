"""FIS experiment helpers: wait for a verdict, stop safely, find templates by tag."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

TERMINAL_STATES = frozenset({"completed", "stopped", "failed", "cancelled"})


class ExperimentTimeout(TimeoutError):
    """The experiment did not reach a terminal state in time; ``experiment`` is the last one seen."""

    def __init__(self, experiment_id: str, timeout_s: float, experiment: dict[str, Any] | None) -> None:
        status = ((experiment or {}).get("state") or {}).get("status", "unknown")
        super().__init__(f"experiment {experiment_id} still '{status}' after {timeout_s:g}s")
        self.experiment_id = experiment_id
        self.experiment = experiment


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str((response.get("Error") or {}).get("Code", ""))


def experiment_status(experiment: dict[str, Any]) -> str:
    return str((experiment.get("state") or {}).get("status", ""))


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
    experiment: dict[str, Any] | None = None
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


def stop_experiment(client: Any, experiment_id: str) -> dict[str, Any] | None:
    """Stop an experiment. Harmless when it already ended or no longer exists (returns None then)."""
    try:
        experiment = client.get_experiment(id=experiment_id)["experiment"]
    except Exception as e:
        if _error_code(e) == "ResourceNotFoundException":
            return None
        raise
    if experiment_status(experiment) in TERMINAL_STATES | {"stopping"}:
        return experiment
    try:
        return client.stop_experiment(id=experiment_id)["experiment"]
    except Exception as e:
        # Raced with the experiment ending or being removed: either way it is no longer running.
        if _error_code(e) in ("ResourceNotFoundException", "ConflictException", "ValidationException"):
            return None
        raise


def find_templates_by_tag(client: Any, key: str, value: str) -> list[dict[str, Any]]:
    """Experiment template summaries (ListExperimentTemplates items) tagged ``key=value``."""
    found: list[dict[str, Any]] = []
    paginator = client.get_paginator("list_experiment_templates")
    for page in paginator.paginate():
        for summary in page.get("experimentTemplates", []):
            if (summary.get("tags") or {}).get(key) == value:
                found.append(summary)
    return found


__all__ = [
    "TERMINAL_STATES",
    "ExperimentTimeout",
    "experiment_status",
    "find_templates_by_tag",
    "stop_experiment",
    "wait_for_experiment",
]
