# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)


import copy

import pytest
from ansible_collections.chaos.faults.plugins.module_utils import _fis

TEMPLATE = {
    "description": "Stop one web instance",
    "roleArn": "arn:aws:iam::123456789012:role/chaos-fis",
    "stopConditions": [
        {"source": "aws:cloudwatch:alarm", "value": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web"}
    ],
    "targets": {
        "webInstances": {
            "resourceType": "aws:ec2:instance",
            "resourceTags": {"role": "web"},
            "selectionMode": "COUNT(1)",
        }
    },
    "actions": {
        "stopWeb": {
            "actionId": "aws:ec2:stop-instances",
            "parameters": {"startInstancesAfterDuration": "PT5M"},
            "targets": {"Instances": "webInstances"},
        }
    },
}


class Failed(Exception):
    def __init__(self, kwargs):
        super().__init__(kwargs.get("msg"))
        self.kwargs = kwargs


class FakeModule:
    def __init__(self, **params):
        base = dict(
            name="web-stop", template=None, template_file=None, role_arn=None, tags=None, purge_tags=True
        )
        base.update(params)
        self.params = base
        self.warnings = []

    def fail_json(self, **kwargs):
        raise Failed(kwargs)

    def warn(self, msg):
        self.warnings.append(msg)


def test_snake_case_keeps_user_chosen_keys():
    out = _fis.snake_fis(
        {
            "roleArn": "r",
            "actions": {
                "stopWeb": {
                    "actionId": "a",
                    "parameters": {"startInstancesAfterDuration": "PT5M"},
                    "targets": {"Instances": "webInstances"},
                    "startAfter": ["x"],
                }
            },
            "targets": {"webInstances": {"resourceType": "t", "resourceTags": {"myTag": "v"}}},
            "tags": {"Name": "n", "costCenter": "1"},
            "logConfiguration": {"cloudWatchLogsConfiguration": {"logGroupArn": "g"}},
        }
    )
    assert out == {
        "role_arn": "r",
        "actions": {
            "stopWeb": {
                "action_id": "a",
                "parameters": {"startInstancesAfterDuration": "PT5M"},
                "targets": {"Instances": "webInstances"},
                "start_after": ["x"],
            }
        },
        "targets": {"webInstances": {"resource_type": "t", "resource_tags": {"myTag": "v"}}},
        "tags": {"Name": "n", "costCenter": "1"},
        "log_configuration": {"cloud_watch_logs_configuration": {"log_group_arn": "g"}},
    }


def test_experiment_result_has_status_and_action_states():
    result = _fis.experiment_result(
        {
            "id": "E",
            "state": {"status": "running"},
            "actions": {"stopWeb": {"actionId": "x", "state": {"status": "pending"}}},
        }
    )
    assert result["status"] == "running"
    assert result["action_states"] == {"stopWeb": "pending"}
    assert result["actions"]["stopWeb"]["action_id"] == "x"


def test_desired_template_merges_role_arn_and_tags():
    module = FakeModule(
        template=dict(TEMPLATE, tags={"team": "web"}),
        role_arn="arn:aws:iam::123456789012:role/other",
        tags={"owner": "sre"},
    )
    data, explicit = _fis.load_desired_template(module)
    assert data["roleArn"] == "arn:aws:iam::123456789012:role/other"
    assert data["tags"] == {"team": "web", "owner": "sre", "Name": "web-stop"}
    assert explicit == {"team": "web", "owner": "sre"}
    assert module.params["template"]["roleArn"] == TEMPLATE["roleArn"]  # the input is not modified


def test_desired_template_without_tags_leaves_other_tags_alone():
    data, explicit = _fis.load_desired_template(FakeModule(template=TEMPLATE))
    assert explicit is None
    assert data["tags"] == {"Name": "web-stop"}


def test_invalid_template_fails_with_every_problem_and_its_path():
    bad = copy.deepcopy(TEMPLATE)
    bad["roleArn"] = "fis"
    bad["actions"]["stopWeb"]["parameters"]["startInstancesAfterDuration"] = "five minutes"
    with pytest.raises(Failed) as failed:
        _fis.load_desired_template(FakeModule(template=bad))
    msg = failed.value.kwargs["msg"]
    assert "nothing was changed" in msg
    assert "roleArn: 'fis' is not an IAM role ARN" in msg
    assert "actions.stopWeb.parameters.startInstancesAfterDuration: 'five minutes'" in msg
    paths = [p["path"] for p in failed.value.kwargs["problems"]]
    assert "roleArn" in paths and "actions.stopWeb.parameters.startInstancesAfterDuration" in paths


def test_name_tag_must_match_name():
    with pytest.raises(Failed) as failed:
        _fis.load_desired_template(FakeModule(template=TEMPLATE, tags={"Name": "other"}))
    assert failed.value.kwargs["msg"].startswith("tags.Name:")


def test_template_file_problems_name_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("description: [unclosed\n")
    with pytest.raises(Failed) as failed:
        _fis.load_desired_template(FakeModule(template_file=str(path)))
    assert str(path) in failed.value.kwargs["msg"]
