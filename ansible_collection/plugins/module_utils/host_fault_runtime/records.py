# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Fault records: one JSON file per fault, written atomically, never holding a password."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import time
import uuid

from .errors import FaultError
from .procs import proc_stat, started_at

RECORD_DIR = "/run/chaos-faults"
# A half-written record (`<id>.json.<pid>.tmp`) older than this, with no live writer, is swept.
SWEEP_AFTER_S = 10.0
_TMP_RE = re.compile(r"^.+\.json\.(\d+)\.tmp$")
_FAULT_ID_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")


class RecordStore:
    """One JSON file per fault under `directory`; writes are atomic (write + rename)."""

    def __init__(self, directory: str = RECORD_DIR) -> None:
        self.directory = directory

    def ensure(self) -> None:
        if not os.path.isdir(self.directory):
            os.makedirs(self.directory, 0o700)

    def path(self, fault_id: str) -> str:
        return os.path.join(self.directory, fault_id + ".json")

    @contextlib.contextmanager
    def lock(self):
        self.ensure()
        fd = os.open(os.path.join(self.directory, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def read(self, fault_id: str) -> dict | None:
        try:
            with open(self.path(fault_id)) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def write(self, record: dict) -> None:
        self.ensure()
        final = self.path(record["fault_id"])
        tmp = f"{final}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump(record, f, indent=2, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)

    def update(self, fault_id: str, **fields) -> dict | None:
        with self.lock():
            rec = self.read(fault_id)
            if rec is None:
                return None
            rec.update(fields)
            self.write(rec)
            return rec

    def all(self) -> list:
        try:
            names = os.listdir(self.directory)
        except OSError:
            return []
        out = []
        for name in names:
            if name.endswith(".json"):
                rec = self.read(name[: -len(".json")])
                if rec is not None:
                    out.append(rec)
        out.sort(key=lambda r: (r.get("started_at") or "", r.get("fault_id")))
        return out

    def sweep_temporary(self, older_than: float = SWEEP_AFTER_S) -> list:
        """Remove half-written records (a writer killed between write and rename); returns their names.

        Only files older than `older_than` whose writer is gone: no process has the pid in the name,
        or the one that has it started after the file was last written (the pid was reused).
        """
        try:
            names = os.listdir(self.directory)
        except OSError:
            return []
        now = time.time()
        swept = []
        for name in sorted(names):
            m = _TMP_RE.match(name)
            if not m:
                continue
            path = os.path.join(self.directory, name)
            try:
                mtime = os.lstat(path).st_mtime
            except OSError:
                continue
            if now - mtime < older_than or _writer_alive(int(m.group(1)), mtime):
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
                swept.append(name)
        return swept


def _writer_alive(pid: int, mtime: float) -> bool:
    st = proc_stat(pid)
    if st is None or st["state"] in ("Z", "X"):
        return False
    return started_at(st) <= mtime + 1.0  # btime has whole seconds: when unsure, assume the writer lives


def new_fault_id() -> str:
    return uuid.uuid4().hex[:12]


def check_fault_id(fault_id: str) -> str:
    """A fault id names a file in the record directory: no path separators, no leading dot."""
    if not _FAULT_ID_RE.match(fault_id or ""):
        raise FaultError(f"fault_id: {fault_id!r} must be 1-64 letters, digits, '_', '-' or '.' "
                         "(not starting with '.'); leave it out to get a random one")
    return fault_id


def is_active(record: dict) -> bool:
    return record.get("state") in ("armed", "active")


def redact_url(url: str) -> str:
    """`http://user:secret@host/` -> `http://user:***@host/`: records and results never hold passwords."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, path = rest.partition("/")
    if "@" not in netloc:
        return url
    userinfo, _sep, hostport = netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{hostport}{slash}{path}"


def redacted_record(record: dict) -> dict:
    rec = dict(record)
    if rec.get("stop_on") and rec["stop_on"].get("url"):
        rec["stop_on"] = dict(rec["stop_on"], url=redact_url(rec["stop_on"]["url"]))
    params = dict(rec.get("params") or {})
    if isinstance(params.get("stop_on"), dict) and params["stop_on"].get("url"):
        params["stop_on"] = dict(params["stop_on"], url=redact_url(params["stop_on"]["url"]))
    rec["params"] = params
    return rec
