"""The argv lists and rule sets the host-fault modules build, from validated values (no host needed).

nft rule sets are also parsed by the real `nft --check` when nft is installed and we are root: that
checks the syntax against the real parser without changing anything.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import subprocess
import sys

import pytest

from tests.harness.ansible import ROOT, collections_root

# Import the collection's module_utils the way Ansible names them (ansible_collections.chaos.faults...).
sys.path.insert(0, str(collections_root(ROOT / "build" / "unit-collections")))
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime import commands as c  # noqa: E402


def nets(*xs: str) -> list:
    return [ipaddress.ip_network(x, strict=False) for x in xs]


# ----------------------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("200M", 200 * 2**20),
        ("1G", 2**30),
        ("512k", 512 * 1024),
        ("1.5GiB", int(1.5 * 2**30)),
        ("4096", 4096),
        (8192, 8192),
        ("2 GB", 2 * 2**30),
    ],
)
def test_parse_size(text: object, expected: int) -> None:
    assert c.parse_size(text) == expected


@pytest.mark.parametrize("bad", ["", "lots", "-1M", "0", "1X", True, 0])
def test_parse_size_names_the_field(bad: object) -> None:
    with pytest.raises(c.InvalidValue, match="^reserve: "):
        c.parse_size(bad, "reserve")


@pytest.mark.parametrize(
    ("text", "num"), [("SIGTERM", 15), ("term", 15), ("KILL", 9), ("9", 9), ("sigstop", 19)]
)
def test_parse_signal(text: str, num: int) -> None:
    assert c.parse_signal(text) == num == int(signal.Signals(num))


@pytest.mark.parametrize("bad", ["SIGNOPE", "999", "-1"])
def test_parse_signal_rejects(bad: str) -> None:
    with pytest.raises(c.InvalidValue, match="^signal: "):
        c.parse_signal(bad)


def test_parse_ports() -> None:
    assert c.parse_ports([80, "443", "8000-8080", 80]) == [(80, 80), (443, 443), (8000, 8080)]
    assert c.parse_ports(None) == []
    for bad in ["0", "70000", "90-80", "http", "1-2-3"]:
        with pytest.raises(c.InvalidValue, match="^ports: "):
            c.parse_ports([bad])


def test_parse_networks_never_resolves_names() -> None:
    assert [str(n) for n in c.parse_networks(["10.0.0.5", "10.1.2.3/16", "::1"])] == [
        "10.0.0.5/32",
        "10.1.0.0/16",
        "::1/128",
    ]
    with pytest.raises(c.InvalidValue, match="^destinations: 'db.internal' is not an IP address"):
        c.parse_networks(["db.internal"])


def test_unit_name() -> None:
    assert c.unit_name("nginx") == "nginx.service"
    assert c.unit_name("getty@tty1") == "getty@tty1.service"
    assert c.unit_name("ssh.socket") == "ssh.socket"
    for bad in ["", "nginx; reboot", "a b", "$(id)"]:
        with pytest.raises(c.InvalidValue, match="^name: "):
            c.unit_name(bad)


def test_ssh_peer() -> None:
    assert c.ssh_peer("10.0.0.9 51234 10.0.0.5 22") == (ipaddress.ip_address("10.0.0.9"), 22)
    assert c.ssh_peer("fe80::1 5000 fe80::2 2222") == (ipaddress.ip_address("fe80::1"), 2222)
    assert c.ssh_peer(None) is None
    assert c.ssh_peer("garbage") is None


# --------------------------------------------------------------------------------------- stress-ng


def test_stress_ng_argv() -> None:
    assert c.stress_ng_cpu(2, 80, 30) == [
        "stress-ng",
        "--cpu",
        "2",
        "--cpu-load",
        "80",
        "--timeout",
        "30s",
        "--quiet",
    ]
    assert c.stress_ng_memory(1, 1024, 5) == [
        "stress-ng",
        "--vm",
        "1",
        "--vm-bytes",
        "1024b",
        "--vm-keep",
        "--timeout",
        "5s",
        "--quiet",
    ]
    assert c.stress_ng_io(3, 2048, "/srv/x y", 7) == [
        "stress-ng",
        "--hdd",
        "3",
        "--hdd-bytes",
        "2048b",
        "--temp-path",
        "/srv/x y",
        "--timeout",
        "7s",
        "--quiet",
    ]


# ---------------------------------------------------------------------------------------------- tc


def test_netem_args() -> None:
    assert c.netem_args(200, 0, 0) == ["netem", "delay", "200ms"]
    assert c.netem_args(100, 10, 2.5) == ["netem", "delay", "100ms", "10ms", "loss", "2.5%"]
    assert c.netem_args(0, 0, 100) == ["netem", "loss", "100%"]


def test_tc_without_filters_is_one_root_netem() -> None:
    assert c.tc_inject_commands("eth0", 200, 20, 0, [], []) == [
        ["tc", "qdisc", "add", "dev", "eth0", "root", "handle", "ca05:", "netem", "delay", "200ms", "20ms"]
    ]


def test_tc_with_destinations_and_ports_uses_prio_band_4() -> None:
    cmds = c.tc_inject_commands("ens5", 50, 0, 1, nets("10.0.3.15", "fd00::/64"), [(5432, 5432)])
    assert (
        cmds[0]
        == ["tc", "qdisc", "add", "dev", "ens5", "root", "handle", "ca05:", "prio", "bands", "4", "priomap"]
        + c.TC_PRIOMAP
    )
    assert "3" not in c.TC_PRIOMAP  # band 4 (index 3) only gets what the filters send there
    assert cmds[1] == [
        "tc",
        "qdisc",
        "add",
        "dev",
        "ens5",
        "parent",
        "ca05:4",
        "handle",
        "ca06:",
        "netem",
        "delay",
        "50ms",
        "loss",
        "1%",
    ]
    assert cmds[2] == [
        "tc",
        "filter",
        "add",
        "dev",
        "ens5",
        "parent",
        "ca05:",
        "protocol",
        "ip",
        "prio",
        "1",
        "u32",
        "match",
        "ip",
        "dst",
        "10.0.3.15/32",
        "match",
        "ip",
        "dport",
        "5432",
        "0xffff",
        "flowid",
        "ca05:4",
    ]
    assert cmds[3] == [
        "tc",
        "filter",
        "add",
        "dev",
        "ens5",
        "parent",
        "ca05:",
        "protocol",
        "ipv6",
        "prio",
        "1",
        "u32",
        "match",
        "ip6",
        "dst",
        "fd00::/64",
        "match",
        "ip6",
        "dport",
        "5432",
        "0xffff",
        "flowid",
        "ca05:4",
    ]
    assert len(cmds) == 4


def test_tc_port_only_matches_both_families() -> None:
    cmds = c.tc_inject_commands("eth0", 10, 0, 0, [], [(443, 443)])
    protos = [cmd[cmd.index("protocol") + 1] for cmd in cmds if cmd[1] == "filter"]
    assert protos == ["ip", "ipv6"]


def test_tc_refuses_port_ranges() -> None:
    with pytest.raises(c.InvalidValue, match="^ports: tc u32 filters take single ports"):
        c.tc_inject_commands("eth0", 10, 0, 0, [], [(80, 90)])


@pytest.mark.parametrize(
    ("show", "default", "ours"),
    [
        ("qdisc noqueue 0: root refcnt 2", True, False),
        ("qdisc fq_codel 0: root refcnt 2 limit 10240p", True, False),
        ("", True, False),
        ("qdisc htb 1: root refcnt 2 r2q 10 default 0", False, False),
        ("qdisc netem ca05: root refcnt 2 limit 1000 delay 100ms", False, True),
        ("qdisc prio ca05: root refcnt 2 bands 4 priomap 1 2 2 2", False, True),
    ],
)
def test_tc_root_classification(show: str, default: bool, ours: bool) -> None:
    assert c.tc_root_is_default(show) is default
    assert c.tc_root_is_ours(show) is ours


# ------------------------------------------------------------------------------------ nft / iptables


def test_nft_ingress_with_ssh_exclusion() -> None:
    ssh = c.ssh_peer("192.0.2.7 40000 192.0.2.1 22")
    text = c.nft_ruleset("chaos_faults_abc", "tcp", "ingress", [(80, 80), (8000, 8080)], [], ssh)
    assert text == (
        "table inet chaos_faults_abc {\n"
        "  chain input {\n"
        "    type filter hook input priority -10; policy accept;\n"
        "    ip saddr 192.0.2.7 tcp dport 22 accept\n"
        "    tcp dport { 80, 8000-8080 } drop\n"
        "  }\n"
        "}\n"
    )


def test_nft_egress_to_destinations_of_both_families() -> None:
    text = c.nft_ruleset("t", "all", "both", [(5432, 5432)], nets("10.0.0.0/24", "fd00::1"), None)
    assert "chain input" in text and "chain output" in text
    assert "ip daddr 10.0.0.0/24 tcp dport 5432 drop" in text
    assert "ip daddr 10.0.0.0/24 udp dport 5432 drop" in text
    assert "ip6 daddr fd00::1/128 tcp dport 5432 drop" in text
    assert "ip saddr 10.0.0.0/24 tcp dport 5432 drop" in text
    assert "accept\n" not in text.split("policy accept;")[1]


def test_nft_no_ports() -> None:
    assert "    ip daddr 10.9.9.9/32 drop\n" in c.nft_ruleset(
        "t", "all", "egress", [], nets("10.9.9.9"), None
    )
    assert "    meta l4proto udp drop\n" in c.nft_ruleset("t", "udp", "egress", [], [], None)


@pytest.mark.skipif(shutil.which("nft") is None or os.geteuid() != 0, reason="needs nft and root")
@pytest.mark.parametrize(
    "args",
    [
        ("tcp", "ingress", [(80, 80)], [], "192.0.2.7 1 192.0.2.1 22"),
        ("all", "both", [(1, 1024), (5432, 5432)], ["10.0.0.0/8", "fd00::/8", "192.0.2.1"], None),
        ("udp", "egress", [], ["::1"], "2001:db8::1 5 2001:db8::2 22"),
        ("all", "egress", [], ["203.0.113.9"], None),
    ],
)
def test_nft_rulesets_parse_with_the_real_nft(args: tuple) -> None:
    protocol, direction, ports, dests, ssh = args
    text = c.nft_ruleset("chaos_faults_unittest", protocol, direction, ports, nets(*dests), c.ssh_peer(ssh))
    # --check: parse and validate only, nothing is loaded into the kernel.
    res = subprocess.run(["nft", "--check", "-f", "-"], input=text, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr + "\n" + text


def test_iptables_commands_and_their_revert_order() -> None:
    ssh = c.ssh_peer("10.0.0.9 50000 10.0.0.5 22")
    inject, revert = c.iptables_commands(
        "chaos_faults_x", "tcp", "ingress", [(80, 80), (90, 95)], nets("10.0.0.0/24"), ssh
    )
    assert inject == [
        ["iptables", "-w", "-N", "chaos_faults_xi"],
        [
            "iptables",
            "-w",
            "-A",
            "chaos_faults_xi",
            "-s",
            "10.0.0.9",
            "-p",
            "tcp",
            "--dport",
            "22",
            "-j",
            "ACCEPT",
        ],
        [
            "iptables",
            "-w",
            "-A",
            "chaos_faults_xi",
            "-s",
            "10.0.0.0/24",
            "-p",
            "tcp",
            "-m",
            "multiport",
            "--dports",
            "80,90:95",
            "-j",
            "DROP",
        ],
        ["iptables", "-w", "-I", "INPUT", "1", "-j", "chaos_faults_xi"],
    ]
    assert revert == [
        ["iptables", "-w", "-D", "INPUT", "-j", "chaos_faults_xi"],
        ["iptables", "-w", "-F", "chaos_faults_xi"],
        ["iptables", "-w", "-X", "chaos_faults_xi"],
    ]


def test_iptables_without_destinations_covers_ipv4_and_ipv6_both_ways() -> None:
    inject, revert = c.iptables_commands("cf", "udp", "both", [(53, 53)], [], None)
    binaries = {cmd[0] for cmd in inject}
    assert binaries == {"iptables", "ip6tables"}
    jumps = [cmd for cmd in inject if cmd[2] == "-I"]
    assert sorted((cmd[0], cmd[3], cmd[-1]) for cmd in jumps) == [
        ("ip6tables", "INPUT", "cfi"),
        ("ip6tables", "OUTPUT", "cfo"),
        ("iptables", "INPUT", "cfi"),
        ("iptables", "OUTPUT", "cfo"),
    ]
    assert len(revert) == 12
