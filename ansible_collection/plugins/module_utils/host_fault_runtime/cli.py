# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""The host faults without Ansible: `python3 -m <this package> COMMAND ...`, or a zipapp from bundle.py.

A fault's command-line options come from the same spec its Ansible module uses (`--load 80`,
`--ports 80,443` or `--ports 80 --ports 443`, `stop_on.url` as `--stop-on-url`). Output is JSON on
stdout (with --wait, a second line when the fault ends); errors also go to stderr. Exit status: 0 ok;
1 refused or failed; 2 usage; with --wait, 3 when a guard reverted the fault early and 4 when
something else ended it early (revert, signal, recovery). SIGTERM/SIGINT during --wait reverts now,
and a --wait command that is killed outright (SIGKILL) has its fault reverted by the watchdog at once.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import importlib.util
import json
import os
import pkgutil
import re
import signal
import sys
import time

from .errors import FaultError
from .lifecycle import housekeeping, list_records, run_fault, wait_for_end
from .options import timed_fault_spec
from .records import RECORD_DIR, RecordStore, is_active
from .revert import revert_fault, revert_now, select_for_revert

USAGE = """usage: COMMAND ...
    inject FAULT --duration S [the fault's options] [--stop-on-url URL ...] [--wait]
    revert (--all | FAULT_ID ...)      status [--active] [--fault NAME] [FAULT_ID]      list
    (every command takes --record-dir DIR, default /run/chaos-faults)
"""
EXIT_FAILED, EXIT_USAGE, EXIT_GUARD, EXIT_ENDED_EARLY = 1, 2, 3, 4
_FAULT_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_OPTIONS_RE = re.compile(r"^OPTIONS = ", re.MULTILINE)
_CONVERT = {"int": int, "float": float, "str": str, "path": str, "raw": str}


def _modules_package() -> str:
    return __package__.rsplit(".module_utils.", 1)[0] + ".modules"


def fault_names() -> list:
    """Module files that declare OPTIONS (a timed fault's own options), found without importing any."""
    pkg = importlib.import_module(_modules_package())
    names = []
    for info in pkgutil.iter_modules(pkg.__path__):
        fullname = f"{pkg.__name__}.{info.name}"
        source = importlib.util.find_spec(fullname).loader.get_source(fullname)
        if source and _OPTIONS_RE.search(source):
            names.append(info.name)
    return sorted(names)


def load_fault(name: str):
    """The module file of timed fault `name` (its OPTIONS and plan)."""
    known = fault_names()
    if not _FAULT_NAME_RE.match(name) or name not in known:
        raise FaultError(f"fault: {name!r} is not a host fault here; choose one of {', '.join(known)}")
    return importlib.import_module(f"{_modules_package()}.{name}")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _add_options(parser: argparse.ArgumentParser, spec: dict, prefix: str = "") -> None:
    for name, opt in spec.items():
        kind = opt.get("type", "str")
        if name == "state":
            continue  # the command says it: inject or revert
        if kind == "dict":
            _add_options(parser, opt["options"], prefix + name + "_")
            continue
        default = opt.get("default")
        helptext = kind + (f", default {default}" if default not in (None, False) else "")
        if kind == "bool":
            parser.add_argument(_flag(prefix + name), dest=prefix + name, action="store_true", help=helptext)
        elif kind == "list":
            helptext = f"list of {opt.get('elements', 'str')}: repeat it or separate with commas"
            parser.add_argument(_flag(prefix + name), dest=prefix + name, action="append", help=helptext)
        else:
            parser.add_argument(_flag(prefix + name), dest=prefix + name, type=_CONVERT[kind],
                                choices=opt.get("choices"), help=helptext)


def _params(ns: argparse.Namespace, spec: dict, prefix: str = "") -> dict:
    """Options in the shape AnsibleModule gives a module: every key present, defaults filled."""
    params = {}
    for name, opt in spec.items():
        kind = opt.get("type", "str")
        if kind == "dict":
            sub = _params(ns, opt["options"], prefix + name + "_")
            given = [k for k in opt["options"] if getattr(ns, prefix + name + "_" + k) not in (None, False)]
            params[name] = sub if given else None
            continue
        value = getattr(ns, prefix + name, None)
        if value is None or (kind == "bool" and value is False):
            value = copy.deepcopy(opt.get("default"))
        elif kind == "list":
            convert = _CONVERT[opt.get("elements", "str")]
            items = [item.strip() for arg in value for item in arg.split(",") if item.strip()]
            try:
                value = [convert(item) for item in items]
            except ValueError:
                what = opt["elements"]
                raise FaultError(f"{_flag(prefix + name)}: {items} are not all {what} values") from None
        elif kind == "path":
            value = os.path.expanduser(os.path.expandvars(value))
        params[name] = value
    return params


