"""Run Pulumi projects through the real Pulumi CLI and engine, isolated per test.

Registered in ``tests/conftest.py`` (``pytest_plugins``). The CLI comes from ``scripts/install-pulumi``
(``.tools/bin``) or, failing that, from ``PATH``. If it is missing or of another version than the
``pulumi`` Python package, the tests that use these fixtures are skipped locally and **fail under
``CI=true``**.

Fixtures
--------
``pulumi_cli`` (session)
    :class:`PulumiCLI`: ``.path``, ``.bin_dir``, ``.version``.
``pulumi_env`` (per test)
    :class:`PulumiEnv`: an isolated environment — ``PULUMI_HOME`` and a ``file://`` backend in the
    test's tmp dir, ``PULUMI_CONFIG_PASSPHRASE``, update checks and plugin downloads off,
    ``PULUMI_PYTHON_CMD`` = this venv's python (so dynamic providers import ``chaos_pulumi``),
    ``.tools/bin`` first on ``PATH``, no ``PULUMI_*``/``AWS_*`` variables inherited from the caller
    (AWS settings only when a test passes them, e.g. ``env=moto.env``; credentials files point at
    ``/dev/null``). ``.env`` is the dict, ``.run(args, cwd=...)`` runs any ``pulumi`` command.
``pulumi_stack`` (per test)
    :class:`StackFactory`. ``pulumi_stack(project_dir, env=moto.env)`` copies ``project_dir`` into the
    test's tmp dir (``copy=False`` runs it in place), runs ``pulumi stack init`` and returns a
    :class:`PulumiStack`. ``pulumi_stack.inline(main_py_source, env=...)`` writes a one-file project
    (``Pulumi.yaml`` + ``__main__.py``) first.

:class:`PulumiStack` methods run the real CLI with ``--yes --non-interactive --color never`` and
return a :class:`PulumiResult`; on an unexpected exit code they raise :class:`PulumiCommandError`
with the full command output (``expect_fail=True`` inverts that)::

    stack = pulumi_stack(EXAMPLE_DIR, env=moto.env)
    stack.set_config("aws:region", "us-east-1")
    stack.set_config("chaos:token", "s3cr3t", secret=True)
    stack.preview()                      # .summary: {"create": 2}
    stack.up()                           # .summary, .events, .diagnostics, .output
    stack.write_main(new_source)         # edit the copied program between steps
    res = stack.up(expect_fail=True)     # e.g. the validator rejects the new template
    stack.outputs()                      # {"name": value} (secrets in plaintext)
    stack.export_state()                 # `pulumi stack export` as a dict (secrets stay encrypted)
    stack.export_state(show_secrets=True)
    stack.state_file_text()              # raw text of the backend's checkpoint file: grep it for secrets
    stack.refresh(); stack.destroy()

``PulumiResult.summary`` is the engine's ``resourceChanges`` (e.g. ``{"same": 2}``) from the event
log the CLI writes with ``--event-log``; ``.changes`` is the same without ``"same"`` — empty when an
operation changed nothing. ``.events`` holds every engine event, ``.diagnostics`` the messages of
diagnostic events, ``.output`` the CLI's stdout+stderr. Stacks are not destroyed at teardown: their
state lives in the test's tmp dir and the moto account is reset per test.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = ROOT / ".tools" / "bin"
PASSPHRASE = "chaos-pulumi-test-passphrase"
DEFAULT_TIMEOUT_S = 600.0
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# The language host and the dynamic-provider plugin must sit beside `pulumi` (or on PATH).
REQUIRED_BINARIES = (
    "pulumi",
    "pulumi-language-python",
    "pulumi-language-python-exec",
    "pulumi-resource-pulumi-python",
)


class PulumiCommandError(AssertionError):
    """A pulumi command exited with an unexpected code. The message has the command and its full output."""

    def __init__(self, message: str, result: PulumiResult | None = None) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class PulumiCLI:
    path: Path
    version: str  # without the leading "v", e.g. "3.260.0"

    @property
    def bin_dir(self) -> Path:
        return self.path.parent


@dataclass
class PulumiResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def summary(self) -> dict[str, int]:
        """``resourceChanges`` of the engine's summary event ({} if there was none)."""
        for event in reversed(self.events):
            if "summaryEvent" in event:
                return dict(event["summaryEvent"].get("resourceChanges") or {})
        return {}

    @property
    def changes(self) -> dict[str, int]:
        """The summary without unchanged resources: empty when the operation changed nothing."""
        return {op: n for op, n in self.summary.items() if op != "same" and n}

    @property
    def diagnostics(self) -> list[str]:
        return [e["diagnosticEvent"].get("message", "") for e in self.events if "diagnosticEvent" in e]

    def __str__(self) -> str:
        return self.output


