"""`chaos-pulumi targets | stop-all | resume` against the moto server: the command functions and main()."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from chaos_pulumi.aws.caps import PolicyUnavailable, policy_caps
from chaos_pulumi.aws.clients import client_factory
from chaos_pulumi.cli import main
from chaos_pulumi.cli.killswitch import stop_all_command
from chaos_pulumi.cli.targets import targets_command
from chaos_pulumi.spec.schedules import SCHEDULE_TAG
from tests.harness.experiments import running_experiments, start, wait_template

ROOT = Path(__file__).resolve().parents[2]
EC2_STOP = ROOT / "examples" / "experiments" / "ec2-stop-one-instance.yaml"
SSM_CPU = ROOT / "examples" / "experiments" / "ssm-cpu-stress.yaml"
EKS_POD = ROOT / "examples" / "experiments" / "eks-pod-delete.yaml"


def web_fleet(moto, running: int = 3, stopped: int = 1, app: str = "web") -> list[str]:
    ec2 = moto.client("ec2")
    tags = [
        {
            "ResourceType": "instance",
            "Tags": [{"Key": "app", "Value": app}, {"Key": "chaos-ready", "Value": "true"}],
        }
    ]
    ids = [
        i["InstanceId"]
        for i in ec2.run_instances(
            ImageId="ami-12c6146b",
            MinCount=running + stopped,
            MaxCount=running + stopped,
            TagSpecifications=tags,
        )["Instances"]
    ]
    if stopped:
        ec2.stop_instances(InstanceIds=ids[:stopped])
    return ids


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_targets_prints_the_blast_radius_of_an_example(moto) -> None:
    ids = web_fleet(moto)
    out, err = io.StringIO(), io.StringIO()
    code = targets_command(
        [EC2_STOP], out=out, err=err, cap_fn=lambda rt: (2, 50.0), clients=client_factory()
    )
    text = out.getvalue()
    assert code == 0, text + err.getvalue()
    assert f"{EC2_STOP}: account 123456789012, us-east-1" in text
    assert "web  aws:ec2:instance  COUNT(1)  by tags+filters  (exact)" in text
    assert "matching 3:" in text and ids[0] not in text  # the stopped one is filtered out
    assert "would hit 1 of 3; cap: 2 resources / 50% of PERCENT selections; ok" in text


def test_targets_refuses_over_cap_with_exit_1_and_json(moto) -> None:
    web_fleet(moto, running=4, stopped=0, app="api")
    out, err = io.StringIO(), io.StringIO()
    code = targets_command(
        [SSM_CPU], out=out, err=err, fmt="json", cap_fn=lambda rt: (1, None), clients=client_factory()
    )
    assert code == 1
    [doc] = json.loads(out.getvalue())
    assert doc["file"] == str(SSM_CPU) and doc["valid"] and doc["refused"]
    [t] = doc["targets"]
    assert (t["matching_count"], t["would_hit"], t["cap"]["max_count"]) == (4, 2, 1)  # PERCENT(50) of 4
    assert "would hit 2 of 4" in t["refusal"] and "cap for aws:ec2:instance is 1" in t["refusal"]


def test_targets_through_main_with_directories_invalid_files_and_policy_none(moto, tmp_path: Path) -> None:
    web_fleet(moto)
    (tmp_path / "ok.yaml").write_text(EC2_STOP.read_text())
    (tmp_path / "broken.yaml").write_text("description: x\nroleArn: y\nactions: {}\ntargets: 3\n")
    code, out, err = run(["targets", str(tmp_path), "--policy", "none"])
    assert code == 1  # the broken file
    assert "would hit 1 of 3; cap: none; ok" in out
    assert "broken.yaml: INVALID; fix these first" in err
    code, out, _ = run(["targets", str(EKS_POD), "--policy", "none"])
    assert code == 0 and "aws:eks:pod is not resolvable offline" in out
    code, _, err = run(["targets", str(tmp_path / "nope.yaml")])
    assert code == 2 and "no such file" in err


def test_policy_caps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAOS_PULUMI_POLICY", raising=False)
    assert policy_caps("none")("aws:ec2:instance") == (None, None)
    assert policy_caps("safe-defaults")("aws:ec2:instance") == (10, 50)
    broken = tmp_path / "guardrails.yaml"
    broken.write_text("version: 1\nrules:\n  max_selection: {resource_types: {'*': {percent: 150}}}\n")
    with pytest.raises(PolicyUnavailable, match="does not load"):
        policy_caps(str(broken))
    code, _, err = run(["targets", str(EC2_STOP), "--policy", str(broken)])
    assert code == 2 and "does not load" in err


def test_stop_all_and_resume_through_main(moto) -> None:
    fis, scheduler = moto.client("fis"), moto.client("scheduler")
    scheduler.create_schedule_group(Name="chaos-dev", Tags=[{"Key": SCHEDULE_TAG, "Value": "dev"}])
    scheduler.create_schedule(
        Name="weekday",
        GroupName="chaos-dev",
        ScheduleExpression="rate(1 day)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": "arn:aws:scheduler:::aws-sdk:fis:startExperiment",
            "RoleArn": "arn:aws:iam::123456789012:role/s",
            "Input": "{}",
        },
    )
    with running_experiments(moto.url, fis, 2) as ids:
        code, out, err = run(["stop-all", "--reason", "incident 9", "--wait", "10"])
        assert code == 0, out + err
        assert out.startswith("stop-all: done; reason: incident 9")
        assert "safety lever: engaged (was disengaged); reason: incident 9" in out
        for experiment_id in ids:
            assert f"experiment {experiment_id}: running -> stopped" in out
        assert "schedule chaos-dev/weekday: ENABLED -> DISABLED" in out
        assert start(fis, wait_template(fis))["state"]["status"] == "cancelled"

        code, out, _ = run(["stop-all", "--reason", "incident 9", "--format", "json"])
        record = json.loads(out)
        assert code == 0 and record["regions"]["us-east-1"]["lever"]["changed"] is False

        code, out, _ = run(["resume", "--reason", "resolved", "--region", "us-east-1"])
        assert code == 0 and "safety lever: disengaged (was engaged); reason: resolved" in out
        assert "schedule chaos-dev/weekday: DISABLED -> ENABLED" in out
    assert scheduler.get_schedule(Name="weekday", GroupName="chaos-dev")["State"] == "ENABLED"


def test_stop_all_exit_1_when_a_step_fails(moto) -> None:
    out = io.StringIO()
    unreachable = client_factory(endpoint_url="http://127.0.0.1:9")
    code = stop_all_command("drill", ["us-east-1"], out=out, clients_for=lambda r: unreachable, wait_s=1)
    assert code == 1
    assert "stop-all: INCOMPLETE" in out.getvalue() and "FAILED lever:" in out.getvalue()


def test_stop_all_needs_a_reason_and_a_region(moto, monkeypatch, capsys) -> None:
    code, _, _ = run(["stop-all"])
    assert code == 2 and "the following arguments are required: --reason" in capsys.readouterr().err
    code, _, err = run(["stop-all", "--reason", " "])
    assert code == 2 and "reason is required" in err
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(key, raising=False)
    code, _, err = run(["stop-all", "--reason", "x"])
    assert code == 2 and "no region" in err