def _dump(doc: dict) -> None:
    sys.stdout.write(json.dumps(doc, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


def _inject(argv: list) -> int:
    started = time.time()
    if not argv or argv[0].startswith("-"):
        known = ", ".join(fault_names())
        raise FaultError(f"inject: name the fault first, e.g. inject cpu_stress; faults: {known}")
    fault = load_fault(argv[0])
    spec = timed_fault_spec(fault.OPTIONS)
    parser = argparse.ArgumentParser(prog=f"inject {argv[0]}", description=f"Inject {argv[0]}; the options "
                                     f"are described by `ansible-doc chaos.faults.{argv[0]}`.")
    _add_options(parser, spec)
    parser.add_argument("--wait", action="store_true",
                        help="block until the fault ends; SIGTERM, or the death of this command, reverts it")
    ns = parser.parse_args(argv[1:])
    params = _params(ns, spec)
    params["state"] = "present"
    result = run_fault(argv[0], fault.plan, params, started=started, bound_to_caller=ns.wait)
    if not ns.wait:
        _dump(result)
        return 0
    store = RecordStore(params["record_dir"])

    def stop(signum, frame):  # the command was cancelled: the fault ends now, not at its deadline
        revert_fault(store, result["fault_id"], "signal")

    # Before the first line: whoever reacts to it by signalling must find the handler in place.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop)
    _dump(result)
    final = wait_for_end(store, result["fault_id"]) or {}
    _dump({"ended": final})
    by = final.get("reverted_by")
    return 0 if by == "duration" else EXIT_GUARD if by == "guard" else EXIT_ENDED_EARLY


def _store_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--record-dir", default=RECORD_DIR, help=f"default {RECORD_DIR}")
    return parser


def _revert(argv: list) -> int:
    parser = _store_parser("revert")
    parser.add_argument("--all", action="store_true", help="every active fault on this host")
    parser.add_argument("fault_ids", nargs="*", metavar="FAULT_ID")
    ns = parser.parse_args(argv)
    if ns.all == bool(ns.fault_ids):
        parser.error("give either --all or fault ids")
    store = RecordStore(ns.record_dir)
    result = housekeeping(store)
    ids = select_for_revert(store, ["all"] if ns.all else ns.fault_ids)
    result["reverted"] = revert_now(store, ids, "revert")
    result["active"] = [r["fault_id"] for r in store.all() if is_active(r)]
    _dump(result)
    return 0


def _status(argv: list) -> int:
    parser = _store_parser("status")
    parser.add_argument("--active", action="store_true", help="only faults still active")
    parser.add_argument("--fault", help="only faults of this type, e.g. cpu_stress")
    parser.add_argument("fault_id", nargs="?", metavar="FAULT_ID")
    ns = parser.parse_args(argv)
    store = RecordStore(ns.record_dir)
    result = housekeeping(store)
    result["faults"] = list_records(store, ns.fault_id, ns.fault, ns.active)
    result["active"] = [r["fault_id"] for r in result["faults"] if is_active(r)]
    _dump(result)
    return 0


def _list(argv: list) -> int:
    parser = argparse.ArgumentParser(prog="list", description="The faults and the options inject takes.")
    parser.parse_args(argv)
    specs = {}
    for name in fault_names():
        spec = timed_fault_spec(load_fault(name).OPTIONS)
        spec.pop("state")  # the command says it: inject or revert
        specs[name] = {"options": spec}
    _dump({"faults": specs})
    return 0


COMMANDS = {"inject": _inject, "revert": _revert, "status": _status, "list": _list}


def main(argv: list | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        sys.stderr.write(USAGE)
        return EXIT_USAGE
    try:
        return COMMANDS[argv[0]](argv[1:])
    except FaultError as e:
        _dump(dict(e.details, failed=True, msg=str(e)))
        sys.stderr.write(f"error: {e}\n")
        return EXIT_FAILED
