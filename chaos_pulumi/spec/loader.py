"""Read experiment templates from YAML or JSON text; every failure becomes a Problem."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .model import TemplateSpec
from .problems import Problem, has_errors
from .validator import validate


@dataclass
class LoadResult:
    """``spec`` is set only when the template has no errors; ``data`` whenever it parsed."""

    spec: TemplateSpec | None
    data: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.spec is not None and not has_errors(self.problems)


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loader (libyaml when present) that reports duplicate keys instead of keeping the last."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain scalar", key_node.start_mark
            ) from None
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}; each key may appear once", key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=deep)
    return out


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _parse(text: str, source: str) -> tuple[Any, list[Problem]]:
    stripped = text.lstrip()
    if source.endswith(".json") or stripped.startswith("{"):
        try:
            return json.loads(text), []
        except json.JSONDecodeError as e:
            if source.endswith(".json"):
                return None, [
                    Problem("", f"{source}: not valid JSON: {e.msg} at line {e.lineno} column {e.colno}")
                ]
            # Flow-style YAML also starts with "{"; let the YAML parser have a go.
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader), []  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        return None, [Problem("", f"{source}: not valid YAML{where}: {e.problem or e.context}")]
    except (yaml.YAMLError, ValueError, RecursionError) as e:
        return None, [Problem("", f"{source}: not valid YAML: {e}")]


def parse_document(text: str, source: str = "<string>") -> tuple[Any, list[Problem]]:
    """YAML or JSON text -> plain data (safe loader, duplicate keys refused), or the problems. Never raises.

    The one parser for every document the project reads from users (templates, guardrail policies).
    """
    try:
        return _parse(text, source)
    except Exception as e:  # the parser must never take the caller down
        return None, [Problem("", f"{source}: could not be parsed: {e}")]


def load_text(text: str, source: str = "<string>") -> LoadResult:
    """Parse YAML or JSON text and validate it. Never raises."""
    data, problems = parse_document(text, source)
    if problems:
        return LoadResult(None, None, problems)
    if not isinstance(data, Mapping):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        return LoadResult(
            None,
            None,
            [
                Problem(
                    "",
                    f"{source}: the file is {kind}; an experiment template is a mapping with "
                    "description, roleArn, stopConditions, targets and actions",
                )
            ],
        )
    data = dict(data)
    problems = validate(data)
    spec = None
    if not has_errors(problems):
        spec = TemplateSpec.from_dict(data)
    return LoadResult(spec, data, problems)


def load_file(path: str | Path) -> LoadResult:
    """Read and validate a template file (.yaml, .yml or .json). Never raises."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LoadResult(None, None, [Problem("", f"{p}: no such file")])
    except IsADirectoryError:
        return LoadResult(None, None, [Problem("", f"{p}: is a directory, not a template file")])
    except UnicodeDecodeError:
        return LoadResult(None, None, [Problem("", f"{p}: not UTF-8 text")])
    except OSError as e:
        return LoadResult(None, None, [Problem("", f"{p}: cannot be read: {e.strerror or e}")])
    return load_text(text, str(p))
