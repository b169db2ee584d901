# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Pure builders for the host-fault modules: argv lists and rule sets from validated values.

Nothing here runs a command or touches the host, so every builder is unit-tested with plain
values. Every value that ends up in an argv or a rule set is validated first (ints, ip networks,
unit names matching a strict pattern); no shell ever sees any of it.
"""

from __future__ import annotations

import ipaddress
import re
import signal

from .errors import InvalidValue

SIZE_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)
_UNIT_RE = re.compile(r"^[A-Za-z0-9:_.@\\-]+$")
_IFACE_RE = re.compile(r"^[A-Za-z0-9_.:@-]{1,15}$")

# tc handles we own: finding one of these at the root of an interface means the qdisc is ours.
TC_ROOT_HANDLE = "ca05:"
TC_NETEM_HANDLE = "ca06:"
# Band 4 of a 4-band prio qdisc carries the delayed traffic; the priomap never selects it.
TC_PRIOMAP = ["1", "2", "2", "2", "1", "2", "0", "0", "1", "1", "1", "1", "1", "1", "1", "1"]

# Units whose loss takes the host out of reach or breaks the machinery that reverts faults.
PROTECTED_UNITS = frozenset(
    [
        "ssh.service",
        "sshd.service",
        "ssh.socket",
        "dbus.service",
        "dbus.socket",
        "systemd-journald.service",
        "systemd-logind.service",
        "systemd-networkd.service",
        "networking.service",
        "NetworkManager.service",
    ]
)


def parse_size(value: object, field: str = "size") -> int:
    """`200M`, `1G`, `512k`, `1.5GiB` or a plain byte count -> bytes."""
    if isinstance(value, bool):
        raise InvalidValue(f"{field}: expected a size like 200M or 1G, got {value!r}")
    if isinstance(value, int):
        if value <= 0:
            raise InvalidValue(f"{field}: must be greater than 0, got {value}")
        return value
    m = _SIZE_RE.match(str(value))
    if not m:
        raise InvalidValue(f"{field}: expected a size like 200M, 1G or 4096 (bytes), got {value!r}")
    n = int(float(m.group(1)) * SIZE_UNITS[m.group(2).upper()])
    if n <= 0:
        raise InvalidValue(f"{field}: must be greater than 0, got {value!r}")
    return n


def parse_signal(value: object) -> int:
    """`SIGTERM`, `TERM`, `term` or `15` -> signal number."""
    text = str(value).strip().upper()
    if text.isdigit():
        num = int(text)
        try:
            signal.Signals(num)
        except ValueError:
            raise InvalidValue(f"signal: {num} is not a signal number on this host") from None
        return num
    if not text.startswith("SIG"):
        text = "SIG" + text
    try:
        return int(signal.Signals[text])
    except KeyError:
        hint = "use a name like SIGTERM or SIGKILL, or a number"
        raise InvalidValue(f"signal: unknown signal {value!r}; {hint}") from None


def parse_networks(values: object, field: str = "destinations") -> list:
    """A list of addresses or CIDRs -> ip_network objects (host bits allowed and cleared)."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [v for v in re.split(r"[,\s]+", values) if v]
    out = []
    for v in values:  # type: ignore[union-attr]
        try:
            out.append(ipaddress.ip_network(str(v).strip(), strict=False))
        except ValueError:
            raise InvalidValue(
                f"{field}: {v!r} is not an IP address or CIDR (names are not resolved on purpose; "
                "give addresses like 10.0.0.5 or 10.0.0.0/24)"
            ) from None
    return out


def parse_ports(values: object, field: str = "ports") -> list:
    """A list of ports or ranges (`80`, `8000-8080`) -> sorted (low, high) tuples."""
    if values is None:
        return []
    if isinstance(values, (int, str)):
        values = [values]
    out = []
    for v in values:  # type: ignore[union-attr]
        text = str(v).strip()
        m = re.match(r"^(\d+)(?:-(\d+))?$", text)
        if not m:
            raise InvalidValue(f"{field}: {v!r} is not a port or a range like 8000-8080")
        lo = int(m.group(1))
        hi = int(m.group(2) or lo)
        if not (1 <= lo <= hi <= 65535):
            raise InvalidValue(f"{field}: {v!r} must be within 1-65535 (low-high)")
        out.append((lo, hi))
    return sorted(set(out))


def unit_name(name: str) -> str:
    """A systemd unit name, `.service` appended when no suffix is given."""
    if not name or not _UNIT_RE.match(name):
        raise InvalidValue(f"name: {name!r} is not a systemd unit name (letters, digits, :_.@-\\ only)")
    if "." not in name.rsplit("@", 1)[-1]:
        name += ".service"
    return name


def interface_name(name: str) -> str:
    if not name or not _IFACE_RE.match(name):
        raise InvalidValue(f"interface: {name!r} is not a network interface name")
    return name


