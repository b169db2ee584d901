"""Pulumi components composing pulumi-aws resources: FIS scenarios, the experiment role, schedules,
host faults on EC2 fleets (SSM document + FIS template).

Needs the ``aws`` extra (``pip install chaos-pulumi[aws]``)::

    from chaos_pulumi.components import AzPowerInterruption, ExperimentRole, ChaosSchedule, ChaosMonkey
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "AzPowerInterruption": "chaos_pulumi.components.scenarios",
    "AzApplicationSlowdown": "chaos_pulumi.components.scenarios",
    "CrossAzTrafficSlowdown": "chaos_pulumi.components.scenarios",
    "CrossRegionConnectivity": "chaos_pulumi.components.scenarios",
    "ExperimentRole": "chaos_pulumi.components.role",
    "ChaosSchedule": "chaos_pulumi.components.schedule",
    "ChaosMonkey": "chaos_pulumi.components.schedule",
    "HostFault": "chaos_pulumi.components.host_fault",
}

__all__ = [
    "AzApplicationSlowdown",
    "AzPowerInterruption",
    "ChaosMonkey",
    "ChaosSchedule",
    "CrossAzTrafficSlowdown",
    "CrossRegionConnectivity",
    "ExperimentRole",
    "HostFault",
]

if TYPE_CHECKING:
    from chaos_pulumi.components.host_fault import HostFault
    from chaos_pulumi.components.role import ExperimentRole
    from chaos_pulumi.components.scenarios import (
        AzApplicationSlowdown,
        AzPowerInterruption,
        CrossAzTrafficSlowdown,
        CrossRegionConnectivity,
    )
    from chaos_pulumi.components.schedule import ChaosMonkey, ChaosSchedule


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'chaos_pulumi.components' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
