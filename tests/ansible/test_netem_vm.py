"""tc netem for real: chaos.faults.network_latency inside a Debian VM (this machine's kernel has no netem).

One VM boot (virtme-ng, qemu without KVM) runs one real ansible-playbook with a local connection
inside the guest. The delay is measured from inside with ping over a veth whose peer is a network
namespace of the VM: before, during, after ``state: absent``, and after a second fault expired on
its own (the watchdog reverted it).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.harness.ansible import ROOT, ansible_environment
from tests.harness.vm import require_vm, run_in_vm

PLAYBOOK = ROOT / "tests/ansible/playbooks/netem/latency.yml"
RTT = re.compile(r"rtt min/avg/max/mdev = ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms")


def min_rtt(ping_output: str) -> float:
    """The lowest RTT of a ping run: netem's delay is a floor, while the first packet (ARP, a cold
    emulated CPU) can be slow on its own."""
    m = RTT.search(ping_output)
    assert m, ping_output
    return float(m.group(1))


@pytest.mark.timeout(960)
def test_network_latency_inside_vm() -> None:
    require_vm()
    # our own directory, outside the work tree (build/ may be cleaned by others) and outside /tmp (the
    # guest's /tmp is its own tmpfs); the guest mounts it read-write at the same path
    shared = Path(tempfile.mkdtemp(prefix="chaos-netem-vm-", dir="/var/tmp"))
    try:
        env = ansible_environment(shared / "ansible")
        env.update(
            {
                "ANSIBLE_LOCAL_TEMP": "/tmp/ansible-local",
                "ANSIBLE_REMOTE_TEMP": "/tmp/ansible-remote",
                "ANSIBLE_HOME": "/tmp/ansible-home",
                "ANSIBLE_JSON_INDENT": "0",
            }
        )
        exports = "\n".join(
            f"export {k}={shlex.quote(v)}"
            for k, v in env.items()
            if k.startswith(("ANSIBLE_", "PYTHON")) or k == "PATH"
        )
        # modules run with the plain system Python (a short startup matters without KVM), no temp files
        env["ANSIBLE_PYTHON_INTERPRETER"] = "/usr/bin/python3"
        env["ANSIBLE_PIPELINING"] = "true"
        (shared / "ansible.cfg").write_text("")
        env["ANSIBLE_CONFIG"] = str(shared / "ansible.cfg")
        script = f"""
ip link set lo up
ip netns add peer
ip link add cgvm0 type veth peer name cgvm1
ip link set cgvm1 netns peer
ip addr add 10.254.250.1/24 dev cgvm0
ip link set cgvm0 up
ip netns exec peer ip addr add 10.254.250.2/24 dev cgvm1
ip netns exec peer ip link set cgvm1 up
ip netns exec peer ip link set lo up
{exports}
echo "VM-KERNEL $(uname -r)"
ping -n -q -c 5 -i 0.2 10.254.250.2 > {shared}/before.txt
start=$(date +%s)
ansible-playbook -i localhost, -c local {PLAYBOOK} \\
    > {shared}/playbook.json 2> {shared}/playbook.err || echo "VM-RC $?"
echo "VM-PLAYBOOK-SECONDS $(( $(date +%s) - start ))"
sleep 5  # the short fault (3 s) has ended by now: its watchdog reverted it
tc qdisc show dev cgvm0 > {shared}/expired-qdisc.txt
ping -n -q -c 5 -i 0.2 10.254.250.2 > {shared}/expired.txt
cat /run/chaos-faults/*.json > {shared}/records.json
"""
        run = run_in_vm(script, shared, timeout=900)
        print(
            f"netem VM: kernel {run.kernel}, boot {run.boot_s and round(run.boot_s, 1)} s, "
            f"playbook {run.lines('VM-PLAYBOOK-SECONDS')} s, total {run.total_s:.1f} s"
        )
        assert run.rc == 0, run.output[-4000:]
        assert not run.lines("VM-RC"), (shared / "playbook.err").read_text()[-4000:] + run.output[-2000:]
        data = json.loads((shared / "playbook.json").read_text())
        results = {t["task"]["name"]: t["hosts"]["localhost"] for p in data["plays"] for t in p["tasks"]}

        before = min_rtt((shared / "before.txt").read_text())
        during = min_rtt(results["Measure during"]["stdout"])
        after = min_rtt(results["Measure after revert"]["stdout"])
        expired = min_rtt((shared / "expired.txt").read_text())
        print(
            f"netem RTT ms: before {before}, during {during}, after revert {after}, after watchdog {expired}"
        )

        injected = results["Inject latency"]
        assert injected["changed"] is True and injected["fault"] == "network_latency"
        assert "netem" in results["Measure during"]["stdout"]
        assert during >= before + 80, (before, during)  # 100 ms on the veth's egress
        assert injected["fault_id"] in results["Revert"]["reverted"]
        assert "netem" not in results["Measure after revert"]["stdout"]
        assert after < during - 80, (during, after)
        assert "netem" not in (shared / "expired-qdisc.txt").read_text()
        assert expired < during - 80, (during, expired)
        records, decoder, text = {}, json.JSONDecoder(), (shared / "records.json").read_text().strip()
        while text:
            rec, end = decoder.raw_decode(text)
            records[rec["fault_id"]] = rec
            text = text[end:].strip()
        assert records[injected["fault_id"]]["reverted_by"] == "absent"
        short_id = results["Inject a short latency and leave it to its watchdog"]["fault_id"]
        assert records[short_id]["reverted_by"] == "duration"
    finally:
        shutil.rmtree(shared, ignore_errors=True)
