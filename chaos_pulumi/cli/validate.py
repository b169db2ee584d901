"""`chaos-pulumi validate PATH... [--format text|json] [--strict]`: every problem, with its path."""

from __future__ import annotations

import argparse
import json

from .common import EXIT_INVALID, EXIT_OK, Console, counts, display, expand, is_valid, print_problems


def register(sub: argparse._SubParsersAction) -> None:
    v = sub.add_parser("validate", help="check templates; exit 0 valid, 1 errors, 2 usage")
    v.add_argument(
        "paths", nargs="+", metavar="PATH", help="template files or directories of them ('-' for stdin)"
    )
    v.add_argument("--format", choices=("text", "json"), default="text")
    v.add_argument("--strict", action="store_true", help="warnings fail too (exit 1), e.g. for CI")
    v.set_defaults(run=run)


def run(args: argparse.Namespace, console: Console) -> int:
    results = [(display(f), console.load(f)) for f in expand(args.paths)]
    out = console.out
    if args.format == "json":
        doc = [
            {"file": name, "valid": is_valid(r), "problems": [p.to_dict() for p in r.problems]}
            for name, r in results
        ]
        print(json.dumps(doc, indent=2), file=out)
    else:
        for name, r in results:
            status = "valid" if is_valid(r) else "INVALID"
            found = counts(r.problems)
            print(f"{name}: {status}" + (f" ({found})" if found else ""), file=out)
            print_problems(r.problems, out)
        bad = sum(1 for _, r in results if not is_valid(r))
        print(f"{len(results) - bad} of {len(results)} valid", file=out)
    failed = any(not is_valid(r) for _, r in results)
    if args.strict and any(r.problems for _, r in results):
        failed = True
    return EXIT_INVALID if failed else EXIT_OK
