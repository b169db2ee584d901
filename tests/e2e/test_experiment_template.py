"""ExperimentTemplate through the real Pulumi CLI and engine, against a real moto server.

Every FIS call the providers make goes through a recording proxy in front of moto (a subclass of the
harness's LoopbackProxy), so the tests can say exactly which calls an operation made (a no-change
`up` must make no FIS write call at all).
One stack is reused across the steps of a scenario, so the file stays fast.
"""

from __future__ import annotations

import json
import shutil
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaos_pulumi.spec import TemplateSpec
from tests.conftest import FAKE_SECRET_KEY
from tests.harness.proxy import LoopbackProxy
from tests.harness.pulumi import PulumiStack, StackFactory

pytestmark = pytest.mark.pulumi

PROJECTS = Path(__file__).parent / "projects"
ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_TYPE = "pulumi-python:dynamic/fis:ExperimentTemplate"


class FisRecorder(LoopbackProxy):
    """A loopback HTTP proxy in front of the moto server that records every FIS call: (method, path).
    Calls to other services (the preview's preflight looking at the account) pass unrecorded."""

    def __init__(self, upstream: str) -> None:
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        super().__init__(upstream, services=("fis",))

    def seen(self, method: str, path: str) -> None:
        with self._lock:
            self.calls.append((method, urllib.parse.unquote(path)))

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)

    def since(self, mark: int) -> list[tuple[str, str]]:
        with self._lock:
            return list(self.calls[mark:])

    def writes_since(self, mark: int) -> list[tuple[str, str]]:
        return [c for c in self.since(mark) if c[0] not in ("GET", "HEAD")]


@pytest.fixture
def fis_recorder(moto) -> Iterator[FisRecorder]:
    recorder = FisRecorder(moto.url)
    yield recorder
    recorder.close()


def _stack(pulumi_stack: StackFactory, moto, recorder: FisRecorder, project: str, **env: str) -> PulumiStack:
    return pulumi_stack(PROJECTS / project, env={**_aws_env(moto, recorder), **env})


def _aws_env(moto, recorder: FisRecorder) -> dict[str, str]:
    """moto's AWS environment, with FIS reached through the recorder."""
    return {**moto.env, "AWS_ENDPOINT_URL": recorder.url}


def _settings(stack: PulumiStack, **changes: Any) -> None:
    path = stack.dir / "settings.json"
    settings = json.loads(path.read_text())
    settings.update(changes)
    path.write_text(json.dumps(settings))


def _templates(moto) -> dict[str, TemplateSpec]:
    client = moto.client()
    ids = [t["id"] for t in client.list_experiment_templates()["experimentTemplates"]]
    return {i: TemplateSpec.from_fis(client.get_experiment_template(id=i)["experimentTemplate"]) for i in ids}


def _ops(calls: list[tuple[str, str]]) -> list[str]:
    """`PATCH /experimentTemplates`, `POST /tags`, ... (ids dropped) for readable assertions."""
    return sorted(f"{m} /{p.split('?')[0].strip('/').split('/')[0]}" for m, p in calls)


EXPECTED_WEB = {
    "description": "Stop one web instance for five minutes",
    "roleArn": "arn:aws:iam::123456789012:role/chaos-fis-experiments",
    "stopConditions": [
        {"source": "aws:cloudwatch:alarm", "value": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx"}
    ],
    "targets": {
        "web": {
            "resourceType": "aws:ec2:instance",
            "resourceTags": {"app": "web"},
            "filters": [{"path": "State.Name", "values": ["running"]}],
            "selectionMode": "COUNT(1)",
        }
    },
    "actions": {
        "pause": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}, "startAfter": ["stop"]},
        "stop": {
            "actionId": "aws:ec2:stop-instances",
            "description": "Stop one web instance",
            "parameters": {"startInstancesAfterDuration": "PT5M"},
            "targets": {"Instances": "web"},
        },
    },
    "logConfiguration": {
        "logSchemaVersion": 2,
        "cloudWatchLogsConfiguration": {
            "logGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:/chaos/fis:*"
        },
    },
    "tags": {"team": "sre"},
}


