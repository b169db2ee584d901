"""ISO-8601 durations as FIS uses them (``PT5M``, ``PT1H30M``, ``PT90S``, ``P1D``)."""

from __future__ import annotations

import functools
import re

_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text: object) -> float | None:
    """Seconds in an ISO-8601 duration, or None when ``text`` is not one FIS accepts."""
    if not isinstance(text, str) or len(text) > 32:
        return None
    return _seconds(text)


@functools.lru_cache(maxsize=1024)  # templates repeat a handful of durations (PT5M, PT1M, ...)
def _seconds(text: str) -> float | None:
    m = _DURATION.match(text)
    if not m or text in ("P", "PT") or text.endswith("T"):
        return None
    d, h, mi, s = (m.group(g) for g in ("d", "h", "m", "s"))
    if d is None and h is None and mi is None and s is None:
        return None
    return int(d or 0) * 86400 + int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)


def format_duration(seconds: float) -> str:
    """Seconds -> a short human form: ``1h 30m``, ``5m``, ``45s``."""
    seconds = int(round(seconds))
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts)
