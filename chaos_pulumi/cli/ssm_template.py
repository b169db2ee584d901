"""`chaos-pulumi ssm-template FAULT --target-tag K=V --duration S --role-arn ARN ... [-o FILE]`.

The FIS experiment template whose `aws:ssm:send-command` action sends fault FAULT's SSM document (the one
`ssm-document FAULT` prints) to running EC2 instances with these tags: the template `HostFault` makes,
from the same builder (`chaos_pulumi.fleet.experiment`). It is checked like `validate` checks a file,
validator and guardrail policy, before it is written: a template with an error is never written (exit 1).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any, TextIO

import yaml

from chaos_pulumi.fleet.experiment import TARGET, argument_of, document_arn_of, host_fault_template
from chaos_pulumi.fleet.parameters import FIS_MAX_DURATION, MAX_DURATION
from chaos_pulumi.fleet.runtime import RuntimeUnavailable
from chaos_pulumi.fleet.ssm_document import build_document, document_name
from chaos_pulumi.spec import Problem, TemplateSpec, has_errors, validate

from . import policy as policy_cli
from .common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, Console, UsageError, counts, print_problems

# The builder's arguments (see fleet.experiment.argument_of) as this command's options.
OPTIONS = {
    "stop_conditions": "--stop-condition or --waiver",
    "selection_mode": "--selection-mode",
    "target_tags": "--target-tag",
    "duration": "--duration",
    "parameters": "--param",
    "document_arn": "--document-arn",
    "document_name": "--document-name",
    "role_arn": "--role-arn",
    "log_configuration": "--log-group-arn",
    "description": "--description",
    "waiver": "--waiver",
    "fault": "FAULT",
    "max_duration": "--max-duration",
    "region": "--region",
    "account": "--account",
}
_REGION_ENV = ("AWS_REGION", "AWS_DEFAULT_REGION")


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(
        "ssm-template",
        help="the FIS template that runs a host fault's SSM document on EC2 instances chosen by tags",
        description="Print (or write) the FIS experiment template that sends host fault FAULT's SSM document "
        "(ssm-document FAULT) to running EC2 instances with the given tags. It is validated and checked "
        "against the guardrail policy first; nothing is written when it fails.",
    )
    s.add_argument("fault", metavar="FAULT", help="a timed host fault, e.g. cpu_stress (ssm-document --list)")
    where = s.add_argument_group("targets and run")
    where.add_argument("--target-tag", action="append", default=[], metavar="KEY=VALUE", required=True,
                       help="instances to hit: every tag must match (repeat for more tags)")
    where.add_argument("--selection-mode", default="COUNT(1)", metavar="MODE",
                       help="how many matching instances: COUNT(n) or PERCENT(p) (default COUNT(1))")
    where.add_argument("--duration", type=int, required=True, metavar="S",
                       help="the fault's duration in seconds (the FIS action lasts a minute longer)")
    where.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE",
                       help="a document parameter, e.g. load=80 or stopOnUrl=http://127.0.0.1:8080/health "
                       "(names: ssm-document --list)")
    doc = s.add_argument_group("the document (registered from `ssm-document FAULT`)")
    doc.add_argument("--document-arn", metavar="ARN", help="its ARN; or give --account (and --region)")
    doc.add_argument("--account", metavar="ID", help="the AWS account that owns the document")
    doc.add_argument("--region", metavar="REGION",
                     help="its Region (default: $AWS_REGION, else $AWS_DEFAULT_REGION)")
    doc.add_argument("--document-name", metavar="NAME", help="its name (default ChaosFaults-FAULT)")
    doc.add_argument("--max-duration", type=int, default=MAX_DURATION, metavar="S",
                     help=f"the --max-duration it was generated with (default {MAX_DURATION}, at most "
                     f"{FIS_MAX_DURATION})")
    safety = s.add_argument_group("safety")
    safety.add_argument("--role-arn", required=True, metavar="ARN",
                        help="the IAM role FIS assumes (`iam-policy FILE` gives its permissions)")
    safety.add_argument("--stop-condition", action="append", default=[], metavar="ALARM_ARN",
                        help="a CloudWatch alarm that stops the experiment (repeat for more)")
    safety.add_argument("--waiver", metavar="TEXT",
                        help="waive guardrail rules visibly (the policy's waiver tag): the reason to run "
                        "without --stop-condition, or '<rule>[, <rule>]: <reason>'")
    policy_cli.add_policy_options(safety)
    out = s.add_argument_group("output")
    out.add_argument("--description", metavar="TEXT", help="the template's description")
    out.add_argument("--template-tag", action="append", default=[], metavar="KEY=VALUE",
                     help="a tag on the template itself, e.g. team=sre (repeat for more)")
    out.add_argument("--log-group-arn", metavar="ARN", help="CloudWatch Logs group for the experiment log")
    out.add_argument("--output", "-o", default="-",
                     help="file to write (.yaml, .yml or .json); '-' (default) for stdout")
    s.set_defaults(run=run)


def _pairs(option: str, values: list[str], example: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} {item!r}: write KEY=VALUE, e.g. {example}")
        if key.strip() in out:
            raise UsageError(f"{option} {key.strip()}: given twice")
        out[key.strip()] = value
    return out


def _option(field: str) -> str:
    """The option behind a builder argument (``parameters.load`` -> ``--param load``)."""
    head, _, rest = field.partition(".")
    if head == "tags":
        return f"--template-tag {rest}" if rest else "--template-tag"
    option = OPTIONS.get(head, head)
    return f"{option} {rest}" if rest else option


def _document_arn(args: argparse.Namespace) -> str:
    name = args.document_name or document_name(args.fault)
    if args.document_arn:
        if args.account or args.region or args.document_name:
            raise UsageError("give either --document-arn or --account/--region/--document-name, not both")
        return args.document_arn
    region = args.region or next((os.environ[v] for v in _REGION_ENV if os.environ.get(v)), None)
    if not args.account or not region:
        raise UsageError("name the document: --document-arn ARN, or --account ID with --region REGION "
                         "(or $AWS_REGION)")
    return document_arn_of(name, region=region, account=args.account)


def _build(args: argparse.Namespace, waiver_tag: str) -> dict[str, Any]:
    doc = build_document(args.fault, args.max_duration)
    log = None
    if args.log_group_arn:
        log = {"cloudWatchLogsConfiguration": {"logGroupArn": args.log_group_arn}, "logSchemaVersion": 2}
    return host_fault_template(
        doc,
        document_arn=_document_arn(args),
        duration=args.duration,
        target_tags=_pairs("--target-tag", args.target_tag, "app=web"),
        role_arn=args.role_arn,
        parameters=_pairs("--param", args.param, "load=80"),
        selection_mode=args.selection_mode,
        stop_conditions=args.stop_condition,
        description=args.description,
        tags=_pairs("--template-tag", args.template_tag, "team=sre"),
        waiver=args.waiver,
        waiver_tag=waiver_tag,
        log_configuration=log,
    )


def run(args: argparse.Namespace, console: Console) -> int:
    err = console.err
    guard = policy_cli.PolicyResolver(args.policy, args.role_trust_policy)
    # The policy of the directory the file goes to (stdout: here), as `validate` of that file finds it.
    choice = guard.choice(Path.cwd() / "-" if args.output == "-" else Path(args.output))
    if not choice.ok or choice.policy is None:
        policy_cli.print_policy_problems(choice, err)
        return EXIT_USAGE
    policy = choice.policy
    try:
        template = _build(args, policy.waiver_tag)
    except (ValueError, RuntimeUnavailable) as e:
        field, sep, message = str(e).partition(": ")
        text = f"{_option(field)}: {message}" if sep and " " not in field else str(e)
        err.write(f"chaos-pulumi: error: {text}\n")
        return EXIT_INVALID
    problems = validate(template, console.catalog)
    result = None
    if not has_errors(problems):
        result = policy_cli.check(TemplateSpec.from_dict(template), choice, guard)
        problems = [*problems, *result.problems]
    print(policy_cli.policy_line([choice]), file=err)
    if has_errors(problems):
        print(f"{args.fault} template: INVALID ({counts(problems)}); nothing written:", file=err)
        _print_with_options(problems, err, policy.waiver_tag)
        return EXIT_INVALID
    if problems:
        print(f"{args.fault} template: valid ({counts(problems)})", file=err)
        _print_with_options(problems, err, policy.waiver_tag)
    for line in policy_cli.waiver_lines(result) if result is not None else ():
        print(line, file=err)
    if args.output.endswith(".json"):
        text = json.dumps(template, indent=2) + "\n"
    else:
        text = yaml.safe_dump(template, sort_keys=False, width=110)
    if args.output == "-":
        console.out.write(text)
        return EXIT_OK
    Path(args.output).write_text(text, encoding="utf-8")
    [action] = template["actions"].values()
    tags = ", ".join(f"{k}={v}" for k, v in template["targets"][TARGET]["resourceTags"].items())
    print(f"wrote {args.output}: {args.fault} for {args.duration}s on {args.selection_mode} of the running "
          f"instances tagged {tags}, sending {action['parameters']['documentArn']}", file=err)
    return EXIT_OK


def _print_with_options(problems: list[Problem], out: TextIO, waiver_tag: str) -> None:
    """The problems as `validate` prints them, each followed by the option that sets its field."""
    for p in sorted(problems, key=lambda p: p.severity != "error"):
        print_problems([p], out)
        argument = argument_of(p.path, waiver_tag)
        if argument:
            print(f"          (set by {_option(argument)})", file=out)
