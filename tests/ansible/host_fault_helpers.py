"""Helpers shared by the real-kernel host-fault tests (Ansible modules and the runtime's CLI)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
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


DOCS = Path(__file__).resolve().parents[2] / "docs" / "host-faults.md"
COLLECTION_SRC = Path(__file__).resolve().parents[2] / "ansible_collection"
RECORD_BLOCK_MARK = "# fault-record block: paste it here from cpu_stress.py (fault_id ... swept)\n"


def docs_example() -> tuple[str, str]:
    """The example fault module and its registration line, as the docs' "Adding a fault" shows them."""
    text = DOCS.read_text()
    section = text[text.index("## Adding a fault"):]
    section = section[: section.index("\n## ", 1)]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, re.S)
    module = next(body for lang, body in blocks if lang == "python")
    line = next(body for lang, body in blocks if lang == "yaml")
    return module, line


def collection_with_docs_example(base: Path) -> Path:
    """A copy of chaos.faults with the docs' example fault added exactly as the docs say: the module file
    (with the fault-record RETURN block pasted where its comment says) and the line in meta/runtime.yml.
    Returns the collections root (the directory that holds ansible_collections/)."""
    module, line = docs_example()
    dest = base / "ansible_collections" / "chaos" / "faults"
    shutil.copytree(COLLECTION_SRC, dest, ignore=shutil.ignore_patterns("__pycache__", "output"))
    cpu = (COLLECTION_SRC / "plugins" / "modules" / "cpu_stress.py").read_text()
    block = cpu[cpu.index('RETURN = r"""\n') + len('RETURN = r"""\n'): cpu.index("\ninjected:\n") + 1]
    assert RECORD_BLOCK_MARK in module, "the docs' example lost its paste-here comment"
    (dest / "plugins" / "modules" / "process_pause.py").write_text(module.replace(RECORD_BLOCK_MARK, block))
    runtime = dest / "meta" / "runtime.yml"
    text = runtime.read_text()
    assert "  host_faults:\n" in text
    runtime.write_text(text.replace("  host_faults:\n", "  host_faults:\n" + line, 1))
    return base


def sleeper(directory: Path) -> tuple[subprocess.Popen, str]:
    """A `sleep` under a process name of its own (so pausing it by name touches nothing else)."""
    name = f"chfx{os.getpid() % 10**6}{int(time.time() * 1000) % 10**4}"[:15]
    binary = directory / name
    shutil.copy("/bin/sleep", binary)
    return subprocess.Popen([str(binary), "300"]), name


def proc_state(pid: int, want: str, timeout: float = 2.0) -> str:
    """The state letter in /proc/<pid>/stat once it is `want` (signals land asynchronously), else the last."""
    deadline = time.time() + timeout
    while True:
        data = Path(f"/proc/{pid}/stat").read_text()
        state = data[data.rfind(")") + 2]
        if state == want or time.time() > deadline:
            return state
        time.sleep(0.01)
