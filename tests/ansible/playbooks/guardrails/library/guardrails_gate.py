#!/usr/bin/python
# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Test-only module: the guardrail gate exactly as a chaos.faults FIS module runs it before creating a
template (the shared module_utils, its option and its failure), with no AWS call behind it."""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.chaos.faults.plugins.module_utils._policy import POLICY_OPTION, enforce_policy


def main():
    module = AnsibleModule(
        argument_spec=dict(
            template=dict(type="dict", required=True), start=dict(type="path"), **POLICY_OPTION
        ),
        supports_check_mode=True,
    )
    guardrails = enforce_policy(
        module, module.params["template"], source="template", start=module.params["start"]
    )
    module.exit_json(changed=True, guardrails=guardrails)


if __name__ == "__main__":
    main()
