"""Test hosts in network namespaces, reached by the real ``ansible-playbook`` over real SSH.

``make_test_hosts(n)`` (the ``test_hosts`` fixture factory) builds N small Linux "hosts" on this
machine. Each one is:

* a **network namespace** ``cfgd<pid>-<k>-<n>`` with one interface ``eth0`` on a private bridge
  ``cg<pid hex><k>br`` that has ``10.254.<S>.1/24`` on the machine's side, the host itself being
  ``10.254.<S>.<10+n>``. ``<S>`` is a /24 no other fixture uses (chosen under a lock). No route leads
  anywhere else and IP forwarding stays off, so test traffic only ever reaches these addresses.
* a **mount and PID namespace** of its own, PID 1 being ``host_init.py``: a private tmpfs on
  ``/run/chaos-faults`` (the fault modules' records; a real host has its own), its own ``/proc``, so
  ``pgrep``/``process_kill`` see only that host's processes, and the kernel kills everything left in
  the host when PID 1 ends. The filesystem is otherwise the machine's (a per-host tmpfs ``scratch``
  directory is mounted for disk faults).
* a real **sshd** on ``<address>:22`` (own host key, root login with a generated ed25519 key only)
  and the **demo HTTP service** (``examples/ansible/demo_service.py``) on ``<address>:8080``.

``TestHosts.inventory`` is a YAML inventory for ``ansible-playbook`` (ssh connection, the key,
``/usr/bin/python3`` on the target like a plain Debian host, pipelining, no SSH multiplexing so
nothing lingers). ``TestHost.run(...)`` runs a command *inside* a host (nsenter), which is how tests
look at nft rulesets, tc qdiscs, processes and fault records without going through the system under
test.

Teardown always runs (fixture finaliser; even a SIGKILLed pytest takes its hosts down, because
the namespace's first process has PDEATHSIG and namespaces of dead runs are removed the next time):
it stops PID 1 of each host (which takes every process of the host with it), deletes the
namespaces, the veths and the bridge.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_SERVICE = ROOT / "examples" / "ansible" / "demo_service.py"
HOST_INIT = Path(__file__).with_name("host_init.py")
SUBNET_LOCK = Path("/run/lock/cfgd-test-hosts.lock")
NETNS_PREFIX = "cfgd"
HTTP_PORT = 8080
PR_SET_PDEATHSIG = 1
TOOLS = ("ip", "sshd", "ssh-keygen", "nsenter", "unshare", "mount")


class HostSetupError(RuntimeError):
    """A test host could not be built; the message says which step and what the command printed."""


def missing_tools() -> list[str]:
    """Commands the harness needs that are not installed (``scripts/install-system-deps`` installs them)."""
    found = []
    for tool in TOOLS:
        if not (shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")):
            found.append(tool)
    return found


def _sh(argv: Sequence[str], *, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise HostSetupError(
            f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip() or proc.stdout}"
        )
    return proc


def _die_with_parent() -> None:
    """preexec: the namespace's first process gets SIGKILL when pytest dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


@dataclass
class TestHost:
    """One namespace host; ``name`` is its inventory name."""

    __test__ = False  # not a pytest test class

    name: str
    netns: str
    address: str
    workdir: Path
    scratch: str
    http_port: int = HTTP_PORT
    init_pid: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def url(self, path: str = "/health") -> str:
        return f"http://{self.address}:{self.http_port}{path}"

    def run(self, *argv: str, check: bool = False, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """Run a command inside the host (its network, mount and PID namespaces)."""
        command = ["nsenter", "-t", str(self.init_pid), "-n", "-m", "-p", "--", *argv]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} on {self.name} exited {proc.returncode}: {proc.stderr}")
        return proc

    def http_get(self, path: str = "/health", timeout: float = 2.0) -> tuple[int | None, float]:
        """(status or None when unreachable, seconds taken) of one GET from the machine to the host."""
        start = time.monotonic()
        try:
            with urllib.request.urlopen(self.url(path), timeout=timeout) as resp:  # noqa: S310 - test address
                resp.read()
                return resp.status, time.monotonic() - start
        except urllib.error.HTTPError as exc:
            return exc.code, time.monotonic() - start
        except (OSError, urllib.error.URLError):
            return None, time.monotonic() - start

    def tcp_open(self, port: int, timeout: float = 1.0) -> bool:
        """Whether a TCP connection from the machine to ``address:port`` succeeds."""
        try:
            with socket.create_connection((self.address, port), timeout=timeout):
                return True
        except OSError:
            return False

    def fault_records(self) -> list[dict]:
        """The fault records in this host's private /run/chaos-faults."""
        out = self.run("sh", "-c", "cat /run/chaos-faults/*.json 2>/dev/null; true")
        records, decoder, text = [], json.JSONDecoder(), out.stdout.strip()
        while text:
            obj, end = decoder.raw_decode(text)
            records.append(obj)
            text = text[end:].strip()
        return records

    def processes(self) -> list[str]:
        """Command lines of every process of the host."""
        out = self.run("ps", "-e", "-o", "args=")
        return [line.strip() for line in out.stdout.splitlines() if line.strip()]


