#!/usr/bin/python

# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)


DOCUMENTATION = r"""
module: fis_experiment_template
version_added: 0.1.0
short_description: Manage AWS Fault Injection Service (FIS) experiment templates
description:
  - Creates, updates and deletes an AWS FIS experiment template.
  - FIS templates have no name of their own. This module stores O(name) as the V(Name) tag and finds
    the template by that tag, so a playbook can refer to a template by a stable name.
  - The template is validated with chaos-pulumi's FIS validator before any API call. An invalid
    template fails the task with every problem and the path of the field at fault (for example
    C(actions.stopWeb.parameters.duration)), and nothing is created or changed. This also happens in
    check mode, so C(--check) is a full review of a template.
  - The template is then checked against the guardrail policy (O(policy_file)); a template that breaks
    it fails the task with every problem, and nothing is created or changed, in check mode too.
  - O(scenario) renders one of AWS's FIS scenario library scenarios (AZ power interruption, AZ
    application slowdown, cross-AZ traffic slowdown, cross-Region connectivity) into the template, as
    the FIS console does from its shared parameters.
  - A second run with the same template makes no write call and reports RV(ignore:changed=false).
    Templates are compared in a canonical form, so the order of stop conditions, ARNs or map keys
    and FIS's defaults never show up as changes.
  - Runs where boto3 and the C(chaos-pulumi) Python package are installed, usually the controller
    (a play on C(localhost), or C(delegate_to) localhost), like the amazon.aws modules.
author:
  - chaos-pulumi contributors (@chaos-pulumi)
options:
  name:
    description:
      - The template's name, stored as its V(Name) tag and used to find it.
      - More than one template with this V(Name) tag is an error; delete the extra ones.
    type: str
    required: true
  state:
    description:
      - V(present) creates the template or updates it to match O(template), O(template_file) or
        O(scenario).
      - V(absent) deletes it. Deleting a template that does not exist is not a change.
    type: str
    choices: ['present', 'absent']
    default: present
  template:
    description:
      - The template in the FIS file format, the camelCase shape of the C(CreateExperimentTemplate)
        request (C(description), C(roleArn), C(stopConditions), C(targets), C(actions),
        C(logConfiguration), C(experimentOptions), C(experimentReportConfiguration), C(tags)).
      - Action names, target names and parameter names are yours; they are kept exactly as written.
      - Mutually exclusive with O(template_file) and O(scenario). One of them is required when
        O(state=present).
    type: dict
  template_file:
    description:
      - Path to a YAML or JSON file with the template in the FIS file format (see O(template)), on the
        host that runs the module.
      - Mutually exclusive with O(template) and O(scenario).
    type: path
  scenario:
    description:
      - A scenario of the FIS scenario library, rendered into the template. C(chaos-pulumi scenario
        list) names them, C(chaos-pulumi scenario show NAME) lists each one's parameters and
        C(chaos-pulumi scenario render NAME) shows the template it makes.
      - Its C(role_arn) parameter defaults to O(role_arn). Stop conditions are a parameter
        (C(stop_conditions), CloudWatch alarm ARNs); a scenario without one needs the parameter
        C(waiver) with the reason, written to the template's C(chaos:waiver) tag.
      - Bad parameters fail the task with every problem and its field (C(scenario.parameters.<name>)),
        and nothing is created or changed.
      - Mutually exclusive with O(template) and O(template_file).
    type: dict
    suboptions:
      name:
        description: The scenario, for example V(az-application-slowdown).
        type: str
        required: true
      parameters:
        description: Its shared parameters, for example C(availability_zone) and C(stop_conditions).
        type: dict
        default: {}
  role_arn:
    description:
      - The IAM role FIS assumes to run the experiment. Overrides C(roleArn) from the template, so one
        template file can serve several accounts; for O(scenario), the default of its C(role_arn).
    type: str
  tags:
    description:
      - Tags for the template, added to the C(tags) of the template itself (these win on conflict).
      - The V(Name) tag is always O(name); setting it to anything else is an error.
      - If neither O(tags) nor the template sets tags, tags other than V(Name) are not modified.
    type: dict
    aliases: ['resource_tags']
  purge_tags:
    description:
      - With O(purge_tags=true), tags not in O(tags) or the template's C(tags) are removed from the
        template, except V(Name) and tags starting with V(aws:).
      - Only applies when O(tags) or the template's C(tags) is set.
    type: bool
    default: true
notes:
  - FIS cannot change C(experimentOptions.accountTargeting) on an existing template. Such a change fails
    the task before anything is written (in check mode too); remove the template (O(state=absent)) and
    apply it again.
  - The module applies templates with chaos-pulumi's FIS layer, the code the Pulumi C(ExperimentTemplate)
    resource uses, so the same template makes the same FIS calls from both. A create carries a client
    token derived from the template, so a create that is retried returns the template the first
    attempt made instead of a second one.
  - The module returns values in snake_case, but the keys you chose (action, target, parameter and
    tag names) are returned exactly as written.
requirements:
  - python >= 3.11
  - boto3
  - chaos-pulumi
attributes:
  check_mode:
    support: full
    description: Validates the template and reports what would change, without any write call.
  diff_mode:
    support: full
    description: Shows the template before and after, in the FIS file format.
extends_documentation_fragment:
  - chaos.faults.guardrails
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Stop one tagged EC2 instance for five minutes, from a template file
  chaos.faults.fis_experiment_template:
    name: stop-one-web-instance
    template_file: experiments/stop-one-web-instance.yaml
    role_arn: "arn:aws:iam::123456789012:role/fis-experiments"
    tags:
      team: payments

- name: A template written inline
  chaos.faults.fis_experiment_template:
    name: api-cpu-stress
    template:
      description: CPU stress on the API instances, stopped by the 5xx alarm
      roleArn: "arn:aws:iam::123456789012:role/fis-experiments"
      stopConditions:
        - source: aws:cloudwatch:alarm
          value: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-5xx"
      targets:
        apiInstances:
          resourceType: aws:ec2:instance
          resourceTags:
            service: api
          selectionMode: PERCENT(50)
      actions:
        stressCpu:
          actionId: aws:ssm:send-command
          parameters:
            documentArn: "arn:aws:ssm:us-east-1::document/AWSFIS-Run-CPU-Stress"
            documentParameters: '{"DurationSeconds": "120"}'
            duration: PT3M
          targets:
            Instances: apiInstances
  register: api_cpu

- name: Review a template without touching AWS (validation runs in check mode too)
  chaos.faults.fis_experiment_template:
    name: stop-one-web-instance
    template_file: experiments/stop-one-web-instance.yaml
  check_mode: true
  diff: true

- name: AWS's "AZ Application Slowdown" scenario, stopped by the checkout alarm
  chaos.faults.fis_experiment_template:
    name: checkout-slow-1a
    role_arn: "arn:aws:iam::123456789012:role/fis-experiments"
    scenario:
      name: az-application-slowdown
      parameters:
        availability_zone: us-east-1a
        delay_milliseconds: 300
        duration: PT15M
        stop_conditions:
          - "arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-5xx"

- name: Under a stricter guardrail policy than the project's
  chaos.faults.fis_experiment_template:
    name: stop-one-web-instance
    template_file: experiments/stop-one-web-instance.yaml
    policy_file: guardrails/production.yaml

- name: Remove the template
  chaos.faults.fis_experiment_template:
    name: api-cpu-stress
    state: absent
"""

