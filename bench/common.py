"""Shared pieces of the benchmark suite: statistics, result rows, the run context and the writers.

A benchmark is a function `collect(ctx: Context) -> list[Row]`. It runs the baseline and ours in the
same invocation, interleaved round by round (so machine load drifts hit both alike), and returns one
`Row` per figure. It never asserts on time; when a prerequisite is missing it raises `BenchSkipped`
with the reason, and `bench/run.py` records that instead of a figure.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bench" / "out"
TOOLS_BIN = ROOT / ".tools" / "bin"
VENV_BIN = Path(sys.executable).parent

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class BenchSkipped(Exception):
    """A prerequisite of this benchmark is missing; the message says which and how to get it."""


# --------------------------------------------------------------------------------------------- stats


def percentile(sorted_samples: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of already sorted samples."""
    if not sorted_samples:
        return math.nan
    if len(sorted_samples) == 1:
        return float(sorted_samples[0])
    pos = (len(sorted_samples) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return float(sorted_samples[lo] + (sorted_samples[hi] - sorted_samples[lo]) * (pos - lo))


@dataclass(frozen=True)
class Stats:
    """Summary of repeated measurements of one figure."""

    n: int
    median: float
    min: float
    max: float
    q1: float
    q3: float
    p99: float
    samples: tuple[float, ...]

    @classmethod
    def of(cls, samples: Sequence[float]) -> Stats:
        if not samples:
            raise ValueError("no samples to summarize")
        s = sorted(float(x) for x in samples)
        return cls(
            n=len(s),
            median=percentile(s, 50),
            min=s[0],
            max=s[-1],
            q1=percentile(s, 25),
            q3=percentile(s, 75),
            p99=percentile(s, 99),
            samples=tuple(float(x) for x in samples),
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["samples"] = list(self.samples)
        return d


@dataclass
class Row:
    """One figure: ours (and, when there is one, the baseline measured in the same run)."""

    case: str  # what was varied, e.g. "50 resources", "cpu_stress"
    metric: str  # what was measured, e.g. "pulumi up", "guard→revert"
    unit: str  # "s", "ms", "templates/s", "calls", ...
    ours: Stats | None  # None when only the baseline could run (the note says why)
    baseline: Stats | None = None
    baseline_name: str = ""
    better: str = "lower"  # "lower" for times, "higher" for throughput
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """ours median / baseline median (None without a baseline)."""
        if self.ours is None or self.baseline is None or self.baseline.median == 0:
            return None
        return self.ours.median / self.baseline.median

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "metric": self.metric,
            "unit": self.unit,
            "better": self.better,
            "ours": self.ours.to_dict() if self.ours else None,
            "baseline_name": self.baseline_name or None,
            "baseline": self.baseline.to_dict() if self.baseline else None,
            "ratio": self.ratio,
            "note": self.note,
        }


def paired_rows(
    case: str,
    unit: str,
    ours: Mapping[str, Sequence[float]],
    baseline: Mapping[str, Sequence[float]],
    baseline_name: str,
    note: str = "",
) -> list[Row]:
    """One Row per metric present in both `ours` and `baseline` (metric -> samples)."""
    return [
        Row(case, metric, unit, Stats.of(ours[metric]), Stats.of(baseline[metric]), baseline_name, note=note)
        for metric in ours
        if ours[metric] and baseline.get(metric)
    ]


# ---------------------------------------------------------------------------------------- context


@dataclass
class Context:
    """What every benchmark gets: mode, round count, scratch space, and shared services."""

    quick: bool = False
    rounds: int = 5
    work_dir: Path = field(default_factory=lambda: Path("/tmp"))
    out_dir: Path = DEFAULT_OUT
    verbose: bool = True
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    _moto: Any = None
    extra: dict[str, Any] = field(default_factory=dict)  # per-benchmark details for results.json

    def log(self, msg: str) -> None:
        if self.verbose:
            print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    def rounds_for(self, full: int | None = None, quick: int = 1) -> int:
        """Round count: `quick` in quick mode, else `full` (default: the --rounds value)."""
        return quick if self.quick else (full if full is not None else self.rounds)

    def moto(self) -> Any:
        """The shared moto server of this run (started on first use, stopped at the end)."""
        if self._moto is None:
            from chaos_pulumi.local import moto_server_process

            self.log("starting moto server")
            self._moto = self._stack.enter_context(moto_server_process(self.work_dir / "moto.log"))
        return self._moto

    def env(self, aws: bool = False, **extra: str) -> dict[str, str]:
        """The process environment for child tools: PATH with .tools/bin and the venv first,
        the moto server's AWS settings when `aws`, plus `extra`."""
        env = dict(os.environ)
        env["PATH"] = bench_path()
        env.pop("AWS_PROFILE", None)
        if aws:
            env.update(self.moto().env)
        env.update(extra)
        return env

    def scratch(self, name: str) -> Path:
        """A fresh directory under this run's work dir."""
        path = self.work_dir / name
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path

    def close(self) -> None:
        self._stack.close()


# ------------------------------------------------------------------------------------------ timing


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds, result) of one call."""
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


class CommandFailed(RuntimeError):
    pass


def run_cmd(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 1800,
    input_text: str | None = None,
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run a command, return (wall seconds, completed process); raise with the output tail on failure."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        list(argv),
        env=dict(env) if env is not None else None,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input_text,
    )
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = (proc.stdout[-3000:] + "\n" + proc.stderr[-3000:]).strip()
        raise CommandFailed(f"{' '.join(argv[:4])}... exited {proc.returncode}:\n{tail}")
    return elapsed, proc


def bench_path() -> str:
    """PATH for child tools: the project's Pulumi CLI and venv first."""
    return os.pathsep.join([str(TOOLS_BIN), str(VENV_BIN), os.environ.get("PATH", "")])


