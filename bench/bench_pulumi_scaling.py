"""Pulumi scaling: `pulumi up`, no-change `pulumi preview` and `pulumi destroy` of stacks of 10, 50 and 200
ExperimentTemplates, against stacks of the same number of `chaos_pulumi.noop.NoopResource`s.

The no-op stack is the engine's floor: the same dynamic-provider machinery (Python language host,
provider plugin, gRPC, state writes) with a provider that does nothing. The difference is what our
provider adds: validation in `check`, canonicalisation in `diff`, and one FIS round trip per create
or delete (to the moto server on loopback, through a counting proxy).

Figures per size, `median [min–max]` over rounds (each round: up, no-change preview, preview
--refresh, destroy of a fresh stack, ours and the floor alternating):

- seconds per operation, ours vs floor, and the ratio;
- per-resource overhead: (ours − floor) / N per round, in milliseconds;
- FIS API calls per operation (reads / writes), from the proxy: a no-change preview should make
  none, `preview --refresh` reads only, and `up` one create per template (a write is read back from
  its own response, see chaos_pulumi/aws/templates.py).

Everything runs through the real Pulumi CLI via `tests/harness/pulumi.py`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.common import BenchSkipped, Context, Row, Stats
from tests.harness.proxy import CountingProxy

FLOOR = "no-op resources"
OPERATIONS = ("up", "preview (no change)", "preview --refresh", "destroy")

PROGRAM = '''\
import pulumi

N = {count}
KIND = "{kind}"
SHAPE = {{
    "description": "bench: scaling",
    "roleArn": "arn:aws:iam::123456789012:role/chaos-bench",
    "stopConditions": [{{"source": "none"}}],
    "actions": {{"wait": {{"actionId": "aws:fis:wait", "parameters": {{"duration": "PT1M"}}}}}},
    "tags": {{"purpose": "chaos-bench"}},
}}

if KIND == "noop":
    from chaos_pulumi.noop import NoopResource

    for i in range(N):
        NoopResource(f"r{{i}}", value=dict(SHAPE, description=f"bench: scaling {{i}}"))
else:
    from chaos_pulumi import Action, ExperimentTemplate, StopCondition

    for i in range(N):
        ExperimentTemplate(
            f"r{{i}}",
            description=f"bench: scaling {{i}}",
            role_arn=SHAPE["roleArn"],
            stop_conditions=[StopCondition(source="none")],
            actions={{"wait": Action(action_id="aws:fis:wait", parameters={{"duration": "PT1M"}})}},
            tags=SHAPE["tags"],
        )
'''


def _harness() -> Any:
    try:
        from tests.harness import pulumi as harness
    except ImportError as e:
        raise BenchSkipped(f"the Pulumi harness (tests/harness/pulumi.py) is not there yet: {e}") from e
    cli, why = harness.find_pulumi_cli()
    if cli is None:
        raise BenchSkipped(why)
    return harness, cli


def _one_round(ctx: Context, harness: Any, cli: Any, proxy: CountingProxy, kind: str, count: int,
               work: Path) -> tuple[dict[str, float], dict[str, dict[str, int]]]:
    """A fresh stack: up, no-change preview, preview --refresh, destroy. Returns (seconds, FIS calls)."""
    aws_env = dict(ctx.moto().env, AWS_ENDPOINT_URL=proxy.url)
    penv = harness.PulumiEnv.create(cli, work / "pulumi", extra_env=aws_env)
    factory = harness.StackFactory(penv, work)
    stack = factory.inline(PROGRAM.format(count=count, kind=kind), name=f"bench-{kind}")
    seconds: dict[str, float] = {}
    calls: dict[str, dict[str, int]] = {}
    steps = (
        ("up", lambda: stack.up()),
        ("preview (no change)", lambda: stack.preview()),
        ("preview --refresh", lambda: stack.preview("--refresh")),
        ("destroy", lambda: stack.destroy()),
    )
    for op, fn in steps:
        before = proxy.snapshot()
        t0 = time.perf_counter()
        result = fn()
        seconds[op] = time.perf_counter() - t0
        calls[op] = CountingProxy.diff(proxy.snapshot(), before)
        if op == "preview (no change)" and result.changes:
            raise RuntimeError(f"{kind} x{count}: a no-change preview shows changes {result.changes}")
    return seconds, calls


def collect(ctx: Context) -> list[Row]:
    harness, cli = _harness()
    sizes = (5,) if ctx.quick else (10, 50, 200)
    proxy = CountingProxy(ctx.moto().url)
    rows: list[Row] = []
    call_table: dict[str, dict[str, dict[str, int]]] = {}
    try:
        for count in sizes:
            # 200 resources is the headline figure (pulumi up vs the floor): more rounds, it is noisy.
            rounds = ctx.rounds_for(full=min(ctx.rounds, 3 if count < 200 else 4), quick=1)
            ctx.log(f"pulumi: {count} resources, {rounds} rounds")
            secs: dict[str, dict[str, list[float]]] = {"ours": {}, "noop": {}}
            for r in range(rounds):
                order = ("ours", "noop") if r % 2 == 0 else ("noop", "ours")
                for kind in order:
                    ctx.log(f"pulumi: {count} {kind} resources, round {r + 1}/{rounds}")
                    work = ctx.scratch(f"pulumi-{kind}-{count}-{r}")
                    seconds, calls = _one_round(ctx, harness, cli, proxy, kind, count, work)
                    for op, s in seconds.items():
                        secs[kind].setdefault(op, []).append(s)
                    if kind == "ours":
                        call_table[f"{count}"] = calls
            case = f"{count} resources"
            for op in OPERATIONS:
                ours, floor = secs["ours"][op], secs["noop"][op]
                rows.append(Row(case, f"pulumi {op}", "s", Stats.of(ours), Stats.of(floor), FLOOR))
                per_resource = [(o - f) / count * 1000 for o, f in zip(ours, floor, strict=True)]
                rows.append(Row(case, f"{op}: overhead per resource over the floor", "ms",
                                Stats.of(per_resource)))
            for op in OPERATIONS:
                c = call_table[f"{count}"][op]
                detail = ", ".join(f"{k} ×{v}" for k, v in sorted(c.items())) or "none"
                reads, writes = CountingProxy.reads(c), CountingProxy.writes(c)
                rows.append(Row(case, f"FIS read calls in {op}", "calls", Stats.of([reads])))
                rows.append(Row(case, f"FIS write calls in {op}", "calls", Stats.of([writes]),
                                note=f"all FIS calls: {detail}"))
    finally:
        proxy.close()
    ctx.extra["fis_calls"] = call_table
    return rows


if __name__ == "__main__":
    raise SystemExit("run it through the suite: .venv/bin/python bench/run.py --only pulumi")
