"""ExperimentProvider called directly (no engine) against the real moto server over HTTP.

moto advances an experiment one state per GetExperiment: pending -> initiating -> running -> completed.
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
def template_id(moto) -> str:
    spec = TemplateSpec.from_dict(template())
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
