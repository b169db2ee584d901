"""Validator vs the validation a user gets anyway: botocore's client-side parameter check.

Without our validator, the only check before a template reaches FIS is boto3's: botocore validates
a CreateExperimentTemplate request against the service model (types, required members, lengths).
Both run over the same templates as the `validator` benchmark (`bench_validator.make_templates`:
AWS's public example shapes, one in ten broken on purpose: a misspelt action id, a duration that is
not ISO-8601, a `startAfter` naming an action that does not exist).

Figures: templates per second for each (same process, same templates, rounds interleaved), and how
many of the broken templates each one catches.
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import Context, Row, Stats


def collect(ctx: Context) -> list[Row]:
    import botocore.session
    from botocore.validate import ParamValidator

    from bench.bench_validator import make_templates
    from chaos_pulumi.spec import has_errors, validate

    count = 200 if ctx.quick else 1000
    templates = make_templates(count)
    requests = [dict(t, clientToken=f"bench-{i}") for i, t in enumerate(templates)]
    shape = botocore.session.get_session().get_service_model("fis").operation_model(
        "CreateExperimentTemplate").input_shape
    checker = ParamValidator()

    def ours() -> int:
        return sum(1 for t in templates if has_errors(validate(t)))

    def botocore_check() -> int:
        return sum(1 for r in requests if checker.validate(r, shape).has_errors())

    ours(), botocore_check()  # warm: the catalog and the service model load once per process
    rates: dict[str, list[float]] = {"ours": [], "botocore": []}
    caught: dict[str, int] = {}
    runners: list[tuple[str, Any]] = [("ours", ours), ("botocore", botocore_check)]
    for r in range(ctx.rounds_for(quick=2)):
        for name, fn in runners if r % 2 == 0 else runners[::-1]:
            t0 = time.perf_counter()
            caught[name] = fn()
            rates[name].append(count / (time.perf_counter() - t0))
    broken = sum(1 for i in range(count) if i % 10 == 9)
    case = f"{count} templates ({broken} broken)"
    return [
        Row(case, "validated per second", "templates/s", Stats.of(rates["ours"]), Stats.of(rates["botocore"]),
            "botocore ParamValidator", better="higher",
            note="botocore checks types and required members only; ours also the FIS catalog and references"),
        Row(case, "broken templates caught", "templates", Stats.of([caught["ours"]]),
            Stats.of([caught["botocore"]]), "botocore ParamValidator", better="higher"),
    ]


if __name__ == "__main__":
    raise SystemExit("run it through the suite: .venv/bin/python bench/run.py --only validator_vs_botocore")
