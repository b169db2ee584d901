"""Run an SSM Command document's `aws:runShellScript` step the way SSM and its agent run it.

What each part does, from the agent's source (aws/amazon-ssm-agent):

* SendCommand checks every parameter against the document: unknown names and missing required ones
  are refused, a value must match `allowedPattern` / be one of `allowedValues`; defaults fill the rest
  (`validate_parameters`; the service's own check, done here in Python's `re`).
* The agent replaces `{{ name }}` (names `^[a-zA-Z0-9]+$`, spaces allowed inside the braces) in one
  pass, turning `$$` into `$` (agent/framework/docparser/parameters/parameters.go, `substitute`).
* It writes `runCommand` joined by newlines plus a final newline to `_script.sh`, mode 0700, and runs
  `sh -c <path>` as root with Setpgid (its own process group); on cancel or timeout it sends SIGKILL
  to that whole group (agent/plugins/runscript/runscript.go, agent/executers/executers_unix.go).

`prefix` runs the shell inside a namespace test host (`nsenter ...`), which keeps the process group.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AGENT_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
_NAME = re.compile(r"^[a-zA-Z0-9]+$")


class InvalidParameters(ValueError):
    """What SendCommand answers with InvalidParameters: the message names the parameter."""


def validate_parameters(
    document: Mapping[str, Any], given: Mapping[str, str], check: bool = True
) -> dict[str, str]:
    """SendCommand's check: every value allowed by its declaration; defaults filled in.

    `check=False` only fills the defaults: what the script would get if a value slipped past SSM.
    """
    declared = document.get("parameters") or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise InvalidParameters(f"unknown parameters {unknown}")
    values: dict[str, str] = {}
    for name, decl in declared.items():
        if name in given:
            value = given[name]
        elif "default" in decl:
            value = decl["default"]
        else:
            raise InvalidParameters(f"{name}: required and not given")
        if not check:
            values[name] = value
            continue
        if not isinstance(value, str):
            raise InvalidParameters(f"{name}: a String parameter takes a string")
        if "allowedValues" in decl and value not in decl["allowedValues"]:
            raise InvalidParameters(f"{name}: {value!r} is not one of {decl['allowedValues']}")
        if "allowedPattern" in decl and not re.search(decl["allowedPattern"], value):
            raise InvalidParameters(f"{name}: {value!r} does not match {decl['allowedPattern']}")
        values[name] = value
    return values


def substitute(text: str, values: Mapping[str, str]) -> str:
    """The agent's one-pass `{{ name }}` replacement (a value that names a parameter stays as is)."""
    found = []
    for name, value in values.items():
        if not _NAME.match(name):
            continue
        for m in re.finditer(r"{{\s*" + re.escape(name) + r"\s*}}", text):
            found.append((m.start(), m.end(), value.replace("$$", "$")))
    out, pos = [], 0
    for start, end, value in sorted(found):
        out.append(text[pos:start])
        out.append(value)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def script_text(document: Mapping[str, Any], values: Mapping[str, str]) -> str:
    [step] = [s for s in document["mainSteps"] if s["action"] == "aws:runShellScript"]
    return "\n".join(substitute(line, values) for line in step["inputs"]["runCommand"]) + "\n"


@dataclass
class Invocation:
    """One command on one host: the running shell, where its script and output live."""

    process: subprocess.Popen[bytes]
    script: Path
    stdout_path: Path
    stderr_path: Path
    timeout_s: float
    _done: bool = field(default=False, repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def cancel(self) -> None:
        """What the agent does on CancelCommand (and at timeoutSeconds): SIGKILL the process group."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def wait(self, timeout: float | None = None) -> int:
        try:
            return self.process.wait(timeout=self.timeout_s if timeout is None else timeout)
        except subprocess.TimeoutExpired:
            self.cancel()
            return self.process.wait()

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def lines(self) -> list[str]:
        return [ln for ln in self.stdout.splitlines() if ln.strip()]


def send_command(
    document: Mapping[str, Any],
    parameters: Mapping[str, str],
    *,
    workdir: Path | None = None,
    prefix: Sequence[str] = (),
    validate: bool = True,
) -> Invocation:
    """Start the document's shell step like the agent; `validate=False` skips SendCommand's check."""
    values = validate_parameters(document, parameters, check=validate)
    base = Path(tempfile.mkdtemp(prefix="ssm-orchestration-", dir=workdir))
    script = base / "awsrunShellScript" / "0.awsrunShellScript" / "_script.sh"
    script.parent.mkdir(parents=True)
    script.write_text(script_text(document, values))
    script.chmod(0o700)
    out, err = script.parent / "stdout", script.parent / "stderr"
    [step] = [s for s in document["mainSteps"] if s["action"] == "aws:runShellScript"]
    with open(out, "wb") as fo, open(err, "wb") as fe:
        proc = subprocess.Popen(
            [*prefix, "sh", "-c", str(script)],
            stdin=subprocess.DEVNULL,
            stdout=fo,
            stderr=fe,
            env=AGENT_ENV,
            cwd=str(script.parent),
            process_group=0,
        )
    return Invocation(proc, script, out, err, float(step["inputs"].get("timeoutSeconds", 3600)))
