"""Chaos Toolkit activities the FIS baseline needs and chaostoolkit-aws does not ship.

chaostoolkit-aws can start and get an FIS experiment but cannot wait for one to end (its open
PRs #114/#117/#118 add that), so a Chaos Toolkit user writes this probe. It polls
chaostoolkit-aws's own `get_experiment` with the same backoff as `chaos_pulumi`'s waiter.
"""

from __future__ import annotations

import time
from typing import Any

from chaosaws import aws_client
from chaosaws.fis.probes import get_experiment
from chaoslib.exceptions import ActivityFailed

TERMINAL_STATES = {"completed", "stopped", "failed", "cancelled"}


def template_exists(template_id: str, configuration: dict[str, Any] | None = None,
                    secrets: dict[str, Any] | None = None) -> bool:
    client = aws_client("fis", configuration=configuration, secrets=secrets)
    try:
        client.get_experiment_template(id=template_id)
    except client.exceptions.ResourceNotFoundException:
        return False
    return True


def wait_for_tagged_experiment(tag_key: str, tag_value: str, poll_s: str = "2.0", max_poll_s: str = "15.0",
                               timeout_s: str = "300", configuration: dict[str, Any] | None = None,
                               secrets: dict[str, Any] | None = None) -> str:
    """Wait until the experiment tagged tag_key=tag_value ends; return its final status.

    The interval starts at `poll_s` and grows by half up to `max_poll_s`: the same schedule as
    chaos_pulumi's waiter, so both tools spend the same time asleep.
    """
    client = aws_client("fis", configuration=configuration, secrets=secrets)
    deadline = time.monotonic() + float(timeout_s)
    experiment_id = None
    for page in client.get_paginator("list_experiments").paginate():
        for exp in page.get("experiments", []):
            if exp.get("tags", {}).get(tag_key) == tag_value:
                experiment_id = exp["id"]
    if experiment_id is None:
        raise ActivityFailed(f"no FIS experiment tagged {tag_key}={tag_value}")
    interval = float(poll_s)
    while True:
        status = get_experiment(experiment_id, configuration, secrets)["experiment"]["state"]["status"]
        if status in TERMINAL_STATES:
            return status
        if time.monotonic() > deadline:
            raise ActivityFailed(f"experiment {experiment_id} still {status} after {timeout_s} s")
        time.sleep(interval)
        interval = min(interval * 1.5, float(max_poll_s))