# ----------------------------------------------------------------------------------------- stress-ng


def stress_ng_cpu(workers: int, load: int, duration: int) -> list:
    return ["stress-ng", "--cpu", str(workers), "--cpu-load", str(load), "--timeout", f"{duration}s",
            "--quiet"]


def stress_ng_memory(workers: int, bytes_per_worker: int, duration: int) -> list:
    return ["stress-ng", "--vm", str(workers), "--vm-bytes", f"{bytes_per_worker}b", "--vm-keep",
            "--timeout", f"{duration}s", "--quiet"]


def stress_ng_io(workers: int, bytes_per_worker: int, directory: str, duration: int) -> list:
    return ["stress-ng", "--hdd", str(workers), "--hdd-bytes", f"{bytes_per_worker}b",
            "--temp-path", directory, "--timeout", f"{duration}s", "--quiet"]


# ----------------------------------------------------------------------------------------------- tc


def netem_args(delay_ms: int, jitter_ms: int, loss_percent: float) -> list:
    args = ["netem"]
    if delay_ms or jitter_ms:
        args += ["delay", f"{delay_ms}ms"]
        if jitter_ms:
            args += [f"{jitter_ms}ms"]
    if loss_percent:
        args += ["loss", f"{_num(loss_percent)}%"]
    return args


def _num(x: float) -> str:
    return (f"{x:f}").rstrip("0").rstrip(".")


def tc_inject_commands(interface: str, delay_ms: int, jitter_ms: int, loss_percent: float,
                       destinations: list, ports: list) -> list:
    """The tc commands that add our netem, in order.

    Without destinations or ports, netem is the root qdisc and delays all egress traffic. With
    them, a 4-band prio qdisc sends matching traffic (u32 filters) to band 4, which holds netem;
    everything else keeps its usual bands and is not delayed.
    """
    dev = ["dev", interface]
    netem = netem_args(delay_ms, jitter_ms, loss_percent)
    if not destinations and not ports:
        return [["tc", "qdisc", "add"] + dev + ["root", "handle", TC_ROOT_HANDLE] + netem]
    cmds = [
        ["tc", "qdisc", "add"] + dev + ["root", "handle", TC_ROOT_HANDLE, "prio", "bands", "4", "priomap"]
        + TC_PRIOMAP,
        ["tc", "qdisc", "add"] + dev + ["parent", TC_ROOT_HANDLE + "4", "handle", TC_NETEM_HANDLE] + netem,
    ]
    nets = destinations or [None]
    port_list = ports or [None]
    for net in nets:
        for port in port_list:
            proto = "ipv6" if net is not None and net.version == 6 else "ip"
            matches = []
            if net is not None:
                matches += ["match", "ip6" if net.version == 6 else "ip", "dst", str(net)]
            if port is not None:
                lo, hi = port
                if lo != hi:
                    raise InvalidValue(f"ports: tc u32 filters take single ports, not ranges ({lo}-{hi})")
                matches += ["match", "ip6" if proto == "ipv6" else "ip", "dport", str(lo), "0xffff"]
            head = ["tc", "filter", "add"] + dev + ["parent", TC_ROOT_HANDLE, "protocol", proto, "prio", "1"]
            cmds.append(head + ["u32"] + matches + ["flowid", TC_ROOT_HANDLE + "4"])
            if net is None and port is not None:
                # No destination given: match the port over IPv6 too.
                cmds.append(["tc", "filter", "add"] + dev + ["parent", TC_ROOT_HANDLE, "protocol", "ipv6",
                                                             "prio", "2", "u32", "match", "ip6", "dport",
                                                             str(port[0]), "0xffff", "flowid",
                                                             TC_ROOT_HANDLE + "4"])
    return cmds


def tc_show_root(interface: str) -> list:
    return ["tc", "qdisc", "show", "dev", interface, "root"]


def tc_delete_root(interface: str) -> list:
    return ["tc", "qdisc", "del", "dev", interface, "root"]


def tc_root_is_default(show_output: str) -> bool:
    """True when the root qdisc is the kernel's default (handle 0:), i.e. nobody configured one."""
    line = show_output.strip().splitlines()[0] if show_output.strip() else ""
    if not line:
        return True
    parts = line.split()
    return len(parts) >= 3 and parts[2] == "0:"


def tc_root_is_ours(show_output: str) -> bool:
    line = show_output.strip().splitlines()[0] if show_output.strip() else ""
    parts = line.split()
    return len(parts) >= 3 and parts[2] == TC_ROOT_HANDLE


# ------------------------------------------------------------------------------------ nft / iptables


