"""`chaos-pulumi catalog list | show ID | refresh`: the FIS actions and resource types the validator knows."""

from __future__ import annotations

import argparse
import difflib
import json
from pathlib import Path

from chaos_pulumi.spec.catalog import CATALOG_ENV

from .common import EXIT_INVALID, EXIT_OK, Console, UsageError


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("catalog", help="the FIS action and resource-type catalog")
    csub = c.add_subparsers(dest="catalog_command", metavar="SUBCOMMAND")
    csub.required = True
    cl = csub.add_parser("list", help="list the actions the validator knows")
    cl.add_argument("--format", choices=("text", "json"), default="text")
    cl.set_defaults(run=run_list)
    cs = csub.add_parser("show", help="one action or resource type: parameters, ranges, permissions")
    cs.add_argument("id", metavar="ID", help="e.g. aws:ec2:stop-instances or aws:eks:pod")
    cs.set_defaults(run=run_show)
    cr = csub.add_parser("refresh", help="rebuild the catalog from a live FIS account")
    cr.add_argument("--region", default=None)
    cr.add_argument("--profile", default=None)
    cr.add_argument("--output", "-o", default="-", help="file to write (.yaml or .json); '-' for stdout")
    cr.set_defaults(run=run_refresh)


def run_list(args: argparse.Namespace, console: Console) -> int:
    cat, out = console.catalog, console.out
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


def run_show(args: argparse.Namespace, console: Console) -> int:
    import yaml

    cat = console.catalog
    if args.id in cat.actions:
        entry = {"action": args.id, **cat.actions[args.id].to_dict()}
    elif args.id in cat.resource_types:
        entry = {"resource_type": args.id, **cat.resource_types[args.id].to_dict()}
    else:
        close = difflib.get_close_matches(args.id, [*cat.actions, *cat.resource_types], n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `chaos-pulumi catalog list`"
        raise UsageError(f"{args.id}: not an action id or resource type in the catalog{hint}")
    console.out.write(yaml.safe_dump(entry, sort_keys=False, width=110))
    return EXIT_OK


def run_refresh(args: argparse.Namespace, console: Console) -> int:
    import yaml

    from chaos_pulumi.aws import fis_client
    from chaos_pulumi.aws.catalog import refresh_catalog

    err = console.err
    client = fis_client(region=args.region, profile=args.profile)
    try:
        fresh = refresh_catalog(
            client, console.catalog, region=client.meta.region_name, on_progress=lambda m: print(m, file=err)
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
        console.out.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(
            f"wrote {args.output}: {len(fresh.actions)} actions, {len(fresh.resource_types)} resource types; "
            f"use it with {CATALOG_ENV}={args.output}",
            file=err,
        )
    return EXIT_OK
