"""The embedded default: a real moto server process on a loopback port, standing in for AWS.

`make demo`, the tests and the benchmarks run FIS calls against it through the standard
`AWS_ENDPOINT_URL` setting, so no code path checks "am I local". Needs the `local` extra
(`pip install 'chaos-pulumi[local]'`, which brings `moto[server]`). The server runs with the
operations moto lacks added as documented stand-ins (`chaos_pulumi.standins`: the FIS safety lever).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

# Dummy credentials: moto accepts anything; tests grep state and logs for the secret to prove it never leaks.
FAKE_ACCESS_KEY = "AKIACHAOSPULUMITEST1"
FAKE_SECRET_KEY = "chaos-pulumi-test-secret-0123456789abcdef"
REGION = "us-east-1"
AMI = "ami-12c6146b"  # one of the images moto knows in every Region
EXPERIMENT_MODEL = "fis::experiment"  # moto's state-manager name for FIS experiments


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class MotoServer:
    """A running moto server: its URL and the AWS environment variables that point boto3 at it."""

    url: str
    env: dict[str, str]

    def reset(self) -> None:
        """Forget every resource, so the next user starts from an empty account."""
        req = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=10).read()

    def client(self, service: str = "fis"):
        """A boto3 client for `service` on this server."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=FAKE_ACCESS_KEY,
            aws_secret_access_key=FAKE_SECRET_KEY,
        )

    def run_instances(self, count: int, tags: dict[str, str], subnet: str | None = None) -> list[str]:
        """Start ``count`` EC2 instances carrying ``tags`` (for templates to target); their ids."""
        kwargs: dict = {"ImageId": AMI, "MinCount": count, "MaxCount": count}
        if tags:
            tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]
            kwargs["TagSpecifications"] = [{"ResourceType": "instance", "Tags": tag_list}]
        if subnet:
            kwargs["SubnetId"] = subnet
        return [i["InstanceId"] for i in self.client("ec2").run_instances(**kwargs)["Instances"]]

    def hold_experiments(self, held: bool) -> None:
        """Pin FIS experiments in the state they are in (``held``), or let them move on again.

        moto moves an experiment one state per GetExperiment (pending, initiating, running, completed),
        so a run is over after three reads. Held (moto's documented state-manager API, a manual
        transition), it stays where it is until something stops it: StopExperiment, the safety lever.
        """
        if held:
            transition = {"progression": "manual", "times": 10**9}
            self._moto_api("set-transition", {"model_name": EXPERIMENT_MODEL, "transition": transition})
        else:
            self._moto_api("unset-transition", {"model_name": EXPERIMENT_MODEL})

    def _moto_api(self, path: str, body: dict) -> None:
        req = urllib.request.Request(
            f"{self.url}/moto-api/state-manager/{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(req, timeout=10).read()


def pulumi_env(work: Path, aws_env: dict[str, str], path: Sequence[str] = ()) -> dict[str, str]:
    """The environment for the Pulumi CLI on the embedded default: a throwaway Pulumi home and local
    file backend under ``work``, the AWS environment ``aws_env`` (a moto server's), ``path`` (where
    ``pulumi`` is) before this Python's directory on PATH, and this Python for programs and packs."""
    home, backend = work / "pulumi-home", work / "state"
    home.mkdir(exist_ok=True)
    backend.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "AWS_"))}
    env.update(aws_env)
    search = [*path, str(Path(sys.executable).parent), env.get("PATH", "/usr/bin:/bin")]
    env.update(
        {
            "PATH": os.pathsep.join(search),
            "PULUMI_HOME": str(home),
            "PULUMI_BACKEND_URL": backend.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": "chaos-pulumi-demo",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_PYTHON_CMD": sys.executable,
        }
    )
    return env


@contextlib.contextmanager
def moto_server_process(log: Path) -> Iterator[MotoServer]:
    """Start a moto server on a free loopback port (output to `log`); stop it on exit."""
    try:
        import moto  # noqa: F401
    except ImportError:
        raise RuntimeError(
            "the embedded default needs moto: pip install 'chaos-pulumi[local]' (moto[server] >= 5.2.5)"
        ) from None
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "chaos_pulumi.standins", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"moto server did not start; log:\n{log.read_text()}") from None
            time.sleep(0.2)
    env = {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        # Never let a developer's real profile or instance metadata leak in.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    try:
        yield MotoServer(url=url, env=env)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
