"""AWS access for chaos-pulumi: boto3 clients built from the standard AWS environment.

Both front ends (the Pulumi providers and the Ansible FIS modules) hand the FIS layer in this package
(``templates``, ``experiments``) a client configured by ``client_config()``: the same retries, timeouts
and user agent, so the same template in gives the same FIS calls out.
"""

from __future__ import annotations

from typing import Any

from chaos_pulumi import __version__

USER_AGENT_EXTRA = f"chaos-pulumi/{__version__}"


def client_config() -> Any:
    """The botocore Config of every FIS client: standard retries (throttling and transient errors, with
    jittered backoff; creates and starts are safe to retry because they carry client tokens)."""
    from botocore.config import Config

    return Config(
        retries={"max_attempts": 5, "mode": "standard"},
        user_agent_extra=USER_AGENT_EXTRA,
        connect_timeout=10,
        read_timeout=30,
    )


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
    """A boto3 client with ``client_config()``.

    ``endpoint_url`` defaults to the standard ``AWS_ENDPOINT_URL`` (botocore reads it itself), which is
    how a local endpoint such as a moto server is reached; no code path here checks for tests.
    """
    session = aws_session(region, profile)
    kwargs: dict[str, Any] = {"config": client_config()}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    return session.client(service, **kwargs)


def fis_client(region: str | None = None, profile: str | None = None, endpoint_url: str | None = None) -> Any:
    """A boto3 FIS client (see ``aws_client``)."""
    return aws_client("fis", region=region, profile=profile, endpoint_url=endpoint_url)


__all__ = ["USER_AGENT_EXTRA", "aws_client", "aws_session", "client_config", "fis_client"]
