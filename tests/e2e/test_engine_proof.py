"""The real Pulumi engine runs a dynamic resource of the installed chaos_pulumi package end to end."""

from __future__ import annotations

import base64
import json
import pickletools
import re
from pathlib import Path
from typing import Any

import pytest

from tests.harness.pulumi import PulumiStack, StackFactory

pytestmark = pytest.mark.pulumi

PROJECT = Path(__file__).parent / "projects" / "noop"
NOOP_TYPE = "pulumi-python:dynamic/chaos:Noop"


def _plain(value: Any) -> Any:
    """A value from `stack export --show-secrets`: secrets are {<sig>: ..., "plaintext": "<json>"}."""
    if isinstance(value, dict) and "plaintext" in value:
        return json.loads(value["plaintext"])
    return value


def _pickle_strings(blob: bytes) -> set[str]:
    """Every string a pickle pushes (module and class names of GLOBAL/STACK_GLOBAL included)."""
    found: set[str] = set()
    for op, arg, _pos in pickletools.genops(blob):
        if isinstance(arg, str):
            found.update(arg.split(" ") if op.name == "GLOBAL" else [arg])
    return found


def _noop_resource(stack: PulumiStack) -> dict[str, Any]:
    matches = [r for r in stack.resources(show_secrets=True) if r["type"] == NOOP_TYPE]
    assert len(matches) == 1, [r["type"] for r in stack.resources()]
    return matches[0]


def test_noop_lifecycle_through_the_real_engine(pulumi_stack: StackFactory) -> None:
    stack = pulumi_stack(PROJECT)

    preview = stack.preview()
    assert preview.changes == {"create": 2}, preview.output  # the stack resource and the marker

    up = stack.up()
    assert up.changes == {"create": 2}, up.output
    outputs = stack.outputs()
    assert outputs["value"] == {"greeting": "hello", "n": 1}
    assert re.fullmatch(r"[0-9a-f]{32}", outputs["marker_id"]), outputs

    again = stack.up()
    assert again.changes == {}, again.output
    assert again.summary == {"same": 2}

    # The state refers to the provider class in the installed module; it holds no pickled program code.
    resource = _noop_resource(stack)
    provider_b64 = _plain(resource["outputs"]["__provider"])
    strings = _pickle_strings(base64.b64decode(provider_b64))
    assert {"chaos_pulumi.noop", "NoopProvider"} <= strings, sorted(strings)
    assert "__main__" not in strings
    assert not any("code" in s.lower() for s in strings), sorted(strings)
    # ...and that reference is stored as a secret: the checkpoint file has only the ciphertext.
    assert provider_b64 not in stack.state_file_text()

    # Editing the program between steps: a changed value is an in-place update of the same resource.
    stack.write_main(stack.main_py.read_text().replace('"n": 1', '"n": 2'))
    changed = stack.up()
    assert changed.changes == {"update": 1}, changed.output
    assert stack.outputs()["value"] == {"greeting": "hello", "n": 2}
    assert stack.outputs()["marker_id"] == outputs["marker_id"]

    refreshed = stack.refresh()
    assert refreshed.changes == {}, refreshed.output

    destroyed = stack.destroy()
    assert destroyed.changes == {"delete": 2}, destroyed.output
    assert stack.resources() == []


def test_program_errors_fail_the_update_with_the_message(pulumi_stack: StackFactory) -> None:
    stack = pulumi_stack.inline("raise ValueError('chaos-e2e: the program refused to run')\n")
    failed = stack.up(expect_fail=True)
    assert "chaos-e2e: the program refused to run" in failed.output
    assert [r["type"] for r in stack.resources()] == ["pulumi:pulumi:Stack"]  # the engine still records it


SECRET_PROGRAM = """\
import pulumi

from chaos_pulumi.noop import NoopResource

token = pulumi.Config().require_secret("token")
NoopResource("holder", value=token)
pulumi.export("token", token)
"""


def test_secret_config_reaches_the_program_and_stays_encrypted(pulumi_stack: StackFactory) -> None:
    stack = pulumi_stack.inline(SECRET_PROGRAM, secret_config={"token": "s3cr3t-token-value"})
    stack.up()
    assert stack.outputs()["token"] == "s3cr3t-token-value"
    assert "s3cr3t-token-value" not in stack.state_file_text()
    assert "s3cr3t-token-value" not in json.dumps(stack.export_state())
