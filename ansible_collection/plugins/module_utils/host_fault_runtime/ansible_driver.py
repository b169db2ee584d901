# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""The Ansible driver of a timed fault: AnsibleModule in, the runtime's result out.

The CLI loads the same fault module files on hosts without Ansible, where the import fails and the
driver is never called.
"""

from __future__ import annotations

import time

try:
    from ansible.module_utils.basic import AnsibleModule
except ImportError:  # the CLI, on a host without Ansible: run_fault_module is never called there
    AnsibleModule = None

from .errors import FaultError
from .lifecycle import run_fault
from .options import timed_fault_spec


def run_fault_module(fault: str, options: dict, plan) -> None:
    """The whole `main()` of a timed fault module; ends in exit_json or fail_json."""
    started = time.time()
    module = AnsibleModule(argument_spec=timed_fault_spec(options), supports_check_mode=True)
    try:
        result = run_fault(fault, plan, module.params, module.check_mode, started)
    except FaultError as e:
        module.fail_json(msg=str(e), **dict(e.details, fault=fault))
    module.exit_json(**result)
