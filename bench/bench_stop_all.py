"""Kill switch end to end: 10 running FIS experiments on moto and a fault on each of 10 namespace hosts.

From the moment the command starts until every experiment has stopped and every host fault is
reverted (the goal is under 5 s; printed, never asserted). Each round starts 10 experiments that
stay ``running`` (``tests/harness/experiments.py``) and blackholes port 8080 on 10 hosts
(``chaos.faults.network_blackhole``, 300 s, so only the kill switch ends it within the round), then
runs one of:

- ``playbook``: ``ansible-playbook chaos.faults.stop_all`` alone: it engages the FIS safety lever
  (which stops the runs) and reverts every host fault through ``fault_status``;
- ``CLI + playbook``: ``chaos-pulumi stop-all`` (lever, StopExperiment per run, schedules) and the
  playbook started at the same moment, as an operator would run both;
- baseline, without a kill switch: StopExperiment for each run found by ListExperiments (one call
  after the other, as a shell loop over ``aws fis stop-experiment`` does) and a playbook that runs
  ``chaos.faults.fault_status`` with ``revert: [all]`` on every host.

Figures, seconds from the command start (all clocks are this machine's): ``all experiments
stopped`` (GetExperiment shows ``stopped``; for ours the lever's end time), ``all host faults
reverted`` (the last fault record's ``reverted_at``), ``done`` (every command exited).
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import VENV_BIN, BenchSkipped, Context, Row, Stats, namespace_host_harness

HOSTS = 10
EXPERIMENTS = 10
PORT = 8080

INJECT = f"""\
- hosts: all
  gather_facts: false
  tasks:
    - name: inject
      chaos.faults.network_blackhole:
        ports: [{PORT}]
        duration: 300
"""

BASELINE_REVERT = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: revert
      chaos.faults.fault_status:
        revert: [all]
"""


def _epoch(stamp: Any) -> float:
    if isinstance(stamp, datetime):
        return stamp.timestamp()
    return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")).timestamp()


class _Commands:
    """Commands started together (each with its log file); ``wait`` fails with the log of one that failed."""

    def __init__(self) -> None:
        self.running: list[tuple[subprocess.Popen[bytes], Path, Any]] = []

    def start(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        out = open(log, "wb")  # closed in wait()
        self.running.append((subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT), log, out))

    def wait(self, timeout: float = 300) -> None:
        failed = []
        for proc, log, out in self.running:
            code = proc.wait(timeout=timeout)
            out.close()
            if code != 0:
                failed.append(
                    f"{' '.join(map(str, proc.args[:3]))} exited {code}:\n"
                    f"{log.read_text(errors='replace')[-4000:]}"
                )
        self.running.clear()
        if failed:
            raise RuntimeError("\n".join(failed))


def collect(ctx: Context) -> list[Row]:
    harness_ansible, harness_hosts = namespace_host_harness("namespace hosts")
    from chaos_pulumi.aws.safety import set_lever

    try:
        from tests.harness.experiments import hold, running_experiments
    except ImportError as e:
        raise BenchSkipped(f"kill-switch harness not there: {e}") from e
    playbook_dir = Path(harness_ansible.COLLECTION_SRC) / "playbooks" / "stop_all.yml"
    if not playbook_dir.exists():
        raise BenchSkipped("chaos.faults.stop_all is not there yet")

    work = ctx.scratch("stop_all")
    moto = ctx.moto()
    moto.reset()
    ansible_env = harness_ansible.ansible_environment(work / "ansible", extra=moto.env)
    inject_book = work / "inject.yml"
    inject_book.write_text(INJECT)
    baseline_book = work / "baseline-revert.yml"
    baseline_book.write_text(BASELINE_REVERT)
    fis = moto.client("fis")
    cli_env = ctx.env(aws=True)
    count = 3 if ctx.quick else HOSTS
    rounds = ctx.rounds_for(full=min(ctx.rounds, 3), quick=1)

    factory = harness_hosts.HostFactory(work / "hosts")
    figures: dict[str, dict[str, list[float]]] = {"playbook": {}, "CLI + playbook": {}, "baseline": {}}
    try:
        ctx.log(f"stop_all: making {count} namespace hosts")
        group = factory(count)
        hosts, inventory = group.hosts, group.inventory
        for r in range(rounds):
            order = list(figures)[r % 3 :] + list(figures)[: r % 3]
            for who in order:
                ctx.log(f"stop_all: round {r + 1}/{rounds}, {who}")
                with running_experiments(moto.url, fis, EXPERIMENTS) as ids:
                    result = _round(
                        who,
                        ids,
                        hosts,
                        inventory,
                        work,
                        ansible_env,
                        cli_env,
                        inject_book,
                        baseline_book,
                        fis,
                        moto,
                        hold,
                        harness_ansible,
                    )
                for metric, value in result.items():
                    figures[who].setdefault(metric, []).append(value)
                set_lever(fis, "disengaged", "next round")
    finally:
        factory.teardown()
    case = f"{EXPERIMENTS} experiments, {count} hosts"
    rows = []
    for who in ("playbook", "CLI + playbook"):
        for metric in figures[who]:
            rows.append(
                Row(
                    f"{case}: {who}",
                    metric,
                    "s",
                    Stats.of(figures[who][metric]),
                    Stats.of(figures["baseline"][metric]),
                    "StopExperiment per run + fault_status revert: [all]",
                    note="goal: done < 5 s",
                )
            )
    return rows


