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


__all__ = ["ClientFactory", "client_factory"]
