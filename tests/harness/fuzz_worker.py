"""A worker process that reads hostile documents (``fuzz.Input``) under a memory limit, one at a time.

The child runs what a front end runs (``load_text``/``load_bytes``, or ``validate`` on a Python value
as the Pulumi provider and the Ansible ``template`` option do, then ``explain`` and ``iam_policy``
when the template is valid) with ``RLIMIT_AS`` at 512 MiB, and reports per input the outcome, the
CPU time and the peak of Python's allocations (tracemalloc). ``python -m tests.harness.fuzz_worker``
is the child itself.
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.harness.fuzz import Input

ROOT = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 512 * 1024 * 1024
# An input may use this much CPU (tracemalloc on, which slows allocation about 5x): a real document
# takes milliseconds, the largest one the limits let through (100,000 YAML values) about 3 s.
CPU_BOUND_S = 10.0
PEAK_BOUND = 256 * 1024 * 1024  # tracemalloc peak per input, under the process limit above
MESSAGE_BOUND = 6_000  # characters of one problem, path included (a 32-level path of long keys)


@dataclass(frozen=True)
class Outcome:
    """What one input did in the worker."""

    exception: str | None  # a traceback: the entry point raised
    internal: list[str]  # problems made by the internal-error path (a bug)
    problems: int
    longest: int  # characters of the longest problem, path included
    valid: bool
    cpu_s: float
    peak_bytes: int
    rss_kib: int  # the worker's peak resident size so far

    def failures(self) -> list[str]:
        """Why this outcome breaks the rules; empty when it is fine."""
        out = []
        if self.exception:
            out.append(f"raised:\n{self.exception}")
        if self.internal:
            out.append(f"internal error: {self.internal}")
        if self.cpu_s > CPU_BOUND_S:
            out.append(f"took {self.cpu_s:.2f} s of CPU (bound {CPU_BOUND_S} s)")
        if self.peak_bytes > PEAK_BOUND:
            out.append(f"peaked at {self.peak_bytes / 2**20:.0f} MiB (bound {PEAK_BOUND / 2**20:.0f} MiB)")
        if self.longest > MESSAGE_BOUND:
            out.append(f"a problem is {self.longest:,} characters long (bound {MESSAGE_BOUND:,})")
        from chaos_pulumi.spec.limits import MAX_PROBLEMS

        if self.problems > MAX_PROBLEMS + 1:
            out.append(f"{self.problems} problems (bound {MAX_PROBLEMS + 1})")
        return out


def _run_one(item: Input) -> Outcome:
    import traceback
    import tracemalloc

    from chaos_pulumi.spec import load_bytes, load_text, validate
    from chaos_pulumi.spec.explain import explain
    from chaos_pulumi.spec.iam import iam_policy
    from chaos_pulumi.spec.problems import is_internal

    tracemalloc.reset_peak()
    start = time.process_time()
    problems: list[Any] = []
    valid = False
    exception = None
    try:
        if item.kind == "data":
            problems = validate(item.payload)
        else:
            loaded = (
                load_text(item.payload, item.source)
                if item.kind == "text"
                else load_bytes(item.payload, item.source)
            )
            problems = loaded.problems
            if loaded.valid and loaded.spec is not None:
                valid = True
                explain(loaded.spec, problems)
                iam_policy(loaded.spec)
    except BaseException:  # noqa: BLE001 - the point is to see anything at all
        exception = traceback.format_exc()[-3000:]
    cpu = time.process_time() - start
    peak = tracemalloc.get_traced_memory()[1]
    return Outcome(
        exception=exception,
        internal=[str(p)[:300] for p in problems if is_internal(p)],
        problems=len(problems),
        longest=max((len(str(p)) for p in problems), default=0),
        valid=valid,
        cpu_s=cpu,
        peak_bytes=peak,
        rss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    )


def _serve() -> None:
    """The worker loop: length-prefixed pickles in on stdin, out on stdout."""
    import tracemalloc

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    import chaos_pulumi.spec  # noqa: F401 - load (and parse the catalog) before the first input

    chaos_pulumi.spec.catalog()
    tracemalloc.start()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = stdin.read(8)
        if len(header) < 8:
            return
        item = pickle.loads(stdin.read(struct.unpack("!Q", header)[0]))
        outcome = _run_one(item)
        body = pickle.dumps(outcome)
        stdout.write(struct.pack("!Q", len(body)) + body)
        stdout.flush()


class WorkerDied(Exception):
    pass


class Worker:
    """A child process that runs inputs one at a time under RLIMIT_AS; restarts after a crash."""

    def __init__(self, timeout_s: float = 60.0) -> None:
        self.timeout_s = timeout_s
        self.proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        return subprocess.Popen(
            [sys.executable, "-m", "tests.harness.fuzz_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )

    def run(self, item: Input) -> Outcome:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        body = pickle.dumps(item)
        try:
            self.proc.stdin.write(struct.pack("!Q", len(body)) + body)
            self.proc.stdin.flush()
            header = self._read(8)
            return pickle.loads(self._read(struct.unpack("!Q", header)[0]))
        except (OSError, WorkerDied) as e:
            self.close()
            raise WorkerDied(f"the worker died or hung on this input ({e}): {item.summary()}") from e

    def _read(self, n: int) -> bytes:
        assert self.proc is not None and self.proc.stdout is not None
        out = b""
        deadline = time.monotonic() + self.timeout_s
        while len(out) < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                raise WorkerDied(f"no answer in {self.timeout_s:.0f} s")
            chunk = os.read(self.proc.stdout.fileno(), n - len(out))
            if not chunk:
                raise WorkerDied(f"exit status {self.proc.wait()}")
            out += chunk
        return out

    def close(self) -> None:
        if self.proc is None:
            return
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


if __name__ == "__main__":
    from tests.harness.fuzz_worker import _serve as serve  # pickled classes keep their module name

    serve()
