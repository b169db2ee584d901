"""Shared fixtures: a real moto server process on loopback, reached by boto3 over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chaos_pulumi.local import (  # noqa: F401  (re-exported for tests and benchmarks)
    FAKE_ACCESS_KEY,
    FAKE_SECRET_KEY,
    REGION,
    MotoServer,
    free_port,
    moto_server_process,
)

ROOT = Path(__file__).resolve().parents[1]

pytest_plugins = ["tests.harness.ansible", "tests.harness.pulumi"]  # ansible*, pulumi_cli/env/stack fixtures


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """One moto server process per test session on a free loopback port."""
    with moto_server_process(tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server


@pytest.fixture
def moto(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """An empty moto account, with the standard AWS environment pointing at it for this test."""
    moto_server.reset()
    for key, value in moto_server.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_server
