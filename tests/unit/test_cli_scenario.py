"""`chaos-pulumi scenario list | show | render`: output, files and exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import yaml

from chaos_pulumi.cli import main
from chaos_pulumi.spec import TemplateSpec, has_errors, validate
from chaos_pulumi.spec.scenarios import render_scenario

ROLE = "arn:aws:iam::123456789012:role/fis"
ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:5xx"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_list_names_the_four_scenarios() -> None:
    code, out, _ = run("scenario", "list")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == [
        "az-power-interruption",
        "az-application-slowdown",
        "cross-az-traffic-slowdown",
        "cross-region-connectivity",
    ]


def test_show_gives_parameters_sub_actions_tags_and_the_source() -> None:
    code, out, _ = run("scenario", "show", "az-power-interruption")
    assert code == 0
    assert "https://docs.aws.amazon.com/fis/latest/userguide/az-availability-scenario.html" in out
    assert "interruption_duration (duration, default PT30M (30m))" in out
    assert "* stop-instances:" in out and "[tag value StopInstances]" in out
    assert "  start-arc-zonal-autoshift:" in out  # not a default


def test_render_prints_the_template_the_library_renders(tmp_path: Path) -> None:
    args = [
        "-p",
        "availability_zone=us-east-1a",
        "-p",
        f"role_arn={ROLE}",
        "-p",
        f"stop_conditions={ALARM}",
        "-p",
        "include=stop-instances,failover-rds",
        "-p",
        "interruption_duration=PT10M",
    ]
    code, out, err = run("scenario", "render", "az-power-interruption", *args)
    assert code == 0, err
    expected = render_scenario(
        "az-power-interruption",
        {
            "availability_zone": "us-east-1a",
            "role_arn": ROLE,
            "stop_conditions": [ALARM],
            "include": ["stop-instances", "failover-rds"],
            "interruption_duration": "PT10M",
        },
    )
    assert TemplateSpec.from_dict(yaml.safe_load(out)) == expected.spec
    target = tmp_path / "az.json"
    code, out, err = run("scenario", "render", "az-power-interruption", *args, "-o", str(target))
    assert code == 0 and out == ""
    assert "wrote" in err and "Failover-RDS" in err
    data = json.loads(target.read_text())
    assert not has_errors(validate(data))
    assert data == expected.to_dict()
    code, out, _ = run("validate", str(target))
    assert code == 0, out


def test_render_reports_every_bad_parameter_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "never.yaml"
    code, out, err = run(
        "scenario",
        "render",
        "az-application-slowdown",
        "-p",
        "availability_zone=us-east-1a",
        "-p",
        "role_arn=fis",
        "-p",
        "delay_ms=10",
        "-o",
        str(target),
    )
    assert code == 1 and out == ""
    assert "parameters.role_arn: 'fis' is not an IAM role ARN" in err
    assert "parameters.delay_ms: unknown parameter; did you mean 'delay_milliseconds'?" in err
    assert not target.exists()


def test_render_without_stop_conditions_needs_the_waiver() -> None:
    base = [
        "scenario",
        "render",
        "cross-region-connectivity",
        "-p",
        "destination_region=eu-west-1",
        "-p",
        f"role_arn={ROLE}",
    ]
    code, _, err = run(*base)
    assert code == 1 and "parameters.stop_conditions: is empty and no waiver is given" in err
    code, out, err = run(*base, "-p", "waiver=DR drill with the on-call watching")
    assert code == 0
    assert yaml.safe_load(out)["tags"]["chaos:waiver"] == (
        "stop_condition_required, max_selection, max_action_duration, max_duration: DR drill with the "
        "on-call watching; cross-region-connectivity by AWS's design: ALL on its opt-in tags (the preflight "
        "caps runs), 3 h default isolation"
    )
    assert "warning stopConditions" in err
    assert "waived  stop_condition_required (tag chaos:waiver): DR drill with the on-call watching;" in err


def test_usage_errors_exit_2() -> None:
    assert run("scenario", "show", "az-outage")[0] == 2
    code, _, err = run("scenario", "render", "az-power-interruption", "-p", "novalue")
    assert code == 1 and "write KEY=VALUE" in err
