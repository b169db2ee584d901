"""Fuzz the spec layer with hostile documents, a fixed budget per family (tests/harness/fuzz.py).

Every input runs in a worker process limited to 512 MiB of address space, through what a front end
runs (load_text / load_bytes as the CLI, from_file and template_file do; validate on a Python value
as the Pulumi provider's check and the Ansible `template` option do; explain and iam_policy on what
is valid). Each must finish with no exception, no problem from the internal-error path, and bounded
CPU time, memory and output. The long run (100,000 inputs) is bench/bench_fuzz.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.harness.fuzz import Input, strategies
from tests.harness.fuzz_worker import Worker

FAMILIES = strategies()
BUDGET = {
    "generated templates": 200,
    "mutated examples": 400,
    "random documents": 600,
    "alias nests": 100,
    "merge chains": 8,
    "deep text": 10,
    "huge documents": 6,
    "odd keys": 9,
}


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    w = Worker()
    yield w
    w.close()


def test_every_family_has_a_budget() -> None:
    assert set(BUDGET) == set(FAMILIES)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_hostile_documents_are_answered_within_bounds(family: str, worker: Worker) -> None:
    seen = []

    # No shrinking: a failing input is reported as drawn (shrinking megabyte strings takes minutes).
    @settings(
        max_examples=BUDGET[family],
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(FAMILIES[family])
    def run(item: Input) -> None:
        outcome = worker.run(item)
        seen.append(outcome)
        assert not outcome.failures(), item.summary() + "\n" + "\n".join(outcome.failures())

    run()
    assert len(seen) >= min(BUDGET[family], 5), f"hypothesis ran only {len(seen)} inputs"
