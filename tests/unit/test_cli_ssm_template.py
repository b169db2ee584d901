"""`chaos-pulumi ssm-template`: the FIS template for a fault document, checked like `validate` checks a file.

What it writes is `host_fault_template`'s (HostFault's builder) and passes `chaos-pulumi validate` (run as
a separate process) under the guardrail policy that applies there; what fails is never written, and the
message names the rule, the template field and the option that sets it.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from chaos_pulumi.cli import main
from chaos_pulumi.fleet.experiment import argument_of, document_arn_of, host_fault_template, waiver_value
from chaos_pulumi.fleet.ssm_document import build_document

ROLE = "arn:aws:iam::123456789012:role/fis-fleet"
ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx"
DOC_ARN = "arn:aws:ssm:us-east-1:123456789012:document/ChaosFaults-cpu_stress"
REASON = "staging drill, the alarm lands in OPS-123"
BASE = ["ssm-template", "cpu_stress", "--target-tag", "app=web", "--duration", "300", "--role-arn", ROLE,
        "--account", "123456789012", "--region", "us-east-1"]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def validate_file(path: Path, *extra: str) -> subprocess.CompletedProcess:
    """`chaos-pulumi validate` as a user runs it, from the file's directory."""
    return subprocess.run([sys.executable, "-m", "chaos_pulumi.cli", "validate", path.name, *extra],
                          cwd=path.parent, capture_output=True, text=True, timeout=120)


