"""Run the real ``chaos.faults`` collection from the working tree with the real ``ansible-playbook``.

Nothing is mocked: playbooks run through ansible-core exactly as a user runs them. What this module
arranges is where Ansible finds the collection and which Python runs the modules.

* :func:`collections_root` makes ``<dir>/ansible_collections/chaos/faults``, a symlink to the
  working tree's ``ansible_collection/`` (so edits take effect without a rebuild). ``amazon.aws``
  and the other collections of the ``ansible`` PyPI package resolve from the venv's site-packages,
  because ansible-core also scans ``sys.path`` for ``ansible_collections``.
* :func:`ansible_environment` returns the environment for ``ansible-playbook``:
  ``ANSIBLE_COLLECTIONS_PATH`` (only that root), the venv's Python for modules on localhost (it has
  boto3 and chaos-pulumi), private temp/cache dirs, no retry files, no colour, no user config, and
  the ``ansible.posix.json`` stdout callback so results can be parsed. Pass the moto fixture's
  ``env`` as ``extra`` to aim the AWS modules at the moto server.
* :func:`run_playbook` runs one playbook and returns a :class:`PlaybookResult` with the return
  code, the raw output and the parsed per-task, per-host results.
* The ``ansible`` pytest fixture (registered in ``tests/conftest.py``) gives a test an
  :class:`AnsibleEnv` for the session: ``ansible.root`` (the ``ANSIBLE_COLLECTIONS_PATH``) and
  ``ansible.env`` (the environment above). ``ansible_moto`` is the same environment pointed at an
  empty moto account for the test.

Example::

    from tests.harness.ansible import run_playbook

    def test_template_created(ansible_moto):
        result = run_playbook("tests/ansible/playbooks/fis/create.yml", ansible_moto,
                              extra_vars={"template_name": "web"}, diff=True)
        assert result.rc == 0, result.output
        assert result.task("create the template")["changed"] is True

From a shell, ``scripts/ansible-env ansible-doc chaos.faults.fis_experiment_template`` (or any other
command) runs with the same ``ANSIBLE_COLLECTIONS_PATH``; ``scripts/ansible-env --print`` prints it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
COLLECTION_SRC = ROOT / "ansible_collection"
VENV_BIN = Path(sys.executable).parent


def collections_root(base: Path) -> Path:
    """Make ``base/ansible_collections/chaos/faults`` point at the working tree; return ``base``."""
    namespace = base / "ansible_collections" / "chaos"
    namespace.mkdir(parents=True, exist_ok=True)
    link = namespace / "faults"
    if link.is_symlink() or link.exists():
        if link.resolve() == COLLECTION_SRC.resolve():
            return base
        link.unlink()
    link.symlink_to(COLLECTION_SRC, target_is_directory=True)
    return base


def ansible_environment(base: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for ``ansible-playbook`` with ``chaos.faults`` installed from ``base``."""
    root = collections_root(base)
    config = base / "ansible.cfg"
    if not config.exists():
        config.write_text("# empty on purpose: tests run with Ansible's defaults plus the settings below\n")
    env = dict(os.environ)
    for key in list(env):
        # A developer's ansible.cfg or ANSIBLE_* settings must not change what the tests run.
        if key.startswith("ANSIBLE_"):
            del env[key]
    env.update(
        {
            "ANSIBLE_CONFIG": str(config),
            "ANSIBLE_COLLECTIONS_PATH": str(root),
            "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "true",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_LOCAL_TEMP": str(base / "tmp"),
            "ANSIBLE_REMOTE_TEMP": str(base / "remote-tmp"),
            "ANSIBLE_HOME": str(base / "home"),
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            # One process per task instead of copying the module to a temp dir first: faster runs.
            "ANSIBLE_PIPELINING": "true",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_HOST_KEY_CHECKING": "false",
            "ANSIBLE_DEPRECATION_WARNINGS": "false",
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_JSON_INDENT": "0",
            "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    if extra:
        env.update(extra)
    return env


@dataclass
class AnsibleEnv:
    """Where ``chaos.faults`` is installed for a test run, and the environment to run Ansible with."""

    root: Path
    env: dict[str, str]

    def with_env(self, extra: Mapping[str, str]) -> AnsibleEnv:
        return AnsibleEnv(root=self.root, env={**self.env, **extra})


@dataclass
class PlaybookResult:
    """The outcome of one ``ansible-playbook`` run."""

    rc: int
    stdout: str
    stderr: str
    command: list[str]
    data: dict[str, Any] | None = field(default=None)

    @property
    def output(self) -> str:
        """Everything the run printed, for assertion messages."""
        head = f"$ {' '.join(self.command)}\n--- rc={self.rc}"
        return f"{head}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"

    def tasks(self) -> Iterator[tuple[str, dict[str, dict[str, Any]]]]:
        """Every task run, in order, as ``(task name, {host: result})``."""
        for play in (self.data or {}).get("plays", []):
            for task in play.get("tasks", []):
                yield task["task"]["name"], task.get("hosts", {})

    def task(self, name: str, host: str = "localhost") -> dict[str, Any]:
        """The result of the last task called ``name`` on ``host``; KeyError names what ran instead."""
        found = [hosts[host] for task_name, hosts in self.tasks() if task_name == name and host in hosts]
        if not found:
            ran = [task_name for task_name, _ in self.tasks()]
            raise KeyError(f"no task {name!r} ran on {host!r}; tasks run: {ran}\n{self.output}")
        return found[-1]

    @property
    def stats(self) -> dict[str, dict[str, int]]:
        return (self.data or {}).get("stats", {})


def kill_playbook(proc: subprocess.Popen) -> None:
    """SIGKILL an ansible-playbook started with ``start_new_session=True``, as a crash would, and its workers.

    ansible-core's workers call setsid(), so killing the playbook's process group leaves them running
    (a worker in a ``pause`` would linger for the whole pause). They share the playbook's command line,
    which is how they are found; each is its own group leader, so its ssh clients go with it.
    """
    try:
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
    except OSError:
        cmdline = b""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()

    def workers() -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if cmdline and (entry / "cmdline").read_bytes() == cmdline:
                        found.append(int(entry.name))
                except OSError:
                    pass
        return found

    for pid in workers():
        try:
            os.killpg(pid, signal.SIGKILL) if os.getpgid(pid) == pid else os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    while (left := workers()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, f"ansible-playbook workers survived SIGKILL: {left}"


def run_playbook(
    playbook: str | Path,
    ansible: AnsibleEnv,
    *,
    extra_vars: Mapping[str, Any] | None = None,
    inventory: str | Path | None = None,
    check: bool = False,
    diff: bool = False,
    args: Sequence[str] = (),
    timeout: float = 300,
) -> PlaybookResult:
    """Run ``ansible-playbook`` (default inventory: ``localhost`` with a local connection)."""
    command = [str(VENV_BIN / "ansible-playbook"), str(playbook)]
    if inventory is None:
        command += ["-i", "localhost,", "-c", "local"]
    else:
        command += ["-i", str(inventory)]
    if extra_vars:
        command += ["-e", json.dumps(dict(extra_vars))]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    command += list(args)
    proc = subprocess.run(
        command, env=ansible.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        data = None
    return PlaybookResult(
        rc=proc.returncode, stdout=proc.stdout, stderr=proc.stderr, command=command, data=data
    )


@pytest.fixture(scope="session")
def ansible(tmp_path_factory: pytest.TempPathFactory) -> AnsibleEnv:
    """``chaos.faults`` from the working tree, installed for this test session."""
    base = tmp_path_factory.mktemp("ansible")
    return AnsibleEnv(root=collections_root(base), env=ansible_environment(base))


@pytest.fixture
def ansible_moto(ansible: AnsibleEnv, moto: Any) -> AnsibleEnv:
    """The ``ansible`` environment with the AWS settings of an empty moto account (see ``moto``)."""
    return ansible.with_env(moto.env)
