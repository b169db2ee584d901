#!/usr/bin/env python3
"""Long fuzz run: hostile documents through the spec layer, each in a worker process under 512 MiB.

    .venv/bin/python bench/bench_fuzz.py [--inputs 100000] [--seed 1]

The inputs are tests/harness/fuzz.py's families (generated templates, mutated examples, random
JSON/YAML/text, alias nests, merge chains, deep text, huge documents, odd keys), drawn by
hypothesis without shrinking. Prints inputs per second (the spec layer's CPU time per input, and
wall time including generation and the pipe), the worst CPU time and the worst memory peak of one
input (tracemalloc in the worker, which slows allocation: the rates are lower bounds), with the input
that caused each, and counts of exceptions and internal errors (goal: 0). Also run by
`bench/run.py` (`collect`: 2,000 inputs in --quick mode). Never asserts.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.harness.fuzz import Input, hostile_inputs  # noqa: E402
from tests.harness.fuzz_worker import MEMORY_LIMIT, Outcome, Worker, WorkerDied  # noqa: E402

NEST = "the issue's alias nest (10 levels x 9)"


@dataclass
class Tally:
    inputs: int = 0
    cpu_s: list[float] = field(default_factory=list)
    families: Counter[str] = field(default_factory=Counter)
    valid: int = 0
    worst_cpu: tuple[float, str] = (0.0, "")
    worst_peak: tuple[int, str] = (0, "")
    max_rss_kib: int = 0
    failures: list[str] = field(default_factory=list)  # exceptions, internal errors, bounds, crashes
    exceptions: int = 0
    internal: int = 0
    crashes: int = 0
    breaches: int = 0  # inputs with any failure (exception, internal error, time, memory, output)
    wall_s: float = 0.0

    def add(self, item: Input, outcome: Outcome) -> None:
        self.inputs += 1
        self.families[item.family] += 1
        self.cpu_s.append(outcome.cpu_s)
        self.valid += outcome.valid
        self.max_rss_kib = max(self.max_rss_kib, outcome.rss_kib)
        if outcome.cpu_s > self.worst_cpu[0]:
            self.worst_cpu = (outcome.cpu_s, item.summary()[:200])
        if outcome.peak_bytes > self.worst_peak[0]:
            self.worst_peak = (outcome.peak_bytes, item.summary()[:200])
        self.exceptions += outcome.exception is not None
        self.internal += bool(outcome.internal)
        problems = outcome.failures()
        self.breaches += bool(problems)
        if problems and len(self.failures) < 20:
            self.failures.append(item.summary()[:300] + "\n  " + "\n  ".join(problems))

    def crash(self, item: Input, error: Exception) -> None:
        self.inputs += 1
        self.crashes += 1
        self.breaches += 1
        if len(self.failures) < 20:
            self.failures.append(f"{error}"[:600])

    def p(self, q: float) -> float:
        s = sorted(self.cpu_s)
        return s[min(len(s) - 1, int(len(s) * q))] if s else 0.0


def run(inputs: int, seed: int | None = None, progress: Any = None) -> Tally:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    tally = Tally()
    worker = Worker()

    @settings(
        max_examples=inputs,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(hostile_inputs())
    def feed(item: Input) -> None:
        try:
            tally.add(item, worker.run(item))
        except WorkerDied as e:  # counted; the next input starts a fresh worker
            tally.crash(item, e)
        if progress and tally.inputs % 5_000 == 0:
            progress(
                f"fuzz: {tally.inputs:,} inputs, {tally.exceptions + tally.internal + tally.crashes} bad"
            )

    if seed is not None:
        feed = hypothesis_seed(seed)(feed)
    t0 = time.perf_counter()
    try:
        feed()
    finally:
        tally.wall_s = time.perf_counter() - t0
        worker.close()
    return tally


def alias_nest_refusal(rounds: int = 20) -> tuple[list[float], int, str]:
    """The issue's input (an alias nest, 10 levels of 9): seconds per refusal, peak bytes, the problem."""
    import tracemalloc

    from chaos_pulumi.spec import load_text
    from tests.harness.fuzz import issue_alias_nest

    text = issue_alias_nest()
    load_text(text, "nest.yaml")
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        result = load_text(text, "nest.yaml")
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    load_text(text, "nest.yaml")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return times, peak, str(result.problems[0])


