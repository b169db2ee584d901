# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Running a command: always an argv list, never a shell, always bounded in time."""

from __future__ import annotations

import subprocess

from .errors import FaultError


def run(argv: list, stdin: str | None = None, timeout: float = 60.0) -> tuple:
    """Run an argv list (never a shell) -> (rc, stdout, stderr). A missing binary is rc 127."""
    try:
        p = subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            close_fds=True,
            check=False,
        )
    except FileNotFoundError:
        return 127, "", f"{argv[0]}: command not found"
    except subprocess.TimeoutExpired:
        return 124, "", f"{argv[0]}: timed out after {timeout}s"
    return p.returncode, p.stdout, p.stderr


def run_checked(argv: list, stdin: str | None = None, what: str = "") -> str:
    rc, out, err = run(argv, stdin=stdin)
    if rc != 0:
        detail = (err or out).strip()
        raise FaultError(f"{what or argv[0]} failed (rc={rc}): {' '.join(argv)}: {detail}")
    return out
