"""`chaos-pulumi explain PATH [--policy FILE|none]`: a Markdown review of a template for a pull request."""

from __future__ import annotations

import argparse
from pathlib import Path

from chaos_pulumi.spec.explain import explain

from . import policy
from .common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, Console, load_one


def register(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser("explain", help="Markdown review of a template for a pull request")
    e.add_argument("path", metavar="PATH")
    policy.add_policy_options(e)
    e.set_defaults(run=run)


def run(args: argparse.Namespace, console: Console) -> int:
    guard = policy.PolicyResolver(args.policy, args.role_trust_policy)
    choice = guard.choice(Path(args.path))
    if not choice.ok:
        policy.print_policy_problems(choice, console.err)
        return EXIT_USAGE
    result = load_one(args.path, console)
    if result is None or result.spec is None:
        return EXIT_INVALID
    evaluation = policy.check(result.spec, choice, guard)
    console.out.write(explain(result.spec, result.problems, console.catalog, guardrails=evaluation))
    return EXIT_OK
