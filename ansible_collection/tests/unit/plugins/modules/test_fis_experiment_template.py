# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)


import copy

import pytest
from ansible_collections.chaos.faults.plugins.modules import fis_experiment_template as module_under_test

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


class FakeFis:
    """An in-memory FIS with the calls the module makes; records every write."""

    def __init__(self):
        self.templates = {}
        self.writes = []

    def get_paginator(self, name):
        fake = self

        class Paginator:
            def paginate(self, **kwargs):
                return iter(
                    [
                        {
                            "experimentTemplates": [
                                {"id": t["id"], "tags": dict(t["tags"])} for t in fake.templates.values()
                            ]
                        }
                    ]
                )

        assert name == "list_experiment_templates"
        return Paginator()

    def get_experiment_template(self, id):
        return {"experimentTemplate": copy.deepcopy(self.templates[id])}

    def create_experiment_template(self, **request):
        self.writes.append("create")
        number = len(self.templates)
        template = dict(request, id=f"EXT{number}", arn=f"arn:fis:EXT{number}")
        template.pop("clientToken", None)
        template.setdefault("tags", {})
        self.templates[template["id"]] = template
        return {"experimentTemplate": copy.deepcopy(template)}

    def update_experiment_template(self, **request):
        self.writes.append("update")
        template = self.templates[request.pop("id")]
        template.update(request)
        return {"experimentTemplate": copy.deepcopy(template)}

    def tag_resource(self, resourceArn, tags):
        self.writes.append("tag")
        for template in self.templates.values():
            if template["arn"] == resourceArn:
                template["tags"].update(tags)

    def untag_resource(self, resourceArn, tagKeys):
        self.writes.append("untag")
        for template in self.templates.values():
            if template["arn"] == resourceArn:
                for key in tagKeys:
                    template["tags"].pop(key, None)


class FakeModule:
    def __init__(self, check_mode=False, **params):
        base = dict(
            name="web-stop", template=TEMPLATE, template_file=None, role_arn=None, tags=None, purge_tags=True
        )
        base.update(params)
        self.params = base
        self.check_mode = check_mode

    def fail_json(self, **kwargs):
        raise AssertionError(kwargs)

    def warn(self, msg):
        pass


def test_create_then_unchanged_without_writes():
    fis = FakeFis()
    created = module_under_test.ensure_present(FakeModule(), fis)
    assert created["changed"] is True
    assert fis.writes == ["create"]
    assert created["experiment_template"]["tags"] == {"Name": "web-stop"}
    again = module_under_test.ensure_present(FakeModule(), fis)
    assert again["changed"] is False
    assert fis.writes == ["create"]
    assert again["diff"]["before"] == again["diff"]["after"]


def test_check_mode_plans_the_update_and_writes_nothing():
    fis = FakeFis()
    module_under_test.ensure_present(FakeModule(), fis)
    changed = copy.deepcopy(TEMPLATE)
    changed["description"] = "new"
    planned = module_under_test.ensure_present(
        FakeModule(check_mode=True, template=changed, tags={"a": "1"}), fis
    )
    assert planned["changed"] is True
    assert fis.writes == ["create"]
    assert planned["diff"]["after"]["description"] == "new"
    assert planned["diff"]["after"]["tags"] == {"Name": "web-stop", "a": "1"}
    assert planned["experiment_template"]["description"] == "new"


def test_update_and_purge_tags_keep_the_name_tag():
    fis = FakeFis()
    module_under_test.ensure_present(FakeModule(tags={"old": "x"}), fis)
    changed = copy.deepcopy(TEMPLATE)
    changed["actions"]["stopWeb"]["parameters"]["startInstancesAfterDuration"] = "PT10M"
    result = module_under_test.ensure_present(FakeModule(template=changed, tags={"new": "y"}), fis)
    assert result["changed"] is True
    assert fis.writes == ["create", "update", "untag", "tag"]
    template = list(fis.templates.values())[0]
    assert len(fis.templates) == 1
    assert template["tags"] == {"Name": "web-stop", "new": "y"}
    assert result["experiment_template"]["actions"]["stopWeb"]["parameters"] == {
        "startInstancesAfterDuration": "PT10M"
    }


def test_two_templates_with_the_same_name_are_refused():
    fis = FakeFis()
    module_under_test.ensure_present(FakeModule(), fis)
    fis.templates["EXT9"] = dict(list(fis.templates.values())[0], id="EXT9", arn="arn:fis:EXT9")
    with pytest.raises(AssertionError) as failed:
        module_under_test.ensure_present(FakeModule(), fis)
    msg = failed.value.args[0]["msg"]
    assert msg.startswith("2 FIS experiment templates have the tag Name=web-stop (ids: EXT0, EXT9)")
    assert fis.writes == ["create"]
