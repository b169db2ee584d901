#!/usr/bin/env python3
"""`pulumi up` and a no-change `pulumi preview` of 50 ExperimentTemplates vs 50 no-op dynamic resources.

    .venv/bin/python bench/bench_pulumi.py                 # 50 resources, 1 round
    .venv/bin/python bench/bench_pulumi.py --count 50 --rounds 3

The no-op stack (`chaos_pulumi.noop.NoopResource`) is the engine's own floor: the same Python language
host, dynamic-provider plugin, gRPC and state writes, with a provider that does nothing. The
ExperimentTemplate stack adds validation in `check`, canonical diffs, and FIS calls to a local moto
server. Both run side by side through the real Pulumi CLI (file backend in a temp dir); the script
prints both times and their ratio, and the FIS calls the no-change preview made (should be none).
It never asserts on time. (bench/bench_pulumi_scaling.py covers more sizes inside `bench/run.py`.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chaos_pulumi.local import moto_server_process  # noqa: E402
from tests.harness import pulumi as harness  # noqa: E402

PROGRAM = """\
import pulumi

KIND, N = {kind!r}, {count}
if KIND == "noop":
    from chaos_pulumi.noop import NoopResource

    for i in range(N):
        NoopResource(f"r{{i}}", value={{"description": f"bench {{i}}", "duration": "PT1M"}})
else:
    from chaos_pulumi import Action, ExperimentTemplate, StopCondition

    for i in range(N):
        ExperimentTemplate(
            f"r{{i}}",
            description=f"bench {{i}}",
            role_arn="arn:aws:iam::123456789012:role/chaos-bench",
            actions={{"wait": Action(action_id="aws:fis:wait", parameters={{"duration": "PT1M"}})}},
            stop_conditions=[StopCondition(source="none")],
        )
"""


def one_round(cli: harness.PulumiCLI, moto, kind: str, count: int, work: Path) -> dict[str, float]:
    penv = harness.PulumiEnv.create(cli, work / "pulumi", extra_env=moto.env)
    program = PROGRAM.format(kind=kind, count=count)
    stack = harness.StackFactory(penv, work).inline(program, name=f"bench-{kind}")
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    stack.up()
    times["up"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    preview = stack.preview()
    times["preview (no change)"] = time.perf_counter() - t0
    if preview.changes:
        raise SystemExit(f"{kind}: the no-change preview shows changes: {preview.changes}")
    stack.destroy()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    cli, why = harness.find_pulumi_cli()
    if cli is None:
        print(f"bench_pulumi: {why}", file=sys.stderr)
        return 1
    samples: dict[str, dict[str, list[float]]] = {"templates": {}, "noop": {}}
    with tempfile.TemporaryDirectory(prefix="chaos-bench-pulumi.") as tmp:
        with moto_server_process(Path(tmp) / "moto.log") as moto:
            for r in range(args.rounds):
                for kind in ("templates", "noop") if r % 2 == 0 else ("noop", "templates"):
                    work = Path(tmp) / f"{kind}-{r}"
                    work.mkdir()
                    for op, seconds in one_round(cli, moto, kind, args.count, work).items():
                        samples[kind].setdefault(op, []).append(seconds)
                    print(f"  round {r + 1}: {kind} done", file=sys.stderr)
    print(f"\n{args.count} resources, {args.rounds} round(s), load average {os.getloadavg()[0]:.1f}")
    print(f"{'operation':<22}{'ExperimentTemplate':>20}{'no-op floor':>14}{'ratio':>8}")
    for op in ("up", "preview (no change)"):
        ours = statistics.median(samples["templates"][op])
        floor = statistics.median(samples["noop"][op])
        print(f"{op:<22}{ours:>19.2f}s{floor:>13.2f}s{ours / floor:>7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