def test_template_lifecycle_through_the_real_engine(pulumi_stack: StackFactory, moto, fis_recorder) -> None:
    stack = _stack(pulumi_stack, moto, fis_recorder, "fis_template")

    # preview with the role ARN still unknown: validates, sends nothing to FIS
    mark = fis_recorder.mark()
    preview = stack.preview()
    assert preview.changes == {"create": 4}, preview.output  # stack, role, two templates
    assert fis_recorder.since(mark) == [] and _templates(moto) == {}

    # up -> exactly the template in moto
    up = stack.up()
    assert up.changes == {"create": 4}, up.output
    out = stack.outputs()
    web_id = out["web_id"]
    live = _templates(moto)
    assert set(live) == {web_id, out["file_id"]}
    assert live[web_id].to_dict() == EXPECTED_WEB
    assert out["web_template"] == EXPECTED_WEB
    assert out["web_arn"].endswith(f":experiment-template/{web_id}")
    assert live[out["file_id"]].role_arn == EXPECTED_WEB["roleArn"]  # the program's role replaced the file's
    assert live[out["file_id"]].tags == {"source": "file"}

    # no-change up: nothing to do, and not a single FIS write (not even a read)
    mark = fis_recorder.mark()
    same = stack.up()
    assert same.changes == {}, same.output
    assert fis_recorder.since(mark) == []

    # description change -> in-place update of the same template
    _settings(stack, description="Stop one web instance, then wait")
    mark = fis_recorder.mark()
    described = stack.up()
    assert described.changes == {"update": 1}, described.output
    assert _ops(fis_recorder.writes_since(mark)) == ["PATCH /experimentTemplates"]
    assert stack.outputs()["web_id"] == web_id
    assert _templates(moto)[web_id].description == "Stop one web instance, then wait"

    # tag change -> TagResource/UntagResource on the same template, no template write
    _settings(stack, tags={"team": "ops", "tier": "web"})
    mark = fis_recorder.mark()
    tagged = stack.up()
    assert tagged.changes == {"update": 1}, tagged.output
    assert _ops(fis_recorder.writes_since(mark)) == ["POST /tags"]
    _settings(stack, tags={"tier": "web"})
    mark = fis_recorder.mark()
    stack.up()
    assert _ops(fis_recorder.writes_since(mark)) == ["DELETE /tags"]
    assert _templates(moto)[web_id].tags == {"tier": "web"}
    assert stack.outputs()["web_id"] == web_id

    # remove an action (and the target only it used) -> gone after the update, same id
    _settings(stack, actions=["pause"])
    stack.write_file(
        "__main__.py",
        stack.main_py.read_text().replace(', start_after=["stop"]', ""),
    )
    removed = stack.up()
    assert removed.changes == {"update": 1}, removed.output
    now = _templates(moto)[web_id]
    assert set(now.actions) == {"pause"} and now.targets == {}

    # drift: changed outside Pulumi -> refresh shows it, up puts the desired template back
    moto.client().update_experiment_template(id=web_id, description="edited in the console")
    refreshed = stack.refresh()
    assert refreshed.changes == {"update": 1}, refreshed.output
    restored = stack.up()
    assert restored.changes == {"update": 1}, restored.output
    assert _templates(moto)[web_id].description == "Stop one web instance, then wait"

    # accountTargeting change -> replacement: a new template, the old one deleted
    _settings(stack, account_targeting="multi-account")
    replaced = stack.up()
    assert replaced.changes == {"replace": 1}, replaced.output
    new_id = stack.outputs()["web_id"]
    assert new_id != web_id
    live = _templates(moto)
    assert web_id not in live and live[new_id].experiment_options.account_targeting == "multi-account"

    # deleted outside Pulumi -> refresh drops it, the next up creates it again
    moto.client().delete_experiment_template(id=new_id)
    gone = stack.refresh()
    assert gone.changes == {"delete": 1}, gone.output
    recreated = stack.up()
    assert recreated.changes == {"create": 1}, recreated.output
    again_id = stack.outputs()["web_id"]
    assert again_id in _templates(moto) and again_id != new_id

    # nothing secret in the state: not the AWS secret key, not in any form the CLI exports
    assert FAKE_SECRET_KEY not in stack.state_file_text()
    assert FAKE_SECRET_KEY not in json.dumps(stack.export_state(show_secrets=True))
    for resource in stack.resources():
        if resource["type"] == TEMPLATE_TYPE:
            assert "secret" not in json.dumps(resource["outputs"].get("__provider", "")).lower()

    # destroy -> nothing left in FIS or in the stack
    destroyed = stack.destroy()
    assert destroyed.changes == {"delete": 4}, destroyed.output
    assert _templates(moto) == {}
    assert stack.resources() == []


