"""`chaos-pulumi validate` and `explain` on hostile files and standard input, through the installed script.

The experiment files a reviewer runs these on come from pull requests: each answer here must be a
clear problem with a path and the limit, exit 1, in bounded output, whatever the file holds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chaos_pulumi.spec.limits import MAX_NODES

from .test_spec_limits import alias_nest

SCRIPT = shutil.which("chaos-pulumi", path=str(Path(sys.executable).parent))
pytestmark = pytest.mark.skipif(SCRIPT is None, reason="the chaos-pulumi console script is not installed")


def cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    assert SCRIPT is not None
    return subprocess.run(
        [SCRIPT, *args],
        input=stdin.decode("utf-8", "surrogateescape") if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def hostile(tmp_path: Path) -> dict[str, Path]:
    files = {
        "nest": alias_nest(),
        "digits": alias_nest(levels=1).replace(
            "actions:",
            "targets: {t: {resourceType: aws:ec2:instance, "
            "resourceTags: {a: b}, selectionMode: 'COUNT(" + "9" * 5_000 + ")'}}\nactions:",
        ),
        "value": "description: x\nroleArn: arn:aws:iam::123456789012:role/r\nstopConditions:\n"
        "  - {source: aws:cloudwatch:alarm, value: '" + "A" * 900_000 + "'}\nactions: {}\n",
        "keys": "description: x\nroleArn: r\nstopConditions: [{1: x, null: y, source: none}]\nactions: {}\n",
    }
    out = {}
    for name, text in files.items():
        out[name] = tmp_path / f"{name}.yaml"
        out[name].write_text(text)
    out["big"] = tmp_path / "big.json"
    out["big"].write_text(json.dumps({"description": "A" * 3_000_000}))
    return out


def test_validate_answers_every_hostile_file_with_paths(hostile: dict[str, Path]) -> None:
    res = cli("validate", *map(str, hostile.values()))
    assert res.returncode == 1, res.stderr
    out = res.stdout
    assert "Traceback" not in out + res.stderr and "internal" not in out
    assert len(out) < 20_000  # a 900 KB value is quoted by its first characters
    nest = f"stopConditions[0].value[0][0][0][0][1]: YAML aliases expand to more than {MAX_NODES:,} nodes"
    assert nest in out
    assert "error   targets.t.selectionMode: is 5,007 characters long; the limit is 64" in out
    assert "(900,000 characters) is not a CloudWatch alarm ARN" in out
    assert "error   stopConditions[0].1: unknown field '1'" in out
    assert "is larger than 1 MiB" in out
    assert out.rstrip().endswith(f"0 of {len(hostile)} valid")


def test_validate_reads_a_hostile_document_from_stdin(hostile: dict[str, Path]) -> None:
    res = cli("validate", "--format", "json", "-", stdin=hostile["nest"].read_bytes())
    assert res.returncode == 1, res.stderr
    (doc,) = json.loads(res.stdout)
    assert doc["file"] == "<stdin>" and doc["valid"] is False
    (problem,) = doc["problems"]
    assert problem["path"].startswith("stopConditions[0].value")
    assert problem["message"] == f"YAML aliases expand to more than {MAX_NODES:,} nodes; write the value out"

    endless = cli("validate", "-", stdin=b"description: '" + b"A" * 3_000_000 + b"'\n")
    assert endless.returncode == 1 and "<stdin>: is larger than 1 MiB" in endless.stdout


def test_explain_refuses_a_hostile_file_without_explaining_it(hostile: dict[str, Path]) -> None:
    res = cli("explain", str(hostile["nest"]))
    assert res.returncode == 1 and res.stdout == ""
    assert "INVALID (1 error); fix these first" in res.stderr and "YAML aliases expand" in res.stderr
    res = cli("explain", "-", stdin=hostile["digits"].read_bytes())
    assert res.returncode == 1 and "targets.t.selectionMode: is 5,007 characters long" in res.stderr