@pytest.fixture(autouse=True)
def _no_ambient_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("CHAOS_PULUMI_POLICY", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(var, raising=False)


def test_the_written_template_is_the_builders_and_passes_validate(tmp_path: Path) -> None:
    out = tmp_path / "web-cpu.yaml"
    code, _, err = run(*BASE, "--param", "load=80", "-p", "stopOnUrl=http://127.0.0.1:8080/health",
                       "--stop-condition", ALARM, "-o", str(out))
    assert code == 0, err
    assert f"wrote {out}: cpu_stress for 300s on COUNT(1) of the running instances tagged app=web" in err
    written = yaml.safe_load(out.read_text())
    assert written == host_fault_template(
        build_document("cpu_stress"), document_arn=DOC_ARN, duration=300, target_tags={"app": "web"},
        role_arn=ROLE, parameters={"load": "80", "stopOnUrl": "http://127.0.0.1:8080/health"},
        stop_conditions=[ALARM])
    [action] = written["actions"].values()
    assert action["actionId"] == "aws:ssm:send-command" and action["parameters"]["duration"] == "PT6M"
    checked = validate_file(out)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "policy: safe-defaults" in checked.stdout and "web-cpu.yaml: valid\n" in checked.stdout


def test_without_a_stop_condition_nothing_is_written_unless_waived(tmp_path: Path) -> None:
    out = tmp_path / "web-cpu.json"
    code, stdout, err = run(*BASE, "-o", str(out))
    assert code == 1 and stdout == "" and not out.exists()
    assert "cpu_stress template: INVALID (1 error, 1 warning); nothing written:" in err
    assert "  error   stopConditions: [stop_condition_required] has no CloudWatch alarm" in err
    assert "(set by --stop-condition or --waiver)" in err

    code, _, err = run(*BASE, "--waiver", REASON, "-o", str(out))
    assert code == 0, err
    written = json.loads(out.read_text())  # .json: JSON
    assert written["tags"] == {"chaos:waiver": f"stop_condition_required: {REASON}"}
    assert written["stopConditions"] == [{"source": "none"}]
    checked = validate_file(out)
    assert checked.returncode == 0, checked.stdout
    assert f"waived  stop_condition_required (tag chaos:waiver): {REASON}" in checked.stdout

    code, _, err = run(*BASE, "--waiver", "ok", "-o", str(tmp_path / "short.yaml"))
    assert code == 1 and "[waiver] gives the reason 'ok'" in err and "(set by --waiver)" in err


def test_the_policy_of_the_output_directory_applies(tmp_path: Path) -> None:
    (tmp_path / "guardrails.yaml").write_text(
        "version: 1\nname: acme\nwaiver_tag: acme:waiver\nrules:\n  required_tags: [team]\n")
    (tmp_path / "chaos-pulumi.yaml").write_text("policy: guardrails.yaml\n")
    out = tmp_path / "web-cpu.yaml"
    code, _, err = run(*BASE, "--stop-condition", ALARM, "-o", str(out))
    assert code == 1 and not out.exists()
    assert "policy: acme (" in err
    assert "[required_tags] is required by the policy: add tags: {team: <value>}" in err
    assert "(set by --template-tag team)" in err

    code, _, err = run(*BASE, "--stop-condition", ALARM, "--template-tag", "team=sre", "--selection-mode",
                       "PERCENT(80)", "--waiver", f"max_selection: {REASON}", "-o", str(out))
    assert code == 0, err
    written = yaml.safe_load(out.read_text())
    assert written["tags"] == {"team": "sre", "acme:waiver": f"max_selection: {REASON}"}  # the policy's tag
    checked = validate_file(out)
    assert checked.returncode == 0 and "policy: acme (" in checked.stdout, checked.stdout

    (tmp_path / "guardrails.yaml").write_text("version: 1\nrules: {max_duration: soon}\n")
    code, _, err = run(*BASE, "--stop-condition", ALARM, "-o", str(tmp_path / "other.yaml"))
    assert code == 2 and "cannot be used" in err and not (tmp_path / "other.yaml").exists()


def test_with_policy_none_a_template_without_a_stop_condition_is_written_with_a_warning() -> None:
    code, stdout, err = run(*BASE, "--policy", "none")
    assert code == 0, err
    assert "policy: none: guardrails are off" in err and "warning stopConditions" in err
    assert yaml.safe_load(stdout)["stopConditions"] == [{"source": "none"}]  # stdout: YAML


@pytest.mark.parametrize("extra, code, message", [
    (["-p", "load=80; rm -rf /"], 1, "--param load: '80; rm -rf /' does not match the document's pattern"),
    (["-p", "lod=80"], 1, "--param lod: the cpu_stress document has no such parameter (it takes duration"),
    (["-p", "load"], 2, "--param 'load': write KEY=VALUE"),
    (["--duration", "7200"], 1, "--duration: '7200' is not whole seconds within 1-3600"),
    (["--selection-mode", "ALL"], 1, "[max_selection] ALL on a target chosen by tags"),
    (["--target-tag", "app=api"], 2, "--target-tag app: given twice"),
    (["--document-name", "aws-mine"], 1, "--document-name: 'aws-mine': SSM document names"),
    (["--document-arn", DOC_ARN], 2, "give either --document-arn or --account/--region/--document-name"),
    (["--account", "12"], 1, "--account: '12' is not a 12-digit AWS account id"),
    (["--waiver", f"max_selections: {REASON}"], 1, "--waiver: 'max_selections' is not a guardrail rule"),
    (["--waiver", REASON], 1, "--waiver: waives nothing, stop conditions are given"),
])
def test_bad_input_names_the_option_and_writes_nothing(tmp_path: Path, extra: list[str], code: int,
                                                       message: str) -> None:
    out = tmp_path / "t.yaml"
    got, stdout, err = run(*BASE, "--stop-condition", ALARM, *extra, "-o", str(out))
    assert (got, stdout) == (code, "") and message in err, err
    assert not out.exists() and "Traceback" not in err


def test_the_document_is_named_by_arn_or_by_account_region_and_name(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["ssm-template", "network_blackhole", "--target-tag", "app=web", "--duration", "60",
            "--role-arn", ROLE, "--stop-condition", ALARM]
    code, _, err = run(*argv)
    assert code == 2 and "name the document: --document-arn ARN, or --account ID with --region REGION" in err
    monkeypatch.setenv("AWS_REGION", "cn-north-1")
    code, stdout, err = run(*argv, "--account", "123456789012",
                            "--document-name", "ChaosFaults-blackhole-web")
    assert code == 0, err
    [action] = yaml.safe_load(stdout)["actions"].values()
    assert action["parameters"]["documentArn"] == (
        "arn:aws-cn:ssm:cn-north-1:123456789012:document/ChaosFaults-blackhole-web")
    code, stdout, _ = run(*argv, "--document-arn", DOC_ARN.replace("cpu_stress", "network_blackhole"))
    [action] = yaml.safe_load(stdout)["actions"].values()
    assert action["parameters"]["documentArn"].endswith(":document/ChaosFaults-network_blackhole")


def test_the_help_lists_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--help")[0] == 0  # argparse prints help to sys.stdout
    assert "ssm-template  the FIS template that runs a host fault's SSM document" in capsys.readouterr().out


def test_waiver_values_follow_the_guardrails_format() -> None:
    assert waiver_value(REASON, alarms=False) == f"stop_condition_required: {REASON}"
    assert waiver_value(f"max_selection: {REASON}", alarms=False) == (
        f"stop_condition_required, max_selection: {REASON}")
    assert waiver_value(f"max_selection: {REASON}", alarms=True) == f"max_selection: {REASON}"
    assert waiver_value("INC-9: game day", alarms=False) == "stop_condition_required: INC-9: game day"
    with pytest.raises(ValueError, match="'max_duratoin' is not a guardrail rule; did you mean"):
        waiver_value(f"max_selection, max_duratoin: {REASON}", alarms=False)
    with pytest.raises(ValueError, match="^waiver: waives nothing"):
        waiver_value(REASON, alarms=True)
    with pytest.raises(ValueError, match="over FIS's 256"):
        waiver_value("x" * 250, alarms=False)


def test_each_template_field_maps_back_to_the_argument_that_sets_it() -> None:
    assert [argument_of(p) for p in (
        "stopConditions", "targets.instances.selectionMode", "targets.instances.resourceTags.app", "actions",
        "actions.cpu-stress.parameters.duration", "actions.cpu-stress.parameters.documentParameters",
        "actions.cpu-stress.actionId", "tags.team", "tags.chaos:waiver", "roleArn", "experimentOptions",
    )] == ["stop_conditions", "selection_mode", "target_tags", "duration", "duration", "parameters", "fault",
           "tags.team", "waiver", "role_arn", None]
    assert argument_of("tags.acme:waiver", "acme:waiver") == "waiver"
    with pytest.raises(ValueError, match="^region: "):
        document_arn_of("ChaosFaults-x", region="useast1", account="123456789012")
