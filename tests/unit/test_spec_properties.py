"""Properties over generated templates that use every action in the catalog."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaos_pulumi.spec import TemplateSpec, validate
from chaos_pulumi.spec.explain import explain
from chaos_pulumi.spec.iam import iam_policy
from tests.harness.spec_strategies import ACTION_IDS, valid_templates


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(valid_templates())
def test_generated_templates_validate_and_round_trip(template) -> None:
    problems = validate(template)
    assert not [p for p in problems if p.severity == "error"], [str(p) for p in problems]
    spec = TemplateSpec.from_dict(template)
    canonical = spec.to_dict()
    assert TemplateSpec.from_dict(canonical) == spec
    assert json.loads(json.dumps(spec.to_create_request())) == spec.to_create_request()
    assert not [p for p in validate(canonical) if p.severity == "error"]

    policy = iam_policy(spec)
    for stmt in policy["Statement"]:
        assert stmt["Action"] and all(a != "*" and ":" in a for a in stmt["Action"])
    md = explain(spec, problems)
    assert all(f"**{name}**" in md for name in spec.actions)


def test_every_catalog_action_is_reachable_by_the_generator() -> None:
    assert len(ACTION_IDS) >= 50


@pytest.mark.parametrize("action_id", ACTION_IDS)
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(data=st.data())
def test_each_action_accepts_its_documented_parameters(action_id, data) -> None:
    template = data.draw(valid_templates(first=action_id))
    assert template["actions"]["a0"]["actionId"] == action_id
    problems = validate(template)
    assert not [p for p in problems if p.severity == "error"], [str(p) for p in problems]
