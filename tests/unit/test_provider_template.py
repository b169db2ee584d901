"""ExperimentTemplateProvider called directly (no engine) against the real moto server over HTTP."""

from __future__ import annotations

import base64
import copy
import subprocess
import sys

import pytest
from pulumi.output import Unknown

from chaos_pulumi.providers.base import UNKNOWN, ProviderError, is_unknown
from chaos_pulumi.providers.experiment_template import ExperimentTemplateProvider
from chaos_pulumi.spec import TemplateSpec
from tests.conftest import FAKE_SECRET_KEY, ROOT

ROLE = "arn:aws:iam::123456789012:role/fis-experiments"
ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx"


def template(**changes: object) -> dict:
    base = {
        "description": "Stop one web instance for five minutes",
        "roleArn": ROLE,
        "targets": {
            "web": {
                "resourceType": "aws:ec2:instance",
                "resourceTags": {"app": "web"},
                "filters": [{"path": "State.Name", "values": ["running"]}],
                "selectionMode": "COUNT(1)",
            }
        },
        "actions": {
            "stop": {
                "actionId": "aws:ec2:stop-instances",
                "parameters": {"startInstancesAfterDuration": "PT5M"},
                "targets": {"Instances": "web"},
            },
            "pause": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}},
        },
        "stopConditions": [{"source": "aws:cloudwatch:alarm", "value": ALARM}],
        "tags": {"team": "sre"},
    }
    base.update(copy.deepcopy(changes))
    return base


@pytest.fixture
def provider() -> ExperimentTemplateProvider:
    return ExperimentTemplateProvider()


def checked(provider: ExperimentTemplateProvider, tpl: dict, **extra: object) -> dict:
    result = provider.check({}, {"template": tpl, "resource_key": "proj/dev/web", **extra})
    assert result.failures == [], [f.reason for f in result.failures]
    return result.inputs


def live(moto, template_id: str) -> TemplateSpec:
    return TemplateSpec.from_fis(moto.client().get_experiment_template(id=template_id)["experimentTemplate"])


# ----- check ---------------------------------------------------------------------------------------


def test_check_reports_every_error_with_its_field_path(provider):
    bad = template(
        actions={
            "stop": {
                "actionId": "aws:ec2:stop-instances",
                "parameters": {"startInstancesAfterDuration": "five minutes"},
                "targets": {"Instances": "api"},
            }
        }
    )
    result = provider.check({}, {"template": bad})
    reasons = sorted(f.reason for f in result.failures)
    assert any(r.startswith("actions.stop.targets.Instances: ") and "'api'" in r for r in reasons), reasons
    assert any(r.startswith("actions.stop.parameters.startInstancesAfterDuration: ") for r in reasons), (
        reasons
    )
    # The whole message goes in `reason`: with a property name the engine would also print the input value.
    assert all(f.property == "" for f in result.failures)


def test_check_returns_the_canonical_template(provider):
    tpl = template()
    tpl["actions"] = dict(reversed(list(tpl["actions"].items())))
    inputs = checked(provider, tpl)
    assert inputs["template"] == TemplateSpec.from_dict(tpl).to_dict()
    assert list(inputs["template"]["actions"]) == ["pause", "stop"]


@pytest.mark.parametrize("unknown", [Unknown(), UNKNOWN], ids=["Unknown", "wire-string"])
def test_check_ignores_problems_hidden_by_unknown_values(provider, unknown):
    tpl = template(roleArn=unknown)
    tpl["stopConditions"] = [{"source": "aws:cloudwatch:alarm", "value": unknown}]
    result = provider.check({}, {"template": tpl})
    assert result.failures == []
    assert is_unknown(result.inputs["template"]["roleArn"])  # left for `up`, when it is known


def test_check_still_reports_known_errors_next_to_unknown_values(provider):
    tpl = template(roleArn=Unknown(), description="")
    reasons = [f.reason for f in provider.check({}, {"template": tpl}).failures]
    assert any(r.startswith("description") for r in reasons), reasons
    assert not any(r.startswith("roleArn") for r in reasons), reasons


def test_check_rejects_a_template_that_is_not_a_mapping(provider):
    result = provider.check({}, {"template": ["not", "a", "template"]})
    assert [f.reason for f in result.failures] == ["template: expected a FIS experiment template (a mapping)"]


# ----- create / read / diff / update / delete -----------------------------------------------------


def test_create_puts_exactly_the_template_in_fis(moto, provider):
    inputs = checked(provider, template())
    result = provider.create(inputs)
    assert live(moto, result.id) == TemplateSpec.from_dict(template())
    assert result.outs["template"] == TemplateSpec.from_dict(template()).to_dict()
    assert result.outs["arn"].endswith(f":experiment-template/{result.id}")
    assert result.outs["region"] == "us-east-1"


def test_create_retried_after_a_crash_finds_the_first_template(moto, provider):
    inputs = checked(provider, template())
    first = provider.create(inputs)
    again = provider.create(inputs)
    assert again.id == first.id
    assert len(moto.client().list_experiment_templates()["experimentTemplates"]) == 1


