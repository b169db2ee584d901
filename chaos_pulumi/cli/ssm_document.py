"""`chaos-pulumi ssm-document FAULT [-o FILE] [--max-duration S]` and `ssm-document --list`.

Prints (or writes) the SSM Command document that runs host fault FAULT through the host-fault
runtime; a summary (name, size, parameters) goes to stderr when writing a file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from chaos_pulumi.fleet.parameters import FIS_MAX_DURATION, MAX_DURATION
from chaos_pulumi.fleet.runtime import RuntimeUnavailable

from .common import EXIT_INVALID, EXIT_OK, Console, UsageError


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("ssm-document", help="the SSM Command document that runs a host fault on EC2 (FIS)")
    s.add_argument("fault", metavar="FAULT", nargs="?", help="a timed host fault, e.g. cpu_stress")
    s.add_argument("--list", action="store_true", help="the faults and their document parameters")
    s.add_argument("--output", "-o", default="-", help="file to write; '-' (default) for stdout")
    s.add_argument(
        "--max-duration",
        type=int,
        default=MAX_DURATION,
        metavar="S",
        help=f"longest duration the document accepts (default {MAX_DURATION}, at most {FIS_MAX_DURATION}); "
        "its timeoutSeconds follows",
    )
    s.set_defaults(run=run)


def run(args: argparse.Namespace, console: Console) -> int:
    from chaos_pulumi.fleet import ssm_document

    try:
        if args.list:
            if args.fault:
                raise UsageError("give either FAULT or --list")
            for name in ssm_document.fault_names():
                doc = ssm_document.build_document(name)
                params = ", ".join(doc.content["parameters"])
                console.out.write(f"{name:18} {doc.name:32} {doc.size:6} bytes  {params}\n")
            return EXIT_OK
        if not args.fault:
            raise UsageError("name a fault (see ssm-document --list)")
        doc = ssm_document.build_document(args.fault, args.max_duration)
    except ValueError as e:
        console.err.write(f"chaos-pulumi: error: {e}\n")
        return EXIT_INVALID
    except RuntimeUnavailable as e:
        console.err.write(f"chaos-pulumi: error: {e}\n")
        return EXIT_INVALID
    if args.output == "-":
        console.out.write(doc.json)
        return EXIT_OK
    Path(args.output).write_text(doc.json, encoding="utf-8")
    summary = {"name": doc.name, "bytes": doc.size, "runtime_sha256": doc.runtime_sha256,
               "parameters": list(doc.content["parameters"]), "output": args.output}
    console.err.write(json.dumps(summary) + "\n")
    return EXIT_OK
