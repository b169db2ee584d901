"""Run overhead vs Chaos Toolkit: the same experiment through `chaos run` and through ours.

Two experiments, each run by both tools in the same round (order alternating round by round):

- **FIS run** against the moto server: start an experiment from an existing template and wait for
  a terminal state. Baseline: `chaos run bench/chaostoolkit/fis-run.json` (chaostoolkit-aws starts
  it; a probe polls chaostoolkit-aws's `get_experiment`). Ours: `pulumi up` of a stack holding one
  `chaos_pulumi.Experiment(wait=True)` whose `trigger` changes every round (so every up is one run:
  an in-place update of the resource that starts the next run).
- **Host**: kill a local process while an HTTP service on 127.0.0.1 is probed before and after.
  Baseline: `chaos run bench/chaostoolkit/host-kill.json`. Ours: `ansible-playbook` running the
  `chaos.faults.game_day` role against localhost with a `process_kill` fault.

Neither fault has a duration of its own (moto completes an experiment after three GetExperiment
calls whatever the clock says; a kill is instant), so the whole wall time is the tool's overhead:
process start-up, validation, probes, API calls and the waiter's sleeps. Both waiters poll with
the same first interval (`POLL_S`).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from bench.common import ROOT, Context, Row, Stats, require_executable, run_cmd
from tests.harness.proxy import CountingProxy

CTK_DIR = ROOT / "bench" / "chaostoolkit"
# Our Experiment provider polls every POLL_S seconds, growing ×1.5; ctk_fis.py is given the same.
POLL_S = 1.0
ROLE_ARN = "arn:aws:iam::123456789012:role/chaos-bench"


# --------------------------------------------------------------------------------- local fixtures


@contextlib.contextmanager
def http_service(work: Path) -> Iterator[str]:
    """A small HTTP service on a free loopback port; yields its URL."""
    from chaos_pulumi.local import free_port

    root = work / "www"
    root.mkdir(exist_ok=True)
    (root / "index.html").write_text("ok\n")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(root), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the benchmark's HTTP service did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def start_victim(tag: str) -> tuple[subprocess.Popen[bytes], str]:
    """A process to kill, recognisable by a unique word in its command line; returns (process, pattern)."""
    pattern = f"chaos-bench-victim-{tag}"
    proc = subprocess.Popen([sys.executable, "-c", "import time, sys; time.sleep(600)", pattern])
    return proc, pattern


def reap_victim(proc: subprocess.Popen[bytes]) -> int:
    """Wait for the victim to be gone; fail the round if the tool under test left it alive."""
    try:
        return proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise RuntimeError("the victim process was not killed") from None


# -------------------------------------------------------------------------------- Chaos Toolkit


def chaos_run(ctx: Context, experiment: str, work: Path, env: dict[str, str]) -> float:
    """`chaos run` one experiment file; returns wall seconds, after checking the journal says completed."""
    chaos = require_executable("chaos", "install the bench extra: .venv/bin/pip install -e '.[bench]'")
    journal = work / f"journal-{uuid.uuid4().hex[:8]}.json"
    env = dict(env, PYTHONPATH=os.pathsep.join([str(CTK_DIR), env.get("PYTHONPATH", "")]))
    argv = [
        chaos, "--no-version-check", "--no-log-file", "--settings", str(work / "ctk-settings.yaml"),
        "run", "--journal-path", str(journal), str(CTK_DIR / experiment),
    ]
    elapsed, _ = run_cmd(argv, env=env, cwd=work, timeout=600)
    result = json.loads(journal.read_text())
    if result["status"] != "completed" or result["deviated"]:
        status, deviated = result["status"], result["deviated"]
        raise RuntimeError(f"chaos run {experiment}: status {status}, deviated {deviated}")
    return elapsed


def fis_template(ctx: Context) -> str:
    """An FIS template in moto for both tools to run (aws:fis:wait needs no targets)."""
    client = ctx.moto().client("fis")
    resp = client.create_experiment_template(
        clientToken=uuid.uuid4().hex,
        description="bench: run overhead",
        roleArn=ROLE_ARN,
        stopConditions=[{"source": "none"}],
        actions={"wait": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}}},
        tags={"purpose": "chaos-bench"},
    )
    return resp["experimentTemplate"]["id"]


def ctk_fis_round(ctx: Context, work: Path, template_id: str, endpoint: str) -> float:
    env = ctx.env(aws=True, AWS_ENDPOINT_URL=endpoint, BENCH_FIS_TEMPLATE_ID=template_id,
                  BENCH_RUN_ID=uuid.uuid4().hex, BENCH_POLL_S=str(POLL_S))
    return chaos_run(ctx, "fis-run.json", work, env)


def ctk_host_round(ctx: Context, work: Path, service_url: str) -> float:
    victim, pattern = start_victim(uuid.uuid4().hex[:10])
    try:
        env = ctx.env(BENCH_SERVICE_URL=service_url, BENCH_VICTIM_PATTERN=pattern)
        elapsed = chaos_run(ctx, "host-kill.json", work, env)
    finally:
        reap_victim(victim)
    return elapsed


# -------------------------------------------------------------------------------------------- run


def collect(ctx: Context) -> list[Row]:
    work = ctx.scratch("vs_chaostoolkit")
    rounds = ctx.rounds_for(quick=2)
    require_executable("chaos", "install the bench extra: .venv/bin/pip install -e '.[bench]'")
    template_id = fis_template(ctx)
    proxy = CountingProxy(ctx.moto().url)  # both tools talk to moto through it: FIS calls per run
    try:
        with http_service(work) as url:
            return _measure(ctx, work, rounds, template_id, proxy, url)
    finally:
        proxy.close()


def _measure(ctx: Context, work: Path, rounds: int, template_id: str, proxy: CountingProxy,
             url: str) -> list[Row]:
    fis_ours, fis_floor = _ours_fis_runner(ctx, work, template_id, proxy.url)
    host_ours = _ours_host_runner(ctx, work)
    runners: dict[tuple[str, str], Callable[[int], float] | None] = {
        ("fis", "ctk"): lambda _r: ctk_fis_round(ctx, work, template_id, proxy.url),
        ("fis", "ours"): fis_ours,
        ("fis", "floor"): fis_floor,
        ("host", "ctk"): lambda _r: ctk_host_round(ctx, work, url),
        # the warm-up round (r = -1) also counts the game day's tasks and module runs
        ("host", "ours"): (lambda r: host_ours(url, count=r < 0)) if host_ours else None,
    }
    samples: dict[tuple[str, str], list[float]] = {key: [] for key in runners}
    calls: dict[tuple[str, str], dict[str, int]] = {}
    ctx.log("vs_chaostoolkit: warm-up round (not counted)")
    for fn in runners.values():
        if fn is not None:
            fn(-1)
    for r in range(rounds):
        ctx.log(f"vs_chaostoolkit round {r + 1}/{rounds}")
        fis = [k for k in runners if k[0] == "fis"]
        host = [k for k in runners if k[0] == "host"]
        if r % 2:  # alternate who goes first, so warm caches favour neither side
            fis, host = fis[::-1], host[::-1]
        order = fis + host
        for key in order:
            fn = runners[key]
            if fn is None:
                continue
            before = proxy.snapshot()
            samples[key].append(fn(r))
            calls[key] = CountingProxy.diff(proxy.snapshot(), before)

    rows: list[Row] = []
    for exp, case, ours_name in (
        ("fis", "FIS experiment on moto: start → terminal state", "pulumi up (Experiment, wait=True)"),
        ("host", "kill a local process, HTTP probe before/after", "ansible-playbook game_day role"),
    ):
        ctk, ours = samples[(exp, "ctk")], samples[(exp, "ours")]
        note = "no fault duration of its own: all of it is overhead"
        if exp == "fis":
            fmt = "; ".join(f"{who}: {_calls_text(calls.get((exp, who), {}))}" for who in ("ctk", "ours"))
            note += f"; FIS calls per run: {fmt}; both waiters sleep {POLL_S} s then ×1.5"
        if ours:
            rows.append(Row(case, f"wall time: {ours_name}", "s", Stats.of(ours), Stats.of(ctk), "chaos run",
                            note=note))
            if exp == "fis" and samples[("fis", "floor")]:
                rows.append(Row(case, "pulumi engine floor: up of one NoopResource change", "s",
                                Stats.of(samples[("fis", "floor")]), Stats.of(ctk), "chaos run",
                                note="the same pulumi up with a provider that does nothing: the part of "
                                     "ours that is Pulumi's own cost"))
            if exp == "host":
                beyond = [x - GAME_DAY_DURING_S for x in ours]
                rows.append(Row(case, f"beyond the {GAME_DAY_DURING_S} s probe window: {ours_name}", "s",
                                Stats.of(beyond), Stats.of(ctk), "chaos run",
                                note="the role probes during the fault for at least "
                                     f"{GAME_DAY_DURING_S} s; chaos run does not by default; "
                                     f"per game day: {_game_day_counts_text(ctx)}"))
        else:
            reason = ctx.extra.get(f"{exp}_ours_missing", "not built yet")
            rows.append(Row(case, f"wall time: {ours_name}", "s", None, Stats.of(ctk), "chaos run",
                            note=f"ours not measured: {reason}"))
    ctx.extra["fis_calls"] = {f"{exp}/{who}": c for (exp, who), c in calls.items()}
    return rows


def _calls_text(calls: dict[str, int]) -> str:
    return ", ".join(f"{op} ×{n}" for op, n in sorted(calls.items())) or "–"


EXPERIMENT_PROGRAM = """\
import pulumi
from chaos_pulumi import Experiment