def pinned_pulumi_version() -> str:
    """The CLI version ``scripts/install-pulumi`` builds: ``pkg/v3`` in ``tools/pulumi-build/go.mod``
    (the Python SDK is a range in pyproject.toml, so it cannot name the CLI's version)."""
    go_mod = ROOT / "tools" / "pulumi-build" / "go.mod"
    found = re.search(r"^\s*github\.com/pulumi/pulumi/pkg/v3 v([0-9][0-9.]*)", go_mod.read_text(), re.M)
    if found is None:
        raise RuntimeError(f"{go_mod} requires no github.com/pulumi/pulumi/pkg/v3 version")
    return found.group(1)


def find_pulumi_cli() -> tuple[PulumiCLI | None, str]:
    """Locate a usable CLI: .tools/bin first, then PATH. Returns (cli, "") or (None, why not)."""
    want = pinned_pulumi_version()
    candidates = [TOOLS_BIN / "pulumi"]
    on_path = shutil.which("pulumi")
    if on_path:
        candidates.append(Path(on_path))
    problems = []
    for path in candidates:
        if not path.exists():
            continue
        try:
            out = subprocess.run(
                [str(path), "version"],
                capture_output=True,
                text=True,
                timeout=60,
                env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            problems.append(f"{path}: {exc}")
            continue
        got = out.stdout.strip().removeprefix("v")
        if got != want:
            problems.append(f"{path} is version {got or '?'}; tools/pulumi-build/go.mod pins v{want}")
            continue
        missing = [b for b in REQUIRED_BINARIES if not (path.parent / b).exists() and not shutil.which(b)]
        if missing:
            problems.append(f"{path}: missing beside it and on PATH: {', '.join(missing)}")
            continue
        return PulumiCLI(path=path, version=got), ""
    why = "; ".join(problems) or f"no pulumi in {TOOLS_BIN} or on PATH"
    return None, f"Pulumi CLI v{want} not available ({why}). Run scripts/install-pulumi (or `make tools`)."


def require(condition: bool, message: str) -> None:
    """Skip the test locally, fail it under CI=true (a missing prerequisite must not pass silently)."""
    if condition:
        return
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@cache
def _provider_package_importable(python: str) -> str:
    """'' if `python` imports chaos_pulumi outside the repo (as the provider plugin must), else why not."""
    proc = subprocess.run(
        [python, "-c", "import chaos_pulumi.noop"],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode == 0:
        return ""
    return (
        f"{python} cannot import chaos_pulumi outside the repository, so Pulumi's dynamic-provider plugin "
        f"could not load our providers. Install the package: `make venv` or `{python} -m pip install -e .`"
        f"\n{proc.stderr.strip()}"
    )


def _clean_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "AWS_"))}


