#!/usr/bin/env python3
"""Run the benchmark suite and write bench/out/results.{md,json}.

    .venv/bin/python bench/run.py                    # everything, full rounds (what `make bench` runs)
    .venv/bin/python bench/run.py --quick            # fewer rounds and sizes: a smoke run of the runner
    .venv/bin/python bench/run.py --only validator,pulumi --rounds 3
    .venv/bin/python bench/run.py --list

Every benchmark measures the baseline and ours in the same invocation, interleaved round by round.
Nothing here asserts on time: the output is figures and ratios. A benchmark whose prerequisites are
missing is recorded as `skipped` with the reason; one that crashes is recorded as `failed` and the
run goes on (exit status 1 at the end).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    DEFAULT_OUT,
    BenchSkipped,
    Context,
    load_average,
    machine_info,
    utc_now,
    write_results,
)


@dataclass(frozen=True)
class Benchmark:
    name: str
    title: str
    module: str  # bench.<module>, imported only when this benchmark runs
    function: str = "collect"


# Cheap first, so a partial run still has figures. Each `collect(ctx) -> list[Row]`.
BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark("validator", "validator throughput on AWS's public template shapes", "bench.bench_validator"),
    Benchmark(
        "iam_coverage",
        "iam-policy vs the role policies of AWS's template library: actions covered, broader grants",
        "bench.bench_iam_coverage",
    ),
    Benchmark(
        "policy",
        "guardrail policy evaluation per template vs validate alone",
        "bench.bench_policy",
    ),
    Benchmark(
        "validator_vs_botocore",
        "our validator vs botocore's parameter check (what boto3 validates anyway)",
        "bench.bench_validator_vs_botocore",
    ),
    Benchmark(
        "vs_chaostoolkit",
        "run overhead beyond the fault's own duration: chaos run vs Experiment / game_day",
        "bench.bench_vs_chaostoolkit",
    ),
    Benchmark(
        "host_faults",
        "host faults on localhost: start→active, guard→revert by guard interval, CPU-stress fidelity",
        "bench.bench_host_faults",
    ),
    Benchmark("revert", "guard violation → fault reverted, per fault type", "bench.bench_revert"),
    Benchmark("resolver", "blast-radius resolver: targets/s against moto, 1,000 tagged instances",
              "bench.bench_resolver"),
    Benchmark("stop_all", "kill switch: 10 running experiments + faults on 10 namespace hosts → all stopped",
              "bench.bench_stop_all"),
    Benchmark(
        "soak",
        "ansible-playbook SIGKILLed at a random moment of a timed fault: leftovers after the deadline",
        "bench.bench_soak",
    ),
    Benchmark("fleet", "one fault on 1/10/30 namespace hosts with Ansible forks", "bench.bench_fleet"),
    Benchmark("ssm_fleet",
              "fault documents on 10/30 namespace hosts (BENCH_SSM_SIZES: to 100) vs Ansible; guard → revert",
              "bench.bench_ssm_fleet"),
    Benchmark(
        "pulumi",
        "pulumi up / no-change preview / destroy: ExperimentTemplates vs no-op resources",
        "bench.bench_pulumi_scaling",
    ),
    Benchmark(
        "fuzz",
        "100,000 hostile documents through the spec layer: inputs/s, worst time and memory per input",
        "bench.bench_fuzz",
    ),
)


def run_one(bench: Benchmark, ctx: Context) -> dict[str, Any]:
    record: dict[str, Any] = {
        "name": bench.name,
        "title": bench.title,
        "status": "ok",
        "reason": "",
        "seconds": 0.0,
        "load_before": load_average(),
        "rows": [],
    }
    ctx.extra = {}
    t0 = time.perf_counter()
    try:
        try:
            rows = getattr(importlib.import_module(bench.module), bench.function)(ctx)
        except ImportError as e:
            # The benchmark (or a piece it measures) is not built yet: a skip, not a failure.
            raise BenchSkipped(f"{bench.module}: {e}") from e
        if not rows:
            raise BenchSkipped("the benchmark produced no figures")
        record["rows"] = [r.to_dict() for r in rows]
    except BenchSkipped as e:
        record["status"] = "skipped"
        record["reason"] = str(e)
    except Exception as e:  # a broken benchmark must not lose the others' figures
        record["status"] = "failed"
        record["reason"] = f"{type(e).__name__}: {e}"
        record["traceback"] = traceback.format_exc()
        ctx.log(record["traceback"])
    record["seconds"] = round(time.perf_counter() - t0, 2)
    record["load_after"] = load_average()
    if ctx.extra:
        record["extra"] = ctx.extra
    ctx.log(f"{bench.name}: {record['status']} in {record['seconds']:.0f} s {record['reason'][:300]}")
    return record


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    names = [b.name for b in BENCHMARKS]
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer rounds and smaller sizes (smoke run)")
    p.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(names)}")
    p.add_argument("--skip", default="", help="comma-separated benchmarks to leave out")
    p.add_argument("--rounds", type=int, default=None, help="rounds per figure (default 5, quick 2)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = p.parse_args(argv)
    for opt in ("only", "skip"):
        chosen = [n.strip() for n in getattr(args, opt).split(",") if n.strip()]
        unknown = sorted(set(chosen) - set(names))
        if unknown:
            p.error(f"--{opt}: unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(names)}")
        setattr(args, opt, chosen)
    if args.rounds is not None and args.rounds < 1:
        p.error("--rounds: must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for b in BENCHMARKS:
            print(f"{b.name:18} {b.title}")
        return 0
    selected = [b for b in BENCHMARKS if (not args.only or b.name in args.only) and b.name not in args.skip]
    rounds = args.rounds if args.rounds is not None else (2 if args.quick else 5)
    started = utc_now()
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="chaos-bench-") as work:
        ctx = Context(
            quick=args.quick, rounds=rounds, work_dir=Path(work), out_dir=args.out, verbose=not args.quiet
        )
        try:
            records = [run_one(b, ctx) for b in selected]
        finally:
            ctx.close()
    results = {
        "schema": 1,
        "started_at": started,
        "finished_at": utc_now(),
        "options": {
            "mode": "quick" if args.quick else "full",
            "rounds": rounds,
            "only": args.only,
            "skip": args.skip,
        },
        "machine": machine_info(),
        "load": {"before": load_before, "after": load_average()},
        "benchmarks": records,
    }
    json_path, md_path = write_results(results, args.out)
    print(md_path.read_text())
    print(f"wrote {md_path} and {json_path}")
    return 1 if any(r["status"] == "failed" for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