def report(tally: Tally) -> str:
    cpu = sum(tally.cpu_s)
    lines = [
        f"{tally.inputs:,} inputs ({tally.valid:,} valid templates), load average {os.getloadavg()[0]:.1f}, "
        f"worker limit {MEMORY_LIMIT // 2**20} MiB",
        "  families: " + ", ".join(f"{k} {v:,}" for k, v in sorted(tally.families.items())),
        f"  inputs/s, spec layer CPU time: {tally.inputs / cpu:,.0f}" if cpu else "  no CPU time recorded",
        f"  inputs/s, wall (with generation and the pipe): {tally.inputs / tally.wall_s:,.0f}",
        f"  CPU per input: median {tally.p(0.5) * 1e3:.2f} ms, p99 {tally.p(0.99) * 1e3:.1f} ms, "
        f"worst {tally.worst_cpu[0] * 1e3:.0f} ms ({tally.worst_cpu[1]})",
        f"  worst memory peak of one input: {tally.worst_peak[0] / 2**20:.1f} MiB ({tally.worst_peak[1]})",
        f"  worker peak RSS: {tally.max_rss_kib / 1024:.0f} MiB",
        f"  exceptions {tally.exceptions}, internal errors {tally.internal}, worker crashes or hangs "
        f"{tally.crashes}; inputs breaking any bound {tally.breaches}",
    ]
    lines += [f"  FAILED: {f}" for f in tally.failures]
    return "\n".join(lines)


def collect(ctx: Any) -> list[Any]:
    from bench.common import Row, Stats

    n = 2_000 if ctx.quick else 100_000
    tally = run(n, seed=1, progress=ctx.log)
    cpu = sum(tally.cpu_s)
    case = f"{tally.inputs:,} hostile inputs"
    one = Stats.of
    ctx.extra["fuzz"] = {
        "families": dict(tally.families),
        "worst_cpu_input": tally.worst_cpu[1],
        "worst_peak_input": tally.worst_peak[1],
        "failures": tally.failures,
    }
    times, peak, _ = alias_nest_refusal()
    return [
        Row(NEST, "refused in", "ms", one([t * 1e3 for t in times])),
        Row(NEST, "peak memory while refusing", "MiB", one([peak / 2**20])),
        Row(case, "inputs/s (spec layer CPU)", "inputs/s", one([tally.inputs / cpu]), better="higher"),
        Row(
            case,
            "inputs/s (wall, with generation)",
            "inputs/s",
            one([tally.inputs / tally.wall_s]),
            better="higher",
        ),
        Row(case, "CPU per input", "ms", one([s * 1e3 for s in tally.cpu_s]), note="median [min–max], p99"),
        Row(case, "worst memory peak per input", "MiB", one([tally.worst_peak[0] / 2**20])),
        Row(case, "worker peak RSS", "MiB", one([tally.max_rss_kib / 1024]), note="limit 512 MiB"),
        Row(
            case,
            "exceptions + internal errors + crashes",
            "inputs",
            one([tally.exceptions + tally.internal + tally.crashes]),
            note="goal 0",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--inputs", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random)")
    args = p.parse_args(argv)
    times, peak, problem = alias_nest_refusal()
    print(
        f"the issue's alias nest: refused in {sorted(times)[len(times) // 2] * 1e3:.2f} ms (median of "
        f"{len(times)}), peak {peak / 2**20:.2f} MiB: {problem}"
    )
    tally = run(args.inputs, args.seed, progress=lambda m: print(m, file=sys.stderr, flush=True))
    print(report(tally))
    return 0


if __name__ == "__main__":
    sys.exit(main())
