"""`chaos-pulumi targets PATH... [--format text|json] [--policy FILE|none]`: the blast radius of templates.

Resolves every target against the account the environment points at and shows, per target, what it
matches, how many the selection takes, and the guardrail policy's cap. Exit 0 ok, 1 refused or invalid.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from chaos_pulumi.aws.caps import PolicyUnavailable, policy_caps
from chaos_pulumi.aws.clients import ClientFactory, client_factory
from chaos_pulumi.aws.targets import CapFn, PreflightReport, TargetReport, no_caps, preflight
from chaos_pulumi.spec import has_errors, load_file

from .common import Console, UsageError, expand

EXIT_OK, EXIT_FAILED = 0, 1
_SHOWN_ARNS = 5


def _target_lines(t: TargetReport) -> list[str]:
    lines = [f"  {t.name}  {t.resource_type}  {t.selection_mode}  by {t.selected_by}  ({t.resolution})"]
    if t.resolution != "unresolved":
        lines.append(f"    matching {len(t.matching)}:" + ("" if t.matching else " none"))
        lines.extend(f"      {arn}" for arn in t.matching[:_SHOWN_ARNS])
        if len(t.matching) > _SHOWN_ARNS:
            lines.append(f"      ... and {len(t.matching) - _SHOWN_ARNS} more (--format json lists all)")
    verdict = "REFUSED" if t.refusal else "ok"
    lines.append(f"    {t.summary()}; cap: {t.cap_text()}; {verdict}")
    lines.extend(f"    note: {n}" for n in t.notes)
    return lines


def _report_text(report: PreflightReport) -> list[str]:
    where = f"account {report.account}, {report.region}" if report.account else (report.region or "")
    lines = [f"{report.source}: {where}".rstrip(": ")]
    for t in report.targets:
        lines.extend(_target_lines(t))
    lines.extend(f"  REFUSED: {r}" for r in report.refusals)
    return lines


def targets_command(
    files: Sequence[Path],
    *,
    out: TextIO,
    err: TextIO,
    fmt: str = "text",
    cap_fn: CapFn = no_caps,
    clients: ClientFactory | None = None,
) -> int:
    """Resolve every target of every template against the account the environment points at."""
    clients = clients or client_factory()
    docs: list[dict[str, Any]] = []
    failed = False
    for path in files:
        loaded = load_file(path)
        if loaded.spec is None or has_errors(loaded.problems):
            failed = True
            problems = [p for p in loaded.problems if p.severity == "error"]
            docs.append({"file": str(path), "valid": False, "problems": [p.to_dict() for p in problems]})
            if fmt == "text":
                print(f"{path}: INVALID; fix these first (chaos-pulumi validate {path}):", file=err)
                for p in problems:
                    print(f"  {p.path or '(file)'}: {p.message}", file=err)
            continue
        report = preflight(loaded.spec, clients, cap_fn, source=str(path))
        failed = failed or report.refused
        docs.append({"file": str(path), "valid": True, **report.to_dict()})
        if fmt == "text":
            print("\n".join(_report_text(report)), file=out)
    if fmt == "json":
        print(json.dumps(docs, indent=2), file=out)
    return EXIT_FAILED if failed else EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    t = sub.add_parser("targets", help="what each target would hit in the account (blast-radius preflight)")
    t.add_argument("paths", nargs="+", metavar="PATH", help="template files or directories of them")
    t.add_argument("--format", choices=("text", "json"), default="text")
    t.add_argument("--policy", metavar="FILE", help="guardrail policy for the caps ('none' for no caps)")
    t.add_argument("--region", default=None)
    t.add_argument("--profile", default=None)
    t.set_defaults(run=run)


def run(args: argparse.Namespace, console: Console) -> int:
    files = expand(args.paths)
    try:
        cap_fn = policy_caps(args.policy, start=files[0] if files else None)
    except PolicyUnavailable as e:
        raise UsageError(str(e)) from None
    return targets_command(
        files,
        out=console.out,
        err=console.err,
        fmt=args.format,
        cap_fn=cap_fn,
        clients=client_factory(region=args.region, profile=args.profile),
    )
