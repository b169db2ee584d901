"""The embedded default's FIS safety-lever stand-in, reached by the real boto3 client over HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from tests.harness.experiments import running_experiments, start, wait_template

ENGAGE = {"status": "engaged", "reason": "incident 42"}


def _code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return info.value.response["Error"]["Code"]


def test_default_lever_is_disengaged_per_account_and_region(moto) -> None:
    lever = moto.client().get_safety_lever(id="default")["safetyLever"]
    assert lever == {
        "id": "default",
        "arn": "arn:aws:fis:us-east-1:123456789012:safety-lever/default",
        "state": {"status": "disengaged"},
    }
    moto.client().update_safety_lever_state(id="default", state=ENGAGE)
    import boto3

    other_region = boto3.client(
        "fis",
        endpoint_url=moto.url,
        region_name="eu-west-1",
        aws_access_key_id="AKIAOTHER",
        aws_secret_access_key="other",
    )
    assert other_region.get_safety_lever(id="default")["safetyLever"]["state"] == {"status": "disengaged"}


def test_engaging_stops_running_runs_and_cancels_new_ones(moto) -> None:
    fis = moto.client()
    with running_experiments(moto.url, fis, 2) as ids:
        lever = fis.update_safety_lever_state(id="default", state=ENGAGE)["safetyLever"]
        assert lever["state"] == ENGAGE
        for experiment_id in ids:
            experiment = fis.get_experiment(id=experiment_id)["experiment"]
            assert experiment["state"]["status"] == "stopped"
            reason = experiment["state"]["reason"]
            assert "safety lever" in reason and "incident 42" in reason
            assert experiment["endTime"]

        cancelled = start(fis, wait_template(fis))
        assert cancelled["state"]["status"] == "cancelled"
        assert "incident 42" in cancelled["state"]["reason"]
        assert cancelled["endTime"]
        # StopExperiment leaves a cancelled run alone; reading it never moves it on
        assert fis.stop_experiment(id=cancelled["id"])["experiment"]["state"]["status"] == "cancelled"
        assert fis.get_experiment(id=cancelled["id"])["experiment"]["state"]["status"] == "cancelled"

    fis.update_safety_lever_state(id="default", state={"status": "disengaged", "reason": "all clear"})
    again = start(fis, wait_template(fis))
    assert again["state"]["status"] == "pending"


def test_same_status_is_idempotent_only_with_the_same_reason(moto) -> None:
    fis = moto.client()
    fis.update_safety_lever_state(id="default", state=ENGAGE)
    assert fis.update_safety_lever_state(id="default", state=ENGAGE)["safetyLever"]["state"] == ENGAGE
    with pytest.raises(ClientError) as info:
        fis.update_safety_lever_state(id="default", state={"status": "engaged", "reason": "another"})
    assert _code(info) == "ConflictException"
    assert "incident 42" in str(info.value)
    assert fis.get_safety_lever(id="default")["safetyLever"]["state"] == ENGAGE


def test_bad_requests_are_refused_with_the_fix(moto) -> None:
    fis = moto.client()
    with pytest.raises(ClientError) as info:
        fis.get_safety_lever(id="mine")
    assert _code(info) == "ResourceNotFoundException" and "'default'" in str(info.value)
    with pytest.raises(ClientError) as info:
        fis.update_safety_lever_state(id="default", state={"status": "engaging", "reason": "x"})
    assert _code(info) == "ValidationException" and "engaged" in str(info.value)
    with pytest.raises(ClientError) as info:
        fis.update_safety_lever_state(id="default", state={"status": "engaged", "reason": ""})
    assert _code(info) == "ValidationException" and "reason" in str(info.value)


def test_raw_http_request_shape_follows_botocore(moto) -> None:
    """PATCH /safetyLevers/{id}/state with a JSON body, as botocore's model describes (no signing check)."""
    body = json.dumps({"state": {"status": "engaged", "reason": "raw"}}).encode()
    req = urllib.request.Request(
        f"{moto.url}/safetyLevers/default/state",
        data=body,
        method="PATCH",
        headers={
            "Content-Type": "application/json",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAX/20260101/us-east-1/fis/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    try:
        answer = json.loads(urllib.request.urlopen(req, timeout=10).read())
    except urllib.error.HTTPError as e:  # the server says what it did not like
        raise AssertionError(e.read().decode()) from e
    assert answer["safetyLever"]["state"] == {"status": "engaged", "reason": "raw"}
    assert moto.client().get_safety_lever(id="default")["safetyLever"]["state"]["reason"] == "raw"


def test_reset_disengages_like_it_forgets_everything_else(moto) -> None:
    moto.client().update_safety_lever_state(id="default", state=ENGAGE)
    moto.reset()
    assert moto.client().get_safety_lever(id="default")["safetyLever"]["state"] == {"status": "disengaged"}
