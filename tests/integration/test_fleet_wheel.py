"""`chaos-pulumi ssm-document` from an installed wheel, not from the checkout.

The runtime and the fault definitions live in ansible_collection/; the wheel carries them as package
data through the chaos_pulumi/fleet/collection symlink. Built with `pip wheel --no-deps`, installed
with `--no-deps` into a scratch venv whose third-party packages (boto3, PyYAML, pulumi) come from this
test's own environment through a path file, and run from a directory outside the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from chaos_pulumi.fleet.ssm_document import build_document

ROOT = Path(__file__).resolve().parents[2]
CLEAN = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"  # a copy, so the build's egg-info and build/ stay out of the checkout
    skip = shutil.ignore_patterns(".git", ".venv", ".tools", "build", "out", "*.egg-info", "__pycache__",
                                  ".pytest_cache", ".ruff_cache", ".ansible-test")
    shutil.copytree(ROOT, source, symlinks=True, ignore=skip)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(source)],
        capture_output=True, text=True, timeout=600, check=False, env=CLEAN,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    [wheel] = (work / "dist").glob("chaos_pulumi-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        capture_output=True, text=True, timeout=300, check=False, env=CLEAN,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    paths = "import sysconfig;print(sysconfig.get_paths()['purelib'])"
    found = subprocess.run([str(python), "-c", paths], capture_output=True, text=True, check=True, env=CLEAN)
    site = Path(found.stdout.strip())
    # Dependencies from this environment; appended after the venv's own site-packages (which wins).
    (site / "zz-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run([str(venv / "bin" / "chaos-pulumi"), *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120, check=False)


def test_the_installed_package_is_the_wheel(installed: Path, tmp_path: Path) -> None:
    probe = subprocess.run(
        [str(installed / "bin" / "python"), "-c",
         "import chaos_pulumi.fleet.runtime as r; print(r.__file__); print(r.PLUGINS.is_symlink())"],
        capture_output=True, text=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, check=True,
    )
    where, symlink = probe.stdout.split()
    assert where.startswith(str(installed)) and symlink == "False", probe.stdout


def test_ssm_document_from_the_wheel_equals_the_checkouts(installed: Path, tmp_path: Path) -> None:
    out = tmp_path / "cpu.json"
    res = run(installed, "ssm-document", "cpu_stress", "-o", str(out), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert json.loads(out.read_text()) == build_document("cpu_stress").content
    listing = run(installed, "ssm-document", "--list", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert [line.split()[0] for line in listing.stdout.splitlines()] == [
        "cpu_stress", "disk_fill", "io_stress", "memory_stress", "network_blackhole", "network_latency",
        "service_stop",
    ]
    bad = run(installed, "ssm-document", "no_such_fault", cwd=tmp_path)
    assert bad.returncode == 1 and "not a timed host fault" in bad.stderr and "Traceback" not in bad.stderr
    assert os.listdir(tmp_path) == ["cpu.json"]
