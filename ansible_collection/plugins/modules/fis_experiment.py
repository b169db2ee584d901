#!/usr/bin/python

# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)


DOCUMENTATION = r"""
module: fis_experiment
version_added: 0.1.0
short_description: Start, wait for and stop AWS Fault Injection Service (FIS) experiments
description:
  - Starts an experiment from a FIS experiment template, optionally waits until it ends, and stops
    a running experiment.
  - With O(wait=true) the task polls the experiment until it is V(completed), V(stopped),
    V(failed) or V(cancelled), and fails when it ends in one of O(fail_on) (by default anything
    but V(completed)), so a game day playbook stops at the first experiment that did not go to plan.
  - When O(wait=true) and O(timeout) passes first, the experiment is stopped (unless
    O(stop_on_timeout=false)) and the task fails, so no experiment outlives the playbook's patience.
  - Runs where boto3 and the C(chaos-pulumi) Python package are installed, usually the controller.
author:
  - chaos-pulumi contributors (@chaos-pulumi)
options:
  state:
    description:
      - V(started) starts a new experiment from O(template_id) or O(template_name). Every run starts a
        new experiment, so this is always a change.
      - V(stopped) stops the experiment O(id). Stopping an experiment that already ended is not a
        change.
    type: str
    choices: ['started', 'stopped']
    default: started
  template_id:
    description:
      - ID of the experiment template to start. Mutually exclusive with O(template_name).
    type: str
  template_name:
    description:
      - Name of the experiment template to start, as set by M(chaos.faults.fis_experiment_template)
        (its V(Name) tag). Mutually exclusive with O(template_id).
    type: str
  id:
    description:
      - ID of the experiment to stop. Required when O(state=stopped).
    type: str
    aliases: ['experiment_id']
  actions_mode:
    description:
      - V(skip-all) runs the experiment without running any action (FIS resolves the targets and
        checks permissions only), a dry run of the template.
    type: str
    choices: ['run-all', 'skip-all']
    default: run-all
  tags:
    description:
      - Tags for the new experiment.
    type: dict
    aliases: ['resource_tags']
  wait:
    description:
      - Wait until the experiment reaches a terminal state (V(completed), V(stopped), V(failed),
        V(cancelled)).
    type: bool
    default: false
  timeout:
    description:
      - How many seconds to wait when O(wait=true).
    type: int
    default: 1800
  poll_interval:
    description:
      - Seconds between the first status checks when O(wait=true); the interval then grows by half
        each time, up to 15 seconds.
    type: float
    default: 2.0
  fail_on:
    description:
      - Terminal states that fail the task when O(wait=true) and O(state=started).
      - Set to V([]) to never fail on the outcome and inspect RV(experiment.status) instead.
      - The same states and default as C(fail_on) of chaos-pulumi's Pulumi C(Experiment).
    type: list
    elements: str
    choices: ['completed', 'stopped', 'failed', 'cancelled']
    default: ['failed', 'stopped', 'cancelled']
  stop_on_timeout:
    description:
      - Stop the experiment when O(timeout) passes before it ends.
    type: bool
    default: true
notes:
  - The keys you chose (action and target names, parameter names) are returned exactly as written.
requirements:
  - python >= 3.11
  - boto3
  - chaos-pulumi
attributes:
  check_mode:
    support: full
    description: Checks that the template or experiment exists; starts and stops nothing.
  diff_mode:
    support: none
    description: Nothing to diff.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Run the experiment and wait for the verdict (fails the task unless it completes)
  chaos.faults.fis_experiment:
    template_name: stop-one-web-instance
    wait: true
    timeout: 900
  register: run

- name: Show what each action did
  ansible.builtin.debug:
    var: run.experiment.action_states

- name: Dry run - resolve targets and check permissions, run no action
  chaos.faults.fis_experiment:
    template_name: stop-one-web-instance
    actions_mode: skip-all
    wait: true

- name: Start without waiting, then stop it
  chaos.faults.fis_experiment:
    template_id: EXT1a2b3c4d5e6f7
  register: started

- name: Stop it
  chaos.faults.fis_experiment:
    id: "{{ started.experiment.id }}"
    state: stopped
    wait: true

- name: Wait, but decide yourself what a stopped experiment means
  chaos.faults.fis_experiment:
    template_name: stop-one-web-instance
    wait: true
    fail_on: [failed]
"""

