"""Client tokens: derived from what is being made, so a retried request finds what the first one made."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def client_token(*parts: Any) -> str:
    """A FIS client token that is the same for the same ``parts`` (who asks, and for what).

    ``CreateExperimentTemplate`` and ``StartExperiment`` return what the first request with a token
    made instead of making a second one, so a create or start retried after a crash is harmless.
    """
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return "chaos-pulumi-" + hashlib.sha256(text.encode()).hexdigest()[:48]


__all__ = ["client_token"]
