"""Helpers shared by the real-kernel host-fault tests (Ansible modules and the runtime's CLI)."""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

IN_CI = os.environ.get("CI") == "true"


def need(condition: bool, reason: str) -> None:
    """Skip locally when a prerequisite is missing; in CI (CI=true) that is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"prerequisite missing in CI: {reason} (scripts/install-system-deps installs it)")
    pytest.skip(reason)


class _Health:
    status = 200


class HealthServer:
    """A tiny HTTP service on 127.0.0.1:<free port>; `status` is what /health answers."""

    def __init__(self) -> None:
        state = _Health()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                body = b"ok\n" if state.status == 200 else b"unhealthy\n"
                self.send_response(state.status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.state = state
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/health"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def set_status(self, status: int) -> None:
        self.state.status = status

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def read_record(record_dir: Path, fault_id: str) -> dict[str, Any]:
    return json.loads((record_dir / f"{fault_id}.json").read_text())


def wait_reverted(record_dir: Path, fault_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.time() + timeout
    while True:
        rec = read_record(record_dir, fault_id)
        if rec["state"] == "reverted":
            return rec
        if time.time() > deadline:
            raise AssertionError(f"fault {fault_id} not reverted after {timeout}s: {rec}")
        time.sleep(0.05)