RETURN = r"""
experiment:
  description:
    - The experiment as FIS reports it (after the wait, if O(wait=true)). Keys are snake_case except
      the names you chose under C(actions), C(targets) and C(parameters).
    - In check mode with O(state=started), only C(experiment_template_id) is set.
  returned: always
  type: dict
  contains:
    id:
      description: The experiment ID.
      type: str
      returned: success
      sample: EXPaBcDeFgHiJkLmN
    arn:
      description: The experiment ARN.
      type: str
      returned: success
    experiment_template_id:
      description: The template the experiment runs.
      type: str
      returned: always
    status:
      description: The experiment's status (shortcut for C(state.status)).
      type: str
      returned: success
      sample: completed
    state:
      description: Status and reason.
      type: dict
      returned: success
      sample: {"status": "completed", "reason": "Experiment completed"}
    action_states:
      description: Status of each action, by action name.
      type: dict
      returned: success
      sample: {"stopWeb": "completed"}
    actions:
      description: Each action with its C(state), C(start_time) and C(end_time), by action name.
      type: dict
      returned: success
    targets:
      description: The experiment's targets, by target name.
      type: dict
      returned: success
    experiment_options:
      description: Options of the run, including C(actions_mode).
      type: dict
      returned: success
      sample: {"actions_mode": "run-all"}
    tags:
      description: The experiment's tags.
      type: dict
      returned: success
    start_time:
      description: When the experiment started (ISO 8601).
      type: str
      returned: success
    end_time:
      description: When the experiment ended (ISO 8601).
      type: str
      returned: when the experiment ended
status_history:
  description: Every status seen while waiting, in order, with the time it was first seen (UTC).
  returned: when O(wait=true)
  type: list
  elements: dict
  sample:
    - {"status": "running", "reason": "Experiment is running", "seen_at": "2026-01-01T12:00:00+00:00"}
    - {"status": "completed", "reason": "Experiment completed", "seen_at": "2026-01-01T12:05:02+00:00"}
"""

import datetime
import uuid

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # Handled by AnsibleAWSModule

try:
    from chaos_pulumi.aws.errors import FisError
    from chaos_pulumi.aws.experiments import (
        TERMINAL_STATES,
        ExperimentTimeout,
        get_experiment,
        run_experiment,
        run_token,
        stop_experiment,
        wait_for_experiment,
    )
    from chaos_pulumi.aws.templates import get_template
except ImportError:
    pass  # Handled by require_chaos_pulumi()

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.chaos.faults.plugins.module_utils._fis import (
    TOKEN_OWNER,
    experiment_result,
    find_template_id,
    fis_client,
    require_chaos_pulumi,
)


def _now():
    return datetime.datetime.now(datetime.UTC).isoformat()


def _recorder(history):
    """An on_progress callback that records every status seen, with the time it was first seen."""

    def seen(experiment):
        state = experiment.get("state") or {}
        history.append(dict(status=state.get("status"), reason=state.get("reason"), seen_at=_now()))

    return seen


def resolve_template_id(module, client):
    params = module.params
    if params["template_id"]:
        # Outside check mode the start itself says when the id is unknown (one call fewer).
        if module.check_mode and get_template(client, params["template_id"]) is None:
            module.fail_json(
                msg="template_id: no FIS experiment template with id {}".format(params["template_id"])
            )
        return params["template_id"]
    template_id = find_template_id(module, client, params["template_name"])
    if template_id is None:
        module.fail_json(
            msg="template_name: no FIS experiment template is named {} (tag Name={}); create it with "
            "chaos.faults.fis_experiment_template first".format(
                params["template_name"], params["template_name"]
            )
        )
    return template_id


