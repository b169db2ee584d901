"""A throwaway Debian VM (virtme-ng + qemu) for faults this machine's kernel cannot do (tc netem).

``run_in_vm(script, shared)`` boots Debian's ``linux-image-amd64`` kernel with ``vng --run`` under
qemu without KVM (``--disable-kvm``; this machine has none). The guest sees the machine's root
filesystem read-only (virtme's default), so the project's ``.venv`` and ``ansible-playbook`` are
there unchanged; ``/tmp`` and ``/run`` are the guest's own tmpfs. ``shared`` (a host directory) is
mounted read-write at the same path, which is how a test hands files in and reads results back.

The script runs as root inside the guest under ``bash -eu``; the VM powers off when it ends.
:class:`VMRun` has the exit status, everything printed, the boot time (launch until the script's
first line ran, seen by the host as a file appearing in ``shared``) and the total time.

Prerequisites come from ``scripts/install-system-deps`` (qemu-system-x86, linux-image-amd64,
busybox-static, virtme-ng in ``.tools/virtme-ng``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VNG = ROOT / ".tools" / "virtme-ng" / "bin" / "vng"


@dataclass
class VMRun:
    """The outcome of one VM run."""

    rc: int
    output: str
    boot_s: float | None
    total_s: float
    kernel: str

    def lines(self, prefix: str) -> list[str]:
        """Lines of the output that start with ``prefix`` (with the prefix stripped)."""
        return [ln[len(prefix) :].strip() for ln in self.output.splitlines() if ln.startswith(prefix)]


def find_kernel() -> Path | None:
    """The newest Debian kernel in /boot whose modules include sch_netem."""
    found = []
    for image in Path("/boot").glob("vmlinuz-*"):
        version = image.name[len("vmlinuz-") :]
        netem = list(Path(f"/lib/modules/{version}/kernel/net/sched").glob("sch_netem.ko*"))
        if netem and os.access(image, os.R_OK):
            found.append((tuple(int(x) for x in re.findall(r"\d+", version)[:4]), image))
    return max(found)[1] if found else None


def missing_vm_tools() -> list[str]:
    problems = []
    if not VNG.exists():
        problems.append(f"{VNG.relative_to(ROOT)}")
    if not shutil.which("qemu-system-x86_64"):
        problems.append("qemu-system-x86_64")
    if find_kernel() is None:
        problems.append("a Debian kernel with sch_netem in /boot (linux-image-amd64)")
    if not (shutil.which("busybox") or Path("/bin/busybox").exists()):
        problems.append("busybox")
    return problems


def require_vm() -> None:
    """Skip (locally) or fail (CI=true) when the VM cannot be booted here."""
    problems = missing_vm_tools()
    if os.geteuid() != 0:
        problems.append("root")
    if problems:
        msg = f"the netem VM needs {', '.join(problems)}: run scripts/install-system-deps as root"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)


def run_in_vm(script: str, shared: Path, *, timeout: float = 420, memory: str = "1G", cpus: int = 2) -> VMRun:
    """Boot the VM, run ``script`` (bash) inside as root, return what happened."""
    kernel = find_kernel()
    if kernel is None:
        raise RuntimeError("no Debian kernel with sch_netem in /boot: run scripts/install-system-deps")
    shared.mkdir(parents=True, exist_ok=True)
    booted = shared / ".booted"
    booted.unlink(missing_ok=True)
    body = shared / "vm-script.sh"
    body.write_text(f"set -eu\ntouch {booted}\n{script}\n")
    command = [
        str(VNG),
        "--run",
        str(kernel),
        "--disable-kvm",
        "--memory",
        memory,
        "--cpus",
        str(cpus),
        "--rwdir",
        str(shared),
        "--cwd",
        str(shared),
        "--",
        f"bash {body}",
    ]
    env = dict(os.environ)
    env["PATH"] = f"{VNG.parent}{os.pathsep}{env.get('PATH', '')}"
    log = shared / "vm-output.log"
    start = time.monotonic()
    boot_s = None
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=shared,
            start_new_session=True,
        )
        try:
            while proc.poll() is None:
                if boot_s is None and booted.exists():
                    boot_s = time.monotonic() - start
                if time.monotonic() - start > timeout:
                    raise subprocess.TimeoutExpired(command, timeout)
                time.sleep(0.1)
        finally:
            if proc.poll() is None:  # our own qemu process group only
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    if boot_s is None and booted.exists():
        boot_s = time.monotonic() - start
    return VMRun(
        rc=proc.returncode,
        output=log.read_text(errors="replace"),
        boot_s=boot_s,
        total_s=time.monotonic() - start,
        kernel=kernel.name,
    )