RETURN = r"""
experiment_template:
  description:
    - The template as FIS has it (after the change; in check mode, as it would be).
    - Empty when O(state=absent).
    - Keys are snake_case, except the names you chose under C(actions), C(targets), C(parameters),
      C(resource_tags) and C(tags), which are returned exactly as written.
  returned: always
  type: dict
  contains:
    id:
      description: The template ID. V(null) in check mode when the template would be created.
      type: str
      returned: when O(state=present)
      sample: EXT1a2b3c4d5e6f7
    arn:
      description: The template ARN. V(null) in check mode when the template would be created.
      type: str
      returned: when O(state=present)
      sample: "arn:aws:fis:us-east-1:123456789012:experiment-template/EXT1a2b3c4d5e6f7"
    name:
      description: The template's name (its V(Name) tag).
      type: str
      returned: when O(state=present)
      sample: stop-one-web-instance
    description:
      description: The template's description.
      type: str
      returned: when O(state=present)
    role_arn:
      description: The IAM role FIS assumes.
      type: str
      returned: when O(state=present)
    stop_conditions:
      description: The stop conditions, each with C(source) and optional C(value).
      type: list
      elements: dict
      returned: when O(state=present)
      sample:
        - {"source": "aws:cloudwatch:alarm", "value": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:5xx"}
    targets:
      description: Targets by the names you gave them.
      type: dict
      returned: when O(state=present)
      sample: {"webInstances": {"resource_type": "aws:ec2:instance", "resource_tags": {"role": "web"},
               "selection_mode": "COUNT(1)"}}
    actions:
      description: Actions by the names you gave them; C(parameters) and C(targets) keys untouched.
      type: dict
      returned: when O(state=present)
      sample:
        stopWeb:
          action_id: aws:ec2:stop-instances
          parameters: {"startInstancesAfterDuration": "PT5M"}
          targets: {"Instances": "webInstances"}
    tags:
      description: The template's tags, including V(Name).
      type: dict
      returned: when O(state=present)
      sample: {"Name": "stop-one-web-instance", "team": "payments"}
    creation_time:
      description: When the template was created (ISO 8601).
      type: str
      returned: when O(state=present) and not in check mode for a new template
    last_update_time:
      description: When the template was last changed (ISO 8601).
      type: str
      returned: when O(state=present) and not in check mode for a new template
    content:
      description:
        - The template in the FIS file format (camelCase, canonical), ready to be written to a file or
          passed to O(template) again.
      type: dict
      returned: when O(state=present)
guardrails:
  description:
    - The guardrail policy's verdict on the template. Also returned when the task fails on it (with
      C(problems), each with its C(path), C(message), C(severity) and C(rule)).
  returned: when O(state=present)
  type: dict
  contains:
    policy:
      description: The policy's name (V(none) when the guardrails are off).
      type: str
    source:
      description: Where the policy came from (a file, or V(built in)).
      type: str
    origin:
      description: How it was chosen (O(policy_file), C(CHAOS_PULUMI_POLICY), C(chaos-pulumi.yaml), default).
      type: str
    verdicts:
      description: Each rule's verdict by rule id (V(pass), V(fail), V(waived), V(not checked), ...).
      type: dict
    waivers:
      description: The rules the template waives (its C(chaos:waiver) tag), with the reason and the fields.
      type: list
      elements: dict
  sample:
    policy: safe-defaults
    source: built in
    origin: "the default (no policy_file, $CHAOS_PULUMI_POLICY or chaos-pulumi.yaml)"
    verdicts: {"stop_condition_required": "pass", "max_selection": "pass", "role_trust": "not checked"}
    waivers: []
scenario:
  description: The scenario rendered, when O(scenario) was given.
  returned: when O(scenario) is given
  type: dict
  contains:
    name:
      description: The scenario.
      type: str
    sub_actions:
      description: The sub-actions included.
      type: list
      elements: str
    left_out:
      description: Default sub-actions left out, and why (for example a missing parameter).
      type: dict
  sample: {"name": "az-application-slowdown", "sub_actions": ["latency-for-ec2", "latency-for-ecs"],
           "left_out": {"latency-for-eks": "needs eks_cluster (the EKS cluster of the pods)"}}
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # Handled by AnsibleAWSModule

try:
    from chaos_pulumi.aws.errors import FisError
    from chaos_pulumi.aws.templates import apply_template, create_template, delete_template, plan_template
    from chaos_pulumi.spec import TemplateSpec
except ImportError:
    pass  # Handled by require_chaos_pulumi()

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.chaos.faults.plugins.module_utils._fis import (
    TOKEN_OWNER,
    find_template,
    fis_client,
    load_desired_template,
    render_scenario_option,
    require_chaos_pulumi,
    template_result,
)
from ansible_collections.chaos.faults.plugins.module_utils._policy import POLICY_OPTION, enforce_policy


def _result(template, spec):
    result = template_result(template)
    result["content"] = spec.to_dict()
    return result


def ensure_absent(module, client):
    current = find_template(module, client, module.params["name"])
    if current is None:
        return dict(changed=False, experiment_template={}, diff=dict(before={}, after={}))
    before = TemplateSpec.from_fis(current).to_dict()
    if not module.check_mode:
        delete_template(client, current["id"])
    return dict(changed=True, experiment_template={}, diff=dict(before=before, after={}))


def ensure_present(module, client):
    params = module.params
    rendered = render_scenario_option(module) if params.get("scenario") else None
    data, explicit_tags = load_desired_template(module, rendered)
    # Before any call that changes FIS, in check mode too: a template that breaks the policy changes nothing.
    source = params.get("template_file") or (f"scenario {rendered.name}" if rendered else "template")
    report = dict(guardrails=enforce_policy(module, data, source=source, start=params.get("template_file")))
    if rendered is not None:
        report["scenario"] = dict(
            name=rendered.name, sub_actions=list(rendered.sub_actions), left_out=dict(rendered.left_out)
        )
    desired = TemplateSpec.from_dict(data)
    current = find_template(module, client, module.params["name"])

    if current is None:
        diff = dict(before={}, after=desired.to_dict())
        if module.check_mode:
            planned = desired.to_create_request()
            planned.update(id=None, arn=None)
            return dict(changed=True, experiment_template=_result(planned, desired), diff=diff, **report)
        stored = create_template(client, desired, owner=TOKEN_OWNER)
        return dict(
            changed=True,
            experiment_template=_result(stored, TemplateSpec.from_fis(stored)),
            diff=diff,
            **report,
        )

    live = TemplateSpec.from_fis(current)
    # Without tags from the task or the file, tags other than Name are left alone (as amazon.aws does).
    change = plan_template(
        live, desired, purge_tags=module.params["purge_tags"] and explicit_tags is not None
    )
    if change.create_only:
        module.fail_json(
            msg="{}: FIS cannot change this on an existing template ({}); remove the template "
            "(state: absent) and apply it again. Nothing was changed.".format(
                ", ".join(change.create_only), current["id"]
            )
        )
    diff = dict(before=live.to_dict(), after=change.after.to_dict())
    if not change.changed:
        return dict(changed=False, experiment_template=_result(current, live), diff=diff, **report)
    if module.check_mode:
        # The template as it would be, server-side fields from the live one.
        planned = dict(current)
        planned.update(change.after.to_dict())
        return dict(changed=True, experiment_template=_result(planned, change.after), diff=diff, **report)
    stored = apply_template(client, current, change)
    return dict(
        changed=True, experiment_template=_result(stored, TemplateSpec.from_fis(stored)), diff=diff, **report
    )


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        template=dict(type="dict"),
        template_file=dict(type="path"),
        scenario=dict(
            type="dict",
            options=dict(name=dict(type="str", required=True), parameters=dict(type="dict", default={})),
        ),
        role_arn=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        **POLICY_OPTION,
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[["template", "template_file", "scenario"]],
        required_if=[["state", "present", ["template", "template_file", "scenario"], True]],
    )
    require_chaos_pulumi(module)
    client = fis_client(module)

    try:
        if module.params["state"] == "present":
            result = ensure_present(module, client)
        else:
            result = ensure_absent(module, client)
    except FisError as e:
        module.fail_json(msg="FIS experiment template {}: {}".format(module.params["name"], e))
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="FIS experiment template {}".format(module.params["name"]))

    if not module._diff:  # pylint: disable=protected-access
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