config = pulumi.Config()
run = Experiment("bench-run", template_id=config.require("template_id"), trigger=config.require("trigger"),
                 wait=True, timeout="PT5M")
pulumi.export("status", run.status)
"""


FLOOR_PROGRAM = """\
import pulumi
from chaos_pulumi.noop import NoopResource

NoopResource("bench-floor", value=pulumi.Config().require("trigger"))
"""


def _ours_fis_runner(ctx: Context, work: Path, template_id: str, endpoint: str):  # noqa: ANN202
    """(`round -> seconds` for our FIS run: `pulumi up` of an Experiment with wait=True, the same for
    the engine floor: `pulumi up` changing one NoopResource), or (None, None) (the reason goes to
    ctx.extra) when its pieces are missing."""
    try:
        import chaos_pulumi
        from tests.harness import pulumi as harness

        chaos_pulumi.Experiment  # noqa: B018 - fails early when the resource is not there
        from chaos_pulumi.providers import experiment as provider

        if provider.POLL_S != POLL_S:  # the comparison is fair only with equal waits
            raise RuntimeError(f"the Experiment provider polls every {provider.POLL_S} s, ctk {POLL_S} s")
    except (ImportError, AttributeError) as e:
        ctx.extra["fis_ours_missing"] = f"chaos_pulumi.Experiment or the Pulumi harness missing: {e}"
        return None, None
    cli, why = harness.find_pulumi_cli()
    if cli is None:
        ctx.extra["fis_ours_missing"] = why
        return None, None
    aws_env = dict(ctx.moto().env, AWS_ENDPOINT_URL=endpoint)
    penv = harness.PulumiEnv.create(cli, work / "pulumi", extra_env=aws_env)
    factory = harness.StackFactory(penv, work)  # one factory: it numbers the project folders
    stack = factory.inline(EXPERIMENT_PROGRAM, name="bench-experiment")
    stack.set_config("template_id", template_id)
    stack.up("--config", "trigger=warm-up")  # creates the resource; every timed round is then a re-run
    floor = factory.inline(FLOOR_PROGRAM, name="bench-floor")
    floor.up("--config", "trigger=warm-up")

    def one_round(r: int) -> float:
        t0 = time.perf_counter()
        stack.up("--config", f"trigger=round-{r}-{uuid.uuid4().hex[:6]}")
        elapsed = time.perf_counter() - t0
        status = stack.outputs().get("status")
        if status != "completed":
            raise RuntimeError(f"our Experiment ended {status!r}, not completed")
        return elapsed

    def floor_round(r: int) -> float:
        t0 = time.perf_counter()
        floor.up("--config", f"trigger=round-{r}-{uuid.uuid4().hex[:6]}")
        return time.perf_counter() - t0

    return one_round, floor_round


GAME_DAY_PLAYBOOK = """\
# The same experiment as bench/chaostoolkit/host-kill.json, through the chaos.faults.game_day role.
- name: bench - kill a local process while the local HTTP service is probed before and after
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    game_day_title: bench kill a process
    game_day_during_seconds: %(during)d
    game_day_probes:
      - name: service answers
        url: "{{ service_url }}"
        count: 1
        timeout: 3
        min_success_ratio: 1.0
    game_day_faults:
      - name: kill the victim
        module: process_kill
        args:
          pattern: "{{ victim_pattern }}"
          signal: SIGTERM
  roles:
    - chaos.faults.game_day
