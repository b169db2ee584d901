"""What every command shares: exit codes, the console (streams and catalog), reading templates."""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

from chaos_pulumi.spec import Catalog, LoadResult, Problem, catalog, has_errors, load_file, load_stream
from chaos_pulumi.spec.catalog import CATALOG_ENV, load_catalog

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"
STDIN_NAME = "<stdin>"


class UsageError(Exception):
    pass


class Console:
    """The streams a command writes to and reads from, and the catalog it checks against."""

    def __init__(self, out: TextIO, err: TextIO, stdin: BinaryIO | None, catalog_file: str | None) -> None:
        self.out = out
        self.err = err
        self._stdin = stdin
        self._catalog_file = catalog_file

    @functools.cached_property
    def catalog(self) -> Catalog:
        """``--catalog FILE`` if given, else the default (``$CHAOS_PULUMI_CATALOG`` or the packaged one)."""
        try:
            return catalog() if self._catalog_file is None else load_catalog(self._catalog_file)
        except Exception as e:  # a broken catalog file is the user's to fix, not a traceback
            where = f"--catalog {self._catalog_file}" if self._catalog_file else f"${CATALOG_ENV}"
            raise UsageError(f"{where}: not a FIS catalog ({type(e).__name__}: {str(e)[:300]})") from e

    def load(self, path: Path | str) -> LoadResult:
        """A template file, or standard input for ``-``, validated against the catalog."""
        if str(path) == STDIN:
            return load_stream(self._stdin or sys.stdin.buffer, STDIN_NAME, self.catalog)
        return load_file(path, self.catalog)


def expand(paths: Sequence[str]) -> list[Path]:
    """Files as given; directories expand to the templates directly inside them; ``-`` stays."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if raw == STDIN:
            out.append(p)
        elif p.is_dir():
            found = sorted(f for f in p.iterdir() if f.is_file() and f.suffix in TEMPLATE_SUFFIXES)
            if not found:
                raise UsageError(f"{p}: no .yaml, .yml or .json files in this directory")
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise UsageError(f"{p}: no such file or directory")
    if sum(str(p) == STDIN for p in out) > 1:
        raise UsageError("standard input (-) can be read once")
    return out


def display(path: Path) -> str:
    return STDIN_NAME if str(path) == STDIN else str(path)


def counts(problems: list[Problem]) -> str:
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts)


def print_problems(problems: list[Problem], out: TextIO) -> None:
    for p in problems:
        where = p.path or "(file)"
        rule = f"[{p.rule}] " if p.rule else ""
        print(f"  {p.severity:<7} {where}: {rule}{p.message}", file=out)


def is_valid(result: LoadResult) -> bool:
    return result.spec is not None and not has_errors(result.problems)


def load_one(path: str, console: Console) -> LoadResult | None:
    """One valid template for explain/iam-policy; None (problems on stderr) when it has errors."""
    files = expand([path])
    if len(files) != 1:
        raise UsageError(f"{path}: give one template file, not a directory")
    result = console.load(files[0])
    if not is_valid(result):
        print(f"{display(files[0])}: INVALID ({counts(result.problems)}); fix these first:", file=console.err)
        print_problems(result.problems, console.err)
        return None
    return result
