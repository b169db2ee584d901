# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Secrets never reach a journal or a report: secret-looking keys are masked."""

from __future__ import annotations

import re
from typing import Any

SECRET_KEY = re.compile(r"pass(word)?|secret|token|credential|private_key|api_key|authorization", re.I)
MASK = "***"


def redact(value: Any) -> Any:
    """Copy of value with the values of secret-looking keys replaced by ***."""
    if isinstance(value, dict):
        return {k: (MASK if SECRET_KEY.search(str(k)) else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value
