"""Pulumi and Ansible make the same FIS calls for the same template.

The same template goes through the real Pulumi CLI (``ExperimentTemplate`` + ``Experiment``, local
backend) and through real ``ansible-playbook`` (``fis_experiment_template`` + ``fis_experiment``),
both against the moto server through a proxy that records every request with its body. Step by step
(create, no change, update of content and tags, a run waited for, delete) the two front ends must
send the same write calls, in the same order, with the same bodies, and make the same reads after
their first write (for templates: none, since a write is read back from its own response; for a run:
the same polls).

What must differ, and is left out of the comparison:

- Ansible's lookup before it writes (ListExperimentTemplates, GetExperimentTemplate): Ansible keeps no
  state, so it finds the template by its ``Name`` tag on every run, while Pulumi has the id (and the
  last template it saw) in its state and reads the template only before an update. So the comparison
  starts at each step's first write.
- The ``Name`` tag: FIS templates have no name, and that tag is the name Ansible finds them by.
- ``clientToken``: both are derived tokens (checked), but from different owners (Pulumi's
  project/stack/resource, Ansible's collection), and an Ansible run's from that task run (each
  ``fis_experiment`` task starts a new experiment; a Pulumi run is one per ``trigger``).
- Template and experiment ids and ARNs, which FIS (moto) makes up.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REGION
from tests.harness.ansible import AnsibleEnv, run_playbook
from tests.harness.proxy import LoopbackProxy
from tests.harness.pulumi import StackFactory

pytestmark = [pytest.mark.pulumi, pytest.mark.ansible]

TOKEN = re.compile(r"^chaos-pulumi-[0-9a-f]{48}$")
NAME = "front-ends-agree"

TEMPLATE: dict[str, Any] = {
    "description": "Stop one web instance, then wait",
    "roleArn": "arn:aws:iam::123456789012:role/chaos-fis",
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
        "stop": {
            "actionId": "aws:ec2:stop-instances",
            "parameters": {"startInstancesAfterDuration": "PT5M"},
            "targets": {"Instances": "web"},
        },
        "pause": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}, "startAfter": ["stop"]},
    },
    "experimentOptions": {"emptyTargetResolutionMode": "skip"},
    "tags": {"team": "sre", "tier": "web"},
}
UPDATED = {**TEMPLATE, "description": "Stop one web instance, then wait longer", "tags": {"team": "ops"}}

PROGRAM = """\
import json
from pathlib import Path

import pulumi

from chaos_pulumi import Experiment, ExperimentTemplate

settings = json.loads(Path("settings.json").read_text())
tpl = ExperimentTemplate("web", template=settings["template"])
if settings.get("trigger"):
    Experiment("run", template_id=tpl.id, trigger=settings["trigger"], wait=True, timeout="PT2M")
pulumi.export("template_id", tpl.id)
"""

PLAYBOOK = """\
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/chaos.faults.fis:
      endpoint_url: "{{ aws_endpoint_url }}"
      region: "{{ aws_region }}"
  tasks:
    - name: Apply the template
      chaos.faults.fis_experiment_template:
        name: "{{ template_name }}"
        state: "{{ template_state }}"
        template: "{{ template_content | default(omit) }}"
      register: applied
      when: run_template_id is not defined

    - name: Run it
      chaos.faults.fis_experiment:
        template_id: "{{ run_template_id }}"
        wait: true
        timeout: 120
        poll_interval: 1.0
      when: run_template_id is defined
