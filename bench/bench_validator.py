#!/usr/bin/env python3
"""Validator throughput: validate 1,000 templates shaped like AWS's public examples; print the rate.

    .venv/bin/python bench/bench_validator.py [--count 1000] [--rounds 5]
    .venv/bin/python bench/bench_validator.py --against c38f994 --rounds 9   # before/after, same run

With ``--against REF`` the chaos_pulumi package of that commit (``git archive``) is measured next to
this one, each round in a fresh process per side, the sides alternating who goes first; the
figures are medians over the rounds with the ratio ours/baseline.

Also run by `bench/run.py` (`collect`). Never asserts on time. The templates are the files in
examples/experiments (EC2, EBS, SSM, ECS, EKS, network, RDS shapes) varied in names, tags, counts
and durations; one in ten carries deliberate mistakes so the error paths are measured too.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# --against: a worker process measures the package of another commit, extracted here.
TREE = os.environ.get("CHAOS_BENCH_TREE")
for _path in (str(ROOT), TREE):
    if _path and _path not in sys.path:
        sys.path.insert(0, _path)

from chaos_pulumi.spec import TemplateSpec, catalog, load_file, load_text, validate  # noqa: E402

EXAMPLES = ROOT / "examples" / "experiments"


def make_templates(count: int) -> list[dict[str, Any]]:
    bases = [load_file(p).data for p in sorted(EXAMPLES.glob("*.*"))]
    bases = [b for b in bases if b]
    out = []
    for i in range(count):
        t = copy.deepcopy(bases[i % len(bases)])
        t["description"] = f"{t['description']} #{i}"
        t.setdefault("tags", {})["run"] = str(i)
        for target in t.get("targets", {}).values():
            if target.get("selectionMode", "").startswith("COUNT"):
                target["selectionMode"] = f"COUNT({1 + i % 3})"
            if "resourceTags" in target:
                target["resourceTags"]["shard"] = f"s{i % 7}"
        for action in t["actions"].values():
            params = action.get("parameters", {})
            if (
                "duration" in params
                and params["duration"].startswith("PT")
                and params["duration"].endswith("M")
            ):
                params["duration"] = f"PT{2 + i % 9}M"
        if i % 10 == 9:  # a broken one: typo'd action, bad duration, undefined reference
            name, action = next(iter(t["actions"].items()))
            action["actionId"] += "-typo"
            action.setdefault("parameters", {})["duration"] = "five minutes"
            action["startAfter"] = ["missing"]
        out.append(t)
    return out


def measure(templates: list[dict[str, Any]], rounds: int) -> dict[str, list[float]]:
    """Seconds per round: validate (wall and CPU), validate+from_dict+to_create_request, load_text(JSON)."""
    texts = [json.dumps(t) for t in templates]
    samples: dict[str, list[float]] = {
        "validate": [],
        "validate (CPU time)": [],
        "validate + model + request": [],
        "parse + validate": [],
    }
    catalog()  # loaded once per process, like in a Pulumi provider or an Ansible run
    validate(templates[0])
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        for t in templates:
            validate(t)
        samples["validate"].append(time.perf_counter() - t0)
        # CPU time is what the validator costs; wall time also counts other jobs on a busy machine.
        samples["validate (CPU time)"].append(time.process_time() - c0)
        t0 = time.perf_counter()
        for t in templates:
            if not [p for p in validate(t) if p.severity == "error"]:
                TemplateSpec.from_dict(t).to_create_request()
        samples["validate + model + request"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for text in texts:
            load_text(text, "t.json")
        samples["parse + validate"].append(time.perf_counter() - t0)
    return samples


def collect(ctx: Any) -> list[Any]:
    from bench.common import Row, Stats

    count = 200 if ctx.quick else 1000
    templates = make_templates(count)
    samples = measure(templates, ctx.rounds_for(quick=2))
    rows = []
    for metric, secs in samples.items():
        rates = [count / s for s in secs]
        rows.append(
            Row(
                f"{count} templates",
                metric,
                "templates/s",
                Stats.of(rates),
                better="higher",
                note="10% deliberately invalid; 7 AWS example shapes",
            )
        )
    per = Stats.of([s / count * 1e6 for s in samples["validate"]])
    rows.append(Row(f"{count} templates", "validate, per template", "µs", per, better="lower"))
    return rows


def _worker(count: int) -> int:
    """One round in this process (the package on sys.path first): seconds per metric, as JSON."""
    catalog()
    templates = make_templates(count)
    samples = measure(templates, 1)
    print(json.dumps({metric: secs[0] for metric, secs in samples.items()}))
    return 0


def compare(ref: str, count: int, rounds: int) -> int:
    """Ours next to the package at git ``ref``, round by round in fresh processes."""
    with tempfile.TemporaryDirectory(prefix="bench-validator-") as tree:
        archive = subprocess.run(
            ["git", "archive", ref, "chaos_pulumi"], cwd=ROOT, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", tree], input=archive.stdout, check=True)
        sides = {"ours": None, f"baseline {ref}": tree}
        results: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
        load_before = os.getloadavg()
        for r in range(rounds):
            order = list(sides) if r % 2 == 0 else list(reversed(sides))
            for name in order:
                env = dict(os.environ)
                env.pop("CHAOS_BENCH_TREE", None)
                if sides[name]:
                    env["CHAOS_BENCH_TREE"] = str(sides[name])
                out = subprocess.run(
                    [sys.executable, __file__, "--worker", "--count", str(count)],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                results[name].append(json.loads(out.strip().splitlines()[-1]))
        load_after = os.getloadavg()
    loads = " ".join(f"{x:.2f}" for x in load_before), " ".join(f"{x:.2f}" for x in load_after)
    print(f"{count} templates, {rounds} rounds per side; load average before {loads[0]}, after {loads[1]}")
    ours, base = results["ours"], results[f"baseline {ref}"]
    for metric in ours[0]:
        o = sorted(count / x[metric] for x in ours)[rounds // 2]
        b = sorted(count / x[metric] for x in base)[rounds // 2]
        print(f"  {metric:<28} ours {o:9,.0f}/s  baseline {b:9,.0f}/s  ratio {o / b:.2f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument(
        "--against", metavar="REF", help="also measure the chaos_pulumi package of this git commit"
    )
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return _worker(args.count)
    if args.against:
        return compare(args.against, args.count, args.rounds)
    t0 = time.perf_counter()
    catalog()
    print(f"catalog load: {(time.perf_counter() - t0) * 1000:.1f} ms (once per process)")
    templates = make_templates(args.count)
    invalid = sum(1 for t in templates if [p for p in validate(t) if p.severity == "error"])
    load = os.getloadavg()[0]
    print(f"{args.count} templates ({invalid} invalid), {args.rounds} rounds, load average {load:.1f}")
    for metric, secs in measure(templates, args.rounds).items():
        best, median = min(secs), sorted(secs)[len(secs) // 2]
        print(
            f"  {metric:<28} median {median * 1000:7.1f} ms per {args.count} "
            f"= {args.count / median:9,.0f} templates/s  ({median / args.count * 1e6:6.1f} µs each; best "
            f"{best * 1000:.1f} ms)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
