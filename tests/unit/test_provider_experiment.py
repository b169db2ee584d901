"""ExperimentProvider called directly (no engine) against the real moto server over HTTP.

moto advances an experiment one state per GetExperiment: pending -> initiating -> running -> completed.
The template targets running instances tagged app=web, so every test account has three of them: the
preflight before each start resolves the target for real.
"""

from __future__ import annotations

import pytest
from pulumi.output import Unknown

from chaos_pulumi.providers.base import UNKNOWN, ProviderError
from chaos_pulumi.providers.experiment import ExperimentProvider, timeout_seconds
from chaos_pulumi.spec import TemplateSpec
from tests.unit.test_provider_template import template


@pytest.fixture
def provider() -> ExperimentProvider:
    return ExperimentProvider()


@pytest.fixture
def web(moto) -> list[str]:
    """Three running instances tagged app=web: what the template's target selects COUNT(1) of."""
    return moto.run_instances(3, {"app": "web"})


@pytest.fixture
def template_id(moto, web) -> str:
    return create(moto, template())


def create(moto, data: dict) -> str:
    spec = TemplateSpec.from_dict(data)
    return moto.client().create_experiment_template(**spec.to_create_request())["experimentTemplate"]["id"]


def checked(provider: ExperimentProvider, **props: object) -> dict:
    result = provider.check({}, {"resource_key": "proj/dev/gameday", **props})
    assert result.failures == [], [f.reason for f in result.failures]
    return result.inputs


def test_check_fills_defaults(provider):
    inputs = checked(provider, template_id="EXT1")
    assert inputs["fail_on"] == ["failed", "stopped", "cancelled"]
    assert inputs["actions_mode"] == "run-all"
    assert inputs["trigger"] == ""


def test_check_names_each_bad_field(provider):
    result = provider.check(
        {}, {"template_id": "", "timeout": "half an hour", "fail_on": ["broken"], "actions_mode": "some"}
    )
    reasons = [f.reason for f in result.failures]
    assert [r.split(":")[0] for r in reasons] == ["template_id", "timeout", "fail_on", "actions_mode"], (
        reasons
    )
    assert "PT30M" in reasons[1]


@pytest.mark.parametrize("unknown", [Unknown(), UNKNOWN], ids=["Unknown", "wire-string"])
def test_check_accepts_unknown_values(provider, unknown):
    """In preview the template id (made by the template resource) is not known yet."""
    result = provider.check({}, {"template_id": unknown, "trigger": unknown})
    assert result.failures == []
    assert result.inputs["template_id"] is unknown and result.inputs["trigger"] is unknown


def test_unknown_trigger_may_be_a_new_run(provider):
    # A new run is an in-place update (one engine step), not a replacement.
    result = provider.diff("EXP1", {"trigger": "a"}, {"trigger": Unknown()})
    assert (result.changes, result.replaces) == (True, [])


@pytest.mark.parametrize(
    ("value", "seconds"), [("PT30M", 1800), (90, 90), ("45", 45), ("PT13H", None), (0, None)]
)
def test_timeout_forms(value, seconds):
    assert timeout_seconds(value) == seconds


def test_create_without_wait_starts_and_returns(moto, provider, template_id):
    result = provider.create(checked(provider, template_id=template_id, trigger="r1"))
    assert result.outs["experiment_id"] == result.id
    assert result.outs["status"] == "pending"
    experiment = moto.client().get_experiment(id=result.id)["experiment"]
    assert experiment["experimentTemplateId"] == template_id
    assert experiment["experimentOptions"]["actionsMode"] == "run-all"


def test_create_with_wait_reaches_completed_and_reports_each_action(moto, provider, template_id, capfd):
    result = provider.create(checked(provider, template_id=template_id, wait=True, timeout="PT2M"))
    assert result.outs["status"] == "completed"
    assert set(result.outs["actions"]) == {"stop", "pause"}
    assert {a["status"] for a in result.outs["actions"].values()} == {"completed"}
    assert result.outs["start_time"] and result.outs["end_time"]
    err = capfd.readouterr().err
    assert f"gameday: experiment {result.id} running" in err
    assert f"gameday: experiment {result.id} completed" in err


def test_skip_all_is_the_fis_dry_run(moto, provider, template_id):
    result = provider.create(checked(provider, template_id=template_id, actions_mode="skip-all"))
    experiment = moto.client().get_experiment(id=result.id)["experiment"]
    assert experiment["experimentOptions"]["actionsMode"] == "skip-all"


def test_fail_on_fails_the_create_with_the_reason(moto, provider, template_id):
    with pytest.raises(ProviderError, match=r"ended completed: Experiment completed .*change `trigger`"):
        provider.create(checked(provider, template_id=template_id, wait=True, fail_on=["completed"]))


