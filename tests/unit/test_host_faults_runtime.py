"""The host-fault runtime as a unit: one fault definition read by both drivers, records, the sweep.

Everything here runs without root: check mode and state=absent never fork a watchdog, the record
store works in a temporary directory, and the zipapp is run with `list` and refusals only. Real
injections through the CLI are in tests/ansible/test_host_faults_cli.py.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from tests.ansible.host_fault_helpers import collection_with_docs_example
from tests.harness.ansible import COLLECTION_SRC, ROOT, collections_root

COLLECTIONS = collections_root(ROOT / "build" / "unit-collections")
sys.path.insert(0, str(COLLECTIONS))
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime import (  # noqa: E402
    bundle,
    cli,
    errors,
    lifecycle,
    options,
    records,
)

RUNTIME = "ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime"
MODULES = COLLECTION_SRC / "plugins" / "modules"
TIMED = ["cpu_stress", "disk_fill", "io_stress", "memory_stress", "network_blackhole", "network_latency",
         "service_stop"]


FIELDS = (("type", "str"), ("default", None), ("choices", None), ("elements", None))


def module_docs(name: str) -> dict[str, Any]:
    """DOCUMENTATION and RETURN of a module file, parsed the way ansible-doc reads them (statically)."""
    out = {}
    for node in ast.parse((MODULES / f"{name}.py").read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in ("DOCUMENTATION", "RETURN"):
                out[node.targets[0].id] = yaml.safe_load(node.value.value)
    return out


def fragment_options() -> dict[str, Any]:
    path = COLLECTION_SRC / "plugins" / "doc_fragments" / "host_fault.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "DOCUMENTATION":
            return yaml.safe_load(node.value.value)["options"]
    raise AssertionError("no DOCUMENTATION in the host_fault doc fragment")


# -------------------------------------------------------------------------- one definition, two drivers


def test_the_cli_finds_exactly_the_timed_faults() -> None:
    assert cli.fault_names() == TIMED


def test_the_host_faults_action_group_registers_every_fault() -> None:
    runtime = yaml.safe_load((COLLECTION_SRC / "meta" / "runtime.yml").read_text())
    groups = runtime["action_groups"]
    assert set(groups["host_faults"]) == set(TIMED) | {"process_kill"}
    assert all((MODULES / f"{name}.py").exists() for name in groups["host_faults"])
    assert groups["fault_records"] == [
        {"metadata": {"extend_group": ["chaos.faults.host_faults"]}},
        "fault_status",
    ]


@pytest.mark.parametrize("name", TIMED)
def test_options_match_the_documentation(name: str) -> None:
    """What ansible-test's validate-modules checks, in the fast suite: the spec the drivers use is the
    one the docs describe (names, types, defaults, choices, elements, suboptions)."""
    documented = {**fragment_options(), **module_docs(name)["DOCUMENTATION"]["options"]}
    module = importlib.import_module(f"ansible_collections.chaos.faults.plugins.modules.{name}")
    spec = options.timed_fault_spec(module.OPTIONS)

    def compare(spec: dict[str, Any], docs: dict[str, Any], where: str) -> None:
        assert set(spec) == set(docs), f"{where}: spec {sorted(spec)} vs docs {sorted(docs)}"
        for key, opt in spec.items():
            doc = docs[key]
            for field, fallback in FIELDS:
                assert opt.get(field, fallback) == doc.get(field, fallback), f"{where}{key}.{field}"
            if "options" in opt:
                compare(opt["options"], doc["suboptions"], f"{where}{key}.")

    compare(spec, documented, f"{name}: ")


def test_the_seven_fault_record_return_blocks_are_identical() -> None:
    """Ansible cannot share RETURN docs, so each timed module repeats the record block: same text."""
    blocks = {}
    for name in TIMED:
        ret = module_docs(name)["RETURN"]
        ret.pop("injected")  # what was injected is each fault's own
        blocks[name] = ret
    first = blocks[TIMED[0]]
    for name, block in blocks.items():
        assert block == first, f"{name}'s fault-record RETURN block differs from {TIMED[0]}'s"


def test_the_return_block_documents_what_the_driver_returns(tmp_path: Path) -> None:
    import ansible_collections.chaos.faults.plugins.modules.disk_fill as disk_fill

    params = ArgumentSpecValidator(options.timed_fault_spec(disk_fill.OPTIONS)).validate(
        {"path": str(tmp_path), "size": "1M", "reserve": "1M", "duration": 5,
         "record_dir": str(tmp_path / "records")}).validated_parameters
    present = lifecycle.run_fault("disk_fill", disk_fill.plan, params, check_mode=True)
    absent = lifecycle.run_fault("disk_fill", disk_fill.plan, dict(params, state="absent"))
    returned = (set(present) | set(absent)) - {"changed"}
    assert returned == set(module_docs("disk_fill")["RETURN"])
    assert present["watchdog_pid"] is None and not (tmp_path / "records").exists()  # check mode: nothing


def test_fault_modules_import_without_ansible() -> None:
    """The CLI (and an SSM host) loads the same module files: no Ansible import at module level."""
    code = textwrap.dedent(f"""
        import importlib, importlib.abc, json, sys
        class NoAnsible(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "ansible" or name.startswith("ansible."):
                    raise ImportError("ansible is not installed here")
        sys.meta_path.insert(0, NoAnsible())
        sys.path.insert(0, {str(COLLECTIONS)!r})
        out = {{}}
        for name in {TIMED!r}:
            mod = importlib.import_module("ansible_collections.chaos.faults.plugins.modules." + name)
            out[name] = sorted(mod.OPTIONS)
        print(json.dumps(out))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["cpu_stress"] == ["engine", "load", "workers"]


def cli_params(fault: str, argv: list[str]) -> dict[str, Any]:
    mod = cli.load_fault(fault)
    spec = options.timed_fault_spec(mod.OPTIONS)
    parser = cli.argparse.ArgumentParser()
    cli._add_options(parser, spec)
    return cli._params(parser.parse_args(argv), spec)


@pytest.mark.parametrize(
    ("fault", "argv", "given"),
    [
        ("cpu_stress", ["--duration", "60", "--load", "80"], {"duration": 60, "load": 80}),
        (
            "network_latency",
            ["--duration", "5", "--ports", "80,443", "--ports", "8080", "--destinations", "10.0.0.1",
             "--loss-percent", "1.5", "--force"],
            {"duration": 5, "ports": [80, 443, 8080], "destinations": ["10.0.0.1"], "loss_percent": 1.5,
             "force": True},
        ),
        (
            "network_blackhole",
            ["--duration", "9", "--ports", "22", "--stop-on-url", "http://h/x",
             "--stop-on-status", "200,204"],
            {"duration": 9, "ports": ["22"], "stop_on": {"url": "http://h/x", "status": [200, 204]}},
        ),
        (
            "io_stress",
            ["--duration", "9", "--path", "~/scratch", "--stop-on-command", "curl -sf http://h/"],
            {"duration": 9, "path": "~/scratch", "stop_on": {"command": "curl -sf http://h/"}},
        ),
    ],
)
def test_cli_options_give_the_params_ansible_gives(fault: str, argv: list[str], given: dict) -> None:
    spec = options.timed_fault_spec(cli.load_fault(fault).OPTIONS)
    expected = ArgumentSpecValidator(spec).validate(given).validated_parameters
    assert expected["state"] == "present"
    assert cli_params(fault, argv) == expected


def test_cli_refuses_bad_values_naming_the_option() -> None:
    with pytest.raises(errors.FaultError, match=r"^--ports: \['x'\] are not all int values"):
        cli_params("network_latency", ["--ports", "x"])
    with pytest.raises(SystemExit):  # argparse: usage error, exit status 2, message on stderr
        cli_params("cpu_stress", ["--load", "lots"])
    with pytest.raises(errors.FaultError, match="^fault: 'fis_experiment' is not a host fault here"):
        cli.load_fault("fis_experiment")


# ----------------------------------------------------------------------------------------- records


def test_fault_ids_name_a_file_in_the_record_dir(tmp_path: Path) -> None:
    import ansible_collections.chaos.faults.plugins.modules.disk_fill as disk_fill

    params = ArgumentSpecValidator(options.timed_fault_spec(disk_fill.OPTIONS)).validate(
        {"path": str(tmp_path), "size": "1M", "reserve": "1M", "duration": 5, "fault_id": "../../etc/x",
         "record_dir": str(tmp_path / "records")}).validated_parameters
    with pytest.raises(errors.FaultError, match=r"^fault_id: '../../etc/x' must be 1-64 letters"):
        lifecycle.run_fault("disk_fill", disk_fill.plan, params, check_mode=True)
    assert records.check_fault_id("game-day.web_1") == "game-day.web_1"


def _finished_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_sweep_removes_only_stale_temporary_records_without_a_writer(tmp_path: Path) -> None:
    store = records.RecordStore(str(tmp_path))
    store.write({"fault_id": "kept", "state": "reverted"})
    old = time.time() - 30  # older than the sweep's bound, younger than this machine's pid 1
    later = subprocess.Popen(["sleep", "30"])  # started after `old`: cannot be the writer of an old file
    try:
        files = {
            f"a.json.{_finished_pid()}.tmp": old,  # dead writer, old: swept
            f"b.json.{_finished_pid()}.tmp": time.time(),  # dead writer, but young: kept for now
            "c.json.1.tmp": old,  # a live process that started before the file (pid 1): kept
            f"d.json.{later.pid}.tmp": old,  # the pid now belongs to a newer process: swept
            "notes.tmp": old,  # not a record's temporary file: never touched
        }
        for name, mtime in files.items():
            (tmp_path / name).write_text("{")
            os.utime(tmp_path / name, (mtime, mtime))
        swept = store.sweep_temporary()
    finally:
        later.kill()
        later.wait()
    assert sorted(swept) == sorted(n for n in files if n[0] in "ad")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(["kept.json", "notes.tmp"] + [n for n in files if n[0] in "bc"])


def test_sweep_after_a_writer_is_killed_between_write_and_rename(tmp_path: Path) -> None:
    """A real kill -9 of a real writer, stopped where a crash leaves the litter: the file written, the
    rename not yet done."""
    code = textwrap.dedent(f"""
        import os, sys, time
        sys.path.insert(0, {str(COLLECTIONS)!r})
        from {RUNTIME} import records
        real_fsync = os.fsync
        def fsync_then_hang(fd):
            real_fsync(fd)
            print("written", flush=True)
            time.sleep(600)
        os.fsync = fsync_then_hang
        records.RecordStore({str(tmp_path)!r}).write({{"fault_id": "0123456789ab", "state": "armed"}})
    """)
    writer = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline() == "written\n"
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    litter = f"0123456789ab.json.{writer.pid}.tmp"
    assert sorted(p.name for p in tmp_path.iterdir()) == [litter]
    store = records.RecordStore(str(tmp_path))
    assert store.sweep_temporary() == []  # too young: a writer might still be at it
    os.utime(tmp_path / litter, (time.time() - 60, time.time() - 60))
    assert store.sweep_temporary() == [litter]
    assert list(tmp_path.iterdir()) == [] and store.all() == []


def test_every_run_sweeps_and_reports(tmp_path: Path) -> None:
    store = records.RecordStore(str(tmp_path))
    name = f"feedfacecafe.json.{_finished_pid()}.tmp"
    (tmp_path / name).write_text("{")
    os.utime(tmp_path / name, (time.time() - 60, time.time() - 60))
    assert lifecycle.housekeeping(store, check_mode=True) == {"recovered": [], "swept": []}
    assert lifecycle.housekeeping(store) == {"recovered": [], "swept": [name]}


# ------------------------------------------------------------------------------------------ bundle


def test_bundle_keeps_line_numbers_and_runs_without_ansible(tmp_path: Path) -> None:
    source = (MODULES / "cpu_stress.py").read_text()
    for transform in (bundle.strip_docs, bundle.compact, lambda s: bundle.compact(bundle.strip_docs(s))):
        out = transform(source)
        assert out.count("\n") == source.count("\n")
        compile(out, "cpu_stress.py", "exec")
    in_string = 'x = """\n# kept\n"""\n  # gone\ny = 1  # kept\n'
    assert bundle.compact(in_string) == 'x = """\n# kept\n"""\n\ny = 1  # kept\n'
    stripped = bundle.strip_docs(source)
    assert 'DOCUMENTATION = ""\n' in stripped and "Load the CPUs" not in stripped

    pyz = tmp_path / "chaos-faults.pyz"
    pyz.write_bytes(bundle.build(["cpu_stress"]))
    with zipfile.ZipFile(pyz) as zf:
        names = zf.namelist()
    assert "__main__.py" in names
    assert any(n.endswith("/modules/cpu_stress.py") for n in names)
    assert not any(n.endswith(("/modules/disk_fill.py", "/bundle.py")) for n in names)
    env = {"PATH": "/usr/bin:/bin"}  # no venv, no PYTHONPATH: only what the zipapp carries
    listed = subprocess.run([sys.executable, "-I", str(pyz), "list"], capture_output=True, text=True, env=env)
    assert listed.returncode == 0, listed.stderr
    assert list(json.loads(listed.stdout)["faults"]) == ["cpu_stress"]
    refused = subprocess.run([sys.executable, "-I", str(pyz), "inject", "cpu_stress", "--duration", "5",
                              "--load", "500", "--record-dir", str(tmp_path / "r")],
                             capture_output=True, text=True, env=env)
    assert refused.returncode == 1
    message = json.loads(refused.stdout)["msg"]
    assert message == "load: must be within 1-100 (percent busy per worker), got 500"
    assert not (tmp_path / "r").exists()
    assert bundle.build(["cpu_stress"]) == pyz.read_bytes()  # reproducible


def test_runtime_and_fault_modules_are_python_38_syntax() -> None:
    """Targets may run Python 3.8 (the docs' floor); ansible-test here only has 3.11 to compile with."""
    files = sorted((COLLECTION_SRC / "plugins" / "module_utils" / "host_fault_runtime").glob("*.py"))
    files += [MODULES / f"{name}.py" for name in [*TIMED, "process_kill", "fault_status"]]
    for path in files:
        ast.parse(path.read_text(), filename=str(path), feature_version=(3, 8))
    newer = ("removeprefix", "removesuffix", "functools.cache", "zoneinfo", "tomllib", "ast.unparse")
    for path in files:
        used = [name for name in newer if name in path.read_text()]
        assert not used, f"{path.name} uses {used}, newer than Python 3.8"


# ------------------------------------------------------------------------------ the docs' example


def test_the_docs_example_fault_is_one_file_and_one_line(tmp_path: Path) -> None:
    """docs/host-faults.md "Adding a fault", applied to a copy of the collection exactly as written: the
    CLI finds the new fault, its options match its docs, its record block matches the others'."""
    root = collection_with_docs_example(tmp_path)
    modules = root / "ansible_collections" / "chaos" / "faults" / "plugins" / "modules"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)}
    listed = subprocess.run([sys.executable, "-m", RUNTIME, "list"], capture_output=True, text=True, env=env,
                            cwd="/")
    assert listed.returncode == 0, listed.stderr
    faults = json.loads(listed.stdout)["faults"]
    assert sorted(faults) == sorted([*TIMED, "process_pause"])
    assert faults["process_pause"]["options"]["name"] == {"type": "str"}

    docs = {}
    for node in ast.parse((modules / "process_pause.py").read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") in ("DOCUMENTATION", "RETURN"):
            docs[node.targets[0].id] = yaml.safe_load(node.value.value)
    documented = {**fragment_options(), **docs["DOCUMENTATION"]["options"]}
    assert documented.pop("state")["choices"] == ["present", "absent"]  # the CLI's inject/revert commands
    spec = faults["process_pause"]["options"]
    assert set(spec) == set(documented)
    for key, opt in spec.items():
        for field, fallback in FIELDS:
            assert opt.get(field, fallback) == documented[key].get(field, fallback), f"{key}.{field}"
    record_block = dict(module_docs("cpu_stress")["RETURN"])
    record_block.pop("injected")
    assert {k: v for k, v in docs["RETURN"].items() if k != "injected"} == record_block
    runtime = yaml.safe_load((modules.parent.parent / "meta" / "runtime.yml").read_text())
    assert "process_pause" in runtime["action_groups"]["host_faults"]
