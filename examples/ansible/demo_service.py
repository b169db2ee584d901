#!/usr/bin/env python3
"""A tiny HTTP service to run game days against (stdlib only).

    python3 demo_service.py --host 127.0.0.1 --port 8080 [--work-ms 2] [--pid-file F]

Endpoints:
  GET  /health               200 {"ok": true, ...} (or the status set below); does --work-ms of CPU work
                             per request, so CPU pressure on the host shows up as latency
  GET  /                     same as /health
  POST /admin/status/<code>  make /health answer <code> from now on (e.g. 503 to break steady state)

It binds only the address given (loopback by default) and stops on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class DemoService(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], work_ms: float) -> None:
        super().__init__(address, Handler)
        self.work_ms = work_ms
        self.health_status = 200
        self.started = time.time()
        self.requests = 0


class Handler(BaseHTTPRequestHandler):
    server: DemoService
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - keep stderr quiet
        return

    def _send(self, status: int, body: dict) -> None:
        data = (json.dumps(body) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.split("?")[0] not in ("/", "/health"):
            self._send(404, {"error": f"no such path {self.path}; try /health"})
            return
        self.server.requests += 1
        # CPU work measured in process CPU time, so a busy host makes the request slower
        end = time.thread_time() + self.server.work_ms / 1000.0
        n = 0
        while time.thread_time() < end:
            n += 1
        status = self.server.health_status
        self._send(
            status,
            {
                "ok": status < 400,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "requests": self.server.requests,
            },
        )

    def do_POST(self) -> None:  # noqa: N802
        parts = self.path.strip("/").split("/")
        if len(parts) == 3 and parts[:2] == ["admin", "status"] and parts[2].isdigit():
            self.server.health_status = int(parts[2])
            self._send(200, {"health_status": self.server.health_status})
            return
        self._send(404, {"error": "POST /admin/status/<code>"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port (printed on stdout)")
    parser.add_argument("--work-ms", type=float, default=2.0, help="CPU milliseconds of work per request")
    parser.add_argument("--pid-file", help="write the process id here")
    parser.add_argument("--port-file", help="write the bound port here (useful with --port 0)")
    args = parser.parse_args(argv)
    server = DemoService((args.host, args.port), args.work_ms)
    port = server.server_address[1]
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write(f"{os.getpid()}\n")
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    print(f"demo service listening on http://{args.host}:{port}/health", flush=True)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