def test_timeout_stops_the_run_and_fails(moto, provider, template_id):
    with pytest.raises(ProviderError, match="did not finish within 1; it was stopped"):
        provider.create(checked(provider, template_id=template_id, wait=True, timeout=1))
    (summary,) = moto.client().list_experiments()["experiments"]
    # stop_experiment reads first, and each read advances moto by one state, so it may have just ended.
    assert summary["state"]["status"] in ("stopping", "stopped", "completed")


def test_same_trigger_after_a_crash_does_not_start_a_second_run(moto, provider, template_id):
    inputs = checked(provider, template_id=template_id, trigger="2026-11-26")
    assert provider.create(inputs).id == provider.create(inputs).id
    assert len(moto.client().list_experiments()["experiments"]) == 1


def test_only_a_trigger_change_starts_a_new_run(moto, provider, template_id):
    inputs = checked(provider, template_id=template_id, trigger="a")
    created = provider.create(inputs)
    same = provider.diff(created.id, created.outs, inputs)
    assert (same.changes, same.replaces) == (False, [])
    waited = provider.diff(
        created.id, created.outs, checked(provider, template_id=template_id, trigger="a", wait=True)
    )
    assert (waited.changes, waited.replaces) == (True, [])
    retriggered = provider.diff(
        created.id, created.outs, checked(provider, template_id=template_id, trigger="b")
    )
    assert (retriggered.changes, retriggered.replaces) == (True, [])


def test_a_new_trigger_stops_the_old_run_and_starts_the_next_in_place(moto, provider, template_id):
    created = provider.create(checked(provider, template_id=template_id, trigger="a"))
    assert created.outs["status"] == "pending"  # still going
    updated = provider.update(
        created.id, created.outs, checked(provider, template_id=template_id, trigger="b")
    )
    second = updated.outs["experiment_id"]
    assert second != created.id and updated.outs["status"] == "pending"
    client = moto.client()
    assert client.get_experiment(id=created.id)["experiment"]["state"]["status"] in ("stopping", "stopped")
    assert {e["id"] for e in client.list_experiments()["experiments"]} == {created.id, second}
    # The resource keeps its id; read, update and delete work on the latest run.
    assert provider.read(created.id, updated.outs).outs["experiment_id"] == second
    provider.delete(created.id, updated.outs)
    assert client.get_experiment(id=second)["experiment"]["state"]["status"] in ("stopping", "stopped")


def test_a_new_trigger_after_a_finished_run_only_starts_the_next(moto, provider, template_id):
    created = provider.create(checked(provider, template_id=template_id, trigger="a", wait=True))
    assert created.outs["status"] == "completed"
    updated = provider.update(
        created.id, created.outs, checked(provider, template_id=template_id, trigger="b", wait=True)
    )
    assert updated.outs["status"] == "completed" and updated.outs["experiment_id"] != created.id
    assert moto.client().get_experiment(id=created.id)["experiment"]["state"]["status"] == "completed"


def test_update_records_inputs_without_starting_anything(moto, provider, template_id):
    created = provider.create(checked(provider, template_id=template_id, trigger="a", tags={"k": "v"}))
    news = checked(provider, template_id=template_id, trigger="a", wait=True, tags={"k": "w"})
    updated = provider.update(created.id, created.outs, news)
    assert updated.outs["wait"] is True and updated.outs["experiment_id"] == created.id
    assert len(moto.client().list_experiments()["experiments"]) == 1
    tags = moto.client().list_tags_for_resource(resourceArn=created.outs["experiment_arn"])["tags"]
    assert tags == {"k": "w"}


def test_read_refreshes_the_status(moto, provider, template_id):
    created = provider.create(checked(provider, template_id=template_id))
    assert provider.read(created.id, created.outs).outs["status"] == "initiating"


def test_delete_stops_a_run_that_is_still_going(moto, provider, template_id):
    created = provider.create(checked(provider, template_id=template_id))
    provider.delete(created.id, created.outs)
    status = moto.client().get_experiment(id=created.id)["experiment"]["state"]["status"]
    assert status in ("stopping", "stopped")


def test_delete_leaves_a_run_alone_when_asked_to(moto, provider, template_id):
    created = provider.create(checked(provider, template_id=template_id, stop_on_destroy=False))
    provider.delete(created.id, created.outs)
    status = moto.client().get_experiment(id=created.id)["experiment"]["state"]["status"]
    assert status not in ("stopping", "stopped")


def test_delete_of_a_finished_run_is_harmless(moto, provider, template_id):
    created = provider.create(checked(provider, template_id=template_id, wait=True))
    provider.delete(created.id, created.outs)
    assert moto.client().get_experiment(id=created.id)["experiment"]["state"]["status"] == "completed"


# ----- the checks before a start: the safety lever and the blast-radius preflight ----------------------


