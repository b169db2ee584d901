"""The checks every run gets before StartExperiment, the same for both front ends: the FIS safety lever,
then the blast-radius preflight. ``experiments.start_experiment`` makes them; a front end passes the
preflight it wants (``Preflight``, or None to skip it visibly) and reports the ``StartCheck``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chaos_pulumi.aws.clients import ClientFactory
from chaos_pulumi.aws.errors import FisError, error_text
from chaos_pulumi.aws.safety import lever_engaged
from chaos_pulumi.aws.targets import CapFn, PreflightReport, preflight_start
from chaos_pulumi.spec.model import TemplateSpec


class LeverEngaged(FisError):
    """The FIS safety lever of the Region is engaged: FIS would cancel the run, so it is not started."""


@dataclass(frozen=True)
class Preflight:
    """How to check a template's blast radius before a start (``aws.targets.preflight_start``): clients
    for the account's services in the run's Region, the guardrail policy's caps (``caps.policy_caps``),
    and the template when the caller has read it already (otherwise it is read from FIS by id)."""

    clients: ClientFactory
    cap_fn: CapFn | None = None
    spec: TemplateSpec | None = None
    policy: str | None = None  # where the caps come from (Policy.describe()), for the record


@dataclass(frozen=True)
class StartCheck:
    """What :func:`check_start` found: the preflight report (None when the caller skipped the preflight)
    and notes for the user (a lever that could not be read)."""

    preflight: PreflightReport | None
    policy: str | None = None
    notes: tuple[str, ...] = ()

    def record(self) -> dict[str, Any]:
        """The preflight for a run's outputs / results: the report, or that it was skipped."""
        if self.preflight is None:
            return {"skipped": True, "refused": False, "targets": []}
        return {"skipped": False, "policy": self.policy, **self.preflight.to_dict()}


def check_start(client: Any, template_id: str, preflight: Preflight | None) -> StartCheck:
    """The checks before StartExperiment, the same for every front end, in this order:

    1. the FIS safety lever: engaged (or engaging) raises :class:`LeverEngaged` with its reason; FIS
       would cancel the run anyway, this says why at once. A lever that cannot be read is a note, not a
       refusal: FIS itself still enforces it.
    2. the blast-radius preflight (unless ``preflight`` is None: the caller skips it, visibly): raises
       ``targets.PreflightRefused`` when a target would hit more than its cap, selects nothing while
       ``emptyTargetResolutionMode`` is ``fail``, or the account cannot be queried (fail closed).
    """
    notes: list[str] = []
    try:
        reason = lever_engaged(client)
    except (BotoCoreError, ClientError) as e:
        notes.append(
            f"the FIS safety lever could not be read ({error_text(e)}); FIS still cancels runs while it is "
            "engaged"
        )
    else:
        if reason is not None:
            region = client.meta.region_name
            raise LeverEngaged(
                f"the FIS safety lever in {region} is engaged ({reason}), so FIS would cancel the run; "
                f"nothing was started. Disengage it when the incident is over: chaos-pulumi resume --reason "
                f"'...' --region {region} (or chaos.faults.fis_safety_lever state: disengaged)"
            )
    if preflight is None:
        return StartCheck(None, notes=tuple(notes))
    subject = preflight.spec if preflight.spec is not None else template_id
    report = preflight_start(
        preflight.clients, subject, preflight.cap_fn, preflight.policy, source=f"template {template_id}"
    )
    return StartCheck(report, preflight.policy, tuple(notes))


__all__ = ["LeverEngaged", "Preflight", "StartCheck", "check_start"]
