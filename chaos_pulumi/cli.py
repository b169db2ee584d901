"""`chaos-pulumi`: review experiment templates before anything is applied.

chaos-pulumi validate PATH... [--format text|json] [--policy FILE|none]   exit 0 valid, 1 errors, 2 usage
chaos-pulumi explain PATH [--policy FILE|none]       Markdown for a pull request
chaos-pulumi iam-policy PATH [--trust-policy]        least-privilege policy for the role
chaos-pulumi catalog list | refresh                  the FIS action catalog
chaos-pulumi policy-pack | policy show [PATH]        the guardrails: CrossGuard pack, policy in force
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from chaos_pulumi import __version__, policy_cli
from chaos_pulumi.spec import LoadResult, Problem, catalog, has_errors, load_file
from chaos_pulumi.spec.catalog import CATALOG_ENV
from chaos_pulumi.spec.explain import explain
from chaos_pulumi.spec.iam import TRUST_POLICY, iam_policy

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json")


class UsageError(Exception):
    pass


def _expand(paths: Sequence[str]) -> list[Path]:
    """Files as given; directories expand to the templates directly inside them."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.is_file() and f.suffix in TEMPLATE_SUFFIXES)
            if not found:
                raise UsageError(f"{p}: no .yaml, .yml or .json files in this directory")
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise UsageError(f"{p}: no such file or directory")
    return out


def _counts(problems: list[Problem]) -> str:
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts)


def _print_problems(result_file: str, problems: list[Problem], out: TextIO) -> None:
    for p in problems:
        where = p.path or "(file)"
        rule = f"[{p.rule}] " if p.rule else ""
        print(f"  {p.severity:<7} {where}: {rule}{p.message}", file=out)


def cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    files = _expand(args.paths)
    guard = policy_cli.PolicyResolver(args.policy, args.role_trust_policy)
    choices = {f: guard.choice(f) for f in files}
    if guard.broken():
        for choice in guard.broken():
            policy_cli.print_policy_problems(choice, out)
        return EXIT_USAGE
    results: list[tuple[Path, LoadResult]] = [(f, load_file(f)) for f in files]
    evaluations = {}
    for f, r in results:
        if r.spec is not None and not has_errors(r.problems):
            evaluations[f] = policy_cli.check(r.spec, choices[f], guard)
            r.problems = [*r.problems, *evaluations[f].problems]
    if args.format == "json":
        doc = []
        for f, r in results:
            entry: dict = {
                "file": str(f),
                "valid": r.spec is not None and not has_errors(r.problems),
                "problems": [p.to_dict() for p in r.problems],
            }
            waivers = policy_cli.waivers_json(evaluations[f]) if f in evaluations else []
            if waivers:
                entry["waivers"] = waivers
            doc.append(entry)
        print(json.dumps(doc, indent=2), file=out)
    else:
        print(policy_cli.policy_line(list(choices.values())), file=out)
        for f, r in results:
            valid = r.spec is not None and not has_errors(r.problems)
            status = "valid" if valid else "INVALID"
            counts = _counts(r.problems)
            print(f"{f}: {status}" + (f" ({counts})" if counts else ""), file=out)
            _print_problems(str(f), r.problems, out)
            for line in policy_cli.waiver_lines(evaluations[f]) if f in evaluations else ():
                print(line, file=out)
        bad = sum(1 for _, r in results if r.spec is None or has_errors(r.problems))
        print(f"{len(results) - bad} of {len(results)} valid", file=out)
    failed = any(r.spec is None or has_errors(r.problems) for _, r in results)
    if args.strict and any(r.problems for _, r in results):
        failed = True
    return EXIT_INVALID if failed else EXIT_OK


def _load_one(path: str, err: TextIO) -> LoadResult | None:
    files = _expand([path])
    if len(files) != 1:
        raise UsageError(f"{path}: give one template file, not a directory")
    result = load_file(files[0])
    if result.spec is None or has_errors(result.problems):
        print(f"{files[0]}: INVALID ({_counts(result.problems)}); fix these first:", file=err)
        _print_problems(str(files[0]), result.problems, err)
        return None
    return result


def cmd_explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    guard = policy_cli.PolicyResolver(args.policy, args.role_trust_policy)
    choice = guard.choice(Path(args.path))
    if not choice.ok:
        policy_cli.print_policy_problems(choice, err)
        return EXIT_USAGE
    result = _load_one(args.path, err)
    if result is None:
        return EXIT_INVALID
    assert result.spec is not None
    out.write(explain(result.spec, result.problems, guardrails=policy_cli.check(result.spec, choice, guard)))
    return EXIT_OK


