"""A timed fault's options as SSM document parameters, each with an `allowedPattern`.

SSM substitutes `{{ name }}` into the script text, so a pattern is the first of three walls: no value
that passes one contains a shell metacharacter (quotes, `$`, backtick, backslash, `;`, `&`, `|`, `<`,
`>`, parentheses, braces, brackets, `*`, `?`, `!`, `#`, `~`, whitespace, line breaks). The second is
the script layout (script.py: the shell never reads the lines that hold values), the third the
runtime's own validation of every option.

Names are the options' own, camelCased (`stop_on.max_latency_ms` -> `stopOnMaxLatencyMs`): the SSM
agent substitutes only names matching `^[a-zA-Z0-9]+$`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Characters no shell gives a meaning to in any position of a word.
SAFE_CHARS = "A-Za-z0-9_.,:/@%+=-"
SHELL_INERT = re.compile(f"^[{SAFE_CHARS}]*$")
MAX_DURATION = 3600  # the runtime's own limit without force (refusals.py)
FIS_MAX_DURATION = 43200  # aws:ssm:send-command's duration is at most PT12H

# Options a document does not take: the command says what to do (state), records live where the
# runtime and `fault_status` look for them (record_dir), ids are the runtime's (fault_id), and a
# guard command would make the document a root shell for whoever may send it (stop_on.command).
LEFT_OUT = ("state", "record_dir", "fault_id", "stop_on.command")

_INT = "[0-9]{1,9}"
_SIZE = "[0-9]{1,12}([.][0-9]{1,6})?[KMGTkmgt]?([iI]?[bB])?"
_PORT = "[0-9]{1,5}(-[0-9]{1,5})?"
_ADDR = "[0-9A-Fa-f.:/]{2,49}"
# Values by option name, where the type alone would allow more than the runtime accepts.
BY_NAME = {
    "size": _SIZE,
    "reserve": _SIZE,
    "interface": "[A-Za-z0-9_.:@-]{1,15}",
    "name": "[A-Za-z0-9:_.@-]{1,255}",
    "ports": f"{_PORT}(,{_PORT}){{0,63}}",
    "destinations": f"{_ADDR}(,{_ADDR}){{0,63}}",
    "stop_on.url": f"https?://[{SAFE_CHARS}]{{1,1024}}",
    "stop_on.status": "[0-9]{3}(,[0-9]{3}){0,15}",
}
BY_TYPE = {
    "int": _INT,
    "float": "[0-9]{1,6}([.][0-9]{1,6})?",
    "path": f"/[{SAFE_CHARS}]{{0,254}}",
    "str": f"[{SAFE_CHARS}]{{1,256}}",
    "list:int": f"{_INT}(,{_INT}){{0,63}}",
    "list:str": f"[{SAFE_CHARS}]{{1,256}}",
}


@dataclass(frozen=True)
class DocumentParameter:
    """One document parameter: the option it carries, its SSM declaration and its script line."""

    name: str  # camelCase, the SSM parameter name
    option: str  # dotted option path, e.g. stop_on.url
    flag: str  # the runtime CLI's flag, e.g. --stop-on-url
    kind: str  # int, float, str, path, bool, list:int, list:str
    declaration: dict[str, Any]

    @property
    def line(self) -> str:
        """The script line that carries it (host_entry.py reads it); `?` marks a flag without value."""
        return f"{'?' if self.kind == 'bool' else ''}{self.flag}={{{{ {self.name} }}}}"


def camel(option: str) -> str:
    words = re.split(r"[._]", option)
    return words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])


def positive_int_pattern(high: int) -> str:
    """A regex (no anchors) matching exactly the integers 1..high written without leading zeros."""
    if high < 1:
        raise ValueError(f"high must be at least 1, got {high}")
    top = str(high)
    width = len(top)
    parts = []
    if width > 1:  # every number with fewer digits than high
        more = width - 2  # up to this many further digits
        parts.append("[1-9]" + ("" if more == 0 else "[0-9]?" if more == 1 else f"[0-9]{{0,{more}}}"))
    for i, digit in enumerate(top):  # same width: the prefix of high, then a smaller digit, then anything
        first = 1 if i == 0 else 0
        if int(digit) > first:
            rest = width - i - 1
            tail = "" if rest == 0 else "[0-9]" if rest == 1 else f"[0-9]{{{rest}}}"
            parts.append(f"{top[:i]}[{first}-{int(digit) - 1}]{tail}")
    parts.append(top)
    return "|".join(parts)


def _kind(opt: dict[str, Any]) -> str:
    kind = opt.get("type", "str")
    if kind == "list":
        return "list:" + ("int" if opt.get("elements") == "int" else "str")
    return "str" if kind == "raw" else kind


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _declare(option: str, opt: dict[str, Any], max_duration: int, fault: str) -> DocumentParameter:
    kind = _kind(opt)
    name = camel(option)
    flag = "--" + option.replace(".", "-").replace("_", "-")
    default = opt.get("default")
    # Empty means "not given": the runtime fills its own default (one place), and a guard option
    # without stopOnUrl does not make a half guard.
    what = f"{option} ({kind}{'' if default in (None, [], '') else ', default ' + _text(default)}): " \
        f"see `ansible-doc chaos.faults.{fault}`; empty = the runtime's default"
    if option == "duration":
        pattern = f"^({positive_int_pattern(max_duration)})$"
        text = f"Seconds the fault lasts, 1-{max_duration}; then it reverts itself."
        decl: dict[str, Any] = {"type": "String", "allowedPattern": pattern, "description": text}
        return DocumentParameter(name, option, flag, kind, decl)
    if kind == "bool":
        decl = {"type": "String", "allowedValues": ["false", "true"], "default": "false",
                "description": what.replace("; empty = the runtime's default", "")}
        return DocumentParameter(name, option, flag, kind, decl)
    if opt.get("choices"):
        values = [str(c) for c in opt["choices"]]
        bad = [v for v in values if not SHELL_INERT.match(v)]
        if bad:
            raise ValueError(f"{fault}.{option}: choices {bad} are not shell-inert")
        decl = {"type": "String", "allowedValues": ["", *values], "default": "", "description": what}
        return DocumentParameter(name, option, flag, kind, decl)
    body = BY_NAME.get(option) or BY_TYPE.get(kind)
    if body is None:
        raise ValueError(f"{fault}.{option}: no allowedPattern for type {kind}; add one to parameters.py")
    decl = {"type": "String", "allowedPattern": f"^(|{body})$", "default": "", "description": what}
    if default not in (None, [], "") and not re.fullmatch(decl["allowedPattern"], _text(default)):
        pattern = decl["allowedPattern"]
        raise ValueError(f"{fault}.{option}: default {_text(default)!r} does not match {pattern}")
    return DocumentParameter(name, option, flag, kind, decl)


def document_parameters(
    fault: str, spec: dict[str, Any], max_duration: int = MAX_DURATION
) -> list[DocumentParameter]:
    """The document parameters of a timed fault, duration first, then its own options, then the guard."""
    out: list[DocumentParameter] = []

    def walk(options: dict[str, Any], prefix: str = "") -> None:
        for key, opt in options.items():
            option = prefix + key
            if option in LEFT_OUT:
                continue
            if opt.get("type") == "dict":
                walk(opt.get("options") or {}, option + ".")
                continue
            out.append(_declare(option, opt, max_duration, fault))

    walk(spec)
    names = [p.name for p in out]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise ValueError(f"{fault}: options {clash} give the same document parameter name")

    def order(p: DocumentParameter) -> tuple[int, int]:
        guard = p.option.startswith("stop_on.") or p.option == "force"
        group = 0 if p.option == "duration" else 2 if guard else 1
        return group, names.index(p.name)

    return sorted(out, key=order)
