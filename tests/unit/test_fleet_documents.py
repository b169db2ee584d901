"""The generated SSM documents, without root: shape, size, patterns, the script layout and its entry code."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaos_pulumi.fleet import host_entry
from chaos_pulumi.fleet.experiment import action_duration, document_parameters, host_fault_template
from chaos_pulumi.fleet.parameters import SHELL_INERT, positive_int_pattern
from chaos_pulumi.fleet.runtime import zipapp
from chaos_pulumi.fleet.ssm_document import (
    MAX_DOCUMENT_BYTES,
    PARAMETER_RESERVE,
    TIMEOUT_MARGIN_S,
    build_document,
    fault_names,
)
from chaos_pulumi.spec import has_errors, load_text, validate
from chaos_pulumi.spec.explain import explain
from chaos_pulumi.spec.iam import iam_policy
from tests.harness.ssm_agent import InvalidParameters, script_text, validate_parameters

FAULTS = fault_names()
METACHARACTERS = set("'\"`$\\;&|<>(){}[]*?!#~ \t\n\r")
HOSTILE = ["; rm -rf /", "$(id)", "`id`", "a'b", 'a"b', "1\n2", "x|y", "x&y", "{{ duration }}", "x y",
           "~root"]
PYTHON37 = Path("/root/.pyenv/versions/3.7.16/bin/python3.7")


def test_the_timed_faults_each_have_a_document() -> None:
    assert FAULTS == ["cpu_stress", "disk_fill", "io_stress", "memory_stress", "network_blackhole",
                      "network_latency", "service_stop"]


@pytest.mark.parametrize("fault", FAULTS)
def test_document_shape_size_and_timeout(fault: str) -> None:
    doc = build_document(fault)
    c = doc.content
    assert c["schemaVersion"] == "2.2"
    [step] = c["mainSteps"]
    assert step["action"] == "aws:runShellScript"
    assert step["precondition"] == {"StringEquals": ["platformType", "Linux"]}
    assert step["inputs"]["timeoutSeconds"] == 3600 + TIMEOUT_MARGIN_S
    assert doc.size <= MAX_DOCUMENT_BYTES - PARAMETER_RESERVE, doc.size
    assert doc.name == f"ChaosFaults-{fault}" and re.fullmatch(r"[a-zA-Z0-9_.-]{3,128}", doc.name)
    for name, decl in c["parameters"].items():
        assert re.fullmatch(r"[a-zA-Z0-9]+", name), "the agent substitutes only such names"
        assert decl["type"] == "String" and ("allowedPattern" in decl or "allowedValues" in decl)
    assert "duration" in c["parameters"] and "default" not in c["parameters"]["duration"]
    assert not {"state", "recordDir", "faultId", "stopOnCommand"} & set(c["parameters"])
    lines = step["inputs"]["runCommand"]
    placeholders = [i for i, line in enumerate(lines) if "{{" in line]
    params_at = next(i for i, ln in enumerate(lines) if ln.startswith("#=PARAMS"))
    assert placeholders and min(placeholders) > params_at
    assert lines[2].startswith("exec python3 -I -c '") and lines[3] == "#=BOOT"


def test_the_duration_pattern_accepts_exactly_1_to_the_maximum() -> None:
    for high in (1, 9, 10, 99, 120, 3600, 43200):
        pattern = re.compile(f"^({positive_int_pattern(high)})$")
        assert [n for n in range(high + 500) if pattern.match(str(n))] == list(range(1, high + 1))
        assert not pattern.match("007")
    doc = build_document("cpu_stress", max_duration=600)
    assert doc.content["mainSteps"][0]["inputs"]["timeoutSeconds"] == 600 + TIMEOUT_MARGIN_S
    assert not re.search(doc.content["parameters"]["duration"]["allowedPattern"], "601")


def _patterns() -> list[tuple[str, str, str]]:
    out = []
    for fault in FAULTS:
        for name, decl in build_document(fault).content["parameters"].items():
            if "allowedPattern" in decl:
                out.append((fault, name, decl["allowedPattern"]))
    return out


@pytest.mark.parametrize("fault, name, pattern", _patterns())
def test_no_value_a_pattern_admits_is_shell_syntax(fault: str, name: str, pattern: str) -> None:
    @settings(max_examples=200, deadline=None)
    @given(st.from_regex(pattern, fullmatch=True))
    def admitted(value: str) -> None:
        assert not METACHARACTERS & set(value), f"{fault}.{name} admits {value!r}"
        assert SHELL_INERT.match(value)

    admitted()
    for value in HOSTILE:
        assert not re.search(pattern, value), f"{fault}.{name} admits {value!r}"


@pytest.mark.parametrize("fault", FAULTS)
def test_allowed_values_are_shell_inert(fault: str) -> None:
    for decl in build_document(fault).content["parameters"].values():
        for value in decl.get("allowedValues", []):
            assert SHELL_INERT.match(value)


def _script(fault: str, params: dict[str, str], tmp_path: Path, check: bool = True) -> Path:
    doc = build_document(fault).content
    path = tmp_path / "_script.sh"
    path.write_text(script_text(doc, validate_parameters(doc, params, check=check)))
    return path


def test_entry_code_turns_the_substituted_parameters_into_runtime_arguments(tmp_path: Path) -> None:
    script = _script("network_blackhole", {"duration": "30", "ports": "80,8000-8100", "force": "true",
                                           "stopOnUrl": "http://10.0.0.5:8080/health?x=1"[:-4]}, tmp_path)
    fault, digest, payload, argv = host_entry.read_script(str(script))
    assert fault == "network_blackhole" and hashlib.sha256(payload).hexdigest() == digest
    assert payload == zipapp(("network_blackhole",))
    assert argv == ["--duration=30", "--ports=80,8000-8100", "--force", "--stop-on-url=http://10.0.0.5:8080/health"]


def test_entry_code_refuses_a_value_holding_a_line_break(tmp_path: Path) -> None:
    script = _script("cpu_stress", {"duration": "30", "load": "80\n--force=true"}, tmp_path, check=False)
    with pytest.raises(host_entry.EntryError, match="holds a line break"):
        host_entry.read_script(str(script))


def test_entry_code_refuses_a_damaged_runtime(tmp_path: Path) -> None:
    script = _script("cpu_stress", {"duration": "30"}, tmp_path)
    lines = script.read_text().split("\n")
    i = next(i for i, ln in enumerate(lines) if ln.startswith("#=PAYLOAD")) + 1
    lines[i] = base64.b64encode(b"x" * 750).decode()
    script.write_text("\n".join(lines))
    with pytest.raises(host_entry.EntryError, match="checksum"):
        host_entry.read_script(str(script))


def test_the_runtime_is_unpacked_once_into_a_private_directory(tmp_path: Path) -> None:
    payload = b"PK-not-really"
    digest = hashlib.sha256(payload).hexdigest()
    runtime = tmp_path / "records" / "runtime"
    path = host_entry.install(payload, digest, str(runtime))
    assert Path(path).read_bytes() == payload and oct(runtime.stat().st_mode & 0o777) == "0o700"
    assert host_entry.install(payload, digest, str(runtime)) == path
    os.chmod(runtime, 0o777)
    with pytest.raises(host_entry.EntryError, match="writable by it alone"):
        host_entry.install(payload, digest, str(runtime))


@pytest.mark.skipif(not PYTHON37.exists(), reason="no Python 3.7 here (pyenv)")
def test_every_fault_module_imports_and_its_entry_code_compiles_on_python_37(tmp_path: Path) -> None:
    """Amazon Linux 2's python3 is 3.7: the runtime, every fault and the entry code load there."""
    pyz = tmp_path / "all.pyz"
    pyz.write_bytes(zipapp())
    listing = subprocess.run([str(PYTHON37), "-I", str(pyz), "list"], capture_output=True, text=True,
                             timeout=60)
    assert listing.returncode == 0, listing.stderr
    assert '"cpu_stress"' in listing.stdout and '"service_stop"' in listing.stdout
    script = _script("cpu_stress", {"duration": "30", "load": "50"}, tmp_path)
    probe = (f"import sys; sys.argv=['-c', {str(script)!r}]; src=open({str(host_entry.__file__)!r}).read(); "
             "ns={'__name__': 'entry'}; exec(compile(src, 'e', 'exec'), ns); "
             "print(ns['read_script'](sys.argv[1])[3])")
    ran = subprocess.run([str(PYTHON37), "-I", "-c", probe], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0 and "--load=50" in ran.stdout, ran.stderr


def test_the_template_sending_a_document_validates_explains_and_scopes_iam() -> None:
    doc = build_document("cpu_stress")
    arn = "arn:aws:ssm:us-east-1:123456789012:document/ChaosFaults-cpu_stress"
    template = host_fault_template(doc, document_arn=arn, duration=300, target_tags={"app": "web"},
                                   role_arn="arn:aws:iam::123456789012:role/fis", parameters={"load": 80})
    assert not has_errors(validate(template))
    result = load_text(__import__("json").dumps(template))
    assert result.spec is not None
    text = explain(result.spec)
    assert "reverts the fault when its `duration` ends" in text and "cancelled" in text
    statements = iam_policy(result.spec)["Statement"]
    document_grant = {"Sid": "CpuStressDocument", "Effect": "Allow", "Action": ["ssm:SendCommand"],
                      "Resource": arn}
    assert document_grant in statements
    listed = next(s for s in statements if s["Sid"] == "DescribeAndList")["Action"]
    lifecycle = {"ssm:CancelCommand", "ssm:ListCommands", "ssm:GetCommandInvocation",
                 "ssm:ListCommandInvocations"}
    assert lifecycle <= set(listed)
    assert action_duration(300) == "PT6M" and action_duration(1) == "PT2M"


def test_the_validator_knows_the_document_duration_rule() -> None:
    doc = build_document("cpu_stress")
    arn = "arn:aws:ssm:us-east-1:123456789012:document/ChaosFaults-cpu_stress"
    template = host_fault_template(doc, document_arn=arn, duration=300, target_tags={"app": "web"},
                                   role_arn="arn:aws:iam::123456789012:role/fis")
    [action] = template["actions"].values()
    action["parameters"]["documentParameters"] = '{"load": "80"}'
    assert any("need duration" in p.message for p in validate(template) if p.severity == "error")
    action["parameters"]["documentParameters"] = '{"duration": "900"}'
    assert any("longer than the action duration" in p.message for p in validate(template))


@pytest.mark.parametrize("params, field", [
    ({"lod": "1"}, "parameters.lod"),
    ({"load": "80; id"}, "parameters.load"),
    ({"engine": "fast"}, "parameters.engine"),
])
def test_template_parameters_are_checked_against_the_document(params: dict, field: str) -> None:
    with pytest.raises(ValueError, match=re.escape(field)):
        document_parameters(build_document("cpu_stress"), 60, params)
    with pytest.raises(InvalidParameters):
        validate_parameters(build_document("cpu_stress").content, {"duration": "60", **params})
