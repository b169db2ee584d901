#!/usr/bin/python
# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)

from __future__ import annotations

DOCUMENTATION = r"""
module: network_blackhole
short_description: Drop traffic to ports or addresses with nftables (or iptables) for a bounded time
version_added: 0.1.0
description:
  - Drops packets matching O(ports), O(protocol) and O(destinations) in the chosen O(direction).
  - With nftables, everything lives in one table C(inet chaos_faults_<fault_id>); the revert deletes
    that table, which cannot touch anybody else's rules. The iptables fallback uses chains
    C(chaos_faults_<id>i) / C(chaos_faults_<id>o) jumped to from C(INPUT) / C(OUTPUT).
  - The SSH connection Ansible uses (found from C(SSH_CONNECTION)) is excluded by an accept rule ahead
    of the drops unless O(force=true).
  - Refuses to drop everything (no O(ports) and no O(destinations)) unless O(force=true).
options:
  ports:
    description:
      - Ports (or ranges like V(8000-8080)) to drop. For V(ingress), the local ports traffic arrives on; for
        V(egress), the remote ports traffic goes to.
    type: list
    elements: str
  protocol:
    description: V(tcp), V(udp) or V(all).
    type: str
    choices: [tcp, udp, all]
    default: tcp
  direction:
    description: V(ingress) (incoming), V(egress) (outgoing) or V(both).
    type: str
    choices: [ingress, egress, both]
    default: ingress
  destinations:
    description:
      - Only traffic with these peers (addresses or CIDRs; no name resolution) - the source for
        V(ingress), the destination for V(egress).
    type: list
    elements: str
  backend:
    description: V(nftables), V(iptables), or V(auto) (nftables when C(nft) is installed).
    type: str
    choices: [auto, nftables, iptables]
    default: auto
extends_documentation_fragment:
  - chaos.faults.host_fault
author:
  - chaos-pulumi contributors (@chaos-pulumi)
"""

EXAMPLES = r"""
- name: Cut the app off from PostgreSQL for a minute
  chaos.faults.network_blackhole:
    direction: egress
    destinations: [10.0.3.15]
    ports: [5432]
    duration: 60

- name: Refuse incoming HTTP for 30 seconds
  chaos.faults.network_blackhole:
    ports: [80, 443]
    duration: 30
"""

RETURN = r"""
fault_id:
  description: Id of the fault; its record is C(<record_dir>/<fault_id>.json) on the target.
  returned: state=present
  type: str
  sample: 3f9a1c2b7d4e
fault:
  description: The module that made the fault.
  returned: always
  type: str
started_at:
  description: When the fault was armed (ISO-8601 UTC, milliseconds).
  returned: state=present
  type: str
  sample: "2026-11-26T19:04:57.123Z"
active_at:
  description: When the injection completed (ISO-8601 UTC); null in check mode.
  returned: state=present
  type: str
reverts_at:
  description: When the watchdog reverts the fault at the latest (ISO-8601 UTC).
  returned: state=present
  type: str
duration:
  description: The duration in seconds.
  returned: state=present
  type: int
watchdog_pid:
  description: Pid of the detached watchdog on the target; null in check mode.
  returned: state=present
  type: int
record:
  description: The full fault record as written on the target (see M(chaos.faults.fault_status)).
  returned: state=present
  type: dict
reverted:
  description: Ids of the faults reverted by O(state=absent).
  returned: state=absent
  type: list
  elements: str
recovered:
  description: Ids of faults whose watchdog had died and that this run reverted.
  returned: success
  type: list
  elements: str
swept:
  description:
    - Half-written records (C(<fault_id>.json.<pid>.tmp)) this run removed; a writer killed between
      writing and renaming a record leaves one.
  returned: success
  type: list
  elements: str
injected:
  description: What was added.
  returned: state=present
  type: dict
  contains:
    backend:
      description: V(nftables) or V(iptables).
      type: str
    table:
      description: The nft table (C(inet)), or the iptables chain prefix.
      type: str
    ruleset:
      description: The nft script loaded (nftables backend).
      type: str
    commands:
      description: The iptables argv lists run (iptables backend).
      type: list
      elements: list
    excluded:
      description: The SSH flow kept open (client address and server port), or null.
      type: dict
"""

import shutil

from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.ansible_driver import (
    run_fault_module,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.commands import (
    iptables_commands,
    nft_delete_table,
    nft_inject_command,
    nft_list_table,
    nft_ruleset,
    parse_networks,
    parse_ports,
    ssh_peer,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.errors import FaultError
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.procs import ssh_connection_env
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.refusals import (
    refuse_unless_force,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.runner import run_checked

OPTIONS = dict(
    ports=dict(type="list", elements="str"),
    protocol=dict(type="str", default="tcp", choices=["tcp", "udp", "all"]),
    direction=dict(type="str", default="ingress", choices=["ingress", "egress", "both"]),
    destinations=dict(type="list", elements="str"),
    backend=dict(type="str", default="auto", choices=["auto", "nftables", "iptables"]),
)


def choose_backend(option):
    if option == "auto":
        if shutil.which("nft"):
            return "nftables"
        if shutil.which("iptables"):
            return "iptables"
        raise FaultError("backend: neither nft (nftables) nor iptables is installed on this host")
    binary = "nft" if option == "nftables" else "iptables"
    if not shutil.which(binary):
        raise FaultError(f"backend: {option} chosen but {binary} is not installed on this host")
    return option


def plan(params, duration):
    ports = parse_ports(params.get("ports"))
    dests = parse_networks(params.get("destinations"))
    refuse_unless_force(params, not ports and not dests,
                        "ports, destinations: neither given, so all traffic would be dropped")
    backend = choose_backend(params["backend"])
    ssh = None if params["force"] else ssh_peer(ssh_connection_env())
    excluded = {"client": str(ssh[0]), "server_port": ssh[1]} if ssh else None
    injected = dict(backend=backend, protocol=params["protocol"], direction=params["direction"],
                    ports=[p if p[0] != p[1] else p[0] for p in ports], destinations=[str(d) for d in dests],
                    excluded=excluded)

    def inject(ctx):
        name = f"chaos_faults_{ctx.fault_id}"
        if backend == "nftables":
            ruleset = nft_ruleset(name, params["protocol"], params["direction"], ports, dests, ssh)
            ctx.add_revert({"op": "run_if", "probe": nft_list_table(name), "argv": nft_delete_table(name)})
            run_checked(nft_inject_command(), stdin=ruleset, what="nft")
            return {"table": name, "ruleset": ruleset}
        chain = f"chaos_faults_{ctx.fault_id[:10]}"
        cmds, revert = iptables_commands(chain, params["protocol"], params["direction"], ports, dests, ssh)
        for argv in reversed(revert):  # revert steps run last-added first
            ctx.add_revert({"op": "run", "argv": argv, "ok_rc": [1, 2]})
        for argv in cmds:
            run_checked(argv, what=argv[0])
        return {"table": chain, "commands": cmds}

    return injected, inject, []


def main():
    run_fault_module("network_blackhole", OPTIONS, plan)


if __name__ == "__main__":
    main()
