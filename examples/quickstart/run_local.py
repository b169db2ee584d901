"""Run the quickstart on the embedded default: a local moto server and a local Pulumi file backend.

    .venv/bin/python examples/quickstart/run_local.py      # what `make demo` runs

It starts a moto server on a free loopback port, points the standard AWS environment at it
(AWS_ENDPOINT_URL + dummy credentials), starts the web instances the templates target there (three
tagged app=web, one of them stopped, so the preflight has something real to resolve), makes a
throwaway Pulumi home and file backend in a temp dir, then runs `pulumi up`, prints the stack outputs
and what FIS now holds, runs `pulumi destroy` and stops moto. Nothing leaves 127.0.0.1; no AWS
account and no Pulumi Cloud login are needed. With `--keep` the temp dir (state, logs) stays for a
look afterwards.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from chaos_pulumi.local import moto_server_process, pulumi_env

ROOT = Path(__file__).resolve().parents[2]


def run(cmd: list[str], cwd: Path, env: dict[str, str], capture: bool = False) -> str:
    print(f"\n$ {' '.join(cmd)}", flush=True)
    proc = subprocess.run(cmd, cwd=cwd, env=env, text=True, capture_output=capture)
    if proc.returncode != 0:
        if capture:
            print(proc.stdout + proc.stderr)
        raise SystemExit(f"quickstart: `{' '.join(cmd)}` failed with exit code {proc.returncode}")
    return proc.stdout if capture else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (state, moto log)")
    args = parser.parse_args()
    if not (ROOT / ".tools" / "bin" / "pulumi").exists() and not shutil.which("pulumi"):
        print("quickstart: no Pulumi CLI; run `make tools` first", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="chaos-quickstart."))
    try:
        # A copy of the examples, so the stack files the CLI writes never land in the repository.
        shutil.copytree(ROOT / "examples" / "quickstart", work / "examples" / "quickstart")
        shutil.copytree(ROOT / "examples" / "experiments", work / "examples" / "experiments")
        project = work / "examples" / "quickstart"
        with moto_server_process(work / "moto.log") as moto:
            print(f"moto server (the local AWS endpoint): {moto.url}")
            web = moto.run_instances(3, {"app": "web", "chaos-ready": "true"})
            moto.client("ec2").stop_instances(InstanceIds=web[:1])
            print(f"EC2 instances tagged app=web, chaos-ready=true: {', '.join(web)} ({web[0]} stopped)")
            env = pulumi_env(work, moto.env, [str(ROOT / ".tools" / "bin")])
            run(["pulumi", "stack", "init", "dev", "--non-interactive"], project, env)
            run(["pulumi", "up", "--yes", "--non-interactive", "--color", "never"], project, env)
            outputs = json.loads(run(["pulumi", "stack", "output", "--json"], project, env, capture=True))
            print(json.dumps(outputs, indent=2))
            fis = moto.client("fis")
            held = fis.list_experiment_templates()["experimentTemplates"]
            print(f"\nFIS (moto) now holds {len(held)} experiment templates:")
            for summary in held:
                print(f"  {summary['id']}  {summary['description']}")
            run(["pulumi", "destroy", "--yes", "--non-interactive", "--color", "never"], project, env)
            left = fis.list_experiment_templates()["experimentTemplates"]
            print(f"\nAfter destroy FIS holds {len(left)} experiment templates.")
            run(["pulumi", "stack", "rm", "dev", "--yes", "--non-interactive"], project, env)
            if left:
                return 1
        return 0
    finally:
        if args.keep:
            print(f"(kept {work})")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
