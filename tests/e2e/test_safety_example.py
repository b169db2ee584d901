"""examples/safety/run_local.py runs as written (what `make demo` runs): the blast radius of two
example templates in moto, the policy pack failing a preview, and the kill switch stopping a running
experiment and a real host fault on this machine, then resume. The script checks each outcome itself;
this test runs it and checks what it printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.pulumi import find_pulumi_cli

pytestmark = [pytest.mark.pulumi, pytest.mark.ansible, pytest.mark.root]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "safety" / "run_local.py"


def test_the_safety_example_runs_as_written() -> None:
    cli, why = find_pulumi_cli()
    if cli is None:
        pytest.skip(why)
    if os.geteuid() != 0:
        pytest.skip("the host fault of the kill-switch step runs as root here, as `make demo` does")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PULUMI_", "CHAOS_PULUMI_"))}
    env["PATH"] = os.pathsep.join([str(cli.bin_dir), env.get("PATH", "/usr/bin:/bin")])
    proc = subprocess.run([sys.executable, str(EXAMPLE)], cwd=ROOT, env=env, text=True, capture_output=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for line in (
        "ok: web: 1 of 3, within caps",
        "ok: api: 2 of 5 is 40 %, over the 25 % cap: refused",
        "ok: max_selection: ALL on a tag-only target is refused",
        "ok: stop_condition_required: no alarm is refused",
        "safety lever: engaged (was disengaged); reason: demo: INC-1 checkout errors",
        "ok: a run started while the lever is engaged is cancelled",
        "safety lever: disengaged (was engaged); reason: demo: INC-1 resolved",
        "ok: the safety lever is disengaged",
    ):
        assert line in out, out
    assert "running -> stopped" in out and "is reverted (revert)" in out, out
