#!/usr/bin/python

# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)


DOCUMENTATION = r"""
module: fis_experiment_info
version_added: 0.1.0
short_description: Describe AWS Fault Injection Service (FIS) experiments
description:
  - Returns FIS experiments with their state and the state of each action, all of them or those of
    one experiment O(id), one template (O(template_id) or O(template_name)) or in some O(status).
  - Runs where boto3 and the C(chaos-pulumi) Python package are installed, usually the controller.
author:
  - chaos-pulumi contributors (@chaos-pulumi)
options:
  id:
    description:
      - Return only the experiment with this ID (an empty list when there is none).
    type: str
    aliases: ['experiment_id']
  template_id:
    description:
      - Return only experiments of this template.
    type: str
  template_name:
    description:
      - Return only experiments of the template with this name (its V(Name) tag).
    type: str
  status:
    description:
      - Return only experiments in one of these states.
    type: list
    elements: str
    choices: ['pending', 'initiating', 'running', 'completed', 'stopping', 'stopped', 'failed', 'cancelled']
notes:
  - The keys you chose (action and target names, parameter names) are returned exactly as written.
requirements:
  - python >= 3.11
  - boto3
  - chaos-pulumi
attributes:
  check_mode:
    support: full
    description: Reads only; the same in check mode.
  diff_mode:
    support: none
    description: Nothing to diff.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Is any experiment still running? (for example before a deploy)
  chaos.faults.fis_experiment_info:
    status: [pending, initiating, running, stopping]
  register: active

- name: Refuse to deploy during an experiment
  ansible.builtin.assert:
    that: active.experiments | length == 0
    fail_msg: "FIS experiments running: {{ active.experiments | map(attribute='id') | join(', ') }}"

- name: The history of one template
  chaos.faults.fis_experiment_info:
    template_name: stop-one-web-instance
"""

RETURN = r"""
experiments:
  description:
    - The matching experiments, newest first. Keys are snake_case except the names you chose under
      C(actions), C(targets) and C(parameters).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The experiment ID.
      type: str
      returned: always
    experiment_template_id:
      description: The template the experiment ran.
      type: str
      returned: always
    status:
      description: The experiment's status (shortcut for C(state.status)).
      type: str
      returned: always
      sample: completed
    state:
      description: Status and reason.
      type: dict
      returned: always
    action_states:
      description: Status of each action, by action name.
      type: dict
      returned: always
      sample: {"stopWeb": "completed"}
    actions:
      description: Each action with its state and times, by action name.
      type: dict
      returned: always
    start_time:
      description: When the experiment started (ISO 8601).
      type: str
      returned: always
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # Handled by AnsibleAWSModule

try:
    from chaos_pulumi.aws.experiments import get_experiment, list_experiments
except ImportError:
    pass  # Handled by require_chaos_pulumi()

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.chaos.faults.plugins.module_utils._fis import (
    experiment_result,
    find_template_id,
    fis_client,
    require_chaos_pulumi,
)


def describe(module, client):
    params = module.params
    if params["id"]:
        experiment = get_experiment(client, params["id"])
        experiments = [experiment] if experiment else []
    else:
        template_id = params["template_id"]
        if params["template_name"]:
            template_id = find_template_id(module, client, params["template_name"])
            if template_id is None:
                return []
        experiments = []
        for summary in list_experiments(client, template_id):
            experiment = get_experiment(client, summary["id"])
            if experiment is not None:
                experiments.append(experiment)
    if params["status"]:
        experiments = [e for e in experiments if (e.get("state") or {}).get("status") in params["status"]]
    results = [experiment_result(e) for e in experiments]
    return sorted(
        results, key=lambda e: (e.get("start_time") or e.get("creation_time") or "", e["id"]), reverse=True
    )


def main():
    argument_spec = dict(
        id=dict(type="str", aliases=["experiment_id"]),
        template_id=dict(type="str"),
        template_name=dict(type="str"),
        status=dict(
            type="list",
            elements="str",
            choices=[
                "pending",
                "initiating",
                "running",
                "completed",
                "stopping",
                "stopped",
                "failed",
                "cancelled",
            ],
        ),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[["id", "template_id", "template_name"]],
    )
    require_chaos_pulumi(module)
    client = fis_client(module)
    try:
        experiments = describe(module, client)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to describe FIS experiments")
    module.exit_json(changed=False, experiments=experiments)


if __name__ == "__main__":
    main()