@dataclass
class TestHosts:
    """The hosts of one ``make_test_hosts`` call and the inventory to reach them."""

    __test__ = False

    hosts: list[TestHost]
    inventory: Path
    key: Path
    bridge: str
    subnet: int
    workdir: Path

    def __iter__(self) -> Iterator[TestHost]:
        return iter(self.hosts)

    def __len__(self) -> int:
        return len(self.hosts)

    def __getitem__(self, i: int) -> TestHost:
        return self.hosts[i]

    def by_name(self, name: str) -> TestHost:
        return next(h for h in self.hosts if h.name == name)

    def ssh(self, host: TestHost, command: str, timeout: float = 15) -> subprocess.CompletedProcess[str]:
        """Run ``command`` on ``host`` over SSH with the test key, as Ansible would reach it."""
        return subprocess.run(
            ["ssh", *ssh_options(self.key), f"root@{host.address}", command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def ssh_options(key: Path) -> list[str]:
    return [
        "-i",
        str(key),
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=5",
        "-o",
        "ControlMaster=no",
        "-o",
        "LogLevel=ERROR",
    ]


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def remove_stale() -> list[str]:
    """Delete namespaces and bridges of earlier runs whose pytest process is gone; return their names."""
    removed = []
    listing = _sh(["ip", "netns", "list"], check=False).stdout
    for line in listing.splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.fullmatch(rf"{NETNS_PREFIX}(\d+)-\d+-\d+", name)
        if m and not _alive(int(m.group(1))):
            _kill_netns_processes(name)
            _sh(["ip", "netns", "delete", name], check=False)
            removed.append(name)
    links = _sh(["ip", "-o", "link", "show", "type", "bridge"], check=False).stdout
    for m in re.finditer(r"^\d+: (cg([0-9a-f]+)x\d+br)[:@]", links, re.M):
        if not _alive(int(m.group(2), 16)):
            _sh(["ip", "link", "delete", m.group(1)], check=False)
            removed.append(m.group(1))
    return removed


def _kill_netns_processes(netns: str) -> None:
    pids = _sh(["ip", "netns", "pids", netns], check=False).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


class _SubnetLock:
    """Serialises subnet choice between concurrent pytest runs."""

    def __enter__(self) -> _SubnetLock:
        SUBNET_LOCK.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(SUBNET_LOCK, os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def _free_subnet() -> int:
    used = set(int(m) for m in re.findall(r"inet 10\.254\.(\d+)\.", _sh(["ip", "-4", "addr"]).stdout))
    used |= set(int(m) for m in re.findall(r"10\.254\.(\d+)\.0/24", _sh(["ip", "-4", "route"]).stdout))
    for s in range(1, 250):
        if s not in used:
            return s
    raise HostSetupError(
        "no free 10.254.x.0/24 test subnet (250 in use?): run tests/harness/hosts.py --cleanup"
    )


class HostFactory:
    """Builds and tears down groups of namespace hosts; one per test (``test_hosts`` fixture)."""

    _counter = 0

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.groups: list[TestHosts] = []

    def __call__(self, count: int = 3, *, names: Sequence[str] | None = None) -> TestHosts:
        if not 1 <= count <= 20:
            raise ValueError(f"count: {count} hosts asked for; use 1..20")
        remove_stale()
        HostFactory._counter += 1
        k = HostFactory._counter
        pid = os.getpid()
        group_dir = self.workdir / f"hosts-{k}"
        group_dir.mkdir(parents=True, exist_ok=True)
        key = group_dir / "id_ed25519"
        _sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "chaos-test", "-f", str(key)])
        bridge = f"cg{pid:x}x{k}br"
        with _SubnetLock():
            subnet = _free_subnet()
            _sh(["ip", "link", "add", bridge, "type", "bridge"])
            _sh(["ip", "addr", "add", f"10.254.{subnet}.1/24", "dev", bridge])
            _sh(["ip", "link", "set", bridge, "up"])
        group = TestHosts(
            hosts=[],
            inventory=group_dir / "inventory.yml",
            key=key,
            bridge=bridge,
            subnet=subnet,
            workdir=group_dir,
        )
        self.groups.append(group)
        names = list(names or [f"h{i + 1}" for i in range(count)])
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
        for i, name in enumerate(names[:count]):
            group.hosts.append(self._start_host(group, k, i + 1, name))
        for host in group.hosts:
            self._wait_ready(host)
        group.inventory.write_text(self._inventory(group))
        return group

    def _start_host(self, group: TestHosts, k: int, n: int, name: str) -> TestHost:
        pid = os.getpid()
        netns = f"{NETNS_PREFIX}{pid}-{k}-{n}"
        address = f"10.254.{group.subnet}.{10 + n}"
        hdir = group.workdir / name
        hdir.mkdir(parents=True, exist_ok=True)
        host = TestHost(name=name, netns=netns, address=address, workdir=hdir, scratch=str(hdir / "scratch"))
        veth, peer = f"cg{pid:x}x{k}v{n}", f"cg{pid:x}x{k}p{n}"
        _sh(["ip", "netns", "add", netns])
        _sh(["ip", "link", "add", veth, "type", "veth", "peer", "name", peer])
        _sh(["ip", "link", "set", peer, "netns", netns])
        _sh(["ip", "link", "set", veth, "master", group.bridge])
        _sh(["ip", "link", "set", veth, "up"])
        ns = ["ip", "netns", "exec", netns]
        _sh([*ns, "ip", "link", "set", "lo", "up"])
        _sh([*ns, "ip", "link", "set", peer, "name", "eth0"])
        _sh([*ns, "ip", "addr", "add", f"{address}/24", "dev", "eth0"])
        _sh([*ns, "ip", "link", "set", "eth0", "up"])
        _sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(hdir / "ssh_host_ed25519_key")])
        shutil.copy(f"{group.key}.pub", hdir / "authorized_keys")
        (hdir / "sshd_config").write_text(
            "\n".join(
                [
                    "Port 22",
                    f"ListenAddress {address}",
                    f"HostKey {hdir / 'ssh_host_ed25519_key'}",
                    f"AuthorizedKeysFile {hdir / 'authorized_keys'}",
                    "PidFile none",
                    "PermitRootLogin prohibit-password",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "StrictModes no",
                    "UseDNS no",
                    "PrintMotd no",
                    "MaxStartups 100:30:200",
                    "MaxSessions 100",
                    "Subsystem sftp internal-sftp",
                    "LogLevel ERROR",
                    "",
                ]
            )
        )
        sshd = shutil.which("sshd", path="/usr/sbin:/sbin") or "/usr/sbin/sshd"
        config = {
            "log": str(hdir / "host.log"),
            "ready": str(hdir / "ready.json"),
            "tmpfs": [host.scratch],
            "services": [
                [sshd, "-D", "-e", "-f", str(hdir / "sshd_config")],
                ["/usr/bin/python3", str(DEMO_SERVICE), "--host", address, "--port", str(HTTP_PORT)],
            ],
        }
        (hdir / "init.json").write_text(json.dumps(config))
        argv = [
            *ns,
            "unshare",
            "--mount",
            "--pid",
            "--fork",
            "--kill-child",
            "--mount-proc",
            "--propagation",
            "private",
            "/usr/bin/python3",
            str(HOST_INIT),
            str(hdir / "init.json"),
        ]
        log = open(hdir / "init.log", "ab")  # noqa: SIM115 - handed to the child
        host.process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            preexec_fn=_die_with_parent,
            start_new_session=True,
        )
        log.close()
        return host

    def _wait_ready(self, host: TestHost, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        ready = host.workdir / "ready.json"
        while time.monotonic() < deadline:
            if host.process is not None and host.process.poll() is not None:
                raise HostSetupError(f"test host {host.name} exited early: {self._logs(host)}")
            if ready.exists() and not host.init_pid:
                host.init_pid = self._find_init_pid(host)
            if host.init_pid and host.tcp_open(22, 0.5) and host.tcp_open(host.http_port, 0.5):
                return
            time.sleep(0.05)
        raise HostSetupError(
            f"test host {host.name} ({host.address}) not ready in {timeout}s: {self._logs(host)}"
        )

    @staticmethod
    def _find_init_pid(host: TestHost) -> int:
        """PID (in the machine's view) of the host's PID 1: the child of our unshare process."""
        assert host.process is not None
        children = Path(f"/proc/{host.process.pid}/task/{host.process.pid}/children")
        for _ in range(100):
            pids = children.read_text().split() if children.exists() else []
            if pids:
                return int(pids[0])
            time.sleep(0.02)
        raise HostSetupError(f"test host {host.name}: no init process under unshare {host.process.pid}")

    @staticmethod
    def _logs(host: TestHost) -> str:
        text = ""
        for name in ("init.log", "host.log"):
            p = host.workdir / name
            if p.exists():
                text += f"\n--- {name}\n{p.read_text(errors='replace')[-3000:]}"
        return text

    @staticmethod
    def _inventory(group: TestHosts) -> str:
        hosts = {
            h.name: {
                "ansible_host": h.address,
                "http_url": h.url(),
                "scratch_dir": h.scratch,
                "netns": h.netns,
            }
            for h in group.hosts
        }
        inventory = {
            "all": {
                "hosts": hosts,
                "vars": {
                    "ansible_connection": "ssh",
                    "ansible_user": "root",
                    "ansible_ssh_private_key_file": str(group.key),
                    "ansible_ssh_args": "-o ControlMaster=no",
                    "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                    "-o ConnectTimeout=5 -o ServerAliveInterval=5",
                    "ansible_ssh_pipelining": True,
                    "ansible_python_interpreter": "/usr/bin/python3",
                },
            }
        }
        return json.dumps(inventory, indent=2) + "\n"  # JSON is YAML

    def teardown(self) -> None:
        errors = []
        for group in reversed(self.groups):
            for host in group.hosts:
                try:
                    self._stop_host(host)
                except Exception as exc:  # keep tearing down the rest
                    errors.append(f"{host.name}: {exc}")
            _sh(["ip", "link", "delete", group.bridge], check=False)
        self.groups.clear()
        if errors:
            raise HostSetupError("teardown: " + "; ".join(errors))

    @staticmethod
    def _stop_host(host: TestHost) -> None:
        if host.init_pid and _alive(host.init_pid):
            try:
                os.kill(host.init_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if host.process is not None:
            try:
                host.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                host.process.kill()  # --kill-child: PID 1 and with it the whole PID namespace go too
                host.process.wait(timeout=5)
        _kill_netns_processes(host.netns)
        _sh(["ip", "netns", "delete", host.netns], check=False)


# ---- looking at a host from outside the system under test


def ts(text: str) -> float:
    """Epoch seconds of an ISO-8601 time as the fault records write it."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def wait_until(
    predicate: Callable[[], Any], timeout: float, interval: float = 0.1, what: str = "condition"
) -> Any:
    """Poll ``predicate`` until it returns something truthy (returned) or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def ruleset(host: TestHost) -> str:
    return host.run("nft", "list", "ruleset", check=True).stdout.strip()


def iptables_rules(host: TestHost) -> str:
    out = host.run("iptables-save").stdout
    return "\n".join(ln for ln in out.splitlines() if ln.startswith("-A"))


def qdiscs(host: TestHost) -> str:
    return host.run("tc", "qdisc", "show", "dev", "eth0", check=True).stdout


def leftovers(host: TestHost) -> list[str]:
    """Anything a fault could have left on the host: processes, rules, qdiscs, fill files, live records."""
    found = []
    for proc in host.processes():
        if not (proc.startswith(("sshd:", "ps ")) or "host_init.py" in proc or "demo_service.py" in proc):
            found.append(f"process {proc!r}")
    if ruleset(host):
        found.append(f"nft ruleset {ruleset(host)!r}")
    if iptables_rules(host):
        found.append(f"iptables {iptables_rules(host)!r}")
    if "netem" in qdiscs(host) or "tbf" in qdiscs(host):
        found.append(f"qdisc {qdiscs(host)!r}")
    files = host.run("find", host.scratch, "-mindepth", "1").stdout.split()
    if files:
        found.append(f"files {files}")
    for rec in host.fault_records():
        if not rec.get("reverted_at"):
            found.append(f"record {rec.get('fault_id')} not reverted")
    return found


def require_host_tools() -> None:
    """Skip (locally) or fail (CI=true) when the machine cannot make namespace hosts."""
    problems = missing_tools()
    if os.geteuid() != 0:
        problems.append("root")
    if problems:
        msg = f"namespace test hosts need {', '.join(problems)}: run scripts/install-system-deps as root"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture
def test_hosts(tmp_path: Path) -> Iterator[Callable[..., TestHosts]]:
    """Factory: ``hosts = test_hosts(3)`` gives three namespace hosts; all are removed after the test."""
    require_host_tools()
    factory = HostFactory(tmp_path)
    try:
        yield factory
    finally:
        factory.teardown()


if __name__ == "__main__":
    if sys.argv[1:] == ["--cleanup"]:
        print("removed:", " ".join(remove_stale()) or "nothing")
