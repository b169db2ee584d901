"""The namespace test hosts themselves: real SSH from ansible-playbook, isolated per-host state."""

from __future__ import annotations

import subprocess

from tests.harness import hosts as hosts_harness
from tests.harness.ansible import AnsibleEnv, run_playbook

test_hosts = hosts_harness.test_hosts

PLAYBOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - name: who am I
      ansible.builtin.shell: |
        hostname -I
        echo {{ inventory_hostname }} > /run/chaos-faults/owner
        cat /proc/1/cmdline
      changed_when: false
"""


def test_hosts_reached_over_ssh_with_private_state(test_hosts, ansible: AnsibleEnv, tmp_path) -> None:
    hosts = test_hosts(3)
    playbook = tmp_path / "whoami.yml"
    playbook.write_text(PLAYBOOK)
    result = run_playbook(playbook, ansible, inventory=hosts.inventory)
    assert result.rc == 0, result.output
    for host in hosts:
        out = result.task("who am I", host.name)["stdout"]
        assert host.address in out
        assert "host_init.py" in out  # PID 1 of the host's own PID namespace
        # each host has its own /run/chaos-faults: the file written over SSH is seen only there
        assert host.run("cat", "/run/chaos-faults/owner", check=True).stdout.strip() == host.name
    assert not (hosts_harness.Path("/run/chaos-faults/owner")).exists()


def test_teardown_leaves_nothing(tmp_path) -> None:
    hosts_harness.require_host_tools()
    factory = hosts_harness.HostFactory(tmp_path)
    group = factory(2)
    names = [h.netns for h in group]
    pids = [h.init_pid for h in group]
    factory.teardown()
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert not any(n in listing for n in names)
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert group.bridge not in links
    assert not any(hosts_harness.Path(f"/proc/{p}").exists() for p in pids)
