"""`chaos-pulumi stop-all | resume --reason TEXT [--region R ...] [--format json]`: the kill switch.

stop-all engages the FIS safety lever, stops every run and pauses every chaos schedule, in each region;
resume disengages the lever and enables again what stop-all paused. Exit 0 done, 1 a step failed.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from chaos_pulumi.aws.clients import client_factory
from chaos_pulumi.aws.safety import RegionClients, resume, stop_all

from .common import Console, UsageError

EXIT_OK, EXIT_FAILED = 0, 1


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


def _switch(action: Callable[..., dict[str, Any]]) -> Callable[..., int]:
    """A command from a kill-switch action (stop_all or resume): run it per region, print the record."""

    def command(
        reason: str,
        regions: Sequence[str],
        *,
        out: TextIO,
        fmt: str = "text",
        clients_for: RegionClients | None = None,
        wait_s: float = 60.0,
    ) -> int:
        record = action(regions, reason, clients_for or (lambda r: client_factory(region=r)), wait_s)
        _print_record(record, fmt, out)
        return EXIT_OK if record["ok"] else EXIT_FAILED

    command.__doc__ = action.__doc__
    return command


# Engage the lever, stop every run, pause every chaos schedule, in each region.
stop_all_command = _switch(stop_all)
# Disengage the lever and enable again what stop-all paused, in each region.
resume_command = _switch(resume)


def register(sub: argparse._SubParsersAction) -> None:
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
        p.set_defaults(run=run)


def _default_regions() -> list[str]:
    from chaos_pulumi.aws import aws_session

    region = aws_session().region_name
    if not region:
        raise UsageError("no region: give --region REGION or set AWS_REGION")
    return [region]


def run(args: argparse.Namespace, console: Console) -> int:
    regions = args.regions or _default_regions()
    command = stop_all_command if args.command == "stop-all" else resume_command
    try:
        return command(args.reason, regions, out=console.out, fmt=args.format, wait_s=args.wait)
    except ValueError as e:  # a blank reason: a usage error, not a traceback
        raise UsageError(str(e)) from None
