"""chaos_pulumi.aws against a real moto server: client factory, wait/stop helpers, tag lookup."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from chaos_pulumi import __version__
from chaos_pulumi.aws import fis_client, templates
from chaos_pulumi.aws.errors import FisError
from chaos_pulumi.aws.experiments import (
    TERMINAL_STATES,
    ExperimentTimeout,
    stop_experiment,
    wait_for_experiment,
)
from chaos_pulumi.aws.templates import templates_tagged
from chaos_pulumi.spec import TemplateSpec, load_file

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "experiments" / "ec2-stop-one-instance.yaml"


def create_template(client, tags: dict[str, str] | None = None) -> str:
    data = load_file(EXAMPLE).data
    if tags is not None:
        data["tags"] = tags
    req = TemplateSpec.from_dict(data).to_create_request(client_token=str(uuid.uuid4()))
    return client.create_experiment_template(**req)["experimentTemplate"]["id"]


def start(client, template_id: str) -> str:
    resp = client.start_experiment(experimentTemplateId=template_id, clientToken=str(uuid.uuid4()))
    return resp["experiment"]["id"]


def test_fis_client_uses_the_standard_environment(moto) -> None:
    client = fis_client()
    assert client.meta.endpoint_url == moto.url
    assert client.meta.region_name == "us-east-1"
    assert f"chaos-pulumi/{__version__}" in client.meta.config.user_agent_extra
    assert client.meta.config.retries["mode"] == "standard"
    assert client.list_experiment_templates()["experimentTemplates"] == []


def test_fis_client_explicit_arguments_win(moto) -> None:
    client = fis_client(region="eu-west-1", endpoint_url=moto.url)
    assert client.meta.region_name == "eu-west-1"


def test_wait_for_experiment_reports_progress_until_terminal(moto) -> None:
    client = fis_client()
    experiment_id = start(client, create_template(client))
    seen: list[str] = []
    final = wait_for_experiment(
        client,
        experiment_id,
        timeout_s=60,
        on_progress=lambda e: seen.append(e["state"]["status"]),
        poll_s=0.01,
    )
    assert final["state"]["status"] == "completed"
    assert seen[-1] == "completed" and seen[0] in ("pending", "initiating")
    assert len(seen) == len(set(seen))  # one callback per status change


def test_wait_for_experiment_times_out(moto) -> None:
    client = fis_client()
    experiment_id = start(client, create_template(client))
    with pytest.raises(ExperimentTimeout) as info:
        wait_for_experiment(client, experiment_id, timeout_s=0, poll_s=0.01)
    assert info.value.experiment_id == experiment_id
    assert info.value.experiment["state"]["status"] not in TERMINAL_STATES
    assert experiment_id in str(info.value)


def test_stop_experiment_is_harmless_when_done_or_gone(moto) -> None:
    client = fis_client()
    template_id = create_template(client)
    running = start(client, template_id)
    client.get_experiment(id=running)  # pending -> initiating
    stopped = stop_experiment(client, running)
    assert stopped.stopped and stopped.experiment["state"]["status"] in ("stopping", "stopped")
    again = stop_experiment(client, running)  # again: no error, nothing to stop
    assert not again.stopped and again.experiment is not None

    done = start(client, template_id)
    final = wait_for_experiment(client, done, timeout_s=60, poll_s=0.01)
    late = stop_experiment(client, done)
    assert not late.stopped
    assert late.experiment["state"]["status"] == final["state"]["status"] == "completed"

    gone = stop_experiment(client, "EXPdoesnotexist0000")
    assert gone.stopped is False and gone.experiment is None


def test_templates_tagged(moto) -> None:
    client = fis_client()
    a = create_template(client, {"chaos-pulumi:stack": "dev", "team": "x"})
    b = create_template(client, {"chaos-pulumi:stack": "dev"})
    create_template(client, {"chaos-pulumi:stack": "prod"})
    create_template(client, {})
    found = templates_tagged(client, "chaos-pulumi:stack", "dev")
    assert sorted(t["id"] for t in found) == sorted([a, b])
    assert templates_tagged(client, "chaos-pulumi:stack", "nope") == []


def _spec(**changes: object) -> TemplateSpec:
    return TemplateSpec.from_dict({**load_file(EXAMPLE).data, **changes})


def test_create_template_returns_what_fis_stored_and_a_retry_finds_it(moto, monkeypatch) -> None:
    client = fis_client()
    desired = _spec(tags={"team": "sre"})
    stored = templates.create_template(client, desired, owner="proj/dev/web")
    live = client.get_experiment_template(id=stored["id"])["experimentTemplate"]
    assert TemplateSpec.from_fis(stored) == TemplateSpec.from_fis(live) == desired
    # A retried create (same owner, same content) gets the first template, also when the response is
    # old enough to be read again.
    monkeypatch.setattr(templates, "REPLAY_AFTER_S", -1.0)
    assert templates.create_template(client, desired, owner="proj/dev/web")["id"] == stored["id"]
    assert len(client.list_experiment_templates()["experimentTemplates"]) == 1


def test_apply_template_changes_content_and_tags_and_returns_the_result(moto) -> None:
    client = fis_client()
    made = templates.create_template(client, _spec(tags={"team": "sre", "old": "x"}), owner="o")
    desired = _spec(description="Stop it, then wait", tags={"team": "ops"})
    change = templates.plan_template(TemplateSpec.from_fis(made), desired)
    stored = templates.apply_template(client, made, change)
    live = client.get_experiment_template(id=made["id"])["experimentTemplate"]
    assert TemplateSpec.from_fis(stored) == TemplateSpec.from_fis(live) == desired


def test_apply_template_refuses_a_create_only_change_before_writing(moto) -> None:
    client = fis_client()
    made = templates.create_template(client, _spec(), owner="o")
    desired = _spec(description="x", experimentOptions={"accountTargeting": "multi-account"})
    change = templates.plan_template(TemplateSpec.from_fis(made), desired)
    with pytest.raises(FisError, match=r"experimentOptions\.accountTargeting: FIS cannot change this"):
        templates.apply_template(client, made, change)
    live = client.get_experiment_template(id=made["id"])["experimentTemplate"]
    assert TemplateSpec.from_fis(live) == _spec()
