#!/usr/bin/python
# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)

from __future__ import annotations

DOCUMENTATION = r"""
module: network_latency
short_description: Delay (and drop) egress traffic of an interface with tc netem for a bounded time
version_added: 0.1.0
description:
  - Adds a C(netem) qdisc (delay, jitter, loss) at the root of O(interface). With O(destinations) or
    O(ports), a 4-band C(prio) qdisc sends only the matching traffic (C(u32) filters) through netem.
  - netem shapes B(egress) only; to delay traffic from a peer, run the fault on the peer.
  - The revert deletes the root qdisc only while it is still ours (handle C(ca05:)), which restores the
    kernel's default qdisc.
  - Refuses an interface that already has a configured root qdisc unless O(force=true) (then it is
    replaced, and the revert leaves the kernel default, not the old configuration).
  - Needs C(tc) (iproute2) and the C(sch_netem) kernel module (plus C(sch_prio) with filters).
options:
  interface:
    description: Network interface; default the interface of the IPv4 default route.
    type: str
  delay_ms:
    description: Added delay in milliseconds.
    type: int
    default: 200
  jitter_ms:
    description: Random variation of the delay in milliseconds.
    type: int
    default: 0
  loss_percent:
    description: Percentage of packets dropped, 0-100.
    type: float
    default: 0
  destinations:
    description: Only traffic to these addresses or CIDRs (no name resolution).
    type: list
    elements: str
  ports:
    description: Only traffic to these destination ports (single ports, no ranges).
    type: list
    elements: int
extends_documentation_fragment:
  - chaos.faults.host_fault
author:
  - chaos-pulumi contributors (@chaos-pulumi)
"""

EXAMPLES = r"""
- name: 200 ms +- 20 ms on traffic to the database for two minutes
  chaos.faults.network_latency:
    interface: eth0
    delay_ms: 200
    jitter_ms: 20
    destinations: [10.0.3.15]
    ports: [5432]
    duration: 120
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
    interface:
      description: The interface.
      type: str
    commands:
      description: The tc argv lists run, in order.
      type: list
      elements: list
"""

from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.ansible_driver import (
    run_fault_module,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.commands import (
    TC_ROOT_HANDLE,
    interface_name,
    parse_networks,
    parse_ports,
    tc_inject_commands,
    tc_root_is_default,
    tc_root_is_ours,
    tc_show_root,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.errors import FaultError
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.refusals import (
    refuse_unless_force,
)
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.runner import (
    run,
    run_checked,
)

OPTIONS = dict(
    interface=dict(type="str"),
    delay_ms=dict(type="int", default=200),
    jitter_ms=dict(type="int", default=0),
    loss_percent=dict(type="float", default=0),
    destinations=dict(type="list", elements="str"),
    ports=dict(type="list", elements="int"),
)


def default_interface():
    try:
        with open("/proc/net/route") as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                if len(parts) > 2 and parts[1] == "00000000":
                    return parts[0]
    except OSError:
        pass
    return None


def plan(params, duration):
    iface = params.get("interface") or default_interface()
    if not iface:
        raise FaultError("interface: no IPv4 default route to take it from; give interface: <name>")
    iface = interface_name(iface)
    dests = parse_networks(params.get("destinations"))
    ports = parse_ports(params.get("ports"))
    if params["delay_ms"] < 0 or params["jitter_ms"] < 0:
        raise FaultError("delay_ms, jitter_ms: must be 0 or more")
    if not 0 <= params["loss_percent"] <= 100:
        raise FaultError(f"loss_percent: must be within 0-100, got {params['loss_percent']}")
    if not (params["delay_ms"] or params["jitter_ms"] or params["loss_percent"]):
        raise FaultError("delay_ms, jitter_ms, loss_percent: all are 0; nothing to inject")
    commands = tc_inject_commands(iface, params["delay_ms"], params["jitter_ms"], params["loss_percent"],
                                  dests, ports)
    rc, out, err = run(tc_show_root(iface))
    if rc == 127:
        raise FaultError("network_latency: tc is not installed on this host (Debian/Ubuntu: iproute2)")
    if rc != 0:
        raise FaultError(f"interface: cannot read the qdisc of {iface}: {err.strip()}")
    if tc_root_is_ours(out):
        raise FaultError(f"interface: {iface} already has a chaos-faults network_latency; revert it first")
    if not tc_root_is_default(out):
        refuse_unless_force(params, True,
                            f"interface: {iface} already has a configured root qdisc ({out.strip()})")
        commands[0] = [c if c != "add" else "replace" for c in commands[0]]

    def inject(ctx):
        ctx.add_revert({"op": "tc_root", "interface": iface, "handle": TC_ROOT_HANDLE})
        for argv in commands:
            try:
                run_checked(argv, what="tc")
            except FaultError as e:
                if "unknown" in str(e).lower() or "no such file" in str(e).lower():
                    raise FaultError(f"{e} - the kernel lacks a needed qdisc module (sch_netem, sch_prio); "
                                     "try modprobe sch_netem sch_prio") from None
                raise
        return {}

    injected = dict(interface=iface, delay_ms=params["delay_ms"], jitter_ms=params["jitter_ms"],
                    loss_percent=params["loss_percent"], destinations=[str(d) for d in dests],
                    ports=[lo for lo, _hi in ports], commands=commands)
    return injected, inject, []


def main():
    run_fault_module("network_latency", OPTIONS, plan)


if __name__ == "__main__":
    main()
