"""`chaos-pulumi iam-policy PATH` / `iam-policy --trust-policy (--account ID | --role-arn ARN | PATH)`:
the experiment role's least-privilege policy, or its trust policy.

The trust policy is ``spec.iam.trust_policy``, the one ``ExperimentRole`` creates and the guardrails'
``role_trust`` rule accepts: FIS only for experiments of one account (and Region), so it needs the
account: ``--account``, or the account of ``--role-arn``, or of the template's ``roleArn``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from chaos_pulumi.spec.iam import iam_policy, trust_policy, trust_policy_for_role

from .common import EXIT_INVALID, EXIT_OK, Console, UsageError, load_one


def register(sub: argparse._SubParsersAction) -> None:
    i = sub.add_parser("iam-policy", help="least-privilege IAM policy for the experiment role")
    i.add_argument("path", metavar="PATH", nargs="?")
    i.add_argument(
        "--trust-policy",
        action="store_true",
        help="print the role's trust policy instead (FIS only for one account's experiments)",
    )
    i.add_argument("--account", metavar="ID", help="the account of the trust policy (12 digits)")
    i.add_argument("--role-arn", metavar="ARN", help="the role: the trust policy's account and partition")
    i.add_argument(
        "--region", default="*", help="the Region whose experiments may use the role (default: any, '*')"
    )
    i.set_defaults(run=run)


def _trust_policy(args: argparse.Namespace, console: Console) -> dict[str, Any] | None:
    """The trust policy for the account the options or the template name; None: the file is invalid."""
    if args.account:
        if not (args.account.isdigit() and len(args.account) == 12):
            raise UsageError(f"--account {args.account!r}: an AWS account id is 12 digits")
        return trust_policy(args.account, args.region)
    if args.role_arn:
        try:
            return trust_policy_for_role(args.role_arn, args.region)
        except ValueError as e:
            raise UsageError(f"--role-arn: {e}") from None
    if not args.path:
        raise UsageError(
            "iam-policy --trust-policy needs the account FIS may act for: --account ID, --role-arn ARN, "
            "or a template PATH (its roleArn)"
        )
    result = load_one(args.path, console)
    if result is None or result.spec is None:
        return None
    try:
        return trust_policy_for_role(result.spec.role_arn, args.region)
    except ValueError as e:
        raise UsageError(f"{args.path}: roleArn: {e}; give --account or --role-arn") from None


def run(args: argparse.Namespace, console: Console) -> int:
    if args.trust_policy:
        document = _trust_policy(args, console)
        if document is None:
            return EXIT_INVALID
        print(json.dumps(document, indent=2), file=console.out)
        return EXIT_OK
    if not args.path:
        raise UsageError("iam-policy needs a template PATH (or --trust-policy)")
    result = load_one(args.path, console)
    if result is None or result.spec is None:
        return EXIT_INVALID
    print(json.dumps(iam_policy(result.spec, console.catalog), indent=2), file=console.out)
    return EXIT_OK