INVALID = """\
import pulumi

from chaos_pulumi import Action, ExperimentTemplate, StopCondition, Target

ExperimentTemplate(
    "broken",
    description="Stop the web tier",
    role_arn="arn:aws:iam::123456789012:role/chaos-fis-experiments",
    targets={
        "web": Target(
            resource_type="aws:ec2:instance", resource_tags={"app": "web"}, selection_mode="COUNT(1)"
        )
    },
    actions={
        "stop": Action(
            action_id="aws:ec2:stop-instances",
            parameters={"startInstancesAfterDuration": "five minutes"},
            targets={"Instances": "api"},
        )
    },
    stop_conditions=[StopCondition(source="none")],
)
"""


def test_invalid_template_fails_preview_with_field_paths(
    pulumi_stack: StackFactory, moto, fis_recorder
) -> None:
    stack = pulumi_stack.inline(INVALID, env=_aws_env(moto, fis_recorder))
    preview = stack.preview(expect_fail=True)
    assert "actions.stop.targets.Instances: target 'api' is not defined" in preview.output, preview.output
    assert "actions.stop.parameters.startInstancesAfterDuration: 'five minutes'" in preview.output
    # No stack trace from our code: the problems are check failures. (When the engine cancels the program,
    # Pulumi's own language host may print its KeyboardInterrupt trace; that is not ours.)
    assert "chaos_pulumi/" not in preview.output, preview.output
    up = stack.up(expect_fail=True)
    assert "actions.stop.targets.Instances" in up.output
    assert fis_recorder.since(0) == []
    assert _templates(moto) == {}
    assert [r["type"] for r in stack.resources() if r["type"] == TEMPLATE_TYPE] == []


def test_package_upgrade_alone_shows_no_diff(
    pulumi_stack: StackFactory, moto, fis_recorder, tmp_path
) -> None:
    """State made by one version of the package; a changed package loads it and sees no change."""
    package = tmp_path / "site" / "chaos_pulumi"
    shutil.copytree(ROOT / "chaos_pulumi", package, ignore=shutil.ignore_patterns("__pycache__"))
    stack = _stack(pulumi_stack, moto, fis_recorder, "fis_template", PYTHONPATH=str(package.parent))
    stack.up()
    before = _templates(moto)

    # "Upgrade": new code in the provider modules, a new version number; the class paths stay.
    marker = "chaos-pulumi-e2e: upgraded provider loaded"
    for module in ("providers/experiment_template.py", "providers/base.py"):
        path = package / module
        path.write_text(path.read_text() + f'\n\nimport sys as _sys\n\nprint("{marker}", file=_sys.stderr)\n')
    init = package / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "', '__version__ = "9.9.9+upgraded-'))

    mark = fis_recorder.mark()
    preview = stack.preview()
    assert marker in preview.output, "the test must run the upgraded copy of the package"
    assert preview.changes == {}, preview.output
    up = stack.up()
    assert up.changes == {}, up.output
    assert fis_recorder.writes_since(mark) == []
    assert _templates(moto) == before


ADOPT = """\
from chaos_pulumi import ExperimentTemplate

ExperimentTemplate.from_file(
    "legacy", "legacy.yaml", adopt_id={template_id!r}, tags={{"managed-by": "pulumi"}}
)
"""

LEGACY = """\
description: Made by hand, now managed by Pulumi
roleArn: arn:aws:iam::123456789012:role/chaos-fis-experiments
stopConditions: [{source: none}]
actions:
  pause: {actionId: "aws:fis:wait", parameters: {duration: PT2M}}
"""


def test_adopting_an_existing_template_by_id(pulumi_stack: StackFactory, moto, fis_recorder) -> None:
    made = TemplateSpec.from_dict({**yaml.safe_load(LEGACY), "description": "made by hand"})
    template_id = moto.client().create_experiment_template(**made.to_create_request())["experimentTemplate"][
        "id"
    ]
    stack = pulumi_stack.inline(ADOPT.format(template_id=template_id), env=_aws_env(moto, fis_recorder))
    stack.write_file("legacy.yaml", LEGACY)
    up = stack.up()
    assert up.changes == {"create": 2}, up.output  # the stack and the adopted template
    (resource,) = [r for r in stack.resources() if r["type"] == TEMPLATE_TYPE]
    assert resource["id"] == template_id
    live = _templates(moto)
    assert list(live) == [template_id]  # adopted, not copied
    assert live[template_id].description == "Made by hand, now managed by Pulumi"
    assert live[template_id].tags == {"managed-by": "pulumi"}
    assert stack.up().changes == {}
    stack.destroy()
    assert _templates(moto) == {}
