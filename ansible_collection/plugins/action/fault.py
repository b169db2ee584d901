# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Action plugin chaos.faults.fault: run one host-fault module, named at run time, on the task's host.

Like ansible.builtin.package picking its backend: one task, any fault module of the `host_faults`
group (meta/runtime.yml). Check mode runs the module in check mode, which checks every option and
refusal without injecting anything.
"""

from __future__ import annotations

import time
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime.clock import utc_iso
from ansible_collections.chaos.faults.plugins.plugin_utils.fault_registry import (
    PREFIX,
    RegistryError,
    host_faults,
)

ARGUMENT_SPEC = dict(
    module=dict(type="str", required=True),
    args=dict(type="dict", default={}),
    hosts=dict(type="list", elements="str"),
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        name = args["module"][len(PREFIX) :] if args["module"].startswith(PREFIX) else args["module"]
        try:
            known = host_faults()
        except RegistryError as e:
            raise AnsibleActionFail(str(e)) from None
        if name not in known:
            raise AnsibleActionFail(
                f"module: {args['module']!r} is not a host fault of chaos.faults "
                f"(host faults: {', '.join(known)})"
            )
        host = task_vars.get("inventory_hostname")
        if args["hosts"] is not None and host not in args["hosts"]:
            wanted = ", ".join(args["hosts"]) or "no host"
            return dict(result, skipped=True, msg=f"{name} is for {wanted}, not {host}")
        start = utc_iso(time.time())
        result.update(
            self._execute_module(module_name=PREFIX + name, module_args=args["args"], task_vars=task_vars)
        )
        result.update(start=start, end=utc_iso(time.time()))
        return result
