# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Timestamps as records keep them: ISO-8601 UTC with milliseconds."""

from __future__ import annotations

import calendar
import time


def utc_iso(ts: float) -> str:
    """Epoch seconds -> `2026-11-26T19:04:57.123Z`."""
    ms = int(round((ts - int(ts)) * 1000))
    sec = int(ts)
    if ms == 1000:
        sec, ms = sec + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + f".{ms:03d}Z"


def parse_iso(text: str) -> float:
    """`utc_iso` output -> epoch seconds."""
    base, _sep, frac = text.rstrip("Z").partition(".")
    return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) + (float("0." + frac) if frac else 0.0)