def cmd_iam_policy(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.trust_policy:
        print(json.dumps(TRUST_POLICY, indent=2), file=out)
        return EXIT_OK
    if not args.path:
        raise UsageError("iam-policy needs a template PATH (or --trust-policy)")
    result = _load_one(args.path, err)
    if result is None:
        return EXIT_INVALID
    assert result.spec is not None
    print(json.dumps(iam_policy(result.spec), indent=2), file=out)
    return EXIT_OK


def cmd_catalog_show(args: argparse.Namespace, out: TextIO) -> int:
    import yaml

    cat = catalog()
    if args.id in cat.actions:
        entry = {"action": args.id, **cat.actions[args.id].to_dict()}
    elif args.id in cat.resource_types:
        entry = {"resource_type": args.id, **cat.resource_types[args.id].to_dict()}
    else:
        import difflib

        close = difflib.get_close_matches(args.id, [*cat.actions, *cat.resource_types], n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `chaos-pulumi catalog list`"
        raise UsageError(f"{args.id}: not an action id or resource type in the catalog{hint}")
    out.write(yaml.safe_dump(entry, sort_keys=False, width=110))
    return EXIT_OK


def cmd_catalog_list(args: argparse.Namespace, out: TextIO) -> int:
    cat = catalog()
    if args.format == "json":
        print(json.dumps(cat.to_dict(), indent=2), file=out)
        return EXIT_OK
    print(f"# FIS catalog: {len(cat.actions)} actions, {len(cat.resource_types)} resource types", file=out)
    print(f"# source: {cat.source}", file=out)
    print(f"# retrieved: {cat.retrieved}", file=out)
    for action_id in sorted(cat.actions):
        a = cat.actions[action_id]
        targets = ", ".join(f"{k}->{v}" for k, v in a.targets.items()) or "no targets"
        params = ", ".join(f"{n}{'*' if p.required else ''}" for n, p in a.parameters.items()) or "-"
        mark = "" if a.confirmed else f"  [unconfirmed: {a.note or 'see the catalog'}]"
        print(f"{action_id:<58} {targets:<50} {params}{mark}", file=out)
    return EXIT_OK


def cmd_catalog_refresh(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import yaml

    from chaos_pulumi.aws import fis_client
    from chaos_pulumi.aws.catalog import refresh_catalog

    client = fis_client(region=args.region, profile=args.profile)
    try:
        fresh = refresh_catalog(
            client, catalog(), region=client.meta.region_name, on_progress=lambda m: print(m, file=err)
        )
    except Exception as e:  # botocore errors: no credentials, access denied, endpoint down
        print(f"catalog refresh failed: {type(e).__name__}: {e}", file=err)
        return EXIT_INVALID
    data = fresh.to_dict()
    text = (
        json.dumps(data, indent=2) + "\n"
        if str(args.output).endswith(".json")
        else yaml.safe_dump(data, sort_keys=False, width=110)
    )
    if args.output == "-":
        out.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(
            f"wrote {args.output}: {len(fresh.actions)} actions, {len(fresh.resource_types)} resource types; "
            f"use it with {CATALOG_ENV}={args.output}",
            file=err,
        )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chaos-pulumi", description="Review AWS FIS experiment templates before they are applied."
    )
    parser.add_argument("--version", action="version", version=f"chaos-pulumi {__version__}")
    parser.add_argument(
        "--catalog",
        metavar="FILE",
        help=f"FIS catalog to check against (default: ${CATALOG_ENV}, else the packaged one)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    v = sub.add_parser("validate", help="check templates; exit 0 valid, 1 errors, 2 usage")
    v.add_argument("paths", nargs="+", metavar="PATH", help="template files or directories of them")
    v.add_argument("--format", choices=("text", "json"), default="text")
    v.add_argument("--strict", action="store_true", help="warnings fail too (exit 1), e.g. for CI")
    policy_cli.add_policy_options(v)

    e = sub.add_parser("explain", help="Markdown review of a template for a pull request")
    e.add_argument("path", metavar="PATH")
    policy_cli.add_policy_options(e)

    i = sub.add_parser("iam-policy", help="least-privilege IAM policy for the experiment role")
    i.add_argument("path", metavar="PATH", nargs="?")
    i.add_argument("--trust-policy", action="store_true", help="print the role's trust policy instead")

    c = sub.add_parser("catalog", help="the FIS action and resource-type catalog")
    csub = c.add_subparsers(dest="catalog_command", metavar="SUBCOMMAND")
    csub.required = True
    cl = csub.add_parser("list", help="list the actions the validator knows")
    cl.add_argument("--format", choices=("text", "json"), default="text")
    cs = csub.add_parser("show", help="one action or resource type: parameters, ranges, permissions")
    cs.add_argument("id", metavar="ID", help="e.g. aws:ec2:stop-instances or aws:eks:pod")
    cr = csub.add_parser("refresh", help="rebuild the catalog from a live FIS account")
    cr.add_argument("--region", default=None)
    cr.add_argument("--profile", default=None)
    cr.add_argument("--output", "-o", default="-", help="file to write (.yaml or .json); '-' for stdout")
    policy_cli.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: --help/--version exit 0, usage errors exit 2
        return int(e.code or 0)
    previous = os.environ.get(CATALOG_ENV)
    try:
        if args.catalog:
            if not Path(args.catalog).is_file():
                raise UsageError(f"--catalog {args.catalog}: no such file")
            os.environ[CATALOG_ENV] = str(Path(args.catalog).resolve())
        return _dispatch(args, parser, out, err)
    except (UsageError, policy_cli.PolicyUsageError) as e:
        print(f"chaos-pulumi: error: {e}", file=err)
        return EXIT_USAGE
    except BrokenPipeError:
        # `chaos-pulumi ... | head`: the reader went away; stop quietly like other CLI tools.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    finally:
        if args.catalog:  # main() may run in-process (tests, other tools): leave the environment as found
            if previous is None:
                os.environ.pop(CATALOG_ENV, None)
            else:
                os.environ[CATALOG_ENV] = previous


def _dispatch(args: argparse.Namespace, parser: argparse.ArgumentParser, out: TextIO, err: TextIO) -> int:
    if args.command == "validate":
        return cmd_validate(args, out)
    if args.command == "explain":
        return cmd_explain(args, out, err)
    if args.command == "iam-policy":
        return cmd_iam_policy(args, out, err)
    if args.command == "catalog" and args.catalog_command == "list":
        return cmd_catalog_list(args, out)
    if args.command == "catalog" and args.catalog_command == "show":
        return cmd_catalog_show(args, out)
    if args.command == "catalog" and args.catalog_command == "refresh":
        return cmd_catalog_refresh(args, out, err)
    code = policy_cli.dispatch(args, out, err)
    if code is not None:
        return code
    parser.print_usage(err)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
