"""``Experiment``: one run of a FIS experiment template, started by ``pulumi up``.

Creating the resource starts the experiment; with ``wait`` the provider polls (with backoff) until it
ends and fails the deployment when it ends in a ``fail_on`` state. A new run starts only when ``trigger``
changes (the resource is replaced; the old run is stopped first if it still runs). Destroying it stops a
run that is still going. Every other input change is recorded without starting anything.
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

from chaos_pulumi.providers.base import (
    FisProvider,
    ProviderError,
    aws_error_text,
    client_token,
    fis,
    is_not_found,
    is_unknown,
    iso_time,
    progress,
    short_name,
    update_tags,
)

STATUSES = ("pending", "initiating", "running", "completed", "stopping", "stopped", "failed", "cancelled")
TERMINAL = frozenset({"completed", "stopped", "failed", "cancelled"})
DEFAULT_FAIL_ON = ("failed", "stopped", "cancelled")
ACTIONS_MODES = ("run-all", "skip-all")
DEFAULT_TIMEOUT = "PT30M"
# A gRPC call from the engine to a dynamic provider may last 30 minutes at most; FIS experiments up to 12 h.
MAX_TIMEOUT_S = 12 * 3600

# Inputs whose change is recorded in place (no new run); a change of "trigger" replaces the resource.
_RECORDED = ("template_id", "wait", "timeout", "fail_on", "actions_mode", "tags", "stop_on_destroy")


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


def experiment_outputs(experiment: Mapping[str, Any]) -> dict[str, Any]:
    """The outputs of a run from a GetExperiment/StartExperiment ``experiment``: plain JSON values."""
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
                [s for s in fail_on if s not in STATUSES] if isinstance(fail_on, (list, tuple)) else [fail_on]
            )
            if bad:
                fail(f"fail_on: {bad!r} are not experiment states; choose from {', '.join(STATUSES)}")
        mode = news.get("actions_mode")
        if mode is None:
            inputs["actions_mode"] = "run-all"
        elif not is_unknown(mode) and mode not in ACTIONS_MODES:
            fail(f"actions_mode: {mode!r} is not one of run-all, skip-all (skip-all is FIS's dry run)")
        if not is_unknown(news.get("trigger")):
            inputs["trigger"] = _trigger(news.get("trigger"))
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if is_unknown(news.get("trigger")) or _trigger(news.get("trigger")) != _trigger(olds.get("trigger")):
            # A new trigger is a new run; stop the old run (if it still runs) before starting the next.
            return DiffResult(changes=True, replaces=["trigger"], delete_before_replace=True)
        changed = [k for k in _RECORDED if news.get(k) != olds.get(k)]
        return DiffResult(changes=bool(changed), replaces=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        name = short_name(props.get("resource_key"))
        client = fis(props.get("region"))
        template_id = props["template_id"]
        mode = props.get("actions_mode") or "run-all"
        request: dict[str, Any] = {
            # The same resource, template, trigger and mode give the same token: a create retried after a
            # crash finds the run the first attempt started instead of starting a second one.
            "clientToken": client_token(
                props.get("resource_key"), template_id, _trigger(props.get("trigger")), mode
            ),
            "experimentTemplateId": template_id,
        }
        if mode != "run-all":
            request["experimentOptions"] = {"actionsMode": mode}
        if props.get("tags"):
            request["tags"] = dict(props["tags"])
        try:
            experiment = client.start_experiment(**request)["experiment"]
        except Exception as err:
            raise ProviderError(
                f"{name}: starting an experiment from template {template_id} failed: {aws_error_text(err)}"
            ) from err
        progress(f"{name}: started experiment {experiment['id']} from template {template_id} ({mode})")
        if props.get("wait"):
            experiment = self._wait(client, name, experiment["id"], props)
        outs = {k: v for k, v in props.items() if k != "__provider"}
        outs.update(experiment_outputs(experiment))
        outs["region"] = client.meta.region_name
        self._judge(name, outs, props)
        return CreateResult(experiment["id"], outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = fis(olds.get("region") or news.get("region"))
        outs = {k: v for k, v in olds.items() if k != "__provider"}
        outs.update({k: v for k, v in news.items() if k != "__provider"})
        outs["region"] = client.meta.region_name
        experiment = self._get(client, id_)
        if experiment is not None:
            outs.update(experiment_outputs(experiment))
            if (olds.get("tags") or {}) != (news.get("tags") or {}) and experiment.get("arn"):
                update_tags(client, experiment["arn"], experiment.get("tags") or {}, news.get("tags") or {})
        return UpdateResult(outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = fis(props.get("region"))
        experiment = self._get(client, id_)
        if experiment is None:
            return ReadResult(id_="", outs={})
        outs = dict(props)
        outs.update(experiment_outputs(experiment))
        return ReadResult(id_, outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if props.get("stop_on_destroy") is False:
            return
        from chaos_pulumi.aws.experiments import stop_experiment

        client = fis(props.get("region"))
        # stop_experiment reads the run first and leaves it alone when it already ended or is gone.
        stopped = stop_experiment(client, id_)
        if ((stopped or {}).get("state") or {}).get("status") in ("stopping", "stopped"):
            progress(f"{short_name(props.get('resource_key'))}: stopped experiment {id_} (destroyed)")

    # ----- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _get(client: Any, experiment_id: str) -> dict[str, Any] | None:
        try:
            return client.get_experiment(id=experiment_id)["experiment"]
        except Exception as err:
            if is_not_found(err):
                return None
            raise

    @staticmethod
    def _wait(client: Any, name: str, experiment_id: str, props: Mapping[str, Any]) -> dict[str, Any]:
        from chaos_pulumi.aws.experiments import ExperimentTimeout, stop_experiment, wait_for_experiment

        timeout_s = timeout_seconds(props.get("timeout") or DEFAULT_TIMEOUT) or 1800.0
        last: dict[str, Any] = {}

        def on_progress(experiment: Mapping[str, Any]) -> None:
            status = (experiment.get("state") or {}).get("status")
            actions = {
                n: (a.get("state") or {}).get("status")
                for n, a in sorted((experiment.get("actions") or {}).items())
            }
            if (status, actions) != (last.get("status"), last.get("actions")):
                detail = ", ".join(f"{n}={s}" for n, s in actions.items())
                progress(f"{name}: experiment {experiment_id} {status}" + (f" ({detail})" if detail else ""))
                last.update(status=status, actions=actions)

        try:
            return wait_for_experiment(client, experiment_id, timeout_s, on_progress=on_progress, poll_s=1.0)
        except ExperimentTimeout:
            # Unbounded faults are not allowed: a run we stop watching is a run we stop.
            stop_experiment(client, experiment_id)
            raise ProviderError(
                f"{name}: experiment {experiment_id} did not finish within {props.get('timeout')}; "
                "it was stopped. "
                "Raise `timeout` or set wait=False"
            ) from None

    @staticmethod
    def _judge(name: str, outs: Mapping[str, Any], props: Mapping[str, Any]) -> None:
        status = outs.get("status")
        fail_on = props.get("fail_on") or DEFAULT_FAIL_ON
        if props.get("wait") and status in fail_on:
            raise ProviderError(
                f"{name}: experiment {outs.get('experiment_id')} ended {status}: "
                f"{outs.get('reason') or 'no reason given'}"
                f" (fail_on: {', '.join(fail_on)}); change `trigger` to run it again"
            )


class Experiment(Resource, module="fis", name="Experiment"):
    """A run of a FIS experiment template, started by ``pulumi up``.

    ``trigger`` is any text (a date, a release version): change it to run again. ``wait=True`` polls until
    the run ends and fails the deployment if it ends in ``fail_on``. ``actions_mode="skip-all"`` is FIS's
    dry run: targets are resolved, nothing is injected. Destroying the resource stops a run still going
    (unless ``stop_on_destroy=False``).
    """

    experiment_id: pulumi.Output[str]
    experiment_arn: pulumi.Output[str]
    status: pulumi.Output[str]
    reason: pulumi.Output[str]
    actions: pulumi.Output[dict]
    start_time: pulumi.Output[str]
    end_time: pulumi.Output[str]
    region: pulumi.Output[str]

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
            "region": region,
            "resource_key": f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}",
            **{k: None for k in ("experiment_id", "experiment_arn", "status", "reason", "actions")},
            **{k: None for k in ("start_time", "end_time")},
        }
        super().__init__(ExperimentProvider(), resource_name, props, opts)
