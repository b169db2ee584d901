# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""The one error type of the host-fault runtime; drivers turn it into fail_json or exit status 1."""

from __future__ import annotations


class FaultError(Exception):
    """A refusal or failure; the message names the field and the fix. `details` join the result."""

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.details = details


class InvalidValue(FaultError, ValueError):
    """A user value that cannot be used (raised by the pure parsers in commands.py)."""
