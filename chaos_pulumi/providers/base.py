"""What both FIS providers share: clients from the environment, unknown values, messages.

The FIS work itself (plans, writes, runs, tokens, tags) is in ``chaos_pulumi.aws``, shared with the
Ansible modules; the providers translate between Pulumi and that layer.

Nothing here holds a client or a credential on an object that Pulumi serialises: clients are built
inside each provider method from the standard AWS environment of the process that runs it.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.dynamic import ResourceProvider
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from chaos_pulumi.aws.clients import ClientFactory, client_factory
from chaos_pulumi.aws.errors import FisError

# Problems the user can fix carry this exception; everything else is a bug and keeps its traceback.
__all__ = [
    "UNKNOWN",
    "FisProvider",
    "ProviderError",
    "account_clients",
    "fis",
    "has_unknowns",
    "is_unknown",
    "progress",
    "short_name",
    "touches_unknown",
    "unknown_paths",
    "whole_numbers",
]


class ProviderError(FisError):
    """A failure with a message meant for the user (what failed, and what to do about it)."""


class _MessageForProviderErrors:
    """Stands in for the ``traceback`` module inside Pulumi's dynamic-provider server (see below)."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def format_exc(self, *args: Any, **kwargs: Any) -> str:
        err = sys.exc_info()[1]
        if isinstance(err, FisError):
            return str(err)
        return self._real.format_exc(*args, **kwargs)


def _report_provider_errors_without_traceback() -> None:
    """In Pulumi's dynamic-provider process, show a FisError (a ProviderError too) as its message.

    ``pulumi.dynamic.__main__`` reports every exception as ``traceback.format_exc()``, which the CLI prints
    in full. A FisError is a message for the user (what failed and what to do), so that module's
    ``traceback`` name is pointed at a stand-in that formats a FisError as its text; any other
    exception keeps its trace, since it is a bug. Nothing changes anywhere else (programs, tests).
    """
    server = sys.modules.get("__main__")
    if getattr(server, "DynamicResourceProviderServicer", None) is None:
        return
    real = getattr(server, "traceback", None)
    if real is None or isinstance(real, _MessageForProviderErrors):
        return
    server.traceback = _MessageForProviderErrors(real)


class FisProvider(ResourceProvider):
    """Base of the FIS providers: no state of its own, so the serialised provider is a class reference."""

    # The provider object holds nothing, secret or not, so there is nothing to encrypt in state.
    serialize_as_secret_always = False

    def __init__(self) -> None:
        super().__init__()


# ----- AWS clients -----------------------------------------------------------------------------


# The AWS settings a client depends on; a client is reused only while they are unchanged (and while
# every service-specific AWS_ENDPOINT_URL_<SERVICE> is unchanged).
_CLIENT_ENV = (
    "AWS_ENDPOINT_URL",
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
)
_factories: dict[tuple[str, ...], ClientFactory] = {}
_clients_lock = threading.Lock()


def account_clients(region: str | None = None) -> ClientFactory:
    """Clients for the account's services (FIS, and what the preflight queries) from the standard AWS
    environment (credentials, profile, AWS_ENDPOINT_URL), one per service.

    Building a boto3 client costs ~0.1-0.2 s, once per resource adds up, so the provider process keeps
    them per region and environment (boto3 clients are thread-safe). They live only in that process's
    memory, for the length of one Pulumi operation; nothing of them reaches the state.
    """
    endpoints = sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_ENDPOINT_URL_"))
    key = (region or "", *(os.environ.get(name, "") for name in _CLIENT_ENV), repr(endpoints))
    with _clients_lock:
        factory = _factories.get(key)
        if factory is None:
            factory = _factories[key] = client_factory(region=region or None)
    return factory


def fis(region: str | None = None) -> Any:
    """A FIS client from the standard AWS environment (see :func:`account_clients`)."""
    return account_clients(region)("fis")


def preflight_policy() -> Any:
    """The guardrail policy whose caps the preflight applies: ``$CHAOS_PULUMI_POLICY``, else the
    ``chaos-pulumi.yaml`` above the Pulumi project directory (the provider runs there), else the safe
    defaults; the policy pack reads the same. Raises ``PolicyUnavailable`` when it does not load."""
    from chaos_pulumi.aws.caps import guardrail_policy

    return guardrail_policy(None, start=os.getcwd(), option="policy setting")


def environment_region() -> str | None:
    """The region the standard AWS environment of this process selects."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(name):
            return os.environ[name]  # what botocore would pick, without importing it (a preview stays fast)
    return _configured_region()


@functools.lru_cache(maxsize=1)
def _configured_region() -> str | None:
    """The region of the AWS profile/config files (read once: they do not change while a provider runs)."""
    import boto3

    return boto3.session.Session().region_name


# ----- unknown values (pulumi preview) ---------------------------------------------------------


def is_unknown(value: Any) -> bool:
    """A value not known yet (preview): Pulumi hands it to providers as ``Unknown()`` (or its wire string)."""
    return isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN)


def unknown_paths(value: Any, prefix: str = "") -> list[str]:
    """Dotted paths (``actions.stop.targets.Instances``, ``stopConditions.0.value``) of unknown values."""
    if is_unknown(value):
        return [prefix]
    found: list[str] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            found += unknown_paths(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found += unknown_paths(v, f"{prefix}.{i}" if prefix else str(i))
    return found


def has_unknowns(value: Any) -> bool:
    return bool(unknown_paths(value))


_INDEX = re.compile(r"\[(\d+)\]")


def touches_unknown(path: str, unknown: Iterable[str]) -> bool:
    """True when a problem at ``path`` may only be there because a value is not known yet."""
    path = _INDEX.sub(r".\1", path)
    for u in unknown:
        if u == "" or path == "" or path == u or path.startswith(u + ".") or u.startswith(path + "."):
            return True
    return False


def whole_numbers(value: Any) -> Any:
    """Pulumi sends every number as a float (2 arrives as 2.0); give whole numbers back their int form."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value


# ----- messages ---------------------------------------------------------------------------------


def progress(message: str) -> None:
    """One line on the provider's stderr, which the Pulumi CLI shows while the operation runs."""
    print(f"chaos-pulumi: {message}", file=sys.stderr, flush=True)


def short_name(resource_key: Any) -> str:
    """The resource name at the end of ``project/stack/name``."""
    # Project and stack names cannot hold "/", resource names can.
    return str(resource_key or "").split("/", 2)[-1] or "resource"


_report_provider_errors_without_traceback()