def test_create_after_the_same_template_was_deleted_makes_a_new_one(moto, provider):
    inputs = checked(provider, template())
    first = provider.create(inputs)
    provider.delete(first.id, first.outs)
    second = provider.create(inputs)
    assert second.id != first.id
    assert live(moto, second.id) == TemplateSpec.from_dict(template())


def test_diff_without_change_is_no_change(moto, provider):
    inputs = checked(provider, template())
    created = provider.create(inputs)
    result = provider.diff(created.id, created.outs, inputs)
    assert (result.changes, result.replaces) == (False, [])


def test_diff_ignores_the_form_of_older_state(moto, provider):
    """State written by an older package version (other key order, explicit defaults) is no diff."""
    inputs = checked(provider, template())
    created = provider.create(inputs)
    olds = dict(created.outs)
    old_form = template(
        experimentOptions={"accountTargeting": "single-account", "emptyTargetResolutionMode": "fail"}
    )
    old_form["actions"] = dict(reversed(list(old_form["actions"].items())))
    olds["template"] = old_form
    olds["__provider"] = "an older serialized provider"
    assert provider.diff(created.id, olds, inputs).changes is False


def test_diff_description_is_an_update_and_account_targeting_a_replacement(moto, provider):
    created = provider.create(checked(provider, template()))
    described = provider.diff(created.id, created.outs, checked(provider, template(description="Other")))
    assert (described.changes, described.replaces) == (True, [])
    tags = provider.diff(created.id, created.outs, checked(provider, template(tags={"team": "ops"})))
    assert (tags.changes, tags.replaces) == (True, [])
    multi = checked(provider, template(experimentOptions={"accountTargeting": "multi-account"}))
    replaced = provider.diff(created.id, created.outs, multi)
    assert replaced.changes is True and replaced.replaces == ["template"]


def test_diff_with_unknown_values_is_a_change(moto, provider):
    created = provider.create(checked(provider, template()))
    news = provider.check({}, {"template": template(roleArn=Unknown())}).inputs
    result = provider.diff(created.id, created.outs, news)
    assert result.changes is True and result.replaces == []
    whole = provider.diff(created.id, created.outs, {"template": Unknown()})
    assert whole.changes is True and whole.replaces == []


