"""Read experiment templates from YAML or JSON; every failure, and every document past a limit, is a Problem.

Files come from pull requests and strangers: the loader reads at most MAX_DOCUMENT_BYTES, scans YAML
for alias bombs, deep nesting and over-long numbers before building anything (``limits``), and
hands the validator a document of bounded size.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from . import limits
from .catalog import Catalog
from .model import TemplateSpec
from .problems import Problem, has_errors, internal_error
from .validator import validate


@dataclass
class LoadResult:
    """``spec`` is set only when the template has no errors; ``data`` whenever it parsed within the limits."""

    spec: TemplateSpec | None
    data: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.spec is not None and not has_errors(self.problems)


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loader (libyaml when present) that reports duplicate keys instead of keeping the last."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    own = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
    loader.flatten_mapping(node)  # merged pairs (`<<: *base`) first, then the mapping's own keys
    first_own = len(node.value) - own
    out: dict[Any, Any] = {}
    seen: set[Any] = set()
    for i, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain scalar", key_node.start_mark
            ) from None
        if i >= first_own:  # a merged key may be overridden; the mapping's own keys may not repeat
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {_shown_key(key)}; each key may appear once",
                    key_node.start_mark,
                )
            seen.add(key)
        out[key] = loader.construct_object(value_node, deep=deep)
    return out


def _shown_key(key: Any) -> str:
    text = repr(key)
    return text if len(text) <= limits.MAX_QUOTE else f"{text[: limits.MAX_QUOTE]}…"


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _yaml_problem(source: str, e: yaml.YAMLError) -> Problem:
    if isinstance(e, yaml.MarkedYAMLError):
        mark = e.problem_mark or e.context_mark
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        return Problem("", f"{source}: not valid YAML{where}: {e.problem or e.context}")
    return Problem("", f"{source}: not valid YAML: {e}")


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads``'s object hook: a key given twice is refused, as the YAML loader refuses it. A reviewer
    reads the first ``stopConditions`` of a file while ``json`` would keep the last."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


def _parse_json(text: str, source: str) -> tuple[Any, list[Problem]]:
    try:
        data = json.loads(text, parse_int=limits.json_int, object_pairs_hook=_unique_pairs)
    except _DuplicateKey as e:
        message = f"not valid JSON: duplicate key {_shown_key(e.key)}; each key may appear once"
        return None, [Problem("", f"{source}: {message}")]
    except limits.NumberTooLong as e:
        return None, [Problem("", f"{source}: {limits.long_number('', e.digits).message}")]
    except RecursionError:
        return None, [
            Problem(
                "", f"{source}: nested more than {limits.MAX_DEPTH} levels deep; a FIS template has 6 at most"
            )
        ]
    # A short text with few brackets cannot break the depth or value limits: skip the walk.
    small = len(text) < 2 * limits.MAX_NODES and text.count("[") + text.count("{") <= limits.MAX_DEPTH
    problem = None if small else limits.check_tree(data)
    return (None, [problem]) if problem else (data, [])


def _parse(text: str, source: str) -> tuple[Any, list[Problem]]:
    stripped = text.lstrip()
    if source.endswith(".json") or stripped.startswith("{"):
        try:
            return _parse_json(text, source)
        except json.JSONDecodeError as e:
            if source.endswith(".json"):
                return None, [
                    Problem("", f"{source}: not valid JSON: {e.msg} at line {e.lineno} column {e.colno}")
                ]
            # Flow-style YAML also starts with "{"; let the YAML parser have a go.
    try:
        problem = limits.scan_yaml(text, _UniqueKeyLoader)
        if problem is not None:
            return None, [problem]
        return yaml.load(text, Loader=_UniqueKeyLoader), []  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        return None, [_yaml_problem(source, e)]
    except (ValueError, RecursionError) as e:
        return None, [Problem("", f"{source}: not valid YAML: {str(e)[:200]}")]


def parse_document(text: str, source: str = "<string>") -> tuple[Any, list[Problem]]:
    """YAML or JSON text -> plain data (safe loader, duplicate keys refused, within the limits), or the
    problems. Never raises. The one parser for every document the project reads from users (templates,
    guardrail policies, project config)."""
    if len(text) > limits.MAX_DOCUMENT_BYTES:
        return None, [limits.too_large(source, len(text))]
    try:
        return _parse(text, source)
    except Exception as e:  # defence in depth: reading a file must never take the caller down
        return None, [internal_error("loader", e, source)]


def load_text(text: str, source: str = "<string>", cat: Catalog | None = None) -> LoadResult:
    """Parse YAML or JSON text and validate it against ``cat`` (None: the default catalog). Never raises."""
    try:
        return _load_text(text, source, cat)
    except Exception as e:  # defence in depth: reading a file must never take the caller down
        return LoadResult(None, None, [internal_error("loader", e, source)])


def _load_text(text: str, source: str, cat: Catalog | None) -> LoadResult:
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
    problems = validate(data, cat)
    spec = None if has_errors(problems) else TemplateSpec.from_dict(data)
    return LoadResult(spec, data, problems)


def load_bytes(raw: bytes, source: str, cat: Catalog | None = None) -> LoadResult:
    """Like ``load_text`` for UTF-8 bytes (a file's or a pipe's content)."""
    if len(raw) > limits.MAX_DOCUMENT_BYTES:
        return LoadResult(None, None, [limits.too_large(source)])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return LoadResult(None, None, [Problem("", f"{source}: not UTF-8 text")])
    return load_text(text, source, cat)


def load_stream(stream: BinaryIO, source: str = "<stdin>", cat: Catalog | None = None) -> LoadResult:
    """Read a template from a binary stream (stdin), at most MAX_DOCUMENT_BYTES of it. Never raises."""
    try:
        raw = stream.read(limits.MAX_DOCUMENT_BYTES + 1)
    except OSError as e:
        return LoadResult(None, None, [Problem("", f"{source}: cannot be read: {e.strerror or e}")])
    return load_bytes(raw, source, cat)


def load_file(path: str | Path, cat: Catalog | None = None) -> LoadResult:
    """Read and validate a template file (.yaml, .yml or .json). Never raises."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            raw = f.read(limits.MAX_DOCUMENT_BYTES + 1)  # a device or a huge file is not read whole
    except FileNotFoundError:
        return LoadResult(None, None, [Problem("", f"{p}: no such file")])
    except IsADirectoryError:
        return LoadResult(None, None, [Problem("", f"{p}: is a directory, not a template file")])
    except OSError as e:
        return LoadResult(None, None, [Problem("", f"{p}: cannot be read: {e.strerror or e}")])
    return load_bytes(raw, str(p), cat)
