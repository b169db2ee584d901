"""Client factories: one boto3 client per service for one Region, made when first asked for.

The resolver and the kill switch call several services (FIS, the Resource Groups Tagging API, EC2,
RDS, ECS, EventBridge Scheduler, STS). They take a ``ClientFactory`` (service name -> client) instead
of building clients themselves, so a front end decides the Region, profile and endpoint once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chaos_pulumi.aws import aws_client

ClientFactory = Callable[[str], Any]


def client_factory(
    region: str | None = None, profile: str | None = None, endpoint_url: str | None = None
) -> ClientFactory:
    """Clients from the standard AWS environment (see ``aws_client``), one per service, reused."""
    made: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in made:
            made[service] = aws_client(service, region=region, profile=profile, endpoint_url=endpoint_url)
        return made[service]

    return client


def error_code(err: BaseException) -> str:
    """The AWS error code of a botocore ClientError (``""`` for anything else)."""
    response: Any = getattr(err, "response", None) or {}
    return str((response.get("Error") or {}).get("Code", ""))


def error_text(err: BaseException) -> str:
    """What went wrong, in one line: ``Code: message`` for AWS errors, else the exception's own text."""
    error = (getattr(err, "response", None) or {}).get("Error") or {}
    if error:
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
    return f"{type(err).__name__}: {err}"


__all__ = ["ClientFactory", "client_factory", "error_code", "error_text"]
