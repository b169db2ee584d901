# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Timestamps of the game day journal: parsing whatever the steps wrote, writing ISO-8601 UTC."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

# Python < 3.11 has no datetime.UTC; module_utils must stay importable there (ansible-test compile)
UTC = timezone.utc  # noqa: UP017


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 string or epoch seconds as an aware UTC datetime; None when unknown."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), tz=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def iso(value: Any) -> str | None:
    """ISO-8601 UTC of a time, or None."""
    parsed = parse_time(value)
    return parsed.isoformat() if parsed else None


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def seconds_between(start: Any, end: Any) -> float | None:
    """Seconds from start to end (3 decimals), or None when either is unknown."""
    a, b = parse_time(start), parse_time(end)
    if a is None or b is None:
        return None
    return round((b - a).total_seconds(), 3)


def sort_key(value: Any) -> datetime:
    """A key that sorts times in order and unknown times first."""
    return parse_time(value) or datetime.min.replace(tzinfo=UTC)


def clock(value: Any) -> str:
    """HH:MM:SS.mmm (UTC) of a time, for tables; the journal keeps full ISO-8601."""
    t = parse_time(value)
    return t.strftime("%H:%M:%S.") + f"{t.microsecond // 1000:03d}" if t else "–"
