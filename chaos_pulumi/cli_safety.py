"""``chaos-pulumi targets | stop-all | resume``: the blast radius of templates, and the kill switch.

chaos-pulumi targets PATH... [--format text|json] [--policy FILE|none]   exit 0 ok, 1 refused/invalid
chaos-pulumi stop-all --reason TEXT [--region R ...] [--format json]      exit 0 done, 1 a step failed
chaos-pulumi resume --reason TEXT [--region R ...] [--format json]

Each command is a function with plain arguments (``targets_command``, ``stop_all_command``,
``resume_command``); ``add_commands`` puts them on the ``chaos-pulumi`` parser and ``run`` calls the
chosen one.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from chaos_pulumi.aws.clients import ClientFactory, client_factory
from chaos_pulumi.aws.safety import RegionClients, resume, stop_all
from chaos_pulumi.aws.targets import CapFn, PreflightReport, TargetReport, no_caps, preflight
from chaos_pulumi.spec import has_errors, load_file

COMMANDS = ("targets", "stop-all", "resume")
EXIT_OK, EXIT_FAILED = 0, 1
_SHOWN_ARNS = 5


class PolicyUnavailable(Exception):
    """The guardrail policy asked for cannot be read (no guardrails in this build, or a broken policy)."""


def policy_caps(policy: str | None, start: Path | None = None) -> CapFn:
    """The selection caps of the guardrail policy that applies: ``policy`` (a file, ``none``, or None
    for the project's or the default policy, looked up from ``start``), through the spec layer's
    guardrails (``resolve_policy``, ``selection_cap``). A policy that does not load is an error: a
    broken policy never means "no caps"."""
    try:
        from chaos_pulumi.spec import guardrails  # type: ignore[attr-defined]
    except ImportError:
        if policy in (None, "none"):
            return no_caps
        raise PolicyUnavailable(
            f"--policy {policy}: this build has no guardrail policy (chaos_pulumi.spec.guardrails); "
            "use --policy none, or a build with guardrails"
        ) from None
    choice = guardrails.resolve_policy(policy, start=start, option="--policy")
    if not choice.ok:
        problems = "; ".join(f"{p.path + ': ' if p.path else ''}{p.message}" for p in choice.problems)
        raise PolicyUnavailable(f"the guardrail policy does not load: {problems}")
    return lambda resource_type: guardrails.selection_cap(choice.policy, resource_type)


# ----- targets --------------------------------------------------------------------------------------


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


# ----- stop-all and resume --------------------------------------------------------------------------


def _region_lines(region: str, r: dict[str, Any]) -> list[str]:
    lines = [f"{region}:"]
    lever = r.get("lever")
    if lever:
        after, before = lever["after"], lever["before"]
        change = f"(was {before.get('status')})" if lever["changed"] else "(already)"
        lines.append(f"  safety lever: {after.get('status')} {change}; reason: {after.get('reason', '-')}")
    for e in r.get("experiments") or []:
        lines.append(f"  experiment {e['id']}: {e['before']} -> {e['final']}")
    if r.get("experiments") == []:
        lines.append("  experiments: none in progress")
    for s in r.get("schedules") or []:
        note = f" ({s['note']})" if s.get("note") else ""
        lines.append(f"  schedule {s['group']}/{s['name']}: {s['before']} -> {s['after']}{note}")
    if r.get("schedules") == []:
        lines.append("  schedules: none to change")
    lines.extend(f"  FAILED {e['step']}: {e['error']}" for e in r["errors"])
    return lines


def _print_record(record: dict[str, Any], fmt: str, out: TextIO) -> None:
    if fmt == "json":
        print(json.dumps(record, indent=2), file=out)
        return
    status = "done" if record["ok"] else "INCOMPLETE (see FAILED lines)"
    print(f"{record['action']}: {status}; reason: {record['reason']}", file=out)
    for region, r in record["regions"].items():
        print("\n".join(_region_lines(region, r)), file=out)


def stop_all_command(
    reason: str,
    regions: Sequence[str],
    *,
    out: TextIO,
    fmt: str = "text",
    clients_for: RegionClients | None = None,
    wait_s: float = 60.0,
) -> int:
    """Engage the lever, stop every run, pause every chaos schedule, in each region; print the record."""
    record = stop_all(regions, reason, clients_for or (lambda r: client_factory(region=r)), wait_s)
    _print_record(record, fmt, out)
    return EXIT_OK if record["ok"] else EXIT_FAILED


def resume_command(
    reason: str,
    regions: Sequence[str],
    *,
    out: TextIO,
    fmt: str = "text",
    clients_for: RegionClients | None = None,
    wait_s: float = 60.0,
) -> int:
    """Disengage the lever and enable again what stop-all paused, in each region; print the record."""
    record = resume(regions, reason, clients_for or (lambda r: client_factory(region=r)), wait_s)
    _print_record(record, fmt, out)
    return EXIT_OK if record["ok"] else EXIT_FAILED


# ----- parser ---------------------------------------------------------------------------------------


def add_commands(sub: Any) -> None:
    """Add ``targets``, ``stop-all`` and ``resume`` to the ``chaos-pulumi`` subcommand parsers."""
    t = sub.add_parser("targets", help="what each target would hit in the account (blast-radius preflight)")
    t.add_argument("paths", nargs="+", metavar="PATH", help="template files or directories of them")
    t.add_argument("--format", choices=("text", "json"), default="text")
    t.add_argument("--policy", metavar="FILE", help="guardrail policy for the caps ('none' for no caps)")
    t.add_argument("--region", default=None)
    t.add_argument("--profile", default=None)
    for name, text in (
        ("stop-all", "kill switch: engage the FIS safety lever, stop every run, pause chaos schedules"),
        ("resume", "disengage the FIS safety lever and enable again what stop-all paused"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--reason", required=True, help="why; recorded on the safety lever")
        p.add_argument(
            "--region",
            action="append",
            dest="regions",
            metavar="REGION",
            help="a region to act in (repeat for several; default: the environment's)",
        )
        p.add_argument("--format", choices=("text", "json"), default="text")
        p.add_argument(
            "--wait",
            type=float,
            default=60.0,
            metavar="SECONDS",
            help="how long to wait for the lever and for runs to end (default 60)",
        )


def _default_regions() -> list[str]:
    from chaos_pulumi.aws import aws_session

    region = aws_session().region_name
    if not region:
        raise ValueError("no region: give --region REGION or set AWS_REGION")
    return [region]


def run(
    args: argparse.Namespace, out: TextIO, err: TextIO, expand: Callable[[Sequence[str]], list[Path]]
) -> int:
    """Run the command ``args`` names (one of ``COMMANDS``); ``expand`` turns PATHs into files.
    Raises ``ValueError`` or ``PolicyUnavailable`` for usage errors."""
    if args.command == "targets":
        files = expand(args.paths)
        return targets_command(
            files,
            out=out,
            err=err,
            fmt=args.format,
            cap_fn=policy_caps(args.policy, start=files[0] if files else None),
            clients=client_factory(region=args.region, profile=args.profile),
        )
    regions = args.regions or _default_regions()
    command = stop_all_command if args.command == "stop-all" else resume_command
    return command(args.reason, regions, out=out, fmt=args.format, wait_s=args.wait)


__all__ = [
    "COMMANDS",
    "PolicyUnavailable",
    "add_commands",
    "policy_caps",
    "resume_command",
    "run",
    "stop_all_command",
    "targets_command",
]