def start(module, client):
    params = module.params
    template_id = resolve_template_id(module, client)
    if module.check_mode:
        return dict(changed=True, experiment=dict(experiment_template_id=template_id))

    history = []
    run = run_experiment(
        client,
        template_id,
        # Each task run is a new experiment: its token is its own, and the same for botocore's retries.
        client_token=run_token(TOKEN_OWNER, template_id, uuid.uuid4().hex, params["actions_mode"]),
        actions_mode=params["actions_mode"],
        tags=params["tags"],
        wait=params["wait"],
        timeout_s=params["timeout"],
        fail_on=params["fail_on"],
        poll_s=params["poll_interval"],
        stop_on_timeout=params["stop_on_timeout"],
        on_progress=_recorder(history),
    )
    result = dict(changed=True)
    if params["wait"]:
        result["status_history"] = history
    if run.timeout is not None:
        note = ""
        if run.stopped:
            note = "; stopped it (stop_on_timeout=true)"
        elif params["stop_on_timeout"]:
            note = "; it ended {} meanwhile".format((run.experiment.get("state") or {}).get("status"))
        module.fail_json(msg=f"{run.timeout}{note}", experiment=experiment_result(run.experiment), **result)
    if run.failure:
        module.fail_json(msg=run.failure, experiment=experiment_result(run.experiment), **result)
    result["experiment"] = experiment_result(run.experiment)
    return result


def stop(module, client):
    params = module.params
    experiment = get_experiment(client, params["id"])
    if experiment is None:
        module.fail_json(msg="id: no FIS experiment with id {}".format(params["id"]))
    if (experiment.get("state") or {}).get("status") in TERMINAL_STATES:
        return dict(changed=False, experiment=experiment_result(experiment))
    if module.check_mode:
        return dict(changed=True, experiment=experiment_result(experiment))
    stopped = stop_experiment(client, params["id"], experiment)
    if not stopped.stopped:
        return dict(changed=False, experiment=experiment_result(stopped.experiment or experiment))
    result = dict(changed=True)
    experiment = stopped.experiment
    if params["wait"]:
        history = []
        result["status_history"] = history
        try:
            experiment = wait_for_experiment(
                client, params["id"], params["timeout"], _recorder(history), params["poll_interval"]
            )
        except ExperimentTimeout as e:
            module.fail_json(msg=str(e), experiment=experiment_result(e.experiment or experiment), **result)
    result["experiment"] = experiment_result(experiment)
    return result


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["started", "stopped"], default="started"),
        template_id=dict(type="str"),
        template_name=dict(type="str"),
        id=dict(type="str", aliases=["experiment_id"]),
        actions_mode=dict(type="str", choices=["run-all", "skip-all"], default="run-all"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        wait=dict(type="bool", default=False),
        timeout=dict(type="int", default=1800),
        poll_interval=dict(type="float", default=2.0),
        fail_on=dict(
            type="list",
            elements="str",
            choices=["completed", "stopped", "failed", "cancelled"],
            default=["failed", "stopped", "cancelled"],
        ),
        stop_on_timeout=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[["template_id", "template_name"]],
        required_if=[
            ["state", "started", ["template_id", "template_name"], True],
            ["state", "stopped", ["id"]],
        ],
    )
    require_chaos_pulumi(module)
    if module.params["timeout"] <= 0:
        module.fail_json(
            msg="timeout: must be a positive number of seconds, got {}".format(module.params["timeout"])
        )
    if module.params["poll_interval"] <= 0:
        module.fail_json(msg="poll_interval: must be a positive number of seconds")
    client = fis_client(module)

    try:
        if module.params["state"] == "started":
            result = start(module, client)
        else:
            result = stop(module, client)
    except FisError as e:
        module.fail_json(msg=str(e))
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="FIS experiment")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
