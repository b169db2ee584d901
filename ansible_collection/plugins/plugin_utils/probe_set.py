# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""The game day's probes on the controller: their definitions checked, expanded into one run per
probe (and per host for `run_on: per_host`), and a phase of them sampled in parallel threads."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.clock import utc_iso
from ansible_collections.chaos.faults.plugins.module_utils.probe_runner import (
    PROBE_ONE_OF,
    PROBE_OPTIONS,
    probe_problem,
    run_probe,
)

CONTROLLER = "controller"
RUN_ON = (CONTROLLER, "per_host")
DEFINITION_OPTIONS = dict(
    PROBE_OPTIONS,
    name=dict(type="str", required=True),
    run_on=dict(type="str", choices=list(RUN_ON), default=CONTROLLER),
)
_VALIDATOR = ArgumentSpecValidator(
    DEFINITION_OPTIONS, mutually_exclusive=PROBE_ONE_OF, required_one_of=PROBE_ONE_OF
)


class ProbeDefinitionError(ValueError):
    """A game_day_probes entry that cannot run; the message names the entry and the field."""


@dataclass(frozen=True)
class ProbeRun:
    """One probe sampled from the controller, for the whole play or for one host."""

    name: str
    host: str  # "controller", or the inventory host a per_host probe is about
    definition: Mapping[str, Any]  # as the user wrote it (after templating)
    params: Mapping[str, Any]  # checked chaos.faults.probe options with defaults


def check_definitions(probes: Sequence[Any], where: str = "game_day_probes") -> list[dict[str, Any]]:
    """The checked options of each probe definition; raises ProbeDefinitionError on the first bad one."""
    out = []
    for i, probe in enumerate(probes or []):
        label = f"{where}[{i}]"
        if not isinstance(probe, Mapping):
            raise ProbeDefinitionError(f"{label}: a probe is a mapping (name, url or command), got {probe!r}")
        result = _VALIDATOR.validate(dict(probe))
        if result.error_messages:
            name = probe.get("name", "no name")
            raise ProbeDefinitionError(f"{label} ({name}): {'; '.join(result.error_messages)}")
        params = result.validated_parameters
        problem = probe_problem(params)
        if problem:
            raise ProbeDefinitionError(f"{label} ({params['name']}): {problem}")
        out.append(params)
    return out


def expand(probes_by_host: Mapping[str, Sequence[Any]], first_host: str) -> list[ProbeRun]:
    """Controller probes once (as templated for `first_host`), per_host probes once for every host."""
    runs = []
    for host, probes in probes_by_host.items():
        for definition, params in zip(probes or [], check_definitions(probes), strict=True):
            if params["run_on"] == CONTROLLER and host == first_host:
                runs.append(ProbeRun(params["name"], CONTROLLER, definition, params))
            elif params["run_on"] != CONTROLLER:
                runs.append(ProbeRun(params["name"], host, definition, params))
    return runs


def sample_run(
    run: ProbeRun,
    phase: str,
    overrides: Mapping[str, Any] | None = None,
    stop: threading.Event | None = None,
    on_sample: Callable[[list], None] | None = None,
) -> dict[str, Any]:
    """One probe run of a phase as the journal's probe input: phase, name, host, spec, start, end, result.

    A violated tolerance is data for the journal, never an error here."""
    params = dict(run.params, fail_on_violation=False, **(overrides or {}))
    start = utc_iso(time.time())
    try:
        result: dict[str, Any] = dict(run_probe(params, stop=stop, on_sample=on_sample), changed=False)
    except Exception as e:  # a probe that cannot run at all is a failed probe, not a crashed game day
        result = {
            "failed": True,
            "changed": False,
            "msg": f"{type(e).__name__}: {e}",
            "exception": traceback.format_exc(),
        }
    end = result.get("ended_at") or start
    return {
        "phase": phase,
        "name": run.name,
        "host": run.host,
        "spec": dict(run.definition),
        "start": result.get("started_at") or start,
        "end": end,
        "result": result,
    }


def sample_all(
    runs: Sequence[ProbeRun],
    phase: str,
    overrides: Mapping[str, Any] | None = None,
    stop: threading.Event | None = None,
    on_sample: Callable[[ProbeRun], Callable[[list], None]] | None = None,
) -> list[dict[str, Any]]:
    """Every run of a phase at once, one thread each; results in the order of `runs`."""
    results: list[dict[str, Any] | None] = [None] * len(runs)

    def one(i: int, run: ProbeRun) -> None:
        results[i] = sample_run(run, phase, overrides, stop, on_sample(run) if on_sample else None)

    threads = [threading.Thread(target=one, args=(i, r), daemon=True) for i, r in enumerate(runs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r for r in results if r is not None]
