"""`chaos-pulumi catalog refresh` against a FIS endpoint on loopback.

moto 5.2.5 does not implement ListActions/GetAction/ListTargetResourceTypes/GetTargetResourceType,
so this test serves those four operations (response shapes from the botocore FIS model) from a
small HTTP server on 127.0.0.1; the real boto3 client reaches it through AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from chaos_pulumi.cli import main
from chaos_pulumi.spec import validate
from chaos_pulumi.spec.catalog import CATALOG_ENV, load_catalog
from tests.conftest import FAKE_ACCESS_KEY, FAKE_SECRET_KEY, REGION

ACTIONS = {
    "aws:ec2:stop-instances": {
        "description": "Stop the specified EC2 instances.",
        "parameters": {
            "startInstancesAfterDuration": {"description": "ISO 8601 duration", "required": False},
            "completeIfInstancesTerminated": {"description": "true or false", "required": False},
        },
        "targets": {"Instances": {"resourceType": "aws:ec2:instance"}},
    },
    "aws:example:new-fault": {
        "description": "A fault FIS added after the packaged catalog was made.",
        "parameters": {
            "duration": {"description": "The duration, from one minute to 12 hours.", "required": True},
            "level": {"description": "How hard to hit", "required": False},
        },
        "targets": {"Things": {"resourceType": "aws:example:thing"}},
    },
}
TYPES = {
    "aws:ec2:instance": {"description": "Amazon EC2 instance", "parameters": {}},
    "aws:example:thing": {
        "description": "A new target type",
        "parameters": {"zone": {"description": "AZ", "required": True}},
    },
}


class FakeFis(BaseHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        url = urlparse(self.path)
        parts = [unquote(p) for p in url.path.strip("/").split("/")]
        token = parse_qs(url.query).get("nextToken", [None])[0]
        self.requests.append(url.path)
        ids = sorted(ACTIONS)
        if parts == ["actions"]:
            # Two pages, so the client has to follow nextToken.
            page, nxt = (ids[:1], "page2") if token is None else (ids[1:], None)
            body = {"actions": [{"id": i, "description": ACTIONS[i]["description"]} for i in page]}
            if nxt:
                body["nextToken"] = nxt
            return self._send(200, body)
        if len(parts) == 2 and parts[0] == "actions" and parts[1] in ACTIONS:
            return self._send(200, {"action": {"id": parts[1], **ACTIONS[parts[1]]}})
        if parts == ["targetResourceTypes"]:
            return self._send(200, {"targetResourceTypes": [{"resourceType": t} for t in TYPES]})
        if len(parts) == 2 and parts[0] == "targetResourceTypes" and parts[1] in TYPES:
            return self._send(200, {"targetResourceType": {"resourceType": parts[1], **TYPES[parts[1]]}})
        return self._send(404, {"message": f"not found: {url.path}"})


@pytest.fixture
def fake_fis(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeFis)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    FakeFis.requests = []
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def template(action_id: str, rtype: str, key: str, params: dict) -> dict:
    return {
        "description": "new fault",
        "roleArn": "arn:aws:iam::123456789012:role/fis",
        "stopConditions": [
            {"source": "aws:cloudwatch:alarm", "value": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:a"}
        ],
        "targets": {
            "t": {
                "resourceType": rtype,
                "parameters": {"zone": "us-east-1a"},
                "resourceTags": {"a": "b"},
                "selectionMode": "COUNT(1)",
            }
        },
        "actions": {"a": {"actionId": action_id, "parameters": params, "targets": {key: "t"}}},
    }


def test_refresh_writes_a_catalog_the_validator_uses(fake_fis: str, tmp_path: Path, monkeypatch) -> None:
    import io

    out_path = tmp_path / "fis-catalog.yaml"
    err = io.StringIO()
    code = main(["catalog", "refresh", "--output", str(out_path)], out=io.StringIO(), err=err)
    assert code == 0, err.getvalue()
    assert "ListActions: 2 actions" in err.getvalue()
    assert FakeFis.requests.count("/actions") == 2  # followed nextToken

    cat = load_catalog(out_path)
    assert set(cat.actions) == set(ACTIONS)
    assert "live FIS account in us-east-1" in cat.source
    stop = cat.actions["aws:ec2:stop-instances"]
    assert "ec2:StopInstances" in stop.permissions.scoped  # kept from the packaged catalog
    assert stop.parameters["startInstancesAfterDuration"].max_text == "PT12H"
    assert stop.confirmed
    new = cat.actions["aws:example:new-fault"]
    assert not new.confirmed
    assert new.targets == {"Things": "aws:example:thing"}
    assert new.parameters["duration"].type == "duration" and new.parameters["duration"].required
    assert cat.resource_types["aws:example:thing"].parameters["zone"].required

    data = template("aws:example:new-fault", "aws:example:thing", "Things", {"duration": "PT5M"})
    tpl = tmp_path / "new-fault.json"
    tpl.write_text(json.dumps(data))
    assert main(["validate", str(tpl)], out=io.StringIO(), err=io.StringIO()) == 1
    assert main(["--catalog", str(out_path), "validate", str(tpl)], out=io.StringIO(), err=io.StringIO()) == 0
    assert CATALOG_ENV not in os.environ  # --catalog leaves the environment as it found it

    assert any("unknown action 'aws:example:new-fault'" in str(p) for p in validate(data))
    monkeypatch.setenv(CATALOG_ENV, str(out_path))
    assert [p for p in validate(data) if p.severity == "error"] == []
    data["actions"]["a"]["parameters"] = {"duration": "soon"}
    assert any("'soon' is not an ISO-8601 duration" in str(p) for p in validate(data))


def test_refresh_reports_unreachable_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    err = io.StringIO()
    code = main(["catalog", "refresh"], out=io.StringIO(), err=err)
    assert code == 1
    assert "catalog refresh failed" in err.getvalue()
    assert FAKE_SECRET_KEY not in err.getvalue()