def test_update_changes_in_place_and_removes_actions_and_targets(moto, provider):
    created = provider.create(checked(provider, template()))
    smaller = template(
        description="Only wait",
        targets={},
        actions={"pause": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT2M"}}},
    )
    news = checked(provider, smaller)
    updated = provider.update(created.id, created.outs, news)
    now = live(moto, created.id)
    assert now == TemplateSpec.from_dict(smaller)
    assert set(now.actions) == {"pause"} and now.targets == {}
    assert updated.outs["template"] == now.to_dict()
    assert updated.outs["arn"] == created.outs["arn"]


def test_update_changes_tags_through_tag_calls_keeping_the_id(moto, provider):
    created = provider.create(checked(provider, template(tags={"team": "sre", "old": "x"})))
    news = checked(provider, template(tags={"team": "ops", "new": "y"}))
    provider.update(created.id, created.outs, news)
    assert live(moto, created.id).tags == {"team": "ops", "new": "y"}
    assert moto.client().list_tags_for_resource(resourceArn=created.outs["arn"])["tags"] == {
        "team": "ops",
        "new": "y",
    }


def test_update_of_a_template_deleted_outside_says_what_to_do(moto, provider):
    created = provider.create(checked(provider, template()))
    moto.client().delete_experiment_template(id=created.id)
    with pytest.raises(ProviderError, match="pulumi refresh"):
        provider.update(created.id, created.outs, checked(provider, template(description="x")))


def test_read_returns_the_live_template_so_drift_shows_as_a_diff(moto, provider):
    inputs = checked(provider, template())
    created = provider.create(inputs)
    moto.client().update_experiment_template(id=created.id, description="changed by hand")
    refreshed = provider.read(created.id, created.outs)
    assert refreshed.id == created.id
    assert refreshed.outs["template"]["description"] == "changed by hand"
    assert provider.diff(created.id, refreshed.outs, inputs).changes is True


def test_read_of_a_template_deleted_outside_drops_it(moto, provider):
    created = provider.create(checked(provider, template()))
    moto.client().delete_experiment_template(id=created.id)
    assert provider.read(created.id, created.outs).id == ""


def test_delete_is_harmless_when_already_gone(moto, provider):
    created = provider.create(checked(provider, template()))
    provider.delete(created.id, created.outs)
    provider.delete(created.id, created.outs)
    assert moto.client().list_experiment_templates()["experimentTemplates"] == []


def test_adopt_takes_over_an_existing_template_and_makes_it_the_desired_one(moto, provider):
    existing = TemplateSpec.from_dict(template(description="made by hand", tags={"owner": "me"}))
    made = moto.client().create_experiment_template(**existing.to_create_request(client_token="by-hand"))
    template_id = made["experimentTemplate"]["id"]
    adopted = provider.create(checked(provider, template(), adopt_id=template_id))
    assert adopted.id == template_id
    assert live(moto, template_id) == TemplateSpec.from_dict(template())
    assert len(moto.client().list_experiment_templates()["experimentTemplates"]) == 1


def test_adopt_of_a_missing_template_names_the_field(moto, provider):
    with pytest.raises(ProviderError, match="adopt_id: experiment template 'EXTnothere' does not exist"):
        provider.create(checked(provider, template(), adopt_id="EXTnothere"))


def test_region_comes_from_the_environment_and_is_recorded(moto, provider, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    created = provider.create(checked(provider, template()))
    assert created.outs["region"] == "eu-west-1"
    assert ":eu-west-1:" in created.outs["arn"]
    # Destroy later with another environment region still finds it in the recorded one.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    provider.delete(created.id, created.outs)
    assert provider.read(created.id, created.outs).id == ""


# ----- what lands in the state ----------------------------------------------------------------------


def test_serialized_provider_is_a_class_reference_without_secrets(moto):
    from pulumi.dynamic.dynamic import serialize_provider

    blob = serialize_provider(ExperimentTemplateProvider())
    raw = base64.b64decode(blob)
    assert b"chaos_pulumi.providers.experiment_template" in raw
    assert b"ExperimentTemplateProvider" in raw
    assert FAKE_SECRET_KEY.encode() not in raw and b"co_code" not in raw
    assert len(raw) < 300, "the provider should pickle by reference, not by value"
    # A fresh interpreter (like the plugin process) loads it by importing the package.
    code = (
        "import base64, sys, dill\n"
        "p = dill.loads(base64.b64decode(sys.argv[1]))\n"
        "print(type(p).__module__ + '.' + type(p).__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, blob], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    assert out == "chaos_pulumi.providers.experiment_template.ExperimentTemplateProvider"


def test_check_takes_whole_numbers_as_pulumi_sends_them(provider):
    """Pulumi's wire format has only floats: logSchemaVersion 2 arrives as 2.0."""
    tpl = template(logConfiguration={"logSchemaVersion": 2.0, "s3Configuration": {"bucketName": "fis-logs"}})
    inputs = checked(provider, tpl)
    assert inputs["template"]["logConfiguration"]["logSchemaVersion"] == 2


def test_provider_errors_reach_the_cli_as_their_message(monkeypatch):
    """Inside Pulumi's provider server a ProviderError is formatted as its text, other errors keep a trace."""
    import traceback
    import types

    from chaos_pulumi.providers import base

    server = types.ModuleType("__main__")
    server.DynamicResourceProviderServicer = object
    server.traceback = traceback
    monkeypatch.setitem(sys.modules, "__main__", server)
    base._report_provider_errors_without_traceback()
    try:
        raise ProviderError("web: creating the experiment template failed: ValidationException: bad")
    except ProviderError:
        assert (
            server.traceback.format_exc()
            == "web: creating the experiment template failed: ValidationException: bad"
        )
    try:
        raise KeyError("bug")
    except KeyError:
        assert server.traceback.format_exc().startswith("Traceback (most recent call last):")


# ----- the preflight at preview: what the targets would hit, as warnings, never a failure ---------------


def test_check_shows_what_a_new_template_would_hit(moto, provider, capfd):
    moto.run_instances(3, {"app": "web"})
    inputs = checked(provider, template())
    assert inputs["template"]["targets"]["web"]["selectionMode"] == "COUNT(1)"
    err = capfd.readouterr().err
    assert "web: preflight: target 'web' (aws:ec2:instance, COUNT(1)): would hit 1 of 3; cap: 10" in err
    assert "warning" not in err


def test_check_warns_when_a_run_would_be_refused_but_does_not_fail(moto, provider, capfd):
    inputs = checked(provider, template())  # no instance carries app=web: an empty target
    assert inputs["template"]["targets"]["web"]
    err = capfd.readouterr().err
    assert "web: warning: preflight: target 'web' (aws:ec2:instance, COUNT(1)) matches no resource" in err
    assert "web: warning: an Experiment of this template would be refused now" in err


def test_check_of_an_unreachable_account_only_warns(moto, provider, capfd, monkeypatch):
    from chaos_pulumi.local import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{free_port()}")
    checked(provider, template())
    err = capfd.readouterr().err
    assert "web: warning: preflight: cannot query the account in us-east-1" in err


def test_check_of_unchanged_content_queries_nothing(moto, provider, capfd, monkeypatch):
    from chaos_pulumi.local import free_port

    inputs = checked(provider, template())
    capfd.readouterr()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # any call would fail
    again = provider.check(inputs, {"template": template(), "resource_key": "proj/dev/web"})
    assert again.failures == []
    assert capfd.readouterr().err == ""
