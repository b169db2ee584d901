"""`chaos-pulumi validate PATH... [--format text|json] [--strict] [--policy FILE|none]`: every problem,
with its path, and the guardrail policy's verdict."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from . import policy
from .common import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    Console,
    counts,
    display,
    expand,
    is_valid,
    print_problems,
)


def register(sub: argparse._SubParsersAction) -> None:
    v = sub.add_parser("validate", help="check templates; exit 0 valid, 1 errors, 2 usage")
    v.add_argument(
        "paths", nargs="+", metavar="PATH", help="template files or directories of them ('-' for stdin)"
    )
    v.add_argument("--format", choices=("text", "json"), default="text")
    v.add_argument("--strict", action="store_true", help="warnings fail too (exit 1), e.g. for CI")
    policy.add_policy_options(v)
    v.set_defaults(run=run)


def run(args: argparse.Namespace, console: Console) -> int:
    files = expand(args.paths)
    guard = policy.PolicyResolver(args.policy, args.role_trust_policy)
    choices = {f: guard.choice(Path(f)) for f in files}
    if guard.broken():  # fail closed: a policy that does not load checks nothing
        for choice in guard.broken():
            policy.print_policy_problems(choice, console.out)
        return EXIT_USAGE
    results = [(f, console.load(f)) for f in files]
    evaluations = {}
    for f, r in results:
        if is_valid(r):
            evaluations[f] = policy.check(r.spec, choices[f], guard)
            r.problems = [*r.problems, *evaluations[f].problems]
    out = console.out
    if args.format == "json":
        doc = []
        for f, r in results:
            entry: dict[str, Any] = {
                "file": display(f),
                "valid": is_valid(r),
                "problems": [p.to_dict() for p in r.problems],
            }
            waivers = policy.waivers_json(evaluations[f]) if f in evaluations else []
            if waivers:
                entry["waivers"] = waivers
            doc.append(entry)
        print(json.dumps(doc, indent=2), file=out)
    else:
        print(policy.policy_line(list(choices.values())), file=out)
        for f, r in results:
            status = "valid" if is_valid(r) else "INVALID"
            found = counts(r.problems)
            print(f"{display(f)}: {status}" + (f" ({found})" if found else ""), file=out)
            print_problems(r.problems, out)
            for line in policy.waiver_lines(evaluations[f]) if f in evaluations else ():
                print(line, file=out)
        bad = sum(1 for _, r in results if not is_valid(r))
        print(f"{len(results) - bad} of {len(results)} valid", file=out)
    failed = any(not is_valid(r) for _, r in results)
    if args.strict and any(r.problems for _, r in results):
        failed = True
    return EXIT_INVALID if failed else EXIT_OK
