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
  - Before it starts anything (in check mode too) the task checks the template against the guardrail
    policy (O(policy_file)), refuses while the Region's FIS safety lever is engaged, and runs the
    blast-radius preflight (O(preflight)). A refusal fails the task and starts nothing.
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
  preflight:
    description:
      - Before starting, resolve every target of the template in the account (listed ARNs, tags through
        the Resource Groups Tagging API, filters on the service's Describe call, then the selection
        mode) and refuse to start when a target would hit more than the guardrail policy's cap for its
        resource type, when a target selects nothing while C(emptyTargetResolutionMode) is C(fail), or
        when the account cannot be queried (fail closed, saying why). RV(preflight) reports it.
      - The caps come from the policy that applies (O(policy_file), C(CHAOS_PULUMI_POLICY), the
        project's C(chaos-pulumi.yaml), else the safe defaults). C(chaos-pulumi targets) shows the same.
      - V(false) skips it; the task then warns that nothing resolved or capped the targets.
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
    description:
      - Checks that the template or experiment exists, the guardrail policy, the safety lever and the
        preflight; starts and stops nothing.
  diff_mode:
    support: none
    description: Nothing to diff.
extends_documentation_fragment:
  - chaos.faults.guardrails
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

- name: What the preflight expected and what FIS resolved
  ansible.builtin.debug:
    msg: "{{ run.preflight.targets | map(attribute='summary') }} / {{ run.resolved_targets }}"

- name: Under a stricter policy (its caps also limit what the preflight lets start)
  chaos.faults.fis_experiment:
    template_name: stop-one-web-instance
    policy_file: guardrails/production.yaml

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
preflight:
  description:
    - The blast-radius preflight before the start, per target what it matches, how many the selection
      takes and the cap (the same fields as C(chaos-pulumi targets --format json)).
    - C(skipped) is V(true) when O(preflight=false).
  returned: when O(state=started) and the task got as far as the preflight
  type: dict
  contains:
    skipped:
      description: Whether the preflight was skipped (O(preflight=false)).
      type: bool
    refused:
      description: Whether it refused the start (the task then fails and starts nothing).
      type: bool
    refusals:
      description: Why, one line per refusal.
      type: list
      elements: str
    policy:
      description: The guardrail policy the caps come from, and how it was chosen.
      type: str
    account:
      description: The account the targets were resolved in.
      type: str
    region:
      description: The Region they were resolved in.
      type: str
    targets:
      description:
        - Per target C(name), C(resource_type), C(selection_mode), C(resolution) (V(exact),
          V(upper-bound), V(unresolved)), C(matching) (ARNs), C(matching_count), C(would_hit), C(cap),
          C(summary), C(notes) and C(refusal).
      type: list
      elements: dict
  sample:
    skipped: false
    refused: false
    policy: "safe-defaults (built in), the default (no policy_file, ...)"
    targets:
      - {"name": "web", "summary": "would hit 1 of 3", "cap": {"max_count": 10, "max_percent": 50}}
resolved_targets:
  description:
    - What FIS resolved for the run (C(ListExperimentResolvedTargets)), target name to ARNs, read once
      the run ended; compare with RV(preflight).
    - V(null) when the task did not wait, or the list could not be read (the task then warns).
  returned: when O(state=started) and not in check mode
  type: dict
  sample: {"web": ["arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"]}
guardrails:
  description:
    - The guardrail policy's verdict on the template before the start (C(policy), C(source),
      C(origin), C(verdicts) by rule id, C(waivers)). Also returned when the task fails on it.
  returned: when O(state=started)
  type: dict
  sample:
    policy: safe-defaults
    source: built in
    verdicts: {"stop_condition_required": "pass", "max_selection": "pass"}
    waivers: []
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
    from chaos_pulumi.aws.caps import caps_of
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
    from chaos_pulumi.aws.start_checks import Preflight, StartCheck, check_start
    from chaos_pulumi.aws.targets import PreflightRefused
    from chaos_pulumi.aws.templates import get_template
    from chaos_pulumi.spec import TemplateSpec
except ImportError:
    pass  # Handled by require_chaos_pulumi()

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.chaos.faults.plugins.module_utils._fis import (
    TOKEN_OWNER,
    account_clients,
    experiment_result,
    find_template_id,
    fis_client,
    require_chaos_pulumi,
)
from ansible_collections.chaos.faults.plugins.module_utils._policy import (
    POLICY_OPTION,
    enforce_policy,
    module_policy,
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


def preflight_for(module, template_id, spec, policy):
    """The preflight this start gets (None when O(preflight=false), which the task warns about)."""
    if not module.params["preflight"]:
        module.warn(
            f"preflight: false: the targets of experiment template {template_id} are not resolved or "
            "capped before the start"
        )
        return None
    return Preflight(account_clients(module), caps_of(policy), spec=spec, policy=policy.describe())


def start(module, client):
    params = module.params
    template_id = resolve_template_id(module, client)
    live = get_template(client, template_id)
    if live is None:
        module.fail_json(
            msg=f"template_id: no FIS experiment template with id {template_id} in "
            f"{client.meta.region_name}; check the id and the region"
        )
    # The order of every start: the guardrail policy on the template, then (in the FIS layer) the
    # safety lever and the blast-radius preflight; nothing is started when one of them refuses.
    policy = module_policy(module)
    result = dict(changed=False)
    result["guardrails"] = enforce_policy(
        module, live, source=f"experiment template {template_id}", live=True, policy=policy
    )
    preflight = preflight_for(module, template_id, TemplateSpec.from_fis(live), policy)

    def checked(check):
        result["preflight"] = check.record()
        for note in check.notes:
            module.warn(note)

    if module.check_mode:
        checked(refused_unless_ok(module, lambda: check_start(client, template_id, preflight), result))
        result.update(changed=True, experiment=dict(experiment_template_id=template_id))
        return result

    history = []
    run = refused_unless_ok(
        module,
        lambda: run_experiment(
            client,
            template_id,
            # Each task run is a new experiment: its token is its own, and the same for botocore's retries.
            client_token=run_token(TOKEN_OWNER, template_id, uuid.uuid4().hex, params["actions_mode"]),
            preflight=preflight,
            actions_mode=params["actions_mode"],
            tags=params["tags"],
            wait=params["wait"],
            timeout_s=params["timeout"],
            fail_on=params["fail_on"],
            poll_s=params["poll_interval"],
            stop_on_timeout=params["stop_on_timeout"],
            on_checked=checked,
            on_progress=_recorder(history),
        ),
        result,
    )
    result.update(changed=True, resolved_targets=run.resolved_targets)
    for note in run.notes:
        module.warn(note)
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


def refused_unless_ok(module, call, result):
    """``call()``, or the task failed with why the FIS layer refused to start (lever, preflight)."""
    try:
        return call()
    except FisError as e:
        refusal = e
    # Failed outside the except block: a refusal is a message for the user, not an exception to trace.
    if isinstance(refusal, PreflightRefused):
        result["preflight"] = StartCheck(refusal.report, refusal.policy).record()
    module.fail_json(msg=str(refusal), **result)


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
        preflight=dict(type="bool", default=True),
        **POLICY_OPTION,
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
