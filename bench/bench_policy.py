#!/usr/bin/env python3
"""Guardrail policy cost per template, against `validate` alone, measured in the same run.

    .venv/bin/python bench/bench_policy.py [--count 1000] [--rounds 5]

Also run by `bench/run.py` (`collect`). Never asserts on time. The templates are the validator
benchmark's (AWS example shapes, one in ten broken). Per round, baseline and ours interleaved:

- "load": `load_text`, what `chaos-pulumi validate` does per file (parse, validate, build the
  model), on JSON text (the cheapest input, so the strictest ratio) and on YAML text (what the
  examples and most repositories hold); ours adds `evaluate(spec, safe defaults)` to each;
- "policy only": `evaluate` on ready models;
- the CLI in-process on the templates written as YAML files: `validate DIR` with the default policy
  vs `--policy none` (this also resolves the policy once per directory).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_validator import make_templates  # noqa: E402
from bench.common import Context, Row, Stats  # noqa: E402
from chaos_pulumi.cli import main as cli_main  # noqa: E402
from chaos_pulumi.spec import catalog, load_text  # noqa: E402
from chaos_pulumi.spec.guardrails import evaluate, safe_defaults  # noqa: E402


def measure(count: int, rounds: int, files_dir: Path) -> dict[str, list[float]]:
    """Seconds per round for each figure, the baseline and ours interleaved round by round."""
    templates = make_templates(count)
    texts = {"json": [json.dumps(t) for t in templates], "yaml": [yaml.safe_dump(t) for t in templates]}
    for i, text in enumerate(texts["yaml"]):
        (files_dir / f"t{i:04d}.yaml").write_text(text)
    policy = safe_defaults()
    cat = catalog()
    specs = [r.spec for r in (load_text(t) for t in texts["json"]) if r.spec is not None]
    samples: dict[str, list[float]] = {}

    def record(key: str, seconds: float) -> None:
        samples.setdefault(key, []).append(seconds)

    for _ in range(rounds):
        for kind, items in texts.items():
            source = f"t.{kind}"
            t0 = time.perf_counter()
            for text in items:
                load_text(text, source)
            record(f"load {kind}", time.perf_counter() - t0)
            t0 = time.perf_counter()
            for text in items:
                result = load_text(text, source)
                if result.spec is not None:
                    evaluate(result.spec, policy, cat=cat)
            record(f"load {kind} + policy", time.perf_counter() - t0)
        t0 = time.perf_counter()
        for spec in specs:
            evaluate(spec, policy, cat=cat)
        record("policy only", (time.perf_counter() - t0) / max(len(specs), 1) * count)
        for key, extra in (("cli none", ["--policy", "none"]), ("cli", [])):
            t0 = time.perf_counter()
            cli_main(["validate", *extra, str(files_dir)], out=io.StringIO(), err=io.StringIO())
            record(key, time.perf_counter() - t0)
    return samples


def collect(ctx: Context) -> list[Row]:
    count = 200 if ctx.quick else 1000
    s = measure(count, ctx.rounds_for(quick=2), ctx.scratch("policy-templates"))
    per = {k: [v / count * 1e6 for v in vals] for k, vals in s.items()}
    case = f"{count} templates"
    ctx.extra["load_average"] = os.getloadavg()[0]
    rows = [
        Row(
            case,
            f"validate per template ({kind} text): load + policy",
            "µs",
            Stats.of(per[f"load {kind} + policy"]),
            Stats.of(per[f"load {kind}"]),
            "load_text alone",
            note="safe defaults; goal: ratio under 1.10",
        )
        for kind in ("json", "yaml")
    ]
    rows.append(Row(case, "policy evaluation alone, per template", "µs", Stats.of(per["policy only"])))
    rows.append(
        Row(
            f"{count} YAML files",
            "chaos-pulumi validate DIR, in-process",
            "ms",
            Stats.of([v * 1000 for v in s["cli"]]),
            Stats.of([v * 1000 for v in s["cli none"]]),
            "--policy none",
            note="default policy vs none; includes resolving the policy once per directory",
        )
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        samples = measure(args.count, args.rounds, Path(tmp))
    print(f"{args.count} templates, {args.rounds} rounds, load average {load:.2f} before")
    med = {k: sorted(v)[len(v) // 2] for k, v in samples.items()}
    for kind in ("json", "yaml"):
        base, ours = med[f"load {kind}"], med[f"load {kind} + policy"]
        print(
            f"  {kind} text: load {base / args.count * 1e6:7.1f} µs, load + policy "
            f"{ours / args.count * 1e6:7.1f} µs per template: x{ours / base:.3f}"
        )
    print(f"  policy evaluation alone: {med['policy only'] / args.count * 1e6:.1f} µs per template")
    print(
        f"  chaos-pulumi validate on {args.count} YAML files: {med['cli'] * 1000:.0f} ms vs "
        f"{med['cli none'] * 1000:.0f} ms with --policy none (x{med['cli'] / med['cli none']:.3f})"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
