# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""The Ansible driver of a timed fault: AnsibleModule in, the runtime's result out.

AnsibleModule is imported inside the function so a fault module file can be imported without
Ansible (the CLI loads the same file); AnsiballZ still ships it, as it does for every module.
"""

from __future__ import annotations

from .errors import FaultError
from .lifecycle import run_fault
from .options import timed_fault_spec


def run_fault_module(fault: str, options: dict, plan) -> None:
    """The whole `main()` of a timed fault module; ends in exit_json or fail_json."""
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(argument_spec=timed_fault_spec(options), supports_check_mode=True)
    try:
        result = run_fault(fault, plan, module.params, module.check_mode)
    except FaultError as e:
        module.fail_json(msg=str(e), **dict(e.details, fault=fault))
    module.exit_json(**result)
