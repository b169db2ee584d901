# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Operator notes of a game day (human drills): given as variables or kept in a text file.

A note is {text, at, author, host}; only text is required. In a notes file each non-empty line is a
note, optionally starting with its time (ISO-8601, or HH:MM[:SS] UTC on the game day's date);
lines starting with # are comments.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ansible_collections.chaos.faults.plugins.module_utils.game_day.times import iso, parse_time

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(.*)$")
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)\s+(.*)$")
NOTE_KEYS = ("text", "at", "author", "host")


class NoteError(ValueError):
    """A note that cannot be read; the message names it."""


def note_from_value(value: Any, where: str) -> dict[str, str]:
    """A note given as a variable: a string, or a mapping with text and optionally at, author, host."""
    if isinstance(value, str):
        value = {"text": value}
    if not isinstance(value, dict) or not str(value.get("text") or "").strip():
        raise NoteError(
            f"{where}: a note is a string or a mapping with text (at, author, host optional), got {value!r}"
        )
    unknown = sorted(set(value) - set(NOTE_KEYS))
    if unknown:
        raise NoteError(f"{where}: unknown key(s) {', '.join(unknown)} (a note has {', '.join(NOTE_KEYS)})")
    note = {"text": str(value["text"]).strip()}
    if value.get("at") not in (None, ""):
        if parse_time(value["at"]) is None:
            raise NoteError(f"{where}.at: {value['at']!r} is not an ISO-8601 time")
        note["at"] = iso(value["at"])
    for key in ("author", "host"):
        if value.get(key):
            note[key] = str(value[key])
    return note


def notes_from_text(text: str, day: datetime | None) -> list[dict[str, str]]:
    """The notes of a notes file; `day` (a datetime) dates the HH:MM[:SS] times."""
    notes = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        note = {"text": line}
        m = _ISO.match(line)
        if m and parse_time(m.group(1)) is not None:
            note = {"text": m.group(2), "at": iso(m.group(1))}
        else:
            m = _CLOCK.match(line)
            if m and day is not None and int(m.group(1)) < 24 and int(m.group(2)) < 60:
                at = day.replace(
                    hour=int(m.group(1)), minute=int(m.group(2)), second=int(m.group(3) or 0), microsecond=0
                )
                note = {"text": m.group(4), "at": at.isoformat()}
        notes.append(note)
    return notes
