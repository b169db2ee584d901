"""The guardrails in the CLI: validate/explain --policy, chaos-pulumi.yaml, policy-pack, policy show."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from chaos_pulumi.cli import main
from chaos_pulumi.policy_pack import PACK_DIR
from chaos_pulumi.spec.guardrails import POLICY_ENV

from ._spec_fixtures import ROOT

EXAMPLE = ROOT / "examples" / "experiments" / "network-disrupt-subnet.json"
WAIVER = "stop_condition_required: network game day in staging, alarm tracked in OPS-42"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def no_policy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(POLICY_ENV, raising=False)


@pytest.fixture
def nostop(tmp_path: Path) -> Path:
    data = json.loads(EXAMPLE.read_text())
    data["stopConditions"] = [{"source": "none"}]
    path = tmp_path / "exp" / "nostop.json"
    path.parent.mkdir()
    path.write_text(json.dumps(data))
    return path


def test_the_default_policy_fails_a_template_without_an_alarm(nostop: Path) -> None:
    code, out, _ = run("validate", str(nostop))
    assert code == 1
    assert out.splitlines()[0] == (
        "policy: safe-defaults (built in), "
        "the default (no --policy, $CHAOS_PULUMI_POLICY or chaos-pulumi.yaml)"
    )
    assert f"{nostop}: INVALID (1 error, 1 warning)" in out
    assert "  error   stopConditions: [stop_condition_required] has no CloudWatch alarm" in out


def test_policy_none_turns_the_guardrails_off_visibly(nostop: Path) -> None:
    code, out, _ = run("validate", "--policy", "none", str(nostop))
    assert code == 0
    assert out.splitlines()[0] == "policy: none: guardrails are off, from --policy"


def test_a_waiver_passes_and_is_printed(nostop: Path) -> None:
    data = json.loads(nostop.read_text())
    data["tags"]["chaos:waiver"] = WAIVER
    nostop.write_text(json.dumps(data))
    code, out, _ = run("validate", str(nostop))
    assert code == 0
    assert f"  waived  stop_condition_required (tag chaos:waiver): {WAIVER.split(': ', 1)[1]}" in out
    code, out, _ = run("validate", "--format", "json", str(nostop))
    (entry,) = json.loads(out)
    assert entry["valid"] is True
    assert entry["waivers"] == [
        {
            "rule": "stop_condition_required",
            "tag": "chaos:waiver",
            "reason": "network game day in staging, alarm tracked in OPS-42",
            "paths": ["stopConditions"],
        }
    ]


def test_json_problems_carry_the_rule(nostop: Path) -> None:
    code, out, _ = run("validate", "--format", "json", str(nostop))
    (entry,) = json.loads(out)
    assert code == 1 and entry["valid"] is False
    rules = {p.get("rule") for p in entry["problems"]}
    assert rules == {None, "stop_condition_required"}  # the validator's warning has no rule


def test_the_project_config_is_found_from_the_templates_directory(nostop: Path, tmp_path: Path) -> None:
    (tmp_path / "strict.yaml").write_text("version: 1\nname: strict\nrules: {required_tags: [owner]}\n")
    (tmp_path / "chaos-pulumi.yaml").write_text("policy: strict.yaml\n")
    code, out, _ = run("validate", "--policy", "none", str(EXAMPLE), str(nostop))
    assert code == 0  # --policy wins over the project config
    code, out, _ = run("validate", str(nostop))
    assert code == 1
    assert f"policy: strict ({tmp_path / 'strict.yaml'}), named by {tmp_path / 'chaos-pulumi.yaml'}" in out
    assert "  error   tags.owner: [required_tags] is required by the policy" in out


def test_a_broken_policy_is_a_usage_error_and_nothing_is_validated(nostop: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nrules: {max_selection: {resource_types: {'*': {count: many}}}}\n")
    code, out, _ = run("validate", "--policy", str(bad), str(nostop))
    assert code == 2
    assert "guardrail policy: cannot be used" in out
    assert "rules.max_selection.resource_types.*.count: must be a whole number" in out
    assert "INVALID" not in out and "valid" not in out.replace("cannot be used", "")
    code, _, err = run("explain", "--policy", str(tmp_path / "missing.yaml"), str(EXAMPLE))
    assert code == 2 and "no such file" in err


def test_role_trust_policy_file(tmp_path: Path) -> None:
    trust = tmp_path / "trust.json"
    trust.write_text(
        json.dumps(
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "fis.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ]
            }
        )
    )
    code, out, _ = run("validate", "--role-trust-policy", str(trust), str(EXAMPLE))
    assert code == 1 and "roleArn: [role_trust] Statement[0] lets fis.amazonaws.com assume" in out
    code, _, err = run("validate", "--role-trust-policy", str(tmp_path / "nope.json"), str(EXAMPLE))
    assert code == 2 and "--role-trust-policy" in err and "no such file" in err


def test_explain_shows_the_guardrails(nostop: Path) -> None:
    code, out, _ = run("explain", str(EXAMPLE))
    assert code == 0
    assert "### Guardrails" in out and "Policy: **safe-defaults** (built in), the default" in out
    assert "```mermaid\ngantt\n" in out
    code, out, _ = run("explain", str(nostop))
    assert code == 0  # explain reviews; the violation is shown, not refused
    assert "| `stop_condition_required` | a CloudWatch alarm stop condition | **FAIL** |" in out


def test_policy_pack_prints_the_pack_directory() -> None:
    code, out, _ = run("policy-pack")
    assert code == 0 and Path(out.strip()) == PACK_DIR
    assert (PACK_DIR / "PulumiPolicy.yaml").read_text().count("runtime: python") == 1


def test_policy_show(tmp_path: Path) -> None:
    code, out, _ = run("policy", "show", str(tmp_path))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("policy: safe-defaults (built in)")
    assert "  max_selection            error: *: COUNT ≤ 10, PERCENT ≤ 50, ALL only on listed ARNs" in lines
    assert "  require_logging          off" in lines
    code, out, _ = run("policy", "show", "--defaults")
    assert code == 0 and out.startswith("# chaos-pulumi guardrail policy") and "version: 1" in out
    code, out, _ = run("policy", "show", "--policy", "none")
    assert out.strip() == "policy: none: guardrails are off, from --policy"


def test_installed_console_script_has_the_policy_commands() -> None:
    import subprocess
    import sys

    exe = shutil.which("chaos-pulumi", path=str(Path(sys.executable).parent))
    assert exe
    proc = subprocess.run([exe, "policy-pack"], capture_output=True, text=True)
    assert proc.returncode == 0 and Path(proc.stdout.strip()).name == "policy_pack"