@dataclass
class PulumiEnv:
    """An isolated Pulumi home + file backend. ``env`` is the complete environment for pulumi commands."""

    cli: PulumiCLI
    root: Path
    env: dict[str, str]

    @classmethod
    def create(cls, cli: PulumiCLI, root: Path, extra_env: Mapping[str, str] | None = None) -> PulumiEnv:
        home, backend = root / "pulumi-home", root / "pulumi-backend"
        home.mkdir(parents=True, exist_ok=True)
        backend.mkdir(parents=True, exist_ok=True)
        venv_bin = str(Path(sys.executable).parent)
        env = _clean_environ()
        env.update(
            {
                "PATH": os.pathsep.join([str(cli.bin_dir), venv_bin, env.get("PATH", "/usr/bin:/bin")]),
                "PULUMI_HOME": str(home),
                "PULUMI_BACKEND_URL": backend.as_uri(),
                "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                "PULUMI_SKIP_CONFIRMATIONS": "true",
                "PULUMI_DISABLE_REGISTRY_RESOLVE": "true",
                # Enables the `--event-log` flag (the engine events we read the summary from).
                "PULUMI_DEBUG_COMMANDS": "true",
                "PULUMI_PYTHON_CMD": sys.executable,
                "NO_COLOR": "1",
                "PYTHONUNBUFFERED": "1",
                # Never let a developer's real AWS profile reach a test program or provider.
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true",
            }
        )
        env.update(extra_env or {})
        return cls(cli=cli, root=root, env=env)

    @property
    def home(self) -> Path:
        return Path(self.env["PULUMI_HOME"])

    @property
    def backend_dir(self) -> Path:
        return self.root / "pulumi-backend"

    def run(
        self,
        args: Sequence[str],
        *,
        cwd: Path,
        expect_fail: bool = False,
        timeout: float = DEFAULT_TIMEOUT_S,
        event_log: Path | None = None,
    ) -> PulumiResult:
        """Run ``pulumi <args>`` in ``cwd``; raise PulumiCommandError unless the exit code is as expected."""
        cmd = [str(self.cli.path), *args]
        try:
            proc = subprocess.run(cmd, cwd=cwd, env=self.env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            out = _text(exc.stdout) + _text(exc.stderr)
            raise PulumiCommandError(
                f"`{_show(cmd)}` timed out after {timeout:.0f} s; output so far:\n{out}"
            ) from None
        events = _read_events(event_log) if event_log else []
        result = PulumiResult(list(args), proc.returncode, proc.stdout, proc.stderr, events)
        failed = proc.returncode != 0
        if failed != expect_fail:
            what = f"failed with exit code {proc.returncode}" if failed else "succeeded, expected a failure"
            raise PulumiCommandError(
                f"`{_show(cmd)}` in {cwd} {what}.\n"
                f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}",
                result,
            )
        return result


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode(errors="replace")


def _show(cmd: Sequence[str]) -> str:
    return " ".join(Path(cmd[0]).name if i == 0 else a for i, a in enumerate(cmd))


def _read_events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    events = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line:
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a truncated last line if the CLI was killed
    return events


_ENGINE_FLAGS = ("--non-interactive", "--color", "never")


class PulumiStack:
    """One stack of one project directory, driven through the real ``pulumi`` CLI."""

    def __init__(self, penv: PulumiEnv, project_dir: Path, name: str) -> None:
        self.penv = penv
        self.dir = project_dir
        self.name = name
        self._log_counter = itertools.count()

    # --- the program -------------------------------------------------------------------------
    @property
    def project_name(self) -> str:
        return str(yaml.safe_load((self.dir / "Pulumi.yaml").read_text())["name"])

    @property
    def main_py(self) -> Path:
        return self.dir / "__main__.py"

    def write_main(self, source: str) -> None:
        """Replace the program (``__main__.py``) before the next operation."""
        self.main_py.write_text(source)

    def write_file(self, relative: str, text: str) -> Path:
        path = self.dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    # --- commands ------------------------------------------------------------------------------
    def run(self, *args: str, expect_fail: bool = False, timeout: float = DEFAULT_TIMEOUT_S) -> PulumiResult:
        """Any ``pulumi`` command for this stack (``--stack`` is added)."""
        args = [*args, "--stack", self.name]
        return self.penv.run(args, cwd=self.dir, expect_fail=expect_fail, timeout=timeout)

    def _engine(self, op: str, extra: Sequence[str], expect_fail: bool, timeout: float) -> PulumiResult:
        log = self.penv.root / f"events-{self.name}-{op}-{next(self._log_counter)}.jsonl"
        args = [op, "--stack", self.name, *_ENGINE_FLAGS, "--event-log", str(log)]
        if op != "preview":
            args += ["--yes", "--skip-preview"]
        return self.penv.run(
            [*args, *extra], cwd=self.dir, expect_fail=expect_fail, timeout=timeout, event_log=log
        )

    def preview(
        self, *extra: str, expect_fail: bool = False, timeout: float = DEFAULT_TIMEOUT_S
    ) -> PulumiResult:
        return self._engine("preview", extra, expect_fail, timeout)

    def up(self, *extra: str, expect_fail: bool = False, timeout: float = DEFAULT_TIMEOUT_S) -> PulumiResult:
        return self._engine("up", extra, expect_fail, timeout)

    def refresh(
        self, *extra: str, expect_fail: bool = False, timeout: float = DEFAULT_TIMEOUT_S
    ) -> PulumiResult:
        return self._engine("refresh", extra, expect_fail, timeout)

    def destroy(
        self, *extra: str, expect_fail: bool = False, timeout: float = DEFAULT_TIMEOUT_S
    ) -> PulumiResult:
        return self._engine("destroy", extra, expect_fail, timeout)

    def set_config(self, key: str, value: str, *, secret: bool = False) -> PulumiResult:
        flags = ["--secret"] if secret else ["--plaintext"]
        return self.penv.run(["config", "set", "--stack", self.name, *flags, "--", key, value], cwd=self.dir)

    def outputs(self) -> dict[str, Any]:
        args = ["stack", "output", "--stack", self.name, "--json", "--show-secrets"]
        res = self.penv.run(args, cwd=self.dir)
        return json.loads(res.stdout or "{}")

    def export_state(self, *, show_secrets: bool = False) -> dict[str, Any]:
        args = ["stack", "export", "--stack", self.name]
        if show_secrets:
            args.append("--show-secrets")
        return json.loads(self.penv.run(args, cwd=self.dir).stdout)

    def resources(self, *, show_secrets: bool = False) -> list[dict[str, Any]]:
        """The stack's resources from ``export_state`` (``deployment.resources``)."""
        deployment = self.export_state(show_secrets=show_secrets).get("deployment") or {}
        return list(deployment.get("resources") or [])

    def state_file(self) -> Path:
        """The backend's checkpoint file of this stack (``.pulumi/stacks/<project>/<stack>.json``)."""
        stacks = self.penv.backend_dir / ".pulumi" / "stacks"
        for candidate in (stacks / self.project_name, stacks):  # project-scoped layout, then legacy
            for name in (f"{self.name}.json", f"{self.name}.json.gz"):
                if (candidate / name).exists():
                    return candidate / name
        raise FileNotFoundError(f"no checkpoint of stack {self.name!r} ({self.project_name}) under {stacks}")

    def state_file_text(self) -> str:
        path = self.state_file()
        if path.suffix == ".gz":
            import gzip

            return gzip.decompress(path.read_bytes()).decode()
        return path.read_text()


