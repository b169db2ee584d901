#!/usr/bin/env python3
"""iam-policy fidelity: the permissions AWS's own role policies grant, per template of AWS's library.

    .venv/bin/python bench/bench_iam_coverage.py [--library DIR] [--verbose]

For every experiment template of aws-samples/fis-template-library, compares the actions of the FIS
role policy AWS ships beside it with the actions of ``chaos-pulumi iam-policy`` for the template,
and prints: the share of AWS's actions ours grants (raw), the share of the ones the role needs
(AWS's minus those the role provably does not use, each with the reason below), what ours grants
that AWS's does not (the "broader" column), and whether any statement has ``Action: *``.

The library is not part of this repository: give a checkout or git directory with ``--library`` or
``$FIS_TEMPLATE_LIBRARY`` (the search tool's ``fetch`` puts one in /work/.mirror). Without it the
benchmark is skipped. Also run by ``bench/run.py`` (``collect``). Nothing here measures time.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from chaos_pulumi.spec import TemplateSpec, catalog  # noqa: E402
from chaos_pulumi.spec.iam import iam_policy  # noqa: E402

DEFAULT_LIBRARY = Path("/work/.mirror/aws-samples+fis-template-library/repo")
ACCOUNT = "123456789012"

# Actions in AWS's sample role policies that the experiment role does not use, and why.
NOT_THE_ROLES = {
    "fis:StartExperiment": "starting a run is the caller's permission; FIS never calls it as the role",
    "fis:StopExperiment": "stopping a run is the caller's permission",
    "fis:GetExperimentResults": "not a FIS API operation",
    "fis:GetExperimentSummary": "not a FIS API operation",
    "cloudwatch:DescribeAlarms": "stop conditions are watched by FIS's service-linked role, not this one",
}
# FIS delivers experiment logs to CloudWatch Logs through vended log delivery: it needs these four
# (FIS user guide, "Experiment logging") and never writes log streams itself.
VENDED_LOGS = {
    "logs:CreateLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:PutResourcePolicy",
}
# The lifecycle of an SSM command: only needed where the role sends one.
COMMAND_LIFECYCLE = {
    "ssm:ListCommands",
    "ssm:ListCommandInvocations",
    "ssm:GetCommandInvocation",
    "ssm:CancelCommand",
    "ssm:DescribeInstanceInformation",
}
_READ_ONLY = ("Describe", "List", "Get")
STREAM_LOGS = {
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "logs:DescribeLogStreams",
    "logs:DeleteLogDelivery",
}


class LibraryMissing(Exception):
    pass


def _git_dir(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def library_files(library: Path) -> dict[str, str]:
    """path -> text of every JSON file in the library (a checkout or a bare git directory)."""
    if _git_dir(library):
        names = subprocess.run(
            ["git", "--git-dir", str(library), "ls-tree", "-r", "--name-only", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        return {
            n: subprocess.run(
                ["git", "--git-dir", str(library), "show", f"HEAD:{n}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for n in names
            if n.endswith(".json")
        }
    if library.is_dir():
        return {str(p.relative_to(library)): p.read_text() for p in library.rglob("*.json")}
    raise LibraryMissing(f"{library}: no checkout or git directory of aws-samples/fis-template-library")


def _actions(policy: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for stmt in policy.get("Statement", []):
        if stmt.get("Effect") != "Allow":
            continue
        action = stmt.get("Action", [])
        found.update([action] if isinstance(action, str) else action)
    return found


def _covered(action: str, ours: set[str]) -> bool:
    return any(fnmatch.fnmatchcase(action, pattern) for pattern in ours)


@dataclass
class Comparison:
    name: str
    aws: set[str]
    ours: set[str]
    not_needed: dict[str, str] = field(default_factory=dict)
    action_star: bool = False

    @property
    def needed(self) -> set[str]:
        return {a for a in self.aws if a not in self.not_needed}

    @property
    def missing(self) -> list[str]:
        return sorted(a for a in self.needed if not _covered(a, self.ours))

    @property
    def broader(self) -> list[str]:
        return sorted(a for a in self.ours if a not in self.aws)


def _injecting_permissions() -> dict[str, set[str]]:
    """Permission -> the FIS actions that inject with it (scoped or special, never describe/list)."""
    out: dict[str, set[str]] = {}
    for action in catalog().actions.values():
        perms = action.permissions
        for permission in (*perms.scoped, *(s.action for s in perms.special)):
            if not permission.split(":")[-1].startswith(_READ_ONLY):
                out.setdefault(permission, set()).add(action.id)
    return out


def _passes_automation_role(spec: TemplateSpec) -> bool:
    for action in spec.actions.values():
        if action.action_id == "aws:ssm:start-automation-execution":
            try:
                params = json.loads(action.parameters.get("documentParameters") or "{}")
            except ValueError:
                continue
            if isinstance(params, dict) and params.get("AutomationAssumeRole"):
                return True
    return False


def compare_library(files: dict[str, str]) -> list[Comparison]:
    by_dir: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name, text in files.items():
        folder, _, base = name.rpartition("/")
        kind = None
        if "template" in base and "ssm-template" not in base:
            kind = "templates"
        elif "policy" in base and "trust" not in base:
            kind = "runbook_policies" if "ssm" in base else "policies"
        if kind:
            group = by_dir.setdefault(folder, {"templates": [], "policies": [], "runbook_policies": []})
            group[kind].append(json.loads(text))
    injecting = _injecting_permissions()
    out = []
    for folder in sorted(by_dir):
        group = by_dir[folder]
        if not group["templates"] or not group["policies"]:
            continue
        aws = set().union(*(_actions(p) for p in group["policies"]))
        runbook = set().union(*(_actions(p) for p in group["runbook_policies"]))
        ours: set[str] = set()
        used: set[str] = set()
        star = False
        logs = False
        own_runbook_role = False
        for data in group["templates"]:
            data = {**data, "roleArn": f"arn:aws:iam::{ACCOUNT}:role/fis-experiments"}
            spec = TemplateSpec.from_dict(data)
            logs = logs or spec.log_configuration is not None
            used |= {a.action_id for a in spec.actions.values()}
            own_runbook_role = own_runbook_role or _passes_automation_role(spec)
            policy = iam_policy(spec)
            star = star or any(s["Action"] == "*" or "*" in s["Action"] for s in policy["Statement"])
            ours |= _actions(policy)
        # What the FIS reference lists for the actions the template runs is never ruled out.
        listed = {
            p
            for action_id in used
            if (spec_ := catalog().actions.get(action_id)) is not None
            for p in (*spec_.permissions.all_actions, *spec_.permissions.optional)
        }
        not_needed = {a: NOT_THE_ROLES[a] for a in aws if a in NOT_THE_ROLES}
        for a in aws:
            if a in injecting and not injecting[a] & used:
                not_needed[a] = (
                    f"injects for {', '.join(sorted(injecting[a]))}, which the template does not run"
                )
            elif own_runbook_role and a in runbook and a not in listed:
                not_needed[a] = (
                    "the runbook runs as its AutomationAssumeRole, whose policy AWS ships beside it"
                )
        if "ssm:SendCommand" in not_needed or "ssm:SendCommand" not in aws | ours:
            for a in aws & COMMAND_LIFECYCLE:
                not_needed.setdefault(a, "the lifecycle of an SSM command the template does not send")
        for a in aws & (STREAM_LOGS | VENDED_LOGS):
            if not logs:
                not_needed[a] = "the template sends no experiment logs"
            elif a in STREAM_LOGS:
                not_needed[a] = "FIS delivers logs through vended delivery, it writes no log streams"
        out.append(Comparison(folder, aws, ours, not_needed, star))
    return out


def report(rows: list[Comparison], verbose: bool = False) -> tuple[str, dict[str, float]]:
    lines = [
        "| template | AWS grants | needed | ours covers | missing | ours also grants |",
        "|---|---|---|---|---|---|",
    ]
    tot_aws = tot_needed = cov_aws = cov_needed = 0
    for r in rows:
        covered_aws = sum(_covered(a, r.ours) for a in r.aws)
        covered_needed = sum(_covered(a, r.ours) for a in r.needed)
        tot_aws += len(r.aws)
        tot_needed += len(r.needed)
        cov_aws += covered_aws
        cov_needed += covered_needed
        lines.append(
            f"| {r.name} | {len(r.aws)} | {len(r.needed)} | {covered_needed}/{len(r.needed)} | "
            f"{', '.join(r.missing) or '-'} | {', '.join(r.broader) if verbose else len(r.broader)} |"
        )
    figures = {
        "templates": float(len(rows)),
        "raw_coverage": cov_aws / tot_aws if tot_aws else 0.0,
        "needed_coverage": cov_needed / tot_needed if tot_needed else 0.0,
        "action_star": float(any(r.action_star for r in rows)),
    }
    lines.append("")
    lines.append(
        f"{len(rows)} templates: ours grants {cov_aws}/{tot_aws} of AWS's actions "
        f"({figures['raw_coverage']:.1%}), {cov_needed}/{tot_needed} of those the role needs "
        f"({figures['needed_coverage']:.1%}); Action '*' anywhere: "
        + ("YES" if figures["action_star"] else "no")
    )
    reasons: dict[str, set[str]] = {}
    for r in rows:
        for a, why in r.not_needed.items():
            reasons.setdefault(f"{a}: {why}", set()).add(r.name)
    if reasons:
        lines.append("")
        lines.append("Granted by AWS, not needed by the role:")
        lines += [f"- {k} ({len(v)} templates)" for k, v in sorted(reasons.items())]
    return "\n".join(lines), figures


def library_path(given: str | None) -> Path:
    return Path(given or os.environ.get("FIS_TEMPLATE_LIBRARY") or DEFAULT_LIBRARY)


def collect(ctx: Any) -> list[Any]:
    from bench.common import BenchSkipped, Row, Stats

    try:
        files = library_files(library_path(None))
    except LibraryMissing as e:
        raise BenchSkipped(f"{e}; fetch it and set FIS_TEMPLATE_LIBRARY") from e
    text, figures = report(compare_library(files))
    ctx.log(text)
    case = f"aws-samples/fis-template-library, {figures['templates']:.0f} templates"
    # The baseline is AWS's own role policy, which covers itself: the ratio is our coverage.
    return [
        Row(
            case,
            metric,
            "%",
            Stats.of([value * 100]),
            Stats.of([100.0]),
            "AWS's role policy",
            better="higher",
        )
        for metric, value in (
            ("actions the role needs, granted", figures["needed_coverage"]),
            ("all of AWS's actions, granted", figures["raw_coverage"]),
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--library", help="checkout or git dir of aws-samples/fis-template-library")
    parser.add_argument("--verbose", action="store_true", help="list what ours grants beyond AWS's")
    args = parser.parse_args()
    try:
        files = library_files(library_path(args.library))
    except LibraryMissing as e:
        print(f"skipped: {e}")
        return 0
    text, _ = report(compare_library(files), verbose=args.verbose)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