def require_executable(name: str, hint: str) -> str:
    """Path of `name` on the benchmark PATH, or BenchSkipped with `hint`."""
    path = shutil.which(name, path=bench_path())
    if path is None:
        raise BenchSkipped(f"`{name}` not found; {hint}")
    return path


def namespace_host_harness(who_needs_root: str) -> tuple[Any, Any]:
    """The test-host harness modules `(tests.harness.ansible, tests.harness.hosts)`, or BenchSkipped
    saying what is missing: root (`who_needs_root` need it), the harness itself, or its system tools."""
    if os.geteuid() != 0:
        raise BenchSkipped(f"{who_needs_root} need root")
    try:
        from tests.harness import ansible as harness_ansible
        from tests.harness import hosts as harness_hosts
    except ImportError as e:
        raise BenchSkipped(f"test-host harness not there yet: {e}") from e
    missing = harness_hosts.missing_tools()
    if missing:
        raise BenchSkipped(f"namespace hosts need {', '.join(missing)}: run scripts/install-system-deps")
    return harness_ansible, harness_hosts


# ----------------------------------------------------------------------------------------- machine


def _first_line(cmd: Sequence[str]) -> str | None:
    try:
        out = subprocess.run(list(cmd), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else None


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine_info() -> dict[str, Any]:
    """What the figures were taken on: hardware, kernel, tool versions, commit."""
    cpu_model = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    mem_gib = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        mem_gib = round(kib / 1024 / 1024, 1)
    pulumi = shutil.which("pulumi", path=bench_path())
    chaos = shutil.which("chaos", path=bench_path())
    chaos_version = [chaos, "--no-version-check", "--no-log-file", "--version"] if chaos else None
    return {
        "cpu": cpu_model,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "pulumi": _first_line([pulumi, "version"]) if pulumi else None,
        "ansible": _first_line([str(VENV_BIN / "ansible-playbook"), "--version"]),
        "chaostoolkit": _first_line(chaos_version) if chaos_version else None,
        "git_commit": _first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
    }


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ----------------------------------------------------------------------------------------- writers


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    if ax >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def fmt_stats(s: dict[str, Any] | None) -> str:
    if not s:
        return "–"
    if s["n"] == 1:
        return _fmt(s["median"])
    text = f"{_fmt(s['median'])} [{_fmt(s['min'])}–{_fmt(s['max'])}]"
    if s["n"] >= 20:  # enough samples for a tail figure
        text += f", p99 {_fmt(s['p99'])}"
    return text


def render_markdown(results: dict[str, Any]) -> str:
    """The results table: one section per benchmark, median [min–max] over n rounds, and the ratio."""
    m = results["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"- started {results['started_at']}, finished {results['finished_at']} "
        f"({results['options']['mode']} mode, up to {results['options']['rounds']} rounds)",
        f"- machine: {m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gib')} GiB, "
        f"kernel {m.get('kernel')}, Python {m.get('python')}",
        f"- tools: pulumi {m.get('pulumi')}, {m.get('ansible')}, {m.get('chaostoolkit')}; "
        f"commit {m.get('git_commit')}",
        f"- load average (1/5/15 min): before {results['load']['before']}, after {results['load']['after']}",
        "",
        "Cells are `median [min–max]` over n rounds (plus p99 when n ≥ 20). "
        "ratio = ours median / baseline median "
        "(for times, below 1 means ours is faster; for rates, above 1 means ours is faster).",
        "",
    ]
    for bench in results["benchmarks"]:
        lines.append(f"## {bench['name']}: {bench['title']}")
        lines.append("")
        if bench["status"] != "ok":
            lines.append(f"**{bench['status']}**: {bench['reason']}")
            lines.append("")
            continue
        lines.append(f"_{bench['seconds']:.0f} s wall; load average before {bench['load_before']}, "
                     f"after {bench.get('load_after')}_")
        lines.append("")
        lines.append("| case | metric | unit | ours | baseline | baseline figure | ratio | n |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for r in bench["rows"]:
            ratio = "–" if r["ratio"] is None else f"{r['ratio']:.2f}"
            n = (r["ours"] or r["baseline"])["n"]
            lines.append(
                f"| {r['case']} | {r['metric']} | {r['unit']} | {fmt_stats(r['ours'])} | "
                f"{r['baseline_name'] or '–'} | {fmt_stats(r['baseline'])} | {ratio} | {n} |"
            )
        notes = [f"{r['case']} / {r['metric']}: {r['note']}" for r in bench["rows"] if r["note"]]
        notes += bench.get("extra", {}).get("notes", [])
        if notes:
            lines.append("")
            lines.extend(f"- {n}" for n in notes)
        lines.append("")
    return "\n".join(lines)


def write_results(results: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "results.json"
    md_path = out_dir / "results.md"
    json_path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    md_path.write_text(render_markdown(results) + "\n")
    return json_path, md_path


@contextlib.contextmanager
def chdir(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)
