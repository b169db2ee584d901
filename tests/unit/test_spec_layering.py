"""The spec layer is pure: stdlib and pyyaml only (Pulumi, Ansible and boto3 stay out)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SPEC = Path(__file__).resolve().parents[2] / "chaos_pulumi" / "spec"
FORBIDDEN = {"pulumi", "pulumi_aws", "ansible", "boto3", "botocore"}


def test_no_forbidden_imports_in_source() -> None:
    for path in SPEC.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top not in FORBIDDEN, f"{path.name} imports {name}"
                assert top == "yaml" or top in sys.stdlib_module_names or top == "chaos_pulumi", (
                    f"{path.name}: {name}"
                )


def test_importing_spec_loads_none_of_them() -> None:
    code = (
        "import sys, chaos_pulumi.spec as s, chaos_pulumi.spec.explain, chaos_pulumi.spec.iam; s.catalog(); "
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN)!r}); print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