def _round(
    who: str,
    ids: list[str],
    hosts: list[Any],
    inventory: Path,
    work: Path,
    ansible_env: dict[str, str],
    cli_env: dict[str, str],
    inject_book: Path,
    baseline_book: Path,
    fis: Any,
    moto: Any,
    hold: Any,
    harness_ansible: Any,
) -> dict[str, float]:
    playbook = str(VENV_BIN / "ansible-playbook")
    inject = subprocess.run(
        [playbook, "-i", str(inventory), "-f", str(len(hosts)), str(inject_book)],
        env=ansible_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if inject.returncode != 0:
        raise RuntimeError(f"inject failed:\n{inject.stdout[-4000:]}{inject.stderr[-2000:]}")
    if any(h.tcp_open(PORT, timeout=0.5) for h in hosts):
        raise RuntimeError("a blackhole did not take effect")
    fork = ["-f", str(len(hosts))]
    t0 = time.time()
    commands = _Commands()
    if who == "baseline":
        hold(moto.url, False)  # let GetExperiment move stopping -> stopped, as FIS would
        commands.start(
            [playbook, "-i", str(inventory), *fork, str(baseline_book)], ansible_env, work / "baseline.log"
        )
        for summary in fis.list_experiments()["experiments"]:
            if summary["state"]["status"] in ("pending", "initiating", "running"):
                fis.stop_experiment(id=summary["id"])
        stopped_at = _wait_stopped(fis, ids)
        commands.wait()
    else:
        if who == "CLI + playbook":
            commands.start(
                [str(VENV_BIN / "chaos-pulumi"), "stop-all", "--reason", "bench", "--format", "json"],
                cli_env,
                work / "cli.log",
            )
        commands.start(
            [
                playbook,
                "chaos.faults.stop_all",
                "-i",
                str(inventory),
                *fork,
                "-e",
                json.dumps({"stop_all_reason": "bench"}),
            ],
            ansible_env,
            work / "playbook.log",
        )
        commands.wait()
        stopped_at = max(_stopped_time(fis, i) for i in ids)
    done = time.time()
    reverted = []
    for host in hosts:
        records = [r for r in host.fault_records() if r.get("fault") == "network_blackhole"]
        latest = max(records, key=lambda r: r["started_at"])
        if not latest.get("reverted_at"):
            raise RuntimeError(f"{who}: the fault on {host.name} was not reverted")
        reverted.append(_epoch(latest["reverted_at"]))
    if not all(h.tcp_open(PORT, timeout=2) for h in hosts):
        raise RuntimeError(f"{who}: port {PORT} still blocked after the kill switch")
    return {
        "all experiments stopped": stopped_at - t0,
        "all host faults reverted": max(reverted) - t0,
        "done (every command exited)": done - t0,
    }


def _stopped_time(fis: Any, experiment_id: str) -> float:
    experiment = fis.get_experiment(id=experiment_id)["experiment"]
    if experiment["state"]["status"] != "stopped":
        raise RuntimeError(f"experiment {experiment_id} is {experiment['state']['status']}, not stopped")
    return _epoch(experiment["endTime"])


def _wait_stopped(fis: Any, ids: list[str], timeout: float = 60) -> float:
    deadline = time.monotonic() + timeout
    pending = set(ids)
    while pending:
        for experiment_id in list(pending):
            if fis.get_experiment(id=experiment_id)["experiment"]["state"]["status"] == "stopped":
                pending.discard(experiment_id)
        if time.monotonic() > deadline:
            raise RuntimeError(f"baseline: experiments not stopped: {sorted(pending)}")
    return time.time()


if __name__ == "__main__":
    raise SystemExit("run it through the suite: .venv/bin/python bench/run.py --only stop_all")
