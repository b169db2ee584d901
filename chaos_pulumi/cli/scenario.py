"""`chaos-pulumi scenario list | show NAME | render NAME --param k=v ... [-o FILE]`: the FIS scenario library.

`render` prints (or writes) the experiment template the FIS console makes from the same shared
parameters; every problem with a parameter is reported with its field and fix, and nothing is written.
On stderr it shows the validator's findings and the safe defaults' verdict: what the template's
waiver waives (the scenario's design, the user's ``waiver``) and any rule it still breaks.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TextIO

import yaml

from chaos_pulumi.spec import validate
from chaos_pulumi.spec.guardrails import evaluate, safe_defaults
from chaos_pulumi.spec.scenario_params import ScenarioError, describe_parameter, scenario_declarations
from chaos_pulumi.spec.scenarios import render_scenario

from .common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, Console
from .policy import waiver_lines


def register(sub: argparse._SubParsersAction) -> None:
    """Register `scenario` and its subcommands on the CLI's subparsers."""
    s = sub.add_parser("scenario", help="the FIS scenario library: list, show, render a template")
    s.set_defaults(run=run)
    ssub = s.add_subparsers(dest="scenario_command", metavar="SUBCOMMAND")
    ssub.required = True
    ssub.add_parser("list", help="the scenarios and what they do")
    show = ssub.add_parser("show", help="a scenario's parameters, sub-actions, opt-in tags and source")
    show.add_argument("name", metavar="NAME")
    render = ssub.add_parser("render", help="the experiment template for these shared parameters")
    render.add_argument("name", metavar="NAME")
    render.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a shared parameter; lists as a,b or [a, b], maps as {k: v}",
    )
    render.add_argument("--output", "-o", default="-", help="file to write (.yaml or .json); '-' for stdout")


def parse_params(pairs: list[str]) -> dict[str, str]:
    """`k=v` pairs -> a mapping (values stay text; the scenario's declarations type them)."""
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--param {pair!r}: write KEY=VALUE, e.g. availability_zone=us-east-1a")
        params[key.strip()] = value
    return params


def _show(name: str, out: TextIO) -> None:
    decl = scenario_declarations()[name]
    out.write(f"{decl.name}: {decl.title}\n\n{decl.summary}\n\n")
    out.write(f"Source: {decl.url} (read {decl.read}; verified against the page's {decl.verified})\n")
    for lead in decl.leads:
        out.write(f"  also: {lead}\n")
    out.write("\nParameters:\n")
    for p in decl.parameters.values():
        out.write(f"  {describe_parameter(p)}\n")
    out.write("\nSub-actions (include=...; default ones marked *):\n")
    for s in decl.sub_actions.values():
        tag = f" [tag value {s.tag_value}]" if s.tag_value else ""
        tag = tag or "".join(f" [tag {k}={v}]" for k, v in s.tag.items())
        out.write(f"  {'*' if s.default else ' '} {s.key}: {s.help}{tag}\n")
    out.write("\nLimits:\n" + "".join(f"  - {line}\n" for line in decl.limits))
    if decl.content_differs:
        out.write("\nWhere the page's JSON and prose differ:\n")
        out.write("".join(f"  - {line}\n" for line in decl.content_differs))


def run(args: argparse.Namespace, console: Console) -> int:
    out, err = console.out, console.err
    decls = scenario_declarations()
    command = args.scenario_command
    if command == "list":
        for decl in decls.values():
            out.write(f"{decl.name:28} {decl.title}\n")
        return EXIT_OK
    if args.name not in decls:
        err.write(
            f"chaos-pulumi: error: unknown scenario '{args.name}'; the library has: {', '.join(decls)}\n"
        )
        return EXIT_USAGE
    if command == "show":
        _show(args.name, out)
        return EXIT_OK
    try:
        rendered = render_scenario(args.name, parse_params(args.param))
    except ValueError as e:
        problems = e.problems if isinstance(e, ScenarioError) else None
        lines = [f"  error   {p}" for p in problems] if problems else [f"  error   {e}"]
        err.write(f"{args.name}: cannot render\n" + "\n".join(lines) + "\n")
        return EXIT_INVALID
    data = rendered.to_dict()
    for problem in validate(data, console.catalog):
        err.write(f"  {problem.severity:7} {problem}\n")
    guardrails = evaluate(rendered.spec, safe_defaults(), cat=console.catalog)
    for p in guardrails.problems:
        err.write(f"  {p.severity:7} {p.path}: [{p.rule}] {p.message} (safe defaults)\n")
    for line in waiver_lines(guardrails):
        err.write(line + "\n")
    for key, why in rendered.left_out.items():
        err.write(f"  note    {key} left out: {why}\n")
    if args.output.endswith(".json"):
        text = json.dumps(data, indent=2) + "\n"
    else:
        text = yaml.safe_dump(data, sort_keys=False, width=110)
    if args.output == "-":
        out.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        err.write(f"wrote {args.output}: {len(rendered.actions)} actions ({', '.join(rendered.actions)})\n")
    return EXIT_OK