"""


class BodyRecorder(LoopbackProxy):
    """Records every FIS request: (method, path with query, JSON body or None). The preflight's calls to
    other services (STS, the Tagging API, EC2) pass unrecorded."""

    def __init__(self, upstream: str) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self._lock = threading.Lock()
        super().__init__(upstream, services=("fis",))

    def seen_request(self, method: str, path: str, body: bytes) -> None:
        if path.startswith("/moto-api"):
            return
        with self._lock:
            self.calls.append((method, urllib.parse.unquote(path), json.loads(body) if body else None))

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)

    def since(self, mark: int) -> list[tuple[str, str, Any]]:
        with self._lock:
            return list(self.calls[mark:])


@pytest.fixture
def recorder(moto) -> Iterator[BodyRecorder]:
    proxy = BodyRecorder(moto.url)
    yield proxy
    proxy.close()


def _path(path: str) -> str:
    """`/experimentTemplates/{id}`, `/tags/{arn}?tagKeys=old`, ...: ids and ARNs replaced, query kept."""
    route, _, query = path.partition("?")
    parts = route.strip("/").split("/")
    shape = "/" + "/".join([parts[0], *(["{id}"] if len(parts) > 1 else [])])
    return shape + (f"?{'&'.join(sorted(query.split('&')))}" if query else "")


def _body(body: Any, tokens: list[str]) -> Any:
    if not isinstance(body, dict):
        return body
    out = dict(body)
    if "clientToken" in out:
        tokens.append(out.pop("clientToken"))
    if "experimentTemplateId" in out:
        out["experimentTemplateId"] = "{id}"
    if isinstance(out.get("tags"), dict):
        out["tags"] = {k: v for k, v in out["tags"].items() if k != "Name"}
    return out


def _calls(calls: list[tuple[str, str, Any]], tokens: list[str]) -> list[tuple[str, str, Any]]:
    """The calls from the first write on, normalised (see the module docstring)."""
    first = next((i for i, (method, _p, _b) in enumerate(calls) if method not in ("GET", "HEAD")), len(calls))
    return [(method, _path(path), _body(body, tokens)) for method, path, body in calls[first:]]


def _writes(calls: list[tuple[str, str, Any]]) -> list[str]:
    return [f"{method} {path}" for method, path, _body in calls if method not in ("GET", "HEAD")]


def test_pulumi_and_ansible_make_the_same_fis_calls(
    pulumi_stack: StackFactory, ansible_moto: AnsibleEnv, moto, recorder: BodyRecorder, tmp_path: Path
) -> None:
    stack = pulumi_stack.inline(PROGRAM, env={**moto.env, "AWS_ENDPOINT_URL": recorder.url})
    playbook = tmp_path / "front-ends.yml"
    playbook.write_text(PLAYBOOK)
    ansible = AnsibleEnv(
        ansible_moto.root, {k: v for k, v in ansible_moto.env.items() if k != "AWS_ENDPOINT_URL"}
    )
    tokens: dict[str, list[str]] = {"pulumi": [], "ansible": []}

    def pulumi(op: str, **settings: Any) -> list[tuple[str, str, Any]]:
        stack.write_file("settings.json", json.dumps(settings))
        mark = recorder.mark()
        getattr(stack, op)()
        return _calls(recorder.since(mark), tokens["pulumi"])

    def ansible_play(**extra: Any) -> tuple[list[tuple[str, str, Any]], Any]:
        mark = recorder.mark()
        extra_vars = {"aws_endpoint_url": recorder.url, "aws_region": REGION, "template_name": NAME, **extra}
        result = run_playbook(playbook, ansible, extra_vars=extra_vars)
        assert result.rc == 0, result.output
        return _calls(recorder.since(mark), tokens["ansible"]), result

    steps: dict[str, tuple[list[Any], list[Any]]] = {}
    steps["create"] = (
        pulumi("up", template=TEMPLATE),
        ansible_play(template_state="present", template_content=TEMPLATE)[0],
    )
    steps["no change"] = (
        pulumi("up", template=TEMPLATE),
        ansible_play(template_state="present", template_content=TEMPLATE)[0],
    )
    steps["update"] = (
        pulumi("up", template=UPDATED),
        ansible_play(template_state="present", template_content=UPDATED)[0],
    )
    ansible_template_id = ansible_play(template_state="present", template_content=UPDATED)[1].task(
        "Apply the template"
    )["experiment_template"]["id"]
    steps["run"] = (
        pulumi("up", template=UPDATED, trigger="2026-11-30"),
        ansible_play(template_state="present", run_template_id=ansible_template_id)[0],
    )
    steps["delete"] = (pulumi("destroy", template=UPDATED), ansible_play(template_state="absent")[0])

    # What each step is expected to send (the same for both; that they are equal is checked below).
    assert _writes(steps["create"][0]) == ["POST /experimentTemplates"]
    assert steps["no change"] == ([], [])
    assert _writes(steps["update"][0]) == [
        "PATCH /experimentTemplates/{id}",
        "DELETE /tags/{id}?tagKeys=tier",
        "POST /tags/{id}",
    ]
    assert _writes(steps["run"][0]) == ["POST /experiments"]
    assert [m for m, _p, _b in steps["run"][0]].count("GET") >= 2  # the waiter's polls
    assert _writes(steps["delete"][0]) == ["DELETE /experimentTemplates/{id}"]
    for step, (by_pulumi, by_ansible) in steps.items():
        assert by_pulumi == by_ansible, f"{step}: Pulumi and Ansible made different FIS calls"
    # No read-back after a template write, from either.
    for step in ("create", "update", "delete"):
        assert all(m not in ("GET", "HEAD") for m, _p, _b in steps[step][0]), steps[step][0]

    # Creates and starts carried derived tokens, never a random uuid.
    assert len(tokens["pulumi"]) == len(tokens["ansible"]) == 2  # the template's create and the run
    assert all(TOKEN.match(t) for t in tokens["pulumi"] + tokens["ansible"]), tokens
