"""Hostile experiment documents, as hypothesis strategies of :class:`Input`.

Shared by the fuzz test (tests/unit/test_spec_fuzz.py, a fixed budget) and the long fuzz run
(bench/bench_fuzz.py); ``fuzz_worker`` runs them. The strategies make what a pull request could
carry: generated templates, mutations of the examples, random JSON/YAML and text, YAML alias nests
and merge chains, recursive aliases, deep nesting, huge and unicode strings, long digit strings,
non-string keys.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "experiments").glob("*.*"))


@dataclass(frozen=True)
class Input:
    """``kind``: "text" (load_text), "bytes" (load_bytes) or "data" (validate on a Python value)."""

    kind: str
    payload: Any
    source: str = "fuzz.yaml"
    family: str = ""

    def __repr__(self) -> str:
        return f"Input({self.summary()})"

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:  # hypothesis prints failing inputs so
        printer.text(repr(self))

    def summary(self) -> str:
        size = len(self.payload) if isinstance(self.payload, (str, bytes)) else None
        head = repr(self.payload)[:300] if self.kind != "data" else _shape(self.payload)
        return (
            f"{self.family} {self.kind} {self.source}" + (f" ({size:,} chars)" if size else "") + f": {head}"
        )


def _shape(value: Any, depth: int = 0, seen: set[int] | None = None) -> str:
    """A short description of a Python value that may be huge, shared or cyclic."""
    seen = seen if seen is not None else set()
    if isinstance(value, (dict, list)):
        if id(value) in seen or depth > 3:
            return "…"
        seen.add(id(value))
        items = list(value.items())[:4] if isinstance(value, dict) else list(enumerate(value))[:4]
        inner = ", ".join(f"{str(k)[:20]!r}: {_shape(v, depth + 1, seen)}" for k, v in items)
        return f"{type(value).__name__}({len(value)}){{{inner}}}"
    if isinstance(value, str):
        return repr(value[:40]) + (f"…({len(value):,})" if len(value) > 40 else "")
    if isinstance(value, int) and value.bit_length() > 64:
        return f"<int of {value.bit_length()} bits>"
    return repr(value)[:40]


def strategies() -> dict[str, Any]:
    """The input families, each a hypothesis strategy of :class:`Input`."""
    from hypothesis import strategies as st

    from chaos_pulumi.spec import load_file
    from tests.harness.spec_strategies import valid_templates

    examples = [r.data for r in (load_file(p) for p in EXAMPLES) if r.data]
    example_texts = [(p.read_text(), p.name) for p in EXAMPLES]

    sizes = st.sampled_from([0, 1, 60, 61, 1024, 1025, 5_000, 70_000, 1_048_577, 2_000_000])
    chars = st.sampled_from(["A", "9", "é", "🙂", "\u202e", "\x00", "<", ",", " ", "*", "&", "{", "\n"])
    huge_strings = st.builds(lambda c, n: c * n, chars, sizes)
    digit_strings = st.builds(
        lambda n, shape: shape.format("9" * n),
        st.sampled_from([20, 101, 4_301, 5_000, 100_000]),
        st.sampled_from(
            ["{}", "COUNT({})", "PERCENT({})", "PT{}M", "-{}", "{}.5", '{{"DurationSeconds": {}}}']
        ),
    )
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.builds(lambda n: 10**n, st.sampled_from([20, 300, 4_400, 6_000]))
        | st.floats(allow_nan=True)
        | st.text(max_size=40)
        | st.sampled_from(["aws:ec2:stop-instances", "aws:ec2:instance", "COUNT(1)", "PT5M", "none", "web"])
    )
    odd_keys = st.none() | st.integers() | st.booleans() | st.floats(allow_nan=False) | st.just((1, 2))

    def shared(depth: int, fan: int, as_map: bool) -> Any:
        node: Any = "lol"
        for i in range(depth):
            node = {f"k{j}": node for j in range(fan)} if as_map else [node] * fan
            if i == 0:
                node = copy.copy(node)
        return node

    def cyclic(as_map: bool) -> Any:
        if as_map:
            d: dict[str, Any] = {}
            d["self"] = d
            return d
        lst: list[Any] = []
        lst.append(lst)
        return lst

    structures = (
        st.builds(shared, st.integers(2, 12), st.integers(2, 10), st.booleans())
        | st.builds(cyclic, st.booleans())
        | st.builds(lambda n: [[]] * n, st.sampled_from([999, 1_001, 50_000]))
        | st.builds(lambda n: {f"k{i}": "v" for i in range(n)}, st.sampled_from([51, 1_001, 50_000]))
        | st.builds(_deep_list, st.sampled_from([6, 32, 33, 200]))
        | st.dictionaries(odd_keys, scalars, max_size=4)
    )
    hostile = huge_strings | digit_strings | scalars | structures
    nested = st.recursive(
        scalars,
        lambda kids: (
            st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10) | odd_keys, kids, max_size=4)
        ),
        max_leaves=30,
    )

    @st.composite
    def mutated(draw: Any, base: st.SearchStrategy[dict[str, Any]]) -> Input:
        data = copy.deepcopy(draw(base))
        for _ in range(draw(st.integers(1, 3))):
            spots = list(_spots(data))
            container, key = draw(st.sampled_from(spots))
            op = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
            if op == "delete" and isinstance(container, dict):
                container.pop(key, None)
            elif op == "add" and isinstance(container, dict):
                container[draw(odd_keys | huge_strings | st.text(max_size=10))] = draw(hostile)
            else:
                container[key] = draw(hostile)
        return draw(_encodings(data, "mutated"))

    @st.composite
    def templates(draw: Any) -> Input:
        return draw(_encodings(draw(valid_templates()), "generated"))

    def _encodings(data: Any, family: str) -> st.SearchStrategy[Input]:
        """The value itself (for validate), or as YAML or JSON text; dumped only when drawn."""

        def encode(form: str) -> Input:
            text = None if form == "data" else _dump(data, form)
            if text is None or len(text) > 3 * 1024 * 1024:
                return Input("data", data, family=family)
            return Input("text", text, f"fuzz.{form}", family)

        return st.sampled_from(["data", "yaml", "json"]).map(encode)

    random_documents = (
        nested.map(lambda d: Input("data", d, family="random"))
        | nested.flatmap(lambda d: _encodings(d, "random"))
        | st.text(max_size=300).map(lambda t: Input("text", t, "fuzz.yaml", "text"))
        | st.binary(max_size=300).map(lambda b: Input("bytes", b, "fuzz.json", "bytes"))
        | st.sampled_from(example_texts).flatmap(
            lambda ts: st.integers(0, max(0, len(ts[0]) - 1)).map(
                lambda cut: Input("text", ts[0][:cut], ts[1], "truncated")
            )
        )
    )
    return {
        "generated templates": templates(),
        "mutated examples": mutated(st.sampled_from(examples)),
        "random documents": random_documents,
        "alias nests": st.builds(
            _alias_nest, st.integers(2, 12), st.integers(2, 10), st.sampled_from(NEST_SHAPES)
        ),
        "merge chains": st.builds(_merge_chain, st.sampled_from([3, 300, 3_000, 20_000]), st.booleans()),
        "deep text": st.builds(
            _deep_text, st.sampled_from([31, 32, 33, 1_000, 100_000]), st.sampled_from(["yaml", "json"])
        ),
        "huge documents": st.builds(
            _huge_document,
            st.sampled_from([1_048_576, 1_048_577, 5_000_000]),
            st.sampled_from(["text", "bytes"]),
        ),
        "odd keys": st.sampled_from(ODD_KEY_TEXTS).map(lambda t: Input("text", t, "fuzz.yaml", "odd keys")),
    }


def hostile_inputs() -> Any:
    """Every family in one strategy (the long run draws from this)."""
    from hypothesis import strategies as st

    return st.one_of(list(strategies().values()))


def _spots(data: Any, limit: int = 500) -> Iterator[tuple[Any, Any]]:
    """(container, key) pairs of a document, each container once (it may be shared or cyclic)."""
    todo, seen, count = [data], {id(data)}, 0
    while todo:
        node = todo.pop()
        for k in list(node)[:limit] if isinstance(node, dict) else range(min(len(node), limit)):
            count += 1
            if count > limit:
                return
            yield node, k
            child = node[k]
            if isinstance(child, (dict, list)) and child and id(child) not in seen:
                seen.add(id(child))
                todo.append(child)


def _is_small_tree(data: Any, limit: int = 200_000) -> bool:
    """No container reached twice (JSON would expand shared ones, and loop on cycles), few values."""
    todo, seen = [data], set()
    while todo:
        node = todo.pop()
        if id(node) in seen or len(seen) > limit:
            return False
        seen.add(id(node))
        todo.extend(
            c for c in (node.values() if isinstance(node, dict) else node) if isinstance(c, (dict, list))
        )
    return True


def _dump(data: Any, form: str) -> str | None:
    import yaml

    try:
        if form == "json":
            return json.dumps(data, default=str) if _is_small_tree(data) else None
        return yaml.safe_dump(data, allow_unicode=True, width=1_000_000)
    except (TypeError, ValueError, RecursionError, yaml.YAMLError):
        return None  # tuple keys, cycles in JSON, ints too long for str(): sent as data only


def _deep_list(depth: int) -> Any:
    node: Any = "x"
    for _ in range(depth):
        node = [node]
    return node


NEST_SHAPES = ("seq", "map", "stop-value", "tags")
ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx"
HEAD = "description: x\nroleArn: arn:aws:iam::123456789012:role/r\n"
NO_STOP = "stopConditions: [{source: none}]\n"
ODD_KEY_TEXTS = (
    HEAD
    + "stopConditions:\n  - 1: x\n    null: y\n    source: none\nactions: {a: {actionId: aws:fis:wait}}\n",
    HEAD + "stopConditions: [{source: none}, {source: none, ? [a, b] : c}]\nactions: {}\n",
    HEAD + NO_STOP + "tags: {1: a, 2.5: b, true: c, null: d, 2020-01-01: e}\nactions: {}\n",
    HEAD + NO_STOP + "targets: {1: {resourceType: aws:ec2:instance}}\nactions: {}\n",
    HEAD + NO_STOP + "actions: {x: {parameters: {1: 2, null: ~}, targets: {? !!binary aGVsbG8= : w}}}\n",
    "? - 1\n  - 2\n: x\n",
    "{null: 1, 1: {1: {1: 1}}}",
    "!!set {a, b}",
    "description: !!python/object/apply:os.system ['true']\n",
)


def issue_alias_nest(levels: int = 10, fan: int = 9) -> str:
    """Issue 14's input: a template of well under 2 KB whose stop-condition value is a nest of aliases."""
    value = "&a0 [" + ", ".join(["lol"] * fan) + "]"
    for i in range(1, levels):
        value = f"&a{i} [{value}, " + ", ".join([f"*a{i - 1}"] * (fan - 1)) + "]"
    return (
        HEAD
        + f"stopConditions:\n  - source: aws:cloudwatch:alarm\n    value: {value}\n"
        + "actions: {a: {actionId: aws:fis:wait, parameters: {duration: PT1M}}}\n"
    )


