"""`chaos-pulumi explain PATH`: a Markdown review of a template for a pull request."""

from __future__ import annotations

import argparse

from chaos_pulumi.spec.explain import explain

from .common import EXIT_INVALID, EXIT_OK, Console, load_one


def register(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser("explain", help="Markdown review of a template for a pull request")
    e.add_argument("path", metavar="PATH")
    e.set_defaults(run=run)


def run(args: argparse.Namespace, console: Console) -> int:
    result = load_one(args.path, console)
    if result is None or result.spec is None:
        return EXIT_INVALID
    console.out.write(explain(result.spec, result.problems, console.catalog))
    return EXIT_OK
