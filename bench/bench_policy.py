#!/usr/bin/env python3
"""Guardrail policy cost per template, against `validate` alone, measured in the same run.

    .venv/bin/python bench/bench_policy.py [--count 1000] [--rounds 5]

Also run by `bench/run.py` (`collect`). Never asserts on time. The templates are the validator
benchmark's (AWS example shapes, one in ten broken). Figures, per round over all templates:

- baseline "load": `load_text` of the JSON text, what `chaos-pulumi validate` does per file
  (parse, validate, build the model);
- ours "load + policy": the same plus `evaluate(spec, safe defaults)` for the valid ones, i.e. what
  `validate` does now; the ratio is the slowdown (the goal: under 1.10);
- "policy only": `evaluate` on ready models, per template;
- the CLI in-process: `validate examples/experiments` with `--policy none` vs the default policy
  (which also resolves the policy, walking up for chaos-pulumi.yaml once per directory).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_validator import make_templates  # noqa: E402
from bench.common import Context, Row, Stats  # noqa: E402
from chaos_pulumi.cli import main as cli_main  # noqa: E402
from chaos_pulumi.spec import catalog, load_text  # noqa: E402
from chaos_pulumi.spec.guardrails import evaluate, safe_defaults  # noqa: E402

EXAMPLES = ROOT / "examples" / "experiments"


def measure(count: int, rounds: int) -> dict[str, list[float]]:
    """Seconds per round for each figure, the baseline and ours interleaved round by round."""
    texts = [json.dumps(t) for t in make_templates(count)]
    policy = safe_defaults()
    catalog()
    specs = [r.spec for r in (load_text(t) for t in texts) if r.spec is not None]
    samples: dict[str, list[float]] = {
        "load": [],
        "load + policy": [],
        "policy only": [],
        "cli none": [],
        "cli": [],
    }
    for _ in range(rounds):
        t0 = time.perf_counter()
        for text in texts:
            load_text(text)
        samples["load"].append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        for text in texts:
            result = load_text(text)
            if result.spec is not None:
                evaluate(result.spec, policy)
        samples["load + policy"].append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        for spec in specs:
            evaluate(spec, policy)
        samples["policy only"].append((time.perf_counter() - t0) / max(len(specs), 1) * count)

        for key, extra in (("cli none", ["--policy", "none"]), ("cli", [])):
            t0 = time.perf_counter()
            code = cli_main(["validate", *extra, str(EXAMPLES)], out=io.StringIO(), err=io.StringIO())
            samples[key].append(time.perf_counter() - t0)
            if code != 0:
                raise RuntimeError(f"chaos-pulumi validate {' '.join(extra)} examples exited {code}")
    return samples


def collect(ctx: Context) -> list[Row]:
    count = 200 if ctx.quick else 1000
    s = measure(count, ctx.rounds_for(quick=2))
    per = {k: [v / count * 1e6 for v in vals] for k, vals in s.items() if not k.startswith("cli")}
    case = f"{count} templates"
    ctx.extra["load_average"] = os.getloadavg()[0]
    return [
        Row(
            case,
            "validate per template: load + policy (vs load alone)",
            "µs",
            Stats.of(per["load + policy"]),
            Stats.of(per["load"]),
            "load_text only (no policy)",
            note="safe defaults; goal: ratio under 1.10",
        ),
        Row(case, "policy evaluation alone, per template", "µs", Stats.of(per["policy only"])),
        Row(
            "examples/experiments (7 files)",
            "chaos-pulumi validate, in-process",
            "ms",
            Stats.of([v * 1000 for v in s["cli"]]),
            Stats.of([v * 1000 for v in s["cli none"]]),
            "--policy none",
            note="includes resolving the policy (chaos-pulumi.yaml search) once per directory",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)
    load = os.getloadavg()[0]
    samples = measure(args.count, args.rounds)
    print(f"{args.count} templates, {args.rounds} rounds, load average {load:.1f} (before)")
    med = {k: sorted(v)[len(v) // 2] for k, v in samples.items()}
    for key in ("load", "load + policy", "policy only"):
        print(f"  {key:<16} {med[key] / args.count * 1e6:8.1f} µs per template")
    print(f"  slowdown of validate with the policy: x{med['load + policy'] / med['load']:.3f}")
    print(
        f"  chaos-pulumi validate examples: {med['cli'] * 1000:.1f} ms vs {med['cli none'] * 1000:.1f} ms "
        f"with --policy none (x{med['cli'] / med['cli none']:.3f})"
    )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
