"""The field-table machinery of the spec model: how a FIS object's fields are declared and converted.

A FIS object is a frozen dataclass deriving from :class:`FisObject` whose fields are declared with
:func:`fis` (its FIS name as a path in the camelCase file format, and its kind). ``from_dict`` and
``to_dict`` are derived from those declarations; ``chaos_pulumi/spec/model.py`` holds the declarations
themselves (the field table).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

# ----- the kinds of field -------------------------------------------------------------------------

TEXT = "text"  # a string FIS requires: absent is "" (or the FIS default); written unless it is that default
OPTIONAL = "optional"  # a string: absent, "" and the FIS default are None; written when set
NUMBER = "number"  # an integer; always written
MAP = "map"  # {key: string}; YAML scalars become FIS strings; keys sorted
SET = "set"  # strings whose order means nothing: sorted, duplicates dropped
LIST = "list"  # strings (or each in an object of its own, see ``each``) or objects, in order
OBJECTS = "objects"  # {name: object}: targets, actions; names sorted
OBJECT = "object"  # one nested object


@dataclass(frozen=True)
class FisField:
    """One row of the field table (in a dataclass field's metadata)."""

    path: tuple[str, ...]  # where the value sits in the file format: ("s3Configuration", "bucketName")
    kind: str
    item: Any = None  # the FisObject class of LIST/OBJECTS/OBJECT items
    fis_default: Any = None  # what FIS assumes when the field is absent (normalised away)
    always: bool = False  # written even when empty
    unordered: bool = False  # a LIST of objects that FIS treats as a set (sorted)
    each: str | None = None  # a LIST of strings written as [{each: value}, ...]
    create_only: bool = False  # FIS cannot change it on an existing template: a change replaces it
    tags: bool = False  # changed through TagResource/UntagResource, never in the update request


def fis(
    path: str,
    kind: str = TEXT,
    *,
    item: Any = None,
    default: Any = MISSING,
    fis_default: Any = None,
    always: bool = False,
    unordered: bool = False,
    each: str | None = None,
    create_only: bool = False,
    tags: bool = False,
) -> Any:
    """A model field that is the FIS field at ``path`` (dotted, in the camelCase file format)."""
    meta = FisField(
        path=tuple(path.split(".")),
        kind=kind,
        item=item,
        fis_default=fis_default,
        always=always,
        unordered=unordered,
        each=each,
        create_only=create_only,
        tags=tags,
    )
    kwargs: dict[str, Any] = {"metadata": {"fis": meta}}
    if default is not MISSING:
        kwargs["default"] = default
    elif kind in (MAP, OBJECTS):
        kwargs["default_factory"] = dict
    elif kind in (SET, LIST):
        kwargs["default"] = ()
    elif kind == OBJECT and item is not None:
        kwargs["default_factory"] = item
    return field(**kwargs)


# ----- reading and writing one value ------------------------------------------------------------


def scalar_text(value: Any) -> str:
    """How a YAML scalar is sent to FIS, where every parameter value is a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _reader(meta: FisField, optional: bool) -> Callable[[Any], Any]:
    """file-format value -> canonical model value, for one field (wrong types dropped, never raised)."""
    kind, default = meta.kind, meta.fis_default
    if kind == TEXT:
        empty = default if default is not None else ""
        return lambda raw: empty if raw is None or raw == "" else str(raw)
    if kind == OPTIONAL:

        def optional_text(raw: Any) -> str | None:
            text = None if raw is None or raw == "" else str(raw)
            return None if text == default else text

        return optional_text
    if kind == NUMBER:

        def number(raw: Any) -> Any:
            try:
                return int(raw)
            except (TypeError, ValueError):
                return default

        return number
    if kind == MAP:
        return lambda raw: (
            {str(k): scalar_text(v) for k, v in raw.items()} if isinstance(raw, Mapping) else {}
        )
    if kind == SET:
        return lambda raw: tuple(sorted({str(v) for v in _list(raw)}))
    item, each = meta.item, meta.each
    if kind == LIST:
        if each is not None:
            return lambda raw: tuple(str(v.get(each, "")) for v in _list(raw) if isinstance(v, Mapping))
        if item is None:
            return lambda raw: tuple(str(v) for v in _list(raw))
        if meta.unordered:
            return lambda raw: tuple(
                sorted((item.from_dict(v) for v in _list(raw) if isinstance(v, Mapping)), key=_sort_key)
            )
        return lambda raw: tuple(item.from_dict(v) for v in _list(raw) if isinstance(v, Mapping))
    if kind == OBJECTS:
        return lambda raw: (
            {str(k): item.from_dict(v) for k, v in raw.items() if isinstance(v, Mapping)}
            if isinstance(raw, Mapping)
            else {}
        )
    if kind == OBJECT:
        if not optional:
            return lambda raw: item.from_dict(raw if isinstance(raw, Mapping) else {})

        def optional_object(raw: Any) -> Any:
            if not isinstance(raw, Mapping) or not raw:
                return None
            value = item.from_dict(raw)
            return value if value.to_dict() else None  # only FIS defaults in it: the same as absent

        return optional_object
    raise ValueError(f"unknown field kind {kind!r}")


_OMIT = object()


def _writer(meta: FisField) -> Callable[[Any], Any]:
    """model value -> file-format value or _OMIT, for one field. In a hand-built object (typed Pulumi
    arguments) a value may be a Pulumi Input; it is written where FIS wants it, untouched."""
    kind, default, always, each = meta.kind, meta.fis_default, meta.always, meta.each
    if kind == TEXT:
        if always or default is None:
            return lambda value: _OMIT if value is None else value
        return lambda value: _OMIT if value is None or value == default else value
    if kind in (OPTIONAL, NUMBER):
        return lambda value: _OMIT if value is None else value
    if kind == MAP:

        def mapping(value: Any) -> Any:
            if not isinstance(value, Mapping):
                return _OMIT if value is None else value  # an Output of a whole map
            return {k: value[k] for k in sorted(value)} if value or always else _OMIT

        return mapping
    if kind in (SET, LIST):

        def sequence(value: Any) -> Any:
            if not isinstance(value, (list, tuple)):
                return _OMIT if value is None else value  # an Output of a whole list
            if not value and not always:
                return _OMIT
            if each is not None:
                return [{each: v} for v in value]
            return [to_file_format(v) for v in value]

        return sequence
    if kind == OBJECTS:

        def objects(value: Any) -> Any:
            if not isinstance(value, Mapping):
                return _OMIT if value is None else value
            if not value and not always:
                return _OMIT
            return {k: to_file_format(value[k]) for k in sorted(value)}

        return objects

    def one_object(value: Any) -> Any:
        if value is None:
            return _OMIT
        written = to_file_format(value)
        return _OMIT if written == {} and not always else written

    return one_object


def _sort_key(obj: FisObject) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in (getattr(obj, f.name) for f in columns(type(obj))))


@dataclass(frozen=True)
class Column:
    """A field of a FisObject class with its converters, compiled once per class."""

    name: str
    meta: FisField
    read: Callable[[Any], Any]
    write: Callable[[Any], Any]

    def get(self, data: Mapping[str, Any]) -> Any:
        """The canonical value of this field in the file-format mapping ``data``."""
        path = self.meta.path
        value = data.get(path[0])
        for key in path[1:]:
            value = value.get(key) if isinstance(value, Mapping) else None
        return self.read(value)

    def put(self, out: dict[str, Any], value: Any) -> None:
        """Write ``value`` (file format) at this field's path in ``out``."""
        path = self.meta.path
        for key in path[:-1]:
            out = out.setdefault(key, {})
        out[path[-1]] = value


@functools.cache
def columns(cls: type) -> tuple[Column, ...]:
    """The fields of a FisObject class, each with its converters (compiled once per class)."""
    return tuple(
        Column(
            f.name,
            f.metadata["fis"],
            _reader(f.metadata["fis"], f.default is None),
            _writer(f.metadata["fis"]),
        )
        for f in fields(cls)
        if "fis" in f.metadata
    )


def to_file_format(value: Any) -> Any:
    """Model objects, dicts and lists (possibly holding Pulumi Outputs) -> the camelCase file format."""
    # isinstance, not duck typing: a Pulumi Output answers every getattr (``output.to_dict`` is an Output).
    if isinstance(value, FisObject):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): to_file_format(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_file_format(v) for v in value]
    return value


class FisObject:
    """Base of the model's FIS objects: ``from_dict`` and ``to_dict`` follow the field table."""

    @classmethod
    def from_dict(cls, data: Any) -> Any:
        """File-format dict (camelCase) -> model, canonical. Assumes ``validate(data)`` found no errors;
        fields of the wrong type are dropped rather than raising."""
        data = data if isinstance(data, Mapping) else {}
        return cls(**{column.name: column.get(data) for column in columns(cls)})

    def to_dict(self) -> dict[str, Any]:
        """The file-format dict: camelCase, sorted map keys, no None, empty or default noise."""
        out: dict[str, Any] = {}
        for column in columns(type(self)):
            value = column.write(getattr(self, column.name))
            if value is not _OMIT:
                column.put(out, value)
        return out