def test_the_preflight_report_and_what_fis_resolved_are_outputs(moto, provider, template_id, web, capfd):
    result = provider.create(checked(provider, template_id=template_id, wait=True))
    report = result.outs["preflight_report"]
    assert report["skipped"] is False and report["refused"] is False
    assert report["policy"].startswith("safe-defaults (built in)")
    (target,) = report["targets"]
    assert (target["name"], target["would_hit"], target["matching_count"]) == ("web", 1, 3)
    assert target["cap"] == {"max_count": 10, "max_percent": 50}
    assert sorted(a.rsplit("/", 1)[1] for a in target["matching"]) == sorted(web)
    # moto resolves only targets that list ARNs; what it resolved for a tag target is an empty map.
    assert result.outs["resolved_targets"] == {}
    err = capfd.readouterr().err
    assert "gameday: preflight: target 'web' (aws:ec2:instance, COUNT(1)): would hit 1 of 3; cap: 10" in err


def test_listed_arns_resolved_by_fis_are_recorded(moto, provider, web):
    arns = [f"arn:aws:ec2:us-east-1:123456789012:instance/{i}" for i in web[:2]]
    listed = template(
        targets={"web": {"resourceType": "aws:ec2:instance", "resourceArns": arns, "selectionMode": "ALL"}}
    )
    result = provider.create(checked(provider, template_id=create(moto, listed), wait=True))
    assert result.outs["resolved_targets"] == {"web": sorted(arns)}
    assert result.outs["preflight_report"]["targets"][0]["would_hit"] == 2


def test_a_target_over_the_policy_cap_is_refused_and_nothing_starts(
    moto, provider, web, tmp_path, monkeypatch
):
    policy = tmp_path / "guardrails.yaml"
    policy.write_text("version: 1\nrules:\n  max_selection: {resource_types: {'*': {count: 2}}}\n")
    monkeypatch.setenv("CHAOS_PULUMI_POLICY", str(policy))
    everything = template(
        targets={
            "web": {
                "resourceType": "aws:ec2:instance",
                "resourceTags": {"app": "web"},
                "selectionMode": "PERCENT(100)",
            }
        }
    )
    with pytest.raises(ProviderError) as info:
        provider.create(checked(provider, template_id=create(moto, everything)))
    message = str(info.value)
    assert message.startswith("gameday: preflight refused template ")
    assert "target 'web' (aws:ec2:instance, PERCENT(100)) would hit 3 of 3 matching resources" in message
    assert "the cap for aws:ec2:instance is 2" in message
    assert f"caps from the guardrail policy guardrails ({policy})" in message
    assert moto.client().list_experiments()["experiments"] == []


def test_an_empty_target_refuses_when_fis_would_fail_the_run(moto, provider):
    with pytest.raises(
        ProviderError, match="target 'web' .* matches no resource and emptyTargetResolutionMode"
    ):
        provider.create(checked(provider, template_id=create(moto, template())))
    assert moto.client().list_experiments()["experiments"] == []


def test_preflight_false_skips_it_visibly(moto, provider, capfd):
    result = provider.create(checked(provider, template_id=create(moto, template()), preflight=False))
    assert result.outs["status"] == "pending"
    assert result.outs["preflight_report"] == {"skipped": True, "refused": False, "targets": []}
    assert "gameday: preflight skipped (preflight=False)" in capfd.readouterr().err


def test_an_account_that_cannot_be_queried_fails_closed(moto, provider, template_id, monkeypatch):
    from chaos_pulumi.local import free_port

    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    for service in ("STS", "RESOURCE_GROUPS_TAGGING_API"):
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", dead)
    with pytest.raises(ProviderError) as info:
        provider.create(checked(provider, template_id=template_id))
    assert "cannot query the account" in str(info.value) and "fail closed" in str(info.value)
    assert "preflight=False" in str(info.value)
    assert moto.client().list_experiments()["experiments"] == []


def test_an_engaged_safety_lever_refuses_the_start_saying_why(moto, provider, template_id):
    fis = moto.client()
    fis.update_safety_lever_state(id="default", state={"status": "engaged", "reason": "INC-7: payments down"})
    with pytest.raises(ProviderError) as info:
        provider.create(checked(provider, template_id=template_id, preflight=False))
    assert "the FIS safety lever in us-east-1 is engaged (INC-7: payments down)" in str(info.value)
    assert "chaos-pulumi resume" in str(info.value)
    assert fis.list_experiments()["experiments"] == []
    fis.update_safety_lever_state(id="default", state={"status": "disengaged", "reason": "resolved"})
    assert provider.create(checked(provider, template_id=template_id)).outs["status"] == "pending"


def test_preflight_is_an_input_recorded_in_place(moto, provider, template_id):
    created = provider.create(checked(provider, template_id=template_id, trigger="a"))
    old_state = {k: v for k, v in created.outs.items() if k != "preflight"}  # state from before the input
    assert (
        provider.diff(created.id, old_state, checked(provider, template_id=template_id, trigger="a")).changes
        is False
    )
    off = provider.diff(
        created.id, created.outs, checked(provider, template_id=template_id, trigger="a", preflight=False)
    )
    assert (off.changes, off.replaces) == (True, [])
