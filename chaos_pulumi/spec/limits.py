"""How much of an experiment document the spec layer reads, and the checks that keep it to that.

Experiment files arrive in pull requests: reading one must stay bounded whatever it holds. Every
limit sits well above what FIS itself accepts (FIS's own limits are in the comments), so no real
template comes near one; a document past a limit is refused with the path and the limit.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
)

from .problems import Problem

# A template is a few KB; FIS's largest legal one (20 actions, 5 stop conditions, targets with 50
# tags or 5 ARNs of 2,048 characters each) stays well under 1 MiB as YAML or JSON.
MAX_DOCUMENT_BYTES = 1024 * 1024
# Values in a document once YAML aliases are expanded; FIS's largest legal template has ~6,500.
MAX_NODES = 100_000
# Nesting; a FIS template is at most 6 levels deep (experimentReportConfiguration.dataSources...).
MAX_DEPTH = 32
# Entries of one list or mapping the validator looks into; FIS's largest are tags (50) and actions (20).
MAX_ENTRIES = 1_000
# Digits of a number read as a number; FIS numbers have at most 5 (60000 ms).
MAX_NUMBER_DIGITS = 100
# Problems reported for one document; the rest would only bury the first ones.
MAX_PROBLEMS = 200
# Characters of a user's value quoted in a message.
MAX_QUOTE = 60

TOO_MANY_VALUES = (
    f"the document has more than {MAX_NODES:,} values; a FIS template has a few thousand at most"
)
_RESOLVER = yaml.resolver.Resolver()
_INT_TAG = "tag:yaml.org,2002:int"


def too_large(source: str, size: int | None = None) -> Problem:
    """``size`` in characters when known; a file or a pipe is only read up to the limit."""
    what = f"is {size:,} characters long" if size is not None else "is larger than 1 MiB"
    return Problem(
        "",
        f"{source}: {what}; a template is limited to {MAX_DOCUMENT_BYTES:,} bytes (1 MiB) and a FIS "
        "template is a few kilobytes - is this the right file?",
    )


def long_number(path: str, digits: int) -> Problem:
    return Problem(
        path,
        f"is a number {digits:,} digits long; numbers in a template have at most {MAX_NUMBER_DIGITS} "
        "(quote it if it is meant as text)",
    )


class NumberTooLong(ValueError):
    """A JSON number longer than MAX_NUMBER_DIGITS: refused before int() reads it."""

    def __init__(self, digits: int) -> None:
        super().__init__(digits)
        self.digits = digits


def json_int(text: str) -> int:
    """``parse_int`` for json.loads: the length is checked before the number is read."""
    if len(text) > MAX_NUMBER_DIGITS + 1:
        raise NumberTooLong(len(text.lstrip("-")))
    return int(text)


class _Frame:
    __slots__ = ("is_map", "n", "label", "anchor", "start")

    def __init__(self, is_map: bool, anchor: str | None, start: int) -> None:
        self.is_map = is_map
        self.n = 0  # child events seen; in a mapping they alternate key, value
        self.label = ""  # the path component of the child being read
        self.anchor = anchor
        self.start = start  # node count before this collection


def _path(stack: list[_Frame]) -> str:
    out = ""
    for frame in stack:
        part = frame.label
        out = out + part if part.startswith("[") or not out else f"{out}.{part}"
    return out


def label(key: str) -> str:
    """A mapping key as a path component: whole up to 128 characters, else a prefix and the length."""
    return key if len(key) <= 128 else f"{key[:MAX_QUOTE]}…({len(key):,} characters)"


def scan_yaml(text: str, loader: type) -> Problem | None:
    """The first limit the YAML in ``text`` breaks, found from its event stream before anything is built.

    Counts every value an alias or merge key would expand to (an alias nest of a kilobyte can stand
    for billions of values), and refuses recursive aliases, deep nesting and over-long numbers. The
    scan holds one frame per nesting level and stops at the first breach. Syntax errors are left to
    the parser's own messages (they raise from here the same way).
    """
    stack: list[_Frame] = []
    anchors: dict[str, int] = {}  # anchor -> values it expands to; -1 while its node is still open
    count = 0
    for event in yaml.parse(text, Loader=loader):
        kind = type(event)
        if (
            kind is ScalarEvent
            or kind is SequenceStartEvent
            or kind is MappingStartEvent
            or kind is AliasEvent
        ):
            if stack:
                parent = stack[-1]
                if parent.is_map:
                    if parent.n % 2 == 0:  # a key: the next value's path component
                        parent.label = label(event.value) if kind is ScalarEvent else "<key>"
                else:
                    parent.label = f"[{parent.n}]"
                parent.n += 1
            if kind is AliasEvent:
                size = anchors.get(event.anchor)
                if size is None:
                    continue  # an undefined alias: the parser reports it
                if size < 0:
                    return Problem(
                        _path(stack),
                        f"YAML alias *{label(event.anchor)} refers to a value that contains it; "
                        "a template cannot contain itself",
                    )
                count += size
                if count > MAX_NODES:
                    return Problem(
                        _path(stack),
                        f"YAML aliases expand to more than {MAX_NODES:,} nodes; write the value out",
                    )
                continue
            count += 1
            if count > MAX_NODES:
                return Problem(
                    _path(stack),
                    TOO_MANY_VALUES,
                )
            if kind is ScalarEvent:
                if event.anchor is not None:
                    anchors[event.anchor] = 1
                value = event.value
                if len(value) > MAX_NUMBER_DIGITS and (
                    event.tag == _INT_TAG
                    or (
                        event.implicit[0]
                        and _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == _INT_TAG
                    )
                ):
                    return long_number(_path(stack), len(value))
                continue
            if len(stack) >= MAX_DEPTH:
                return Problem(
                    _path(stack),
                    f"is nested more than {MAX_DEPTH} levels deep; a FIS template is at most 6 levels deep",
                )
            if event.anchor is not None:
                anchors[event.anchor] = -1
            stack.append(_Frame(kind is MappingStartEvent, event.anchor, count - 1))
        elif isinstance(event, CollectionEndEvent) and stack:
            frame = stack.pop()
            if frame.anchor is not None:
                anchors[frame.anchor] = count - frame.start
    return None


def check_tree(data: Any) -> Problem | None:
    """The first limit a parsed JSON document breaks: nesting depth or number of values.

    JSON has no aliases, so the document is a tree no larger than its text; the walk is iterative.
    """
    count = 1
    todo: list[tuple[Any, str, int]] = [(data, "", 0)]
    while todo:
        value, path, depth = todo.pop()
        if isinstance(value, dict):
            items: Any = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            continue
        if depth >= MAX_DEPTH:
            return Problem(
                path, f"is nested more than {MAX_DEPTH} levels deep; a FIS template is at most 6 levels deep"
            )
        count += len(value)
        if count > MAX_NODES:
            return Problem(
                path,
                TOO_MANY_VALUES,
            )
        for key, child in items:
            if isinstance(child, (dict, list)):
                if isinstance(value, list):
                    child_path = f"{path}[{key}]"
                else:
                    part = label(str(key))
                    child_path = f"{path}.{part}" if path else part
                todo.append((child, child_path, depth + 1))
    return None