"""
# The role probes during the faults for at least a second (an instant fault gets that window too);
# Chaos Toolkit's default strategy has no such window, so it is taken off ours as the "fault's own
# duration".
GAME_DAY_DURING_S = 1


def _counting_interpreter(work: Path, log: Path) -> Path:
    """A Python for Ansible's modules that notes every start in `log`: one line per module run."""
    script = work / "count-module-runs"
    script.write_text(f"#!/bin/sh\necho run >> '{log}'\nexec '{sys.executable}' \"$@\"\n")
    script.chmod(0o755)
    return script


def _game_day_counts_text(ctx: Context) -> str:
    counts = ctx.extra.get("game_day_counts")
    if not counts:
        return "tasks and module runs not counted"
    return (f"{counts['tasks']} tasks ({counts['skipped']} of them skipped), "
            f"{counts['module_runs']} module runs on the host")


def _ours_host_runner(ctx: Context, work: Path):  # noqa: ANN202 - returns a round function
    """`(url, count) -> seconds` for our game day (ansible-playbook + the game_day role), or None (the
    reason goes to ctx.extra) when its pieces are missing. With `count`, the round also counts the
    role's tasks and module runs (into ctx.extra["game_day_counts"])."""
    try:
        from tests.harness import ansible as harness_ansible
    except ImportError as e:
        ctx.extra["host_ours_missing"] = f"the Ansible harness is missing: {e}"
        return None
    role = Path(harness_ansible.COLLECTION_SRC) / "roles" / "game_day" / "tasks" / "main.yml"
    if not role.exists():
        ctx.extra["host_ours_missing"] = "the chaos.faults.game_day role is not there yet"
        return None
    base = work / "ansible"
    ansible = harness_ansible.AnsibleEnv(root=harness_ansible.collections_root(base),
                                         env=harness_ansible.ansible_environment(base))
    playbook = work / "gameday-kill.yml"
    playbook.write_text(GAME_DAY_PLAYBOOK % {"during": GAME_DAY_DURING_S})

    module_log = work / "module-runs.log"
    counting = ansible.with_env({"ANSIBLE_PYTHON_INTERPRETER": str(_counting_interpreter(work, module_log))})

    def one_round(url: str, count: bool = False) -> float:
        victim, pattern = start_victim(uuid.uuid4().hex[:10])
        # Variables from a file: a pattern on ansible-playbook's own command line would match it too.
        vars_file = work / f"vars-{uuid.uuid4().hex[:8]}.json"
        vars_file.write_text(json.dumps({"service_url": url, "victim_pattern": pattern,
                                         "game_day_output_dir": str(work / "game-days")}))
        try:
            t0 = time.perf_counter()
            module_log.unlink(missing_ok=True)
            result = harness_ansible.run_playbook(playbook, counting if count else ansible,
                                                  args=["-e", f"@{vars_file}"], timeout=600)
            elapsed = time.perf_counter() - t0
        finally:
            code = reap_victim(victim)
        if result.rc != 0:
            raise RuntimeError(f"game day failed:\n{result.output[-4000:]}")
        if code != -15:
            raise RuntimeError(f"the victim ended with {code}, not SIGTERM")
        if count:
            ran = [hosts.get("localhost", {}) for _name, hosts in result.tasks()]
            ctx.extra["game_day_counts"] = {
                "tasks": len(ran),
                "skipped": sum(1 for r in ran if r.get("skipped")),
                "module_runs": len(module_log.read_text().splitlines()) if module_log.exists() else 0,
            }
        return elapsed

    return one_round


if __name__ == "__main__":
    raise SystemExit("run it through the suite: .venv/bin/python bench/run.py --only vs_chaostoolkit")
