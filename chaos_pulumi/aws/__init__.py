"""AWS access for chaos-pulumi: a boto3 FIS client built from the standard AWS environment."""

from __future__ import annotations

from typing import Any

from chaos_pulumi import __version__

USER_AGENT_EXTRA = f"chaos-pulumi/{__version__}"


def aws_session(region: str | None = None, profile: str | None = None) -> Any:
    """A boto3 Session from the standard AWS environment (env vars, profile, SSO, instance role)."""
    import boto3

    return boto3.Session(region_name=region, profile_name=profile)


def aws_client(
    service: str,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
) -> Any:
    """A boto3 client with standard retries and the chaos-pulumi user agent.

    ``endpoint_url`` defaults to the standard ``AWS_ENDPOINT_URL`` (botocore reads it itself), which is
    how a local endpoint such as a moto server is reached; no code path here checks for tests.
    """
    from botocore.config import Config

    session = aws_session(region, profile)
    config = Config(
        retries={"max_attempts": 5, "mode": "standard"},
        user_agent_extra=USER_AGENT_EXTRA,
        connect_timeout=10,
        read_timeout=30,
    )
    kwargs: dict[str, Any] = {"config": config}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    return session.client(service, **kwargs)


def fis_client(region: str | None = None, profile: str | None = None, endpoint_url: str | None = None) -> Any:
    """A boto3 FIS client (see ``aws_client``)."""
    return aws_client("fis", region=region, profile=profile, endpoint_url=endpoint_url)


__all__ = ["USER_AGENT_EXTRA", "aws_client", "aws_session", "fis_client"]
