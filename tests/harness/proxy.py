"""Loopback HTTP proxies in front of the moto server, for tests and benchmarks that need to see (count,
record) every AWS API call a tool makes. Shared by tests/ and bench/ (this is the one place)."""

from __future__ import annotations

from collections.abc import Mapping


class LoopbackProxy:
    """An HTTP proxy on a free loopback port that forwards every request, as it is, to `upstream` (the
    moto server), and the response as it is back (status and headers included: no Date or Server of
    its own). Each request is passed to `seen_request(method, path, body)` before it is forwarded
    (by default `seen(method, path)`): subclasses record or count there. With `services`, only the
    requests signed for those services (the SigV4 credential scope: `fis`, `sts`, `ec2`, ...) are
    passed on, e.g. to record a tool's FIS calls but not the lookups of its preflight. Point a tool's
    AWS_ENDPOINT_URL at `url` instead of moto's."""

    def __init__(self, upstream: str, services: tuple[str, ...] | None = None) -> None:
        import http.client
        import http.server
        import threading
        import urllib.parse

        target = urllib.parse.urlsplit(upstream)
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                return None

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if services is None or signed_for(self.headers.get("Authorization")) in services:
                    proxy.seen_request(self.command, self.path, body or b"")
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                    headers["Host"] = target.netloc
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                finally:
                    conn.close()
                self.send_response_only(resp.status)
                for key, value in resp.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def seen_request(self, method: str, path: str, body: bytes) -> None:
        """Called with each request before it is forwarded; calls `seen(method, path)`."""
        self.seen(method, path)

    def seen(self, method: str, path: str) -> None:
        """Called with each request's method and raw path (query included) before it is forwarded."""

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def signed_for(authorization: str | None) -> str | None:
    """The service a SigV4 request is signed for: Credential=<key>/<date>/<region>/<service>/aws4_request."""
    credential = (authorization or "").partition("Credential=")[2].split(",", 1)[0]
    parts = credential.split("/")
    return parts[3] if len(parts) == 5 else None


class CountingProxy(LoopbackProxy):
    """A `LoopbackProxy` that counts FIS API calls.

    `snapshot()` returns the calls seen so far as {"GET /experimentTemplates/{id}": n, ...}, and
    `reads`/`writes` split them by method.
    """

    def __init__(self, upstream: str, services: tuple[str, ...] | None = None) -> None:
        import threading

        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        super().__init__(upstream, services)

    @staticmethod
    def operation(method: str, path: str) -> str:
        """FIS REST path with ids replaced: `GET /experimentTemplates/{id}`."""
        parts = path.split("?", 1)[0].strip("/").split("/")
        shape = [parts[0]] + ["{id}" for _ in parts[1:2]] + parts[2:]
        return f"{method} /{'/'.join(p for p in shape if p)}"

    def seen(self, method: str, path: str) -> None:
        if path.startswith("/moto-api"):
            return
        op = self.operation(method, path)
        with self._lock:
            self._counts[op] = self._counts.get(op, 0) + 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    @staticmethod
    def diff(after: Mapping[str, int], before: Mapping[str, int]) -> dict[str, int]:
        return {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0)}

    @staticmethod
    def reads(calls: Mapping[str, int]) -> int:
        return sum(n for op, n in calls.items() if op.startswith(("GET ", "HEAD ")))

    @staticmethod
    def writes(calls: Mapping[str, int]) -> int:
        return sum(n for op, n in calls.items() if not op.startswith(("GET ", "HEAD ")))
