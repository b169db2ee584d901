"""The chaos-pulumi guardrails as a Pulumi CrossGuard policy pack.

This directory is the pack: ``pulumi preview --policy-pack "$(chaos-pulumi policy-pack)"``. Importing
this package needs nothing beyond the standard library; the pack itself (``pack.py``) needs
``pulumi-policy`` (the ``policy`` extra).
"""

from __future__ import annotations

from pathlib import Path

PACK_DIR = Path(__file__).resolve().parent
PACK_NAME = "chaos-pulumi-guardrails"

__all__ = ["PACK_DIR", "PACK_NAME"]
