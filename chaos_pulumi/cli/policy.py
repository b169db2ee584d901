"""The guardrails in the ``chaos-pulumi`` CLI: the options validate/explain share, and two commands.

- ``validate`` / ``explain`` take ``--policy FILE|safe-defaults|none`` and ``--role-trust-policy FILE``
  (:func:`add_policy_options`); :class:`PolicyResolver` finds the policy per template directory and
  :func:`check` evaluates it.
- ``chaos-pulumi policy-pack`` prints the CrossGuard pack's directory (:func:`cmd_policy_pack`).
- ``chaos-pulumi policy show [PATH]`` prints the policy that applies there and why (:func:`cmd_policy_show`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path
from typing import Any, TextIO

from chaos_pulumi.policy_pack import PACK_DIR
from chaos_pulumi.spec import TemplateSpec
from chaos_pulumi.spec.guardrails import (
    NO_POLICY,
    POLICY_ENV,
    PROJECT_CONFIG,
    RULES,
    SAFE_DEFAULTS,
    Evaluation,
    PolicyChoice,
    evaluate,
    resolve_policy,
    safe_defaults_text,
)

from .common import EXIT_OK, EXIT_USAGE, UsageError


class PolicyUsageError(UsageError):
    """A policy or trust-policy setting that cannot be used (the CLI exits 2 with this message)."""


def add_policy_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy",
        metavar="FILE",
        help=f"guardrail policy: a YAML file, {SAFE_DEFAULTS} or {NO_POLICY} (default: ${POLICY_ENV}, "
        f"else the `policy` of the nearest {PROJECT_CONFIG}, else {SAFE_DEFAULTS})",
    )
    parser.add_argument(
        "--role-trust-policy",
        metavar="FILE",
        help="the experiment role's trust policy (JSON), so that the role_trust rule can check it",
    )


class PolicyResolver:
    """The policy for each template, resolved once per directory (a repo may hold several projects)."""

    def __init__(self, explicit: str | None, role_trust_policy: str | None = None) -> None:
        self.explicit = explicit
        self._choices: dict[Path, PolicyChoice] = {}
        self.trust = _read_trust_policy(role_trust_policy) if role_trust_policy else None

    def choice(self, template: Path) -> PolicyChoice:
        directory = template.absolute().parent
        if directory not in self._choices:
            self._choices[directory] = resolve_policy(self.explicit, start=directory)
        return self._choices[directory]

    def broken(self) -> list[PolicyChoice]:
        return [c for c in self._choices.values() if not c.ok]


def _read_trust_policy(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyUsageError(f"--role-trust-policy {path}: no such file") from None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise PolicyUsageError(f"--role-trust-policy {path}: not a JSON document ({e})") from None


def check(spec: TemplateSpec, choice: PolicyChoice, resolver: PolicyResolver) -> Evaluation:
    assert choice.policy is not None
    return evaluate(spec, choice.policy, role_trust_policy=resolver.trust)


def print_policy_problems(choice: PolicyChoice, out: TextIO) -> None:
    """A policy that cannot be used, with every problem (the command then exits 2: fail closed)."""
    where = f" (named in {choice.config_file})" if choice.config_file else ""
    print(f"guardrail policy{where}: cannot be used, nothing is checked until it is fixed:", file=out)
    for p in choice.problems:
        print(f"  {p.severity:<7} {p.path or '(policy)'}: {p.message}", file=out)


def waiver_lines(evaluation: Evaluation) -> list[str]:
    """One line per waived rule, for validate's text output."""
    waiver = evaluation.waiver
    if waiver is None:
        return []
    return [
        f"  waived  {v.rule} (tag {waiver.tag}): {waiver.reason}"
        for v in evaluation.verdicts
        if v.status == "waived"
    ]


def waivers_json(evaluation: Evaluation) -> list[dict[str, str]]:
    waiver = evaluation.waiver
    if waiver is None:
        return []
    return [
        {"rule": v.rule, "tag": waiver.tag, "reason": waiver.reason, "paths": [f.path for f in v.findings]}
        for v in evaluation.verdicts
        if v.status == "waived"
    ]


def policy_line(choices: list[PolicyChoice]) -> str:
    described = sorted({c.policy.describe() for c in choices if c.policy is not None})
    return "policy: " + "; ".join(described) if described else ""


def cmd_policy_pack(out: TextIO, err: TextIO) -> int:
    """Print the pack's directory: ``pulumi preview --policy-pack "$(chaos-pulumi policy-pack)"``."""
    print(PACK_DIR, file=out)
    if importlib.util.find_spec("pulumi_policy") is None:
        print(
            "chaos-pulumi: warning: pulumi-policy is not installed in this Python; the pack needs it "
            "(pip install 'chaos-pulumi[policy]')",
            file=err,
        )
    return EXIT_OK


def cmd_policy_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Which policy applies to PATH (default: here), why, and what each rule requires."""
    if getattr(args, "defaults", False):
        out.write(safe_defaults_text())
        return EXIT_OK
    start = Path(args.path) if args.path else Path.cwd()
    choice = resolve_policy(args.policy, start=start)
    if not choice.ok:
        print_policy_problems(choice, err)
        return EXIT_USAGE
    policy = choice.policy
    assert policy is not None
    print(f"policy: {policy.describe()}", file=out)
    if not policy.enabled:
        return EXIT_OK
    print(f"waiver tag: {policy.waiver_tag}", file=out)
    for rule_id in RULES:
        config = policy.rules.get(rule_id)
        if config is None:
            print(f"  {rule_id:<24} off", file=out)
        else:
            extra = "" if config.waivable else ", not waivable"
            print(f"  {rule_id:<24} {config.level}{extra}: {config.requirement()}", file=out)
    for p in choice.problems:
        print(f"  {p.severity:<7} {p.path or '(policy)'}: {p.message}", file=err)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """``policy-pack`` and ``policy show`` on the CLI's subparsers."""
    pack = sub.add_parser("policy-pack", help="print the directory of the Pulumi CrossGuard policy pack")
    pack.set_defaults(run=lambda _args, console: cmd_policy_pack(console.out, console.err))
    p = sub.add_parser("policy", help="the guardrail policy: which applies, and its rules")
    psub = p.add_subparsers(dest="policy_command", metavar="SUBCOMMAND")
    psub.required = True
    show = psub.add_parser("show", help="the policy that applies to PATH (default: here) and why")
    show.add_argument("path", metavar="PATH", nargs="?")
    show.add_argument("--policy", metavar="FILE", help=f"a policy file, {SAFE_DEFAULTS} or {NO_POLICY}")
    show.add_argument("--defaults", action="store_true", help=f"print the built-in {SAFE_DEFAULTS} document")
    show.set_defaults(run=lambda args, console: cmd_policy_show(args, console.out, console.err))
