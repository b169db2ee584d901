"""Round trip through a real moto server: file -> CreateExperimentTemplate -> Get -> model."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from chaos_pulumi.aws import fis_client
from chaos_pulumi.spec import TemplateSpec, load_file
from tests.harness.spec_strategies import valid_templates

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "experiments").glob("*.*"))


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 6
    assert {p.suffix for p in EXAMPLES} >= {".yaml", ".json"}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_create_get_from_fis_equals_file(moto, path: Path) -> None:
    result = load_file(path)
    assert result.valid, [str(p) for p in result.problems]
    spec = result.spec
    client = fis_client()  # from the standard environment the `moto` fixture set

    created = client.create_experiment_template(**spec.to_create_request(client_token=str(uuid.uuid4())))
    template_id = created["experimentTemplate"]["id"]
    live = client.get_experiment_template(id=template_id)["experimentTemplate"]

    assert TemplateSpec.from_fis(live) == spec
    assert TemplateSpec.from_fis(live).to_dict() == spec.to_dict()
    assert live["tags"] == spec.tags


def test_update_request_replaces_actions_and_removes_logging(moto) -> None:
    spec = load_file(next(p for p in EXAMPLES if p.name == "rds-reboot.yaml")).spec
    client = fis_client()
    template_id = client.create_experiment_template(**spec.to_create_request())["experimentTemplate"]["id"]

    data = spec.to_dict()
    del data["actions"]["verify"]
    del data["logConfiguration"]
    data["description"] = "Reboot only"
    changed = TemplateSpec.from_dict(data)
    client.update_experiment_template(**changed.to_update_request(template_id))

    live = TemplateSpec.from_fis(client.get_experiment_template(id=template_id)["experimentTemplate"])
    assert sorted(live.actions) == ["baseline", "reboot", "recover"]
    assert live.log_configuration is None
    assert live.description == "Reboot only"
    # Tags are not part of an update; they stay as created.
    assert live.tags == spec.tags
    assert live == changed


def test_from_fis_normalises_what_fis_fills_in() -> None:
    """Real FIS returns empty maps and default options; the model treats them as absent."""
    spec = load_file(next(p for p in EXAMPLES if p.name == "ec2-stop-one-instance.yaml")).spec
    wire = spec.to_create_request()
    wire["id"] = "EXT123"
    wire["arn"] = "arn:aws:fis:us-east-1:123456789012:experiment-template/EXT123"
    wire["creationTime"] = wire["lastUpdateTime"] = 0
    wire["targetAccountConfigurationsCount"] = 0
    for target in wire["targets"].values():
        target.setdefault("resourceArns", [])
        target.setdefault("parameters", {})
    for action in wire["actions"].values():
        action.setdefault("startAfter", [])
        action.setdefault("description", "")
    wire["experimentOptions"] = {"accountTargeting": "single-account", "emptyTargetResolutionMode": "fail"}
    assert TemplateSpec.from_fis(wire) == spec


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(template=valid_templates())
def test_generated_templates_round_trip_through_moto(moto, template) -> None:
    """Templates using every catalog action survive create + get unchanged (canonical form)."""
    spec = TemplateSpec.from_dict(template)
    client = fis_client()
    template_id = client.create_experiment_template(**spec.to_create_request())["experimentTemplate"]["id"]
    live = client.get_experiment_template(id=template_id)["experimentTemplate"]
    assert TemplateSpec.from_fis(live) == spec
