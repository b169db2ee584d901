"""`chaos-pulumi iam-policy PATH [--trust-policy]`: the least-privilege policy for the experiment role."""

from __future__ import annotations

import argparse
import json

from chaos_pulumi.spec.iam import TRUST_POLICY, iam_policy

from .common import EXIT_INVALID, EXIT_OK, Console, UsageError, load_one


def register(sub: argparse._SubParsersAction) -> None:
    i = sub.add_parser("iam-policy", help="least-privilege IAM policy for the experiment role")
    i.add_argument("path", metavar="PATH", nargs="?")
    i.add_argument("--trust-policy", action="store_true", help="print the role's trust policy instead")
    i.set_defaults(run=run)


def run(args: argparse.Namespace, console: Console) -> int:
    if args.trust_policy:
        print(json.dumps(TRUST_POLICY, indent=2), file=console.out)
        return EXIT_OK
    if not args.path:
        raise UsageError("iam-policy needs a template PATH (or --trust-policy)")
    result = load_one(args.path, console)
    if result is None or result.spec is None:
        return EXIT_INVALID
    print(json.dumps(iam_policy(result.spec, console.catalog), indent=2), file=console.out)
    return EXIT_OK
