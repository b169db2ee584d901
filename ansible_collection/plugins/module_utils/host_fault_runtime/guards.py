# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""The `stop_on` guard: its validation, one HTTP or command sample, and one check of it."""

from __future__ import annotations

import shlex
import time
import urllib.error
import urllib.request

from .clock import utc_iso
from .errors import FaultError
from .records import redact_url
from .runner import run

GUARD_INTERVAL_MAX_MS = 250


def normalize_guard(stop_on: dict | None) -> dict | None:
    """Validate `stop_on` and fill defaults; raises FaultError naming the field."""
    if not stop_on:
        return None
    url = stop_on.get("url")
    command = stop_on.get("command")
    if bool(url) == bool(command):
        raise FaultError("stop_on: give exactly one of stop_on.url or stop_on.command")
    interval = int(stop_on.get("interval_ms") or 200)
    if not 10 <= interval <= GUARD_INTERVAL_MAX_MS:
        raise FaultError(f"stop_on.interval_ms: must be within 10-{GUARD_INTERVAL_MAX_MS}, got {interval}")
    timeout_ms = int(stop_on.get("timeout_ms") or 1000)
    if timeout_ms < 1:
        raise FaultError("stop_on.timeout_ms: must be at least 1")
    guard = {"interval_ms": interval, "timeout_ms": timeout_ms}
    if url:
        if not str(url).startswith(("http://", "https://")):
            raise FaultError(f"stop_on.url: must start with http:// or https://, got {url!r}")
        status = stop_on.get("status") or [200]
        if not isinstance(status, list):
            status = [status]
        guard.update(url=str(url), status=[int(s) for s in status],
                     max_latency_ms=stop_on.get("max_latency_ms"))
    else:
        argv = command if isinstance(command, list) else shlex.split(str(command))
        if not argv:
            raise FaultError("stop_on.command: empty command")
        guard["command"] = [str(a) for a in argv]
    return guard


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102 - stdlib hook
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http_opener(validate_certs: bool = True):
    """An opener that never follows redirects; `validate_certs=False` accepts any certificate."""
    if validate_certs:
        return _OPENER
    import ssl

    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(context=ctx))


def http_sample(url: str, timeout_s: float, method: str = "GET", opener=None) -> dict:
    """One HTTP request -> {status, latency_ms, error}; redirects are not followed (3xx is the status)."""
    t0 = time.monotonic()
    status = None
    error = None
    try:
        req = urllib.request.Request(url, method=method, headers={"User-Agent": "chaos.faults-probe"})
        with (opener or _OPENER).open(req, timeout=timeout_s) as resp:
            status = resp.status
            resp.read(65536)
    except urllib.error.HTTPError as e:
        status = e.code
    except Exception as e:  # timeouts, refused connections, DNS: all are failed samples
        error = f"{type(e).__name__}: {e}"
    return {"status": status, "latency_ms": round((time.monotonic() - t0) * 1000, 3), "error": error}


def command_sample(argv: list, timeout_s: float) -> dict:
    t0 = time.monotonic()
    rc, _out, err = run(argv, timeout=timeout_s)
    error = err.strip()[-500:] if rc != 0 and err else None
    return {"rc": rc, "latency_ms": round((time.monotonic() - t0) * 1000, 3), "error": error}


def check_guard(guard: dict) -> dict | None:
    """Run one guard check; None when healthy, else the violation details."""
    timeout_s = guard["timeout_ms"] / 1000.0
    if "url" in guard:
        s = http_sample(guard["url"], timeout_s)
        reasons = []
        if s["status"] not in guard["status"]:
            detail = f" ({s['error']})" if s["error"] else ""
            reasons.append(f"status {s['status']} not in {guard['status']}{detail}")
        if guard.get("max_latency_ms") is not None and s["latency_ms"] > guard["max_latency_ms"]:
            reasons.append(f"latency {s['latency_ms']:.0f} ms > max_latency_ms {guard['max_latency_ms']}")
        if reasons:
            return {"at": utc_iso(time.time()), "check": "url", "url": redact_url(guard["url"]),
                    "reason": "; ".join(reasons),
                    "status": s["status"], "latency_ms": s["latency_ms"]}
        return None
    s = command_sample(guard["command"], timeout_s)
    if s["rc"] != 0:
        return {"at": utc_iso(time.time()), "check": "command", "command": guard["command"],
                "reason": f"exit status {s['rc']}" + (f": {s['error']}" if s["error"] else ""),
                "rc": s["rc"], "latency_ms": s["latency_ms"]}
    return None
