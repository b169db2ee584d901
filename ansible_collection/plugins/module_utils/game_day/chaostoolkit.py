# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""journal-chaostoolkit.json: the journal in Chaos Toolkit's own format, for its tools.

Every activity gets a provider Chaos Toolkit knows: an HTTP probe is an `http` provider, a command
probe a `process` provider, and a fault or a revert the `ansible` command that runs the same module
with the same arguments (`ansible <host> -m chaos.faults.<fault> -a '<json>'`). What Chaos Toolkit has
no key for (hosts, fault windows, events, reasons, mode, notes) goes into the experiment's
`extensions`, where Chaos Toolkit keeps tool-specific data.
"""

from __future__ import annotations

import json
from typing import Any

CHAOSTOOLKIT_JOURNAL = "journal-chaostoolkit.json"
EXTENSION = "chaos.faults"
# chaos.faults.probe's defaults, for probe definitions that leave them out
PROBE_DEFAULTS = {"method": "GET", "status": [200], "timeout": 2, "validate_certs": True}


def _tolerance(statuses: list[int]) -> int | list[int]:
    return statuses[0] if len(statuses) == 1 else list(statuses)


def probe_activity(activity: dict[str, Any]) -> dict[str, Any]:
    """A chaos.faults.probe activity as a Chaos Toolkit probe (http or process provider)."""
    spec = dict(PROBE_DEFAULTS, **(activity["provider"].get("arguments") or {}))
    out = {"type": "probe", "name": activity["name"]}
    if spec.get("url"):
        statuses = spec["status"] if isinstance(spec["status"], list) else [spec["status"]]
        out["tolerance"] = _tolerance([int(s) for s in statuses])
        out["provider"] = {
            "type": "http",
            "url": spec["url"],
            "method": spec["method"],
            "timeout": spec["timeout"],
            "verify_tls": bool(spec["validate_certs"]),
        }
    else:
        command = spec.get("command") or ["true"]
        argv = [str(a) for a in command] if isinstance(command, list) else str(command).split()
        out["tolerance"] = 0
        out["provider"] = {
            "type": "process",
            "path": argv[0],
            "arguments": argv[1:],
            "timeout": spec["timeout"],
        }
    return out


def ansible_activity(activity: dict[str, Any], hosts: str) -> dict[str, Any]:
    """A fault or revert (an Ansible module run) as the `ansible` ad-hoc command that runs it."""
    provider = activity["provider"]
    return {
        "type": "action",
        "name": activity["name"],
        "provider": {
            "type": "process",
            "path": "ansible",
            "arguments": [
                hosts,
                "-m",
                provider["module"],
                "-a",
                json.dumps(provider.get("arguments") or {}, sort_keys=True, default=str),
            ],
        },
    }


def _activity(activity: dict[str, Any], hosts: str) -> dict[str, Any]:
    return probe_activity(activity) if activity["type"] == "probe" else ansible_activity(activity, hosts)


def _run(entry: dict[str, Any], hosts: str) -> dict[str, Any]:
    """One activity run of our journal as a Chaos Toolkit activity run."""
    out = {
        "activity": _activity(entry["activity"], str(entry.get("host") or hosts)),
        "output": entry.get("output"),
        "start": entry["start"],
        "end": entry["end"],
        "duration": entry["duration"],
        "status": entry["status"],
    }
    if "tolerance_met" in entry:
        out["tolerance_met"] = entry["tolerance_met"]
    if entry.get("exception"):
        out["exception"] = list(entry["exception"])
    return out


def _steady_state(state: dict[str, Any] | None, hosts: str) -> dict[str, Any] | None:
    if state is None:
        return None
    return {
        "steady_state_met": state["steady_state_met"],
        "probes": [_run(p, hosts) for p in state["probes"]],
    }


def chaostoolkit_journal(journal: dict[str, Any]) -> dict[str, Any]:
    """Chaos Toolkit's run journal of a game day journal."""
    exp = journal["experiment"]
    hosts = ",".join(journal["hosts"]) or "localhost"
    ss = journal["steady_states"]
    return {
        "chaoslib-version": None,
        "platform": journal["platform"],
        "node": journal["node"],
        "experiment": {
            "version": exp["version"],
            "title": exp["title"],
            # Chaos Toolkit requires a description
            "description": exp["description"] or exp["title"],
            "tags": exp["tags"],
            "steady-state-hypothesis": {
                "title": exp["steady-state-hypothesis"]["title"],
                "probes": [probe_activity(p) for p in exp["steady-state-hypothesis"]["probes"]],
            },
            "method": [ansible_activity(a, hosts) for a in exp["method"]],
            "rollbacks": [ansible_activity(a, hosts) for a in exp["rollbacks"]],
            "extensions": [
                {
                    "name": EXTENSION,
                    "generator": journal["generator"],
                    "mode": journal["mode"],
                    "hosts": journal["hosts"],
                    "reasons": journal["reasons"],
                    "faults": journal["faults"],
                    "stopped_early": journal["stopped_early"],
                    "notes": journal["notes"],
                    "events": journal["events"],
                }
            ],
        },
        "start": journal["start"],
        "end": journal["end"],
        "duration": journal["duration"],
        "status": journal["status"],
        "deviated": journal["deviated"],
        "steady_states": {
            "before": _steady_state(ss["before"], hosts),
            "after": _steady_state(ss["after"], hosts),
            "during": [_steady_state(d, hosts) for d in ss["during"]],
        },
        "run": [_run(r, hosts) for r in journal["run"]],
        "rollbacks": [_run(r, hosts) for r in journal["rollbacks"]],
    }
