"""The command registry and the entry point: parse, pick the command, map errors to exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import BinaryIO, TextIO

from chaos_pulumi import __version__
from chaos_pulumi.spec.catalog import CATALOG_ENV

from . import (
    catalog,
    explain,
    iam_policy,
    killswitch,
    policy,
    scenario,
    ssm_document,
    ssm_template,
    targets,
    validate,
)
from .common import EXIT_USAGE, Console, UsageError

# Each module has register(subparsers), which adds its parser(s) and sets `run` on each. In help order.
COMMANDS: tuple[ModuleType, ...] = (
    validate,
    explain,
    iam_policy,
    catalog,
    scenario,
    targets,
    killswitch,
    policy,
    ssm_document,
    ssm_template,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chaos-pulumi", description="Review AWS FIS experiment templates before they are applied."
    )
    parser.add_argument("--version", action="version", version=f"chaos-pulumi {__version__}")
    parser.add_argument(
        "--catalog",
        metavar="FILE",
        help=f"FIS catalog to check against (default: ${CATALOG_ENV}, else the packaged one)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(
    argv: Sequence[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    stdin: BinaryIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: --help/--version exit 0, usage errors exit 2
        return int(e.code or 0)
    try:
        if args.catalog and not Path(args.catalog).is_file():
            raise UsageError(f"--catalog {args.catalog}: no such file")
        return int(args.run(args, Console(out, err, stdin, args.catalog)))
    except UsageError as e:
        print(f"chaos-pulumi: error: {e}", file=err)
        return EXIT_USAGE
    except BrokenPipeError:
        # `chaos-pulumi ... | head`: the reader went away; stop quietly like other CLI tools.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
