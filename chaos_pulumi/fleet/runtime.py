"""The host-fault runtime as the fleet front ends get it: the zipapp and every fault's option spec.

The runtime and the fault definitions live once, in the Ansible collection (`ansible_collection/
plugins`). `collection/` next to this file is a symlink to that folder in a checkout; a wheel holds a
copy of the same files as package data (pyproject.toml), so there is no second copy in git.

Both are read by running the runtime's own tools in a child Python with no site-packages (`-S`), the
way a bare host runs them: `bundle` builds the zipapp, and the zipapp's `list` prints the specs. So
this process never imports `ansible_collections` (an Ansible module process has its own).
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PLUGINS = Path(__file__).resolve().parent / "collection"
RUNTIME_PACKAGE = "ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime"
_CHILD_TIMEOUT_S = 60


class RuntimeUnavailable(RuntimeError):
    """The collection's runtime files are missing or its tools failed; the message says which."""


def _check_sources() -> None:
    if not (PLUGINS / "module_utils" / "host_fault_runtime" / "cli.py").is_file():
        raise RuntimeUnavailable(
            f"the host-fault runtime is not installed with chaos_pulumi (looked in {PLUGINS}); "
            "reinstall the package, or run from a checkout of the repository"
        )


def _run_child(argv: list[str], root: Path) -> str:
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
    proc = subprocess.run([sys.executable, "-S", *argv], capture_output=True, text=True, env=env,
                          timeout=_CHILD_TIMEOUT_S, check=False)
    if proc.returncode != 0:
        detail = proc.stderr.strip()[-800:]
        raise RuntimeUnavailable(f"{' '.join(argv[:3])} failed ({proc.returncode}): {detail}")
    return proc.stdout


def _with_collection_root(work: Path) -> Path:
    """`work/ansible_collections/chaos/faults/plugins` -> the runtime's sources; returns `work`."""
    faults = work / "ansible_collections" / "chaos" / "faults"
    faults.mkdir(parents=True)
    (faults / "plugins").symlink_to(PLUGINS, target_is_directory=True)
    return work


@functools.lru_cache(maxsize=32)
def zipapp(faults: tuple[str, ...] = ()) -> bytes:
    """The runtime zipapp holding `faults` (all of them when empty), as `bundle.py` builds it."""
    _check_sources()
    with tempfile.TemporaryDirectory(prefix="chaos-faults-bundle-") as tmp:
        root = _with_collection_root(Path(tmp))
        out = Path(tmp) / "chaos-faults.pyz"
        _run_child(["-m", f"{RUNTIME_PACKAGE}.bundle", "-o", str(out), *faults], root)
        return out.read_bytes()


@functools.lru_cache(maxsize=1)
def fault_specs() -> dict[str, dict[str, Any]]:
    """Timed fault name -> its whole option spec (argument_spec format), from the zipapp's `list`."""
    data = zipapp()
    with tempfile.TemporaryDirectory(prefix="chaos-faults-list-") as tmp:
        pyz = Path(tmp) / "chaos-faults.pyz"
        pyz.write_bytes(data)
        listing = json.loads(_run_child([str(pyz), "list"], Path(tmp)))
    return {name: entry["options"] for name, entry in sorted(listing["faults"].items())}
