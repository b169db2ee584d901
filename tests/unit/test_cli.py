"""`chaos-pulumi validate | explain | iam-policy | catalog list`: output and exit codes."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chaos_pulumi.cli import main

from ._spec_fixtures import EXAMPLES, ROOT

EXAMPLE_DIR = ROOT / "examples" / "experiments"
WAIVER = "stop_condition_required: network game day in staging, alarm tracked in OPS-42"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "broken.yaml"
    text = (EXAMPLE_DIR / "ec2-stop-one-instance.yaml").read_text()
    path.write_text(text.replace("Instances: web", "Instances: api").replace("COUNT(1)", "COUNT(one)"))
    return path


def test_validate_examples_directory_exits_0() -> None:
    code, out, _ = run("validate", str(EXAMPLE_DIR))
    assert code == 0
    assert out.strip().endswith(f"{len(EXAMPLES)} of {len(EXAMPLES)} valid")
    assert out.count(": valid") == len(EXAMPLES)


def test_validate_broken_file_exits_1_with_paths(broken: Path) -> None:
    code, out, _ = run("validate", str(EXAMPLE_DIR / "rds-reboot.yaml"), str(broken))
    assert code == 1
    assert f"{broken}: INVALID (2 errors)" in out
    assert "  error   actions.stop-web.targets.Instances: target 'api' is not defined (defined: web)" in out
    assert "  error   targets.web.selectionMode: 'COUNT(one)' is not a selection mode" in out
    assert "1 of 2 valid" in out


def test_validate_json_format(broken: Path) -> None:
    code, out, _ = run("validate", "--format", "json", str(EXAMPLE_DIR / "rds-reboot.yaml"), str(broken))
    assert code == 1
    doc = json.loads(out)
    assert [d["valid"] for d in doc] == [True, False]
    assert doc[0] == {"file": str(EXAMPLE_DIR / "rds-reboot.yaml"), "valid": True, "problems": []}
    assert any(
        p["path"] == "targets.web.selectionMode" and p["severity"] == "error" for p in doc[1]["problems"]
    )
    assert all(set(p) == {"path", "message", "severity"} for p in doc[1]["problems"])


def test_warnings_do_not_fail_validation(tmp_path: Path) -> None:
    path = tmp_path / "nostop.json"
    data = json.loads((EXAMPLE_DIR / "network-disrupt-subnet.json").read_text())
    data["stopConditions"] = [{"source": "none"}]
    # The guardrails' default policy requires an alarm unless waived: waive it, keep the validator warning.
    data["tags"]["chaos:waiver"] = WAIVER
    path.write_text(json.dumps(data))
    code, out, _ = run("validate", str(path))
    assert code == 0
    assert "valid (1 warning)" in out and "warning stopConditions:" in out


def test_yaml_syntax_error_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "syntax.yaml"
    path.write_text("description: [unclosed\n")
    code, out, err = run("validate", str(path))
    assert code == 1 and "not valid YAML at line" in out and "Traceback" not in out + err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["validate"],
        ["validate", "/nonexistent/file.yaml"],
        ["explode"],
        ["validate", "--format", "xml", "x"],
        ["iam-policy"],
        ["explain", "a", "b"],
    ],
)
def test_usage_errors_exit_2(argv) -> None:
    code, _, err = run(*argv)
    assert code == 2
    assert "Traceback" not in err


def test_explain_prints_markdown() -> None:
    code, out, _ = run("explain", str(EXAMPLE_DIR / "ec2-stop-one-instance.yaml"))
    assert code == 0
    assert out.startswith("## Chaos experiment: Stop one web instance for 5 minutes")
    assert "| web | `aws:ec2:instance` | `COUNT(1)` |" in out
    assert "1 instance chosen at random" in out
    assert "Instances are started again after startInstancesAfterDuration" in out
    assert "Total maximum duration: **5m**" in out


def test_explain_and_iam_policy_refuse_invalid_templates(broken: Path) -> None:
    for cmd in ("explain", "iam-policy"):
        code, out, err = run(cmd, str(broken))
        assert code == 1 and out == ""
        assert "INVALID" in err and "target 'api' is not defined" in err


def test_iam_policy_prints_json() -> None:
    code, out, _ = run("iam-policy", str(EXAMPLE_DIR / "ec2-stop-one-instance.yaml"))
    assert code == 0
    policy = json.loads(out)
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert {"ec2:StopInstances", "ec2:StartInstances", "ec2:DescribeInstances"} <= actions
    code, out, _ = run("iam-policy", "--trust-policy", "--account", "123456789012")
    assert json.loads(out)["Statement"][0]["Principal"] == {"Service": "fis.amazonaws.com"}


def test_trust_policy_is_the_conditioned_one_the_role_trust_rule_accepts() -> None:
    from chaos_pulumi.spec.guardrails.trust import trust_problems
    from chaos_pulumi.spec.iam import trust_policy

    example = EXAMPLE_DIR / "ec2-stop-one-instance.yaml"  # roleArn arn:aws:iam::123456789012:role/...
    role = "arn:aws:iam::123456789012:role/chaos-fis-experiments"
    outputs = []
    for extra in (["--account", "123456789012"], ["--role-arn", role], [str(example)]):
        code, out, err = run("iam-policy", "--trust-policy", "--region", "us-east-1", *extra)
        assert code == 0, err
        outputs.append(json.loads(out))
        assert trust_problems(outputs[-1], role) == []
    assert outputs == [trust_policy("123456789012", "us-east-1")] * 3
    condition = outputs[0]["Statement"][0]["Condition"]
    assert condition["ArnLike"]["aws:SourceArn"] == "arn:aws:fis:us-east-1:123456789012:experiment/*"
    code, out, _ = run("iam-policy", "--trust-policy", "--role-arn", "arn:aws-cn:iam::210987654321:role/fis")
    assert json.loads(out)["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"] == (
        "arn:aws-cn:fis:*:210987654321:experiment/*"
    )
    code, _, err = run("iam-policy", "--trust-policy")
    assert code == 2 and "--account ID, --role-arn ARN, or a template PATH" in err
    code, _, err = run("iam-policy", "--trust-policy", "--account", "12345")
    assert code == 2 and "12 digits" in err


def test_catalog_list() -> None:
    code, out, _ = run("catalog", "list")
    assert code == 0 and "aws:ec2:stop-instances" in out and "[unconfirmed: target key KinesisStreams" in out
    code, out, _ = run("catalog", "list", "--format", "json")
    assert "aws:eks:pod" in json.loads(out)["resource_types"]


def test_installed_console_script(broken: Path) -> None:
    exe = shutil.which("chaos-pulumi", path=str(Path(sys.executable).parent))
    assert exe, "the chaos-pulumi console script is not installed in this environment"
    ok = subprocess.run([exe, "validate", str(EXAMPLE_DIR)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = subprocess.run([exe, "validate", "--format", "json", str(broken)], capture_output=True, text=True)
    assert bad.returncode == 1 and json.loads(bad.stdout)[0]["valid"] is False
    usage = subprocess.run([exe, "validate"], capture_output=True, text=True)
    assert usage.returncode == 2 and "usage:" in usage.stderr


def test_strict_makes_warnings_fail(tmp_path: Path) -> None:
    path = tmp_path / "nostop.json"
    data = json.loads((EXAMPLE_DIR / "network-disrupt-subnet.json").read_text())
    data["stopConditions"] = [{"source": "none"}]
    data["tags"]["chaos:waiver"] = WAIVER  # so that only the validator's warning is left
    path.write_text(json.dumps(data))
    assert run("validate", str(path))[0] == 0
    assert run("validate", "--strict", str(path))[0] == 1
    assert run("validate", "--strict", str(EXAMPLE_DIR))[0] == 0


def test_catalog_show() -> None:
    code, out, _ = run("catalog", "show", "aws:ebs:pause-volume-io")
    assert code == 0 and "min: PT1S" in out and "ec2:PauseVolumeIO" in out
    code, out, _ = run("catalog", "show", "aws:eks:pod")
    assert code == 0 and "parameters_only: true" in out
    code, _, err = run("catalog", "show", "aws:ebs:pause-volume")
    assert code == 2 and "did you mean aws:ebs:pause-volume-io" in err


def test_missing_catalog_file_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("--catalog", str(tmp_path / "nope.yaml"), "validate", str(EXAMPLE_DIR))
    assert code == 2 and "--catalog" in err


def test_broken_catalog_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "cat.yaml"
    bad.write_text("actions: [not, a, mapping]\n")
    code, _, err = run("--catalog", str(bad), "validate", str(EXAMPLE_DIR))
    assert code == 2 and f"--catalog {bad}: not a FIS catalog" in err and "Traceback" not in err


def test_validate_reads_standard_input() -> None:
    text = (EXAMPLE_DIR / "rds-reboot.yaml").read_bytes()
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate", "-"], out=out, err=err, stdin=io.BytesIO(text)) == 0
    policy_line, *rest = out.getvalue().splitlines()
    assert policy_line.startswith("policy: safe-defaults (built in)")  # the guardrails apply to stdin too
    assert rest == ["<stdin>: valid", "1 of 1 valid"]
    out = io.StringIO()
    assert main(["explain", "-"], out=out, err=err, stdin=io.BytesIO(text)) == 0
    assert out.getvalue().startswith("## Chaos experiment: Reboot the orders DB instance")
    assert run("validate", "-", "-")[0] == 2