def write_project(directory: Path, main_py: str, *, name: str = "chaos-test") -> Path:
    """A minimal Python project: ``Pulumi.yaml`` (runtime python, no virtualenv option) + ``__main__.py``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    (directory / "__main__.py").write_text(main_py)
    return directory


class StackFactory:
    """The ``pulumi_stack`` fixture: makes stacks in the test's isolated Pulumi environment."""

    def __init__(self, penv: PulumiEnv, tmp_path: Path) -> None:
        self.penv = penv
        self.tmp_path = tmp_path
        self._n = itertools.count()

    def __call__(
        self,
        project_dir: Path | str,
        *,
        stack: str = "test",
        env: Mapping[str, str] | None = None,
        copy: bool = True,
        config: Mapping[str, str] | None = None,
        secret_config: Mapping[str, str] | None = None,
    ) -> PulumiStack:
        src = Path(project_dir)
        if not (src / "Pulumi.yaml").exists():
            raise FileNotFoundError(f"{src} is not a Pulumi project (no Pulumi.yaml)")
        if copy:
            dest = self.tmp_path / f"project-{next(self._n)}-{src.name}"
            shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "Pulumi.*.yaml"))
        else:
            dest = src
        penv = self.penv
        if env:
            penv = PulumiEnv(cli=penv.cli, root=penv.root, env={**penv.env, **env})
        result = PulumiStack(penv, dest, stack)
        penv.run(["stack", "init", stack, "--non-interactive"], cwd=dest)
        for key, value in (config or {}).items():
            result.set_config(key, value)
        for key, value in (secret_config or {}).items():
            result.set_config(key, value, secret=True)
        return result

    def inline(self, main_py: str, *, name: str = "chaos-test", **kwargs: Any) -> PulumiStack:
        """A stack of a fresh one-file project whose ``__main__.py`` is ``main_py``."""
        directory = write_project(self.tmp_path / f"inline-{next(self._n)}", main_py, name=name)
        return self(directory, copy=False, **kwargs)


@pytest.fixture(scope="session")
def pulumi_cli() -> PulumiCLI:
    cli, why = find_pulumi_cli()
    require(cli is not None, why)
    assert cli is not None
    problem = _provider_package_importable(sys.executable)
    require(not problem, problem)
    return cli


@pytest.fixture
def pulumi_env(pulumi_cli: PulumiCLI, tmp_path: Path) -> PulumiEnv:
    return PulumiEnv.create(pulumi_cli, tmp_path / "pulumi")


@pytest.fixture
def pulumi_stack(pulumi_env: PulumiEnv, tmp_path: Path) -> Iterator[StackFactory]:
    yield StackFactory(pulumi_env, tmp_path)
