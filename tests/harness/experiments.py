"""FIS experiments that stay ``running`` on the moto server, for kill-switch tests and benchmarks.

moto moves an experiment one state per GetExperiment (pending -> initiating -> running ->
completed), so a run is over after three reads. :func:`running_experiments` starts runs, reads each
twice to bring it to ``running``, and then pins moto's ``fis::experiment`` state transition
(``MotoServer.hold_experiments``, moto's documented state-manager API) so that reads no longer move
it: the runs stay ``running`` until something stops them (StopExperiment, the safety lever). Leaving
the context restores moto's default transition.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

from chaos_pulumi.local import MotoServer

ROLE_ARN = "arn:aws:iam::123456789012:role/chaos-pulumi-test"


def wait_template(client: Any, description: str = "wait only (kill-switch test)") -> str:
    """A template whose one action is ``aws:fis:wait`` (no targets); returns its id."""
    return client.create_experiment_template(
        clientToken=str(uuid.uuid4()),
        description=description,
        roleArn=ROLE_ARN,
        stopConditions=[{"source": "none"}],
        targets={},
        actions={"wait": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT30M"}}},
    )["experimentTemplate"]["id"]


def start(client: Any, template_id: str) -> dict[str, Any]:
    return client.start_experiment(experimentTemplateId=template_id, clientToken=str(uuid.uuid4()))[
        "experiment"
    ]


def hold(moto_url: str, held: bool) -> None:
    """Pin experiments where they are (``held``), or let each GetExperiment move them on again."""
    MotoServer(moto_url, {}).hold_experiments(held)


@contextlib.contextmanager
def running_experiments(moto_url: str, client: Any, count: int) -> Iterator[list[str]]:
    """``count`` experiments in ``running`` that stay there until stopped; yields their ids."""
    template_id = wait_template(client)
    ids = [start(client, template_id)["id"] for _ in range(count)]
    for experiment_id in ids:
        for _ in range(2):
            status = client.get_experiment(id=experiment_id)["experiment"]["state"]["status"]
        assert status == "running", f"experiment {experiment_id} is {status}, not running"
    hold(moto_url, True)
    try:
        yield ids
    finally:
        hold(moto_url, False)


__all__ = ["hold", "running_experiments", "start", "wait_template"]
