# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Build the runtime and some faults into one zipapp that needs nothing but Python 3.8+ on a host.

    python3 -m ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.bundle \\
        -o chaos-faults.pyz [FAULT ...]          # default: every fault
    python3 chaos-faults.pyz inject cpu_stress --load 80 --duration 300

What an SSM document embeds (issue 13), so it is compact: Ansible's docs (DOCUMENTATION, EXAMPLES,
RETURN), docstrings and comment lines are blanked out, keeping every line number (tracebacks point
at the collection's source); `--full` keeps them. Controller-side: no module imports this file, so
AnsiballZ never ships it.
"""

from __future__ import annotations

import argparse
import ast
import base64
import importlib
import importlib.util
import io
import json
import pkgutil
import sys
import tokenize
import zipfile

from .cli import _modules_package, fault_names

SHEBANG = b"#!/usr/bin/env python3\n"
_DOCS = ("DOCUMENTATION", "EXAMPLES", "RETURN")
# ansible_driver stays: every fault module imports it (its Ansible import is optional, never used there).
_NOT_BUNDLED = ("bundle", "__main__")


def strip_docs(source: str) -> str:
    """`source` with Ansible's doc strings replaced by "" and the same line numbers."""
    lines = source.splitlines(keepends=True)
    for node in ast.parse(source).body:
        names = [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
        if names and names[0] in _DOCS:
            lines[node.lineno - 1] = f'{names[0]} = ""\n'
            for i in range(node.lineno, node.end_lineno):
                lines[i] = "\n"
    return "".join(lines)


def compact(source: str) -> str:
    """`source` without docstrings and comment lines, with the same line numbers."""
    lines = source.splitlines(keepends=True)
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if not (isinstance(body, list) and body and isinstance(body[0], ast.Expr)):
            continue
        doc = body[0]
        if isinstance(doc.value, ast.Constant) and isinstance(doc.value.value, str):
            first = lines[doc.lineno - 1]
            indent = first[: len(first) - len(first.lstrip())]
            lines[doc.lineno - 1] = indent + "pass\n" if len(body) == 1 else "\n"
            for i in range(doc.lineno, doc.end_lineno):
                lines[i] = "\n"
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        row, col = tok.start
        if tok.type == tokenize.COMMENT and not lines[row - 1][:col].strip():
            lines[row - 1] = "\n"  # a comment line (a "#" inside a string is never a COMMENT token)
    return "".join(lines)


def _source(fullname: str) -> str:
    return importlib.util.find_spec(fullname).loader.get_source(fullname)


def build(faults: list | None = None, full: bool = False) -> bytes:
    """The zipapp's bytes: the runtime package, the chosen fault modules, package markers, __main__."""
    chosen = faults or fault_names()
    unknown = sorted(set(chosen) - set(fault_names()))
    if unknown:
        raise ValueError(f"not host faults: {', '.join(unknown)}")
    runtime = __package__
    modules = _modules_package()
    files = {"__main__.py": f"from {runtime}.cli import main\nraise SystemExit(main())\n"}
    for package in (runtime.rsplit(".", 1)[0], modules):  # zipimport needs a real package at every level
        parts = package.split(".")
        for depth in range(1, len(parts) + 1):
            files["/".join(parts[:depth]) + "/__init__.py"] = ""
    files[runtime.replace(".", "/") + "/__init__.py"] = _source(runtime)
    for info in pkgutil.iter_modules(importlib.import_module(runtime).__path__):
        if info.name not in _NOT_BUNDLED:
            files[f"{runtime.replace('.', '/')}/{info.name}.py"] = _source(f"{runtime}.{info.name}")
    for name in chosen:
        files[f"{modules.replace('.', '/')}/{name}.py"] = strip_docs(_source(f"{modules}.{name}"))
    buf = io.BytesIO()
    buf.write(SHEBANG)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))  # same input, same bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[path] if full or not files[path] else compact(files[path]))
    return buf.getvalue()


def sizes(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        source = sum(i.file_size for i in zf.infolist())
        count = len(zf.infolist())
    return {"files": count, "source_bytes": source, "zipapp_bytes": len(data),
            "base64_bytes": len(base64.b64encode(data))}


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bundle", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("-o", "--output", required=True, help="the .pyz file to write")
    parser.add_argument("--full", action="store_true", help="keep docstrings and comments")
    parser.add_argument("faults", nargs="*", metavar="FAULT", help="default: every fault")
    ns = parser.parse_args(argv)
    try:
        data = build(ns.faults, ns.full)
    except ValueError as e:
        parser.error(str(e))
    with open(ns.output, "wb") as f:
        f.write(data)
    report = dict(sizes(data), output=ns.output, faults=ns.faults or fault_names())
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
