"""The safety layer on the embedded default: the blast radius, the policy pack, and the kill switch.

    .venv/bin/python examples/safety/run_local.py      # what `make demo` runs after the quickstart

1. A moto server on a free loopback port with EC2 instances: four tagged app=web, chaos-ready=true
   (one stopped) and five tagged app=api.
2. `chaos-pulumi targets` on two example templates under examples/guardrails/production.yaml: per
   target what it matches, how many the selection takes and the cap; the API CPU stress (PERCENT(50)
   of five instances is two, 40 %) is over that policy's 25 % and is refused (exit status 1).
3. `pulumi preview --policy-pack "$(chaos-pulumi policy-pack)"` of this directory's program (a local
   file backend in a temp dir): the template selects ALL on a tag with no alarm, and the preview fails
   with both rules and their field paths.
4. The kill switch: an experiment kept running in moto (its state-manager API) and a CPU stress on
   this machine through the host-fault runtime's CLI (records in the temp dir, so nothing else on the
   machine is touched). `chaos-pulumi stop-all` engages the FIS safety lever and stops the run, the
   `chaos.faults.stop_all` playbook reverts the host fault, a new run is cancelled, and
   `chaos-pulumi resume` disengages the lever.

Each command is printed before it runs; the script checks each outcome and exits 1 if one is not
what it says. Nothing leaves 127.0.0.1. With `--keep` the temp dir stays.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from chaos_pulumi.local import MotoServer, moto_server_process, pulumi_env
from chaos_pulumi.policy_pack import PACK_DIR
from chaos_pulumi.spec import load_file

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RUNTIME = "ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime"
EXPERIMENTS = ROOT / "examples" / "experiments"
REASON = "demo: INC-1 checkout errors"


class DemoFailed(Exception):
    """An outcome was not what the demo says it is."""


def run(cmd: list[str], env: dict[str, str], *, cwd: Path = ROOT, expect: int = 0, show: str = "all") -> str:
    """Print and run ``cmd`` (found on ``env``'s PATH); fail unless it exits ``expect``.
    ``show="policies"`` prints only the preview's Policies section, ``"fault"`` one line of the fault."""
    print(f"\n$ {shlex.join(cmd)}", flush=True)
    proc = subprocess.run(cmd, cwd=cwd, env=env, text=True, capture_output=True)
    output = proc.stdout + proc.stderr
    if show == "policies" and "Policies:" in output:
        print(output[output.index("Policies:") :].split("\nResources:")[0].rstrip())
    elif show == "fault" and proc.returncode == 0:
        fault = json.loads(proc.stdout)
        print(f"{fault['fault']} {fault['fault_id']}: active, reverts itself at {fault['reverts_at']}")
    else:
        print(output.rstrip())
    print(f"(exit status {proc.returncode})")
    if proc.returncode != expect:
        raise DemoFailed(f"`{' '.join(cmd)}` exited {proc.returncode}, not {expect}")
    return output


def check(condition: bool, what: str) -> None:
    if not condition:
        raise DemoFailed(what)
    print(f"  ok: {what}")


def blast_radius(env: dict[str, str]) -> None:
    out = run(
        [
            "chaos-pulumi",
            "targets",
            "examples/experiments/ec2-stop-one-instance.yaml",
            "examples/experiments/ssm-cpu-stress.yaml",
            "--policy",
            "examples/guardrails/production.yaml",
        ],
        env,
        expect=1,
    )
    check(
        "would hit 1 of 3; cap: 5 resources / 25% of PERCENT selections; ok" in out,
        "web: 1 of 3, within caps",
    )
    check(
        "would hit 2 of 5 matching resources (40%)" in out, "api: 2 of 5 is 40 %, over the 25 % cap: refused"
    )


def policy_pack(work: Path, moto: MotoServer) -> None:
    project = work / "safety"
    shutil.copytree(
        ROOT / "examples" / "safety", project, ignore=shutil.ignore_patterns("__pycache__", "*.py[co]")
    )
    env = pulumi_env(work, moto.env, [str(ROOT / ".tools" / "bin")])
    pack = run(["chaos-pulumi", "policy-pack"], env).strip()
    check(Path(pack) == PACK_DIR, "the pack ships in the package")
    run(["pulumi", "stack", "init", "dev", "--non-interactive"], env, cwd=project)
    out = run(
        ["pulumi", "preview", "--non-interactive", "--color", "never", "--policy-pack", str(PACK_DIR)],
        env,
        cwd=project,
        expect=1,
        show="policies",
    )
    check("[mandatory]  max_selection" in out, "max_selection: ALL on a tag-only target is refused")
    check("[mandatory]  stop_condition_required" in out, "stop_condition_required: no alarm is refused")
    check(moto.client().list_experiment_templates()["experimentTemplates"] == [], "nothing was created")


def kill_switch(work: Path, moto: MotoServer, env: dict[str, str]) -> None:
    fis = moto.client()
    request = load_file(EXPERIMENTS / "ec2-stop-one-instance.yaml").spec.to_create_request(str(uuid.uuid4()))
    template_id = fis.create_experiment_template(**request)["experimentTemplate"]["id"]
    experiment = fis.start_experiment(experimentTemplateId=template_id, clientToken=str(uuid.uuid4()))
    run_id = experiment["experiment"]["id"]
    for _ in range(2):  # moto: pending -> initiating -> running, then held there
        fis.get_experiment(id=run_id)
    moto.hold_experiments(True)
    print(f"\nFIS experiment {run_id} is running (held there by moto's state manager)")

    collections = subprocess.run(
        ["scripts/ansible-env", "--print"], cwd=ROOT, text=True, capture_output=True, check=True
    ).stdout.strip()
    records = work / "faults"
    fault_env = {**env, "PYTHONPATH": collections}
    print(f"\n(PYTHONPATH={collections}: the chaos.faults collection of this tree)")
    injected = json.loads(
        run(
            [
                "python",
                "-m",
                RUNTIME,
                "inject",
                "cpu_stress",
                "--load",
                "10",
                "--duration",
                "300",
                "--record-dir",
                str(records),
            ],
            fault_env,
            show="fault",
        ).splitlines()[0]
    )
    fault_id = injected["fault_id"]

    try:
        run(["chaos-pulumi", "stop-all", "--reason", REASON, "--wait", "10"], env)
        status = fis.get_experiment(id=run_id)["experiment"]["state"]["status"]
        check(status == "stopped", f"experiment {run_id} is {status}")
        run(
            [
                "scripts/ansible-env",
                "ansible-playbook",
                "chaos.faults.stop_all",
                "-i",
                "localhost,",
                "-c",
                "local",
                "-e",
                json.dumps(
                    {
                        "stop_all_reason": REASON,
                        "stop_all_endpoint_url": moto.url,
                        "stop_all_record_dir": str(records),
                    }
                ),
            ],
            env,
        )
        record = json.loads((records / f"{fault_id}.json").read_text())
        check(
            record["state"] == "reverted",
            f"host fault {fault_id} is {record['state']} ({record['reverted_by']})",
        )
        again = fis.start_experiment(experimentTemplateId=template_id, clientToken=str(uuid.uuid4()))
        status = again["experiment"]["state"]["status"]
        check(status == "cancelled", f"a run started while the lever is engaged is {status}")
        run(["chaos-pulumi", "resume", "--reason", "demo: INC-1 resolved"], env)
        lever = fis.get_safety_lever(id="default")["safetyLever"]["state"]["status"]
        check(lever == "disengaged", f"the safety lever is {lever}")
    finally:
        moto.hold_experiments(False)
        subprocess.run(
            [sys.executable, "-m", RUNTIME, "revert", "--all", "--record-dir", str(records)],
            env=fault_env,
            capture_output=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (state, records, moto log)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="chaos-safety."))
    try:
        with moto_server_process(work / "moto.log") as moto:
            web = moto.run_instances(4, {"app": "web", "chaos-ready": "true"})
            moto.client("ec2").stop_instances(InstanceIds=web[:1])
            api = moto.run_instances(5, {"app": "api"})
            print(f"moto server (the local AWS endpoint): {moto.url}")
            print(
                f"EC2: {len(web)} instances tagged app=web, chaos-ready=true ({web[0]} stopped); "
                f"{len(api)} tagged app=api"
            )
            env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **moto.env}
            env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "/usr/bin:/bin")])
            print("\n-- what each target would hit, capped by a policy (chaos-pulumi targets)")
            blast_radius(env)
            print("\n-- a template that breaks the guardrail policy, through the Pulumi policy pack")
            policy_pack(work, moto)
            print("\n-- the kill switch: a running experiment and a host fault, stopped; then resume")
            kill_switch(work, moto, env)
        return 0
    except DemoFailed as e:
        print(f"\nsafety demo: {e}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"(kept {work})")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
