"""One SSM Command document per timed host fault: schema 2.2, `aws:runShellScript`, Linux only.

The SSM agent writes `runCommand` (joined by newlines) to `_script.sh` and runs `sh -c <that path>`
in a process group of its own; on cancel or timeout it SIGKILLs that group. Our script is two shell
lines: `command -v python3` (a clear message when there is none), then `exec python3 -I -c LOADER
"$0"`. `exec` replaces the shell, so the shell never reads further: everything below (the entry code,
the runtime zipapp in base64, and the parameter lines SSM substitutes values into) is data that Python
reads from the script file. A parameter value, even one that skipped its allowedPattern, is never
shell text.

The command then is the runtime's `inject FAULT ... --wait`: it blocks for the fault's life (so the
command's status is the fault's), exits 3 when the guard reverted it early, and when the agent kills
it the fault's watchdog (its own session, untouched) reverts at once.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import runtime
from .parameters import FIS_MAX_DURATION, MAX_DURATION, DocumentParameter, document_parameters

DOCUMENT_PREFIX = "ChaosFaults-"
# "The content of the document must not exceed 64KB. This quota also includes the content specified
# for input parameters at runtime." (SSM API reference, CreateDocument, Content)
MAX_DOCUMENT_BYTES = 64 * 1024
PARAMETER_RESERVE = 4096  # room kept for the values SendCommand adds at run time
TIMEOUT_MARGIN_S = 120  # start-up, the guard's first check and the revert, beyond the longest duration
PAYLOAD_LINE = 1000
ENTRY_SOURCE = Path(__file__).with_name("host_entry.py")
_LOADER = (
    r'import sys;p=sys.argv[1];d=open(p,"rb").read();'
    r'exec(compile(d[d.index(b"\n#=BOOT\n")+8:d.index(b"\n#=END\n")],p,"exec"))'
)
_NEEDS_PYTHON = (
    'command -v python3 >/dev/null 2>&1 || '
    '{ echo "chaos-faults: this document needs python3 (3.7 or later) on the instance" >&2; exit 127; }'
)


@dataclass(frozen=True)
class FaultDocument:
    """A generated document and what a reviewer wants to know about it."""

    fault: str
    name: str  # the default document name
    content: dict[str, Any]
    parameters: list[DocumentParameter] = field(repr=False)
    runtime_sha256: str = ""
    runtime_bytes: int = 0

    @property
    def json(self) -> str:
        return json.dumps(self.content, indent=1) + "\n"

    @property
    def size(self) -> int:
        return len(self.json.encode())

    def option_of(self, parameter: str) -> str:
        return next(p.option for p in self.parameters if p.name == parameter)


def document_name(fault: str) -> str:
    return DOCUMENT_PREFIX + fault


def script_lines(fault: str, pyz: bytes, params: list[DocumentParameter]) -> list[str]:
    """The `runCommand` lines: two shell lines, then data for Python (see the module docstring)."""
    if "'" in _LOADER:
        raise AssertionError("the loader sits in single quotes")
    entry = ENTRY_SOURCE.read_text(encoding="utf-8").rstrip("\n").split("\n")
    if any(line.startswith("#=") for line in entry):
        raise AssertionError("host_entry.py must not hold marker lines")
    encoded = base64.b64encode(pyz).decode()
    digest = hashlib.sha256(pyz).hexdigest()
    return [
        f"# chaos-faults {fault}: the shell runs the next two lines; Python reads the rest of this file.",
        _NEEDS_PYTHON,
        f"exec python3 -I -c '{_LOADER}' \"$0\"",
        "#=BOOT",
        *entry,
        "#=END",
        f"#=PAYLOAD {fault} {digest}",
        *(encoded[i:i + PAYLOAD_LINE] for i in range(0, len(encoded), PAYLOAD_LINE)),
        f"#=PARAMS {len(params)}",
        *(p.line for p in params),
    ]


def build_document(fault: str, max_duration: int = MAX_DURATION) -> FaultDocument:
    """The SSM document of timed fault `fault`; ValueError names what is wrong."""
    specs = runtime.fault_specs()
    if fault not in specs:
        raise ValueError(f"{fault!r} is not a timed host fault; choose one of {', '.join(specs)}")
    if not 1 <= max_duration <= FIS_MAX_DURATION:
        raise ValueError(
            f"max_duration: must be within 1-{FIS_MAX_DURATION} seconds (FIS's PT12H), got {max_duration}"
        )
    params = document_parameters(fault, specs[fault], max_duration)
    pyz = runtime.zipapp((fault,))
    digest = hashlib.sha256(pyz).hexdigest()
    content = {
        "schemaVersion": "2.2",
        "description": (
            f"chaos-faults {fault} (runtime {digest[:12]}): injects the fault for `duration` seconds and "
            "reverts it then, when the stopOnUrl guard fails (exit 3), or at once when the command is "
            "cancelled or times out. Needs python3 3.7+."
        ),
        "parameters": {p.name: p.declaration for p in params},
        "mainSteps": [
            {
                "action": "aws:runShellScript",
                "name": "chaosFault",
                "precondition": {"StringEquals": ["platformType", "Linux"]},
                "inputs": {
                    "timeoutSeconds": max_duration + TIMEOUT_MARGIN_S,
                    "runCommand": script_lines(fault, pyz, params),
                },
            }
        ],
    }
    doc = FaultDocument(fault, document_name(fault), content, params, digest, len(pyz))
    if doc.size > MAX_DOCUMENT_BYTES - PARAMETER_RESERVE:
        raise ValueError(
            f"{fault}: the document is {doc.size} bytes; SSM takes {MAX_DOCUMENT_BYTES} including the "
            f"parameter values ({PARAMETER_RESERVE} kept for them)"
        )
    return doc


def fault_names() -> list[str]:
    return list(runtime.fault_specs())
