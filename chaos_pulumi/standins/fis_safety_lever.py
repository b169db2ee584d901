"""Stand-in: FIS's safety lever (``GetSafetyLever``, ``UpdateSafetyLeverState``) on moto's FIS backend.

moto 5.2.5 has no safety lever. This module adds the two operations, with the request and response
shapes of botocore's FIS model (``fis/2020-12-01/service-2.json``), and makes moto's experiments
obey the lever the way the FIS user guide ("Safety levers for AWS FIS") describes:

- one lever per account and Region, id ``default``, ARN
  ``arn:aws:fis:<region>:<account>:safety-lever/default``; disengaged until someone engages it;
- ``UpdateSafetyLeverState(id, state={status: engaged|disengaged, reason})``: engaging stops every
  experiment in progress (it ends ``stopped``); while engaged, every new experiment ends
  ``cancelled``; disengaging lets new experiments run again;
- setting the status it already has succeeds when the reason is the same and is refused
  (``ConflictException``) when it is not: AWS changes a reason only together with the status.

Where it differs from AWS: it stops experiments synchronously, so it reports ``engaged`` at once and
never ``engaging`` (AWS shows ``engaging`` until the last experiment has stopped, and refuses changes
meanwhile); the ``reason`` text of stopped and cancelled experiments is this stand-in's wording; the
lever is kept on moto's FIS backend, so ``/moto-api/reset`` disengages it like it forgets everything
else.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.utils import unix_time
from moto.fis.models import Experiment, FISBackend
from moto.fis.responses import FISResponse
from moto.utilities.utils import get_partition

LEVER_ID = "default"
ENGAGED, DISENGAGED = "engaged", "disengaged"
# Experiment states that have ended (moto's own list lacks cancelled, which only the lever produces).
_ENDED = frozenset({"completed", "stopped", "failed", "cancelled"})
_ATTRIBUTE = "_chaos_pulumi_safety_lever"
_CREATE_LOCK = threading.Lock()


class ValidationException(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("ValidationException", message)


class ConflictException(JsonRESTError):
    code = 409

    def __init__(self, message: str) -> None:
        super().__init__("ConflictException", message)


class LeverNotFound(JsonRESTError):
    code = 404

    def __init__(self, lever_id: str) -> None:
        super().__init__(
            "ResourceNotFoundException",
            f"Safety lever {lever_id} does not exist; each account has one per Region, id '{LEVER_ID}'",
        )


@dataclass
class SafetyLever:
    """The lever of one account and Region; ``lock`` orders engaging against starts."""

    arn: str
    status: str = DISENGAGED
    reason: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def to_dict(self) -> dict[str, Any]:
        state: dict[str, str] = {"status": self.status}
        if self.reason is not None:
            state["reason"] = self.reason
        return {"id": LEVER_ID, "arn": self.arn, "state": state}


def lever_of(backend: FISBackend) -> SafetyLever:
    """The lever kept on ``backend`` (one FIS backend per account and Region)."""
    with _CREATE_LOCK:
        lever = getattr(backend, _ATTRIBUTE, None)
        if lever is None:
            region = backend.region_name
            arn = f"arn:{get_partition(region)}:fis:{region}:{backend.account_id}:safety-lever/{LEVER_ID}"
            lever = SafetyLever(arn=arn)
            setattr(backend, _ATTRIBUTE, lever)
        return lever


def _end(experiment: Experiment, status: str, reason: str) -> None:
    """End ``experiment`` in ``status`` with ``reason`` (an instance-level reason: moto's are per class)."""
    experiment.status = status
    experiment.end_time = unix_time()
    experiment.STATUS_REASONS = {**Experiment.STATUS_REASONS, status: reason}  # type: ignore[misc]


def _has_ended(experiment: Experiment) -> bool:
    return experiment.status in _ENDED


def update_lever(backend: FISBackend, status: Any, reason: Any) -> SafetyLever:
    """UpdateSafetyLeverState: validate, then engage (stopping what is in progress) or disengage."""
    if status not in (ENGAGED, DISENGAGED):
        raise ValidationException(f"state.status must be '{ENGAGED}' or '{DISENGAGED}', not {status!r}")
    if not isinstance(reason, str) or not reason:
        raise ValidationException("state.reason is required: say why the safety lever changes")
    lever = lever_of(backend)
    with lever.lock:
        if lever.status == status:
            if lever.reason != reason:
                raise ConflictException(
                    f"The safety lever is already {status} (reason: {lever.reason!r}); "
                    "its reason changes only together with its status"
                )
            return lever
        lever.status, lever.reason = status, reason
        if status == ENGAGED:
            for experiment in backend.experiments.values():
                if not _has_ended(experiment):
                    _end(experiment, "stopped", f"Stopped by the safety lever: {reason}")
    return lever


def cancel_if_engaged(backend: FISBackend, experiment_id: str) -> None:
    """A start while the lever is engaged ends ``cancelled`` (checked after the experiment exists,
    under the lever's lock, so an engage in between has either stopped it or is seen here)."""
    lever = lever_of(backend)
    with lever.lock:
        experiment = backend.experiments.get(experiment_id)
        if lever.status == ENGAGED and experiment is not None and not _has_ended(experiment):
            _end(experiment, "cancelled", f"Cancelled: the safety lever is engaged ({lever.reason})")


class SafetyLeverResponse(FISResponse):
    """moto's FIS responses plus the two lever operations; starts and stops consult the lever."""

    def _lever_id(self) -> str:
        lever_id = self._get_param("id")
        if lever_id != LEVER_ID:
            raise LeverNotFound(str(lever_id))
        return lever_id

    def get_safety_lever(self) -> str:
        self._lever_id()
        return json.dumps({"safetyLever": lever_of(self.fis_backend).to_dict()})

    def update_safety_lever_state(self) -> str:
        self._lever_id()
        state = self._get_param("state")
        if not isinstance(state, dict):
            raise ValidationException("state is required: {status: engaged|disengaged, reason: ...}")
        lever = update_lever(self.fis_backend, state.get("status"), state.get("reason"))
        return json.dumps({"safetyLever": lever.to_dict()})

    def start_experiment(self) -> str:
        started = json.loads(super().start_experiment())["experiment"]
        cancel_if_engaged(self.fis_backend, started["id"])
        return self._experiment_json(started["id"])

    def stop_experiment(self) -> str:
        experiment = self.fis_backend.experiments.get(self._get_param("id"))
        if experiment is not None and experiment.status == "cancelled":
            return self._experiment_json(experiment.id)  # moto would move it to stopping
        return super().stop_experiment()

    def _experiment_json(self, experiment_id: str) -> str:
        experiment = self.fis_backend.experiments[experiment_id]
        tags = self.fis_backend.list_tags_for_resource(experiment.arn)
        return json.dumps({"experiment": experiment.to_dict(tags=tags)})


def install() -> None:
    """Route the lever operations, and the experiment operations that must consult the lever, to
    :class:`SafetyLeverResponse` (moto reads these paths when its server builds the FIS app)."""
    from moto.fis import urls

    urls.url_paths.update(
        {
            "{0}/safetyLevers/(?P<id>[^/]+)$": SafetyLeverResponse.dispatch,
            "{0}/safetyLevers/(?P<id>[^/]+)/state$": SafetyLeverResponse.dispatch,
            "{0}/experiments$": SafetyLeverResponse.dispatch,
            "{0}/experiments/(?P<id>.+)$": SafetyLeverResponse.dispatch,
        }
    )


__all__ = ["LEVER_ID", "SafetyLever", "SafetyLeverResponse", "install", "lever_of", "update_lever"]