def ssh_peer(ssh_connection: str | None) -> tuple | None:
    """`SSH_CONNECTION` ("client_ip client_port server_ip server_port") -> (client ip, server port)."""
    if not ssh_connection:
        return None
    parts = ssh_connection.split()
    if len(parts) != 4:
        return None
    try:
        return ipaddress.ip_address(parts[0]), int(parts[3])
    except ValueError:
        return None


def _nft_set(items: list) -> str:
    return items[0] if len(items) == 1 else "{ " + ", ".join(items) + " }"


def _nft_ports(ports: list) -> str:
    return _nft_set([str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ports])


def nft_ruleset(table: str, protocol: str, direction: str, ports: list, destinations: list,
                ssh: tuple | None) -> str:
    """An nft script (fed to `nft -f -`, atomic) that creates table `inet <table>` with drop rules.

    ingress drops packets arriving for local `ports` (from `destinations` when given); egress drops
    packets leaving towards `destinations`/remote `ports`. `ssh` = (client ip, server port) of the
    Ansible connection: an accept rule ahead of the drops keeps it alive.
    """
    protos = ["tcp", "udp"] if protocol == "all" else [protocol]
    chains = []
    for hook, chain_dir, addr_key in (("input", "ingress", "saddr"), ("output", "egress", "daddr")):
        if direction not in (chain_dir, "both"):
            continue
        rules = []
        if ssh is not None:
            fam = "ip6" if ssh[0].version == 6 else "ip"
            port_key = "dport" if hook == "input" else "sport"
            rules.append(f"{fam} {addr_key} {ssh[0]} tcp {port_key} {ssh[1]} accept")
        by_family = {}
        for net in destinations:
            by_family.setdefault("ip6" if net.version == 6 else "ip", []).append(str(net))
        addr_matches = [""] if not by_family else [
            f"{fam} {addr_key} {_nft_set(nets)} " for fam, nets in sorted(by_family.items())
        ]
        for addr in addr_matches:
            if ports:
                for proto in protos:
                    rules.append(f"{addr}{proto} dport {_nft_ports(ports)} drop")
            elif protocol == "all":
                rules.append(f"{addr}drop" if addr else "drop")
            else:
                rules.append(f"{addr}meta l4proto {protocol} drop")
        body = "\n".join("    " + r for r in rules)
        chains.append(
            f"  chain {hook} {{\n    type filter hook {hook} priority -10; policy accept;\n{body}\n  }}"
        )
    return "table inet {} {{\n{}\n}}\n".format(table, "\n".join(chains))


def nft_inject_command() -> list:
    return ["nft", "-f", "-"]


def nft_delete_table(table: str) -> list:
    return ["nft", "delete", "table", "inet", table]


def nft_list_table(table: str) -> list:
    return ["nft", "list", "table", "inet", table]


def iptables_commands(chain: str, protocol: str, direction: str, ports: list, destinations: list,
                      ssh: tuple | None) -> tuple:
    """(inject commands, revert commands) for the iptables fallback: one chain per direction and family.

    Revert commands are safe to run when nothing (or only part) was created.
    """
    protos = ["tcp", "udp"] if protocol == "all" else [protocol]
    inject = []
    revert = []
    families = sorted({net.version for net in destinations}) if destinations else [4, 6]
    for version in families:
        binary = "iptables" if version == 4 else "ip6tables"
        nets = [str(n) for n in destinations if n.version == version]
        hooks = (("INPUT", "ingress", "i", "-s"), ("OUTPUT", "egress", "o", "-d"))
        for builtin, chain_dir, suffix, addr_flag in hooks:
            if direction not in (chain_dir, "both"):
                continue
            name = f"{chain}{suffix}"
            inject.append([binary, "-w", "-N", name])
            if ssh is not None and ssh[0].version == version:
                port_flag = "--dport" if builtin == "INPUT" else "--sport"
                inject.append([binary, "-w", "-A", name, addr_flag, str(ssh[0]), "-p", "tcp", port_flag,
                               str(ssh[1]), "-j", "ACCEPT"])
            addr_opts = [[addr_flag, n] for n in nets] or [[]]
            for addr in addr_opts:
                if ports:
                    spec = ",".join(str(lo) if lo == hi else f"{lo}:{hi}" for lo, hi in ports)
                    for proto in protos:
                        match = ["-p", proto, "-m", "multiport", "--dports", spec, "-j", "DROP"]
                        inject.append([binary, "-w", "-A", name] + addr + match)
                elif protocol == "all":
                    inject.append([binary, "-w", "-A", name] + addr + ["-j", "DROP"])
                else:
                    inject.append([binary, "-w", "-A", name] + addr + ["-p", protocol, "-j", "DROP"])
            inject.append([binary, "-w", "-I", builtin, "1", "-j", name])
            revert += [
                [binary, "-w", "-D", builtin, "-j", name],
                [binary, "-w", "-F", name],
                [binary, "-w", "-X", name],
            ]
    return inject, revert