def _alias_nest(depth: int, fan: int, shape: str) -> Input:
    """A YAML nest of aliases, ``fan`` references per level: fan**depth values from a kilobyte."""
    lines = ["x-defs:", "  a0: &a0 [lol, lol, lol]" if shape != "map" else "  a0: &a0 {k: lol}"]
    for i in range(1, depth):
        refs = ", ".join([f"*a{i - 1}"] * fan)
        body = (
            f"[{refs}]" if shape != "map" else "{" + ", ".join(f"k{j}: *a{i - 1}" for j in range(fan)) + "}"
        )
        lines.append(f"  a{i}: &a{i} {body}")
    top = f"*a{depth - 1}"
    if shape == "stop-value":
        lines += ["stopConditions:", f"  - source: aws:cloudwatch:alarm\n    value: {top}"]
    elif shape == "tags":
        lines += [
            f"tags: {{team: {top}}}",
            f"stopConditions: [{{source: aws:cloudwatch:alarm, value: {ALARM}}}]",
        ]
    else:
        lines += [f"stopConditions: [{{source: none, value: {top}}}]"]
    text = (
        "\n".join(lines)
        + "\n"
        + HEAD
        + "actions: {a: {actionId: aws:fis:wait, parameters: {duration: PT1M}}}\n"
    )
    return Input("text", text, "nest.yaml", "alias nests")


def _merge_chain(length: int, as_list: bool) -> Input:
    """Mappings that merge the one before (``<<: *m``): quadratic if expanded naively."""
    lines = ["x-defs:", "  m0: &m0 {a0: 1}"]
    for i in range(1, length):
        merge = f"[*m{i - 1}, *m0]" if as_list and i > 1 else f"*m{i - 1}"
        lines.append(f"  m{i}: &m{i} {{<<: {merge}, a{i}: 1}}")
    return Input("text", "\n".join(lines) + "\n" + HEAD, "merge.yaml", "merge chains")


def _deep_text(depth: int, form: str) -> Input:
    if form == "json":
        return Input("text", '{"a":' * depth + "1" + "}" * depth, "deep.json", "deep text")
    return Input("text", "a: " + "[" * depth + "]" * depth + "\n", "deep.yaml", "deep text")


def _huge_document(size: int, kind: str) -> Input:
    text = HEAD + "tags: {big: '" + "A" * max(0, size - len(HEAD) - 18) + "'}\n"
    if kind == "bytes":
        return Input("bytes", text.encode(), "huge.yaml", "huge documents")
    return Input("text", text, "huge.yaml", "huge documents")
