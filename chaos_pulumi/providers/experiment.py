"""``Experiment``: one run of a FIS experiment template, started by ``pulumi up``.

Creating the resource starts the experiment; with ``wait`` the provider polls (with backoff) until it
ends and fails the deployment when it ends in a ``fail_on`` state. A new run starts only when ``trigger``
changes: the resource is updated in place, in one engine step: the run it recorded is stopped first if
it still runs (unless ``stop_on_destroy=False``), then the new run starts and its outputs replace the
old ones (``experiment_id`` is always the current run; the resource id stays that of the first).
Destroying it stops a run that is still going. Every other input change is recorded without starting
anything. Checking (the FIS safety lever, the blast-radius preflight), starting, waiting, the verdict
and stopping are ``chaos_pulumi.aws.experiments``, which the Ansible module uses too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    UpdateResult,
)

from chaos_pulumi.aws.caps import PolicyUnavailable, caps_of
from chaos_pulumi.aws.errors import FisError, error_text
from chaos_pulumi.aws.experiments import (
    ACTIONS_MODES,
    DEFAULT_ACTIONS_MODE,
    DEFAULT_FAIL_ON,
    FAIL_ON_CHOICES,
    TERMINAL_STATES,
    experiment_summary,
    get_experiment,
    read_resolved_targets,
    run_experiment,
    run_token,
    stop_experiment,
)
from chaos_pulumi.aws.start_checks import Preflight, StartCheck
from chaos_pulumi.aws.tags import apply_tags, plan_tags
from chaos_pulumi.providers.base import (
    FisProvider,
    ProviderError,
    account_clients,
    fis,
    is_unknown,
    preflight_policy,
    progress,
    short_name,
)

DEFAULT_TIMEOUT = "PT30M"
# A gRPC call from the engine to a dynamic provider may last 30 minutes at most; FIS experiments up to 12 h.
MAX_TIMEOUT_S = 12 * 3600
# The provider polls sooner than FIS's own console does: moto and short experiments end in seconds.
POLL_S = 1.0

# Inputs whose change is recorded in place (no new run); a change of "trigger" starts a new run.
_RECORDED = ("template_id", "wait", "timeout", "fail_on", "actions_mode", "tags", "stop_on_destroy")
# Runs FIS has not resolved the targets of yet: nothing to read from ListExperimentResolvedTargets.
_UNRESOLVED = ("pending", "initiating")


def timeout_seconds(value: Any) -> float | None:
    """``PT30M``, ``1800`` or ``"1800"`` -> seconds; None when it is none of those or out of range."""
    from chaos_pulumi.spec.durations import parse_duration

    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds: float | None = float(value)
    elif isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
        seconds = float(value)
    else:
        seconds = parse_duration(value)
    if seconds is None or seconds <= 0 or seconds > MAX_TIMEOUT_S:
        return None
    return seconds


def _trigger(value: Any) -> str:
    return "" if value is None else str(value)


def _run_id(id_: str, props: Mapping[str, Any]) -> str:
    """The run the resource stands for now: the latest one a trigger started (the id is the first)."""
    return str(props.get("experiment_id") or id_)


def _preflight(value: Any) -> bool:
    """``preflight`` as set (state written before it existed has none: on, the default)."""
    return value is not False


class ExperimentProvider(FisProvider):
    """Start, watch and stop FIS experiments."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = dict(news)
        failures = []

        def fail(message: str) -> None:
            failures.append(CheckFailure("", message))

        template_id = news.get("template_id")
        if not is_unknown(template_id) and (not isinstance(template_id, str) or not template_id):
            fail(
                "template_id: required; pass the id of an ExperimentTemplate (template.id) or an existing id"
            )
        timeout = news.get("timeout", DEFAULT_TIMEOUT)
        if timeout is None:
            inputs["timeout"] = DEFAULT_TIMEOUT
        elif not is_unknown(timeout) and timeout_seconds(timeout) is None:
            fail(
                f"timeout: {timeout!r} is not a duration between 1 second and 12 hours; "
                "use ISO-8601 like 'PT30M' or a number of seconds"
            )
        fail_on = news.get("fail_on")
        if fail_on is None:
            inputs["fail_on"] = list(DEFAULT_FAIL_ON)
        elif not is_unknown(fail_on):
            bad = (
                [s for s in fail_on if s not in FAIL_ON_CHOICES]
                if isinstance(fail_on, (list, tuple))
                else [fail_on]
            )
            if bad:
                fail(
                    f"fail_on: {bad!r} are not states a run ends in; choose from {', '.join(FAIL_ON_CHOICES)}"
                )
        mode = news.get("actions_mode")
        if mode is None:
            inputs["actions_mode"] = DEFAULT_ACTIONS_MODE
        elif not is_unknown(mode) and mode not in ACTIONS_MODES:
            fail(f"actions_mode: {mode!r} is not one of run-all, skip-all (skip-all is FIS's dry run)")
        if not is_unknown(news.get("trigger")):
            inputs["trigger"] = _trigger(news.get("trigger"))
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # A new (or not yet known) trigger is a new run: an update, which stops the old run if needed.
        retrigger = is_unknown(news.get("trigger")) or _trigger(news.get("trigger")) != _trigger(
            olds.get("trigger")
        )
        changed = (
            retrigger
            or any(news.get(k) != olds.get(k) for k in _RECORDED)
            or _preflight(news.get("preflight")) != _preflight(olds.get("preflight"))
        )
        return DiffResult(changes=changed, replaces=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = self._run(props)
        return CreateResult(outs["experiment_id"], outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if _trigger(news.get("trigger")) != _trigger(olds.get("trigger")):
            if olds.get("stop_on_destroy") is not False:
                self._stop(id_, olds, "a new trigger")
            return UpdateResult(self._run(news))
        client = fis(olds.get("region") or news.get("region"))
        outs = {k: v for k, v in olds.items() if k != "__provider"}
        outs.update({k: v for k, v in news.items() if k != "__provider"})
        outs["region"] = client.meta.region_name
        experiment = get_experiment(client, _run_id(id_, olds))
        if experiment is not None:
            outs.update(self._observed(client, experiment, olds))
            if (olds.get("tags") or {}) != (news.get("tags") or {}) and experiment.get("arn"):
                change = plan_tags(experiment.get("tags") or {}, news.get("tags") or {})
                apply_tags(client, experiment["arn"], change)
        return UpdateResult(outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = fis(props.get("region"))
        experiment = get_experiment(client, _run_id(id_, props))
        if experiment is None:
            return ReadResult(id_="", outs={})
        outs = dict(props)
        outs.update(self._observed(client, experiment, props))
        return ReadResult(id_, outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if props.get("stop_on_destroy") is False:
            return
        self._stop(id_, props, "destroyed")

    # ----- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _observed(client: Any, experiment: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        """The run as FIS reports it now, and what FIS resolved for it once it has resolved targets."""
        outs = experiment_summary(experiment)
        if props.get("resolved_targets") is None and outs["status"] not in _UNRESOLVED:
            resolved, note = read_resolved_targets(client, str(experiment["id"]))
            if note:
                progress(f"{short_name(props.get('resource_key'))}: warning: {note}")
            outs["resolved_targets"] = resolved
        return outs

    @staticmethod
    def _checks(name: str, props: Mapping[str, Any], client: Any) -> Preflight | None:
        """The preflight this run gets: the policy's caps in the run's account and Region, or None when
        ``preflight=False`` (said in the output: nothing resolves or caps the targets then)."""
        if not _preflight(props.get("preflight")):
            progress(f"{name}: preflight skipped (preflight=False): the targets are not resolved or capped")
            return None
        try:
            policy = preflight_policy()
        except PolicyUnavailable as err:
            raise ProviderError(
                f"{name}: preflight: {err}; fix the policy, or skip the preflight visibly (preflight=False)"
            ) from err
        return Preflight(account_clients(client.meta.region_name), caps_of(policy), policy=policy.describe())

    @classmethod
    def _run(cls, props: Mapping[str, Any]) -> dict[str, Any]:
        """Check and start the run ``props`` ask for (waiting for it and judging it with ``wait``); its
        outputs."""
        name = short_name(props.get("resource_key"))
        client = fis(props.get("region"))
        template_id = str(props["template_id"])
        mode = props.get("actions_mode") or DEFAULT_ACTIONS_MODE
        timeout_s = timeout_seconds(props.get("timeout") or DEFAULT_TIMEOUT) or 1800.0
        preflight = cls._checks(name, props, client)
        last: dict[str, Any] = {}

        def on_checked(check: StartCheck) -> None:
            for note in check.notes:
                progress(f"{name}: warning: {note}")
            if check.preflight is not None:
                for line in check.preflight.lines():
                    progress(f"{name}: preflight: {line}")

        def on_start(experiment: Mapping[str, Any]) -> None:
            progress(f"{name}: started experiment {experiment['id']} from template {template_id} ({mode})")

        def on_progress(experiment: Mapping[str, Any]) -> None:
            summary = experiment_summary(experiment)
            actions = {n: a["status"] for n, a in summary["actions"].items()}
            if (summary["status"], actions) != (last.get("status"), last.get("actions")):
                detail = ", ".join(f"{n}={s}" for n, s in actions.items())
                progress(
                    f"{name}: experiment {experiment['id']} {summary['status']}"
                    + (f" ({detail})" if detail else "")
                )
                last.update(status=summary["status"], actions=actions)

        try:
            run = run_experiment(
                client,
                template_id,
                # The same resource, template, trigger and mode give the same token: a start retried after a
                # crash finds the run the first attempt started instead of starting a second one.
                client_token=run_token(
                    str(props.get("resource_key")), template_id, _trigger(props.get("trigger")), mode
                ),
                preflight=preflight,
                actions_mode=mode,
                tags=props.get("tags"),
                wait=bool(props.get("wait")),
                timeout_s=timeout_s,
                fail_on=props.get("fail_on") or DEFAULT_FAIL_ON,
                poll_s=POLL_S,
                on_checked=on_checked,
                on_start=on_start,
                on_progress=on_progress,
            )
        except FisError as err:
            raise ProviderError(f"{name}: {err}") from err
        except Exception as err:
            raise ProviderError(
                f"{name}: starting an experiment from template {template_id} failed: {error_text(err)}"
            ) from err
        if run.timeout is not None:
            ended = (
                "it was stopped" if run.stopped else f"it ended {run.experiment['state']['status']} meanwhile"
            )
            raise ProviderError(
                f"{name}: experiment {run.experiment['id']} did not finish within {props.get('timeout')}; "
                f"{ended}. Raise `timeout` or set wait=False"
            )
        if run.failure is not None:
            raise ProviderError(
                f"{name}: {run.failure} (fail_on: {', '.join(props.get('fail_on') or DEFAULT_FAIL_ON)}); "
                "change `trigger` to run it again"
            )
        for note in run.notes:
            progress(f"{name}: warning: {note}")
        outs = {k: v for k, v in props.items() if k != "__provider"}
        outs.update(experiment_summary(run.experiment))
        outs["region"] = client.meta.region_name
        outs["preflight_report"] = run.checked.record()
        outs["resolved_targets"] = run.resolved_targets
        return outs

    @staticmethod
    def _stop(id_: str, props: Mapping[str, Any], why: str) -> None:
        """Stop the run the resource recorded, unless the state says it already ended (it cannot restart)."""
        if props.get("status") in TERMINAL_STATES:
            return
        client = fis(props.get("region"))
        run_id = _run_id(id_, props)
        stop = stop_experiment(client, run_id)  # reads it first: the recorded status may be old
        if stop.stopped:
            progress(f"{short_name(props.get('resource_key'))}: stopped experiment {run_id} ({why})")


class Experiment(Resource, module="fis", name="Experiment"):
    """A run of a FIS experiment template, started by ``pulumi up``.

    ``trigger`` is any text (a date, a release version): change it to run again (an in-place update that
    stops the previous run if it still runs; ``experiment_id`` names the latest run). ``wait=True`` polls
    until the run ends and fails the deployment if it ends in ``fail_on``. ``actions_mode="skip-all"`` is
    FIS's dry run: targets are resolved, nothing is injected. Destroying the resource stops a run still
    going (unless ``stop_on_destroy=False``).

    Before every start the run is refused when the Region's FIS safety lever is engaged, and (unless
    ``preflight=False``, which the output says) when the blast-radius preflight refuses it: a target
    over the guardrail policy's cap, an empty target while ``emptyTargetResolutionMode`` is ``fail``, or
    an account that cannot be queried. ``preflight_report`` and ``resolved_targets`` record what the
    preflight expected and what FIS resolved.
    """

    experiment_id: pulumi.Output[str]
    experiment_arn: pulumi.Output[str]
    status: pulumi.Output[str]
    reason: pulumi.Output[str]
    actions: pulumi.Output[dict]
    start_time: pulumi.Output[str]
    end_time: pulumi.Output[str]
    region: pulumi.Output[str]
    preflight_report: pulumi.Output[dict]
    """The preflight before the latest start: per target what it would hit and the cap, or skipped."""
    resolved_targets: pulumi.Output[dict]
    """What FIS resolved for the latest run (target name -> ARNs), once it ran; None before."""

    def __init__(
        self,
        resource_name: str,
        *,
        template_id: pulumi.Input[str],
        trigger: pulumi.Input[str] | None = None,
        wait: bool = False,
        timeout: str | int = DEFAULT_TIMEOUT,
        fail_on: Sequence[str] = DEFAULT_FAIL_ON,
        actions_mode: str = "run-all",
        tags: Mapping[str, pulumi.Input[str]] | None = None,
        stop_on_destroy: bool = True,
        preflight: bool = True,
        region: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "template_id": template_id,
            "trigger": trigger,
            "wait": wait,
            "timeout": timeout,
            "fail_on": list(fail_on),
            "actions_mode": actions_mode,
            "tags": dict(tags) if tags else None,
            "stop_on_destroy": stop_on_destroy,
            "preflight": preflight,
            "region": region,
            "resource_key": f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}",
            **{k: None for k in ("experiment_id", "experiment_arn", "status", "reason", "actions")},
            **{k: None for k in ("start_time", "end_time", "preflight_report", "resolved_targets")},
        }
        super().__init__(ExperimentProvider(), resource_name, props, opts)
