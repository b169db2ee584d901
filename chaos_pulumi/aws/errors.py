"""AWS errors as the FIS layer reports them: codes, not-found, and failures meant for the user."""

from __future__ import annotations

from typing import Any


class FisError(Exception):
    """A failure with a message meant for the user: what failed, and what to do about it."""


def error_code(err: BaseException) -> str:
    """The AWS error code of a botocore ClientError (``""`` for anything else)."""
    response: Any = getattr(err, "response", None) or {}
    return str((response.get("Error") or {}).get("Code", ""))


def is_not_found(err: BaseException) -> bool:
    return error_code(err) in ("ResourceNotFoundException", "NotFoundException", "404")


def error_text(err: BaseException) -> str:
    """What went wrong, in one line: ``Code: message`` for AWS errors, else ``Type: text`` (the type of
    a botocore error, e.g. ``EndpointConnectionError``, says as much as its text)."""
    error = (getattr(err, "response", None) or {}).get("Error") or {}
    if error:
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
    return f"{type(err).__name__}: {err}"


__all__ = ["FisError", "error_code", "error_text", "is_not_found"]
