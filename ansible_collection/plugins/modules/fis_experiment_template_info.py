#!/usr/bin/python

# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)


DOCUMENTATION = r"""
module: fis_experiment_template_info
version_added: 0.1.0
short_description: Describe AWS Fault Injection Service (FIS) experiment templates
description:
  - Returns FIS experiment templates, all of them or those matching O(id), O(name) or O(tags).
  - Each template comes with its content in the FIS file format, ready to be saved as a file.
  - Runs where boto3 and the C(chaos-pulumi) Python package are installed, usually the controller.
author:
  - chaos-pulumi contributors (@chaos-pulumi)
options:
  id:
    description:
      - Return only the template with this ID (an empty list when there is none).
    type: str
  name:
    description:
      - Return only templates with this name (their V(Name) tag, as set by
        M(chaos.faults.fis_experiment_template)).
    type: str
  tags:
    description:
      - Return only templates that have all of these tags with these values.
    type: dict
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
- name: Every template owned by the payments team
  chaos.faults.fis_experiment_template_info:
    tags:
      team: payments
  register: payments

- name: Save one template as a file, to put it under version control
  chaos.faults.fis_experiment_template_info:
    name: stop-one-web-instance
  register: found

- name: Write it
  ansible.builtin.copy:
    content: "{{ found.experiment_templates[0].content | to_nice_yaml }}"
    dest: experiments/stop-one-web-instance.yaml
    mode: "0644"
"""

RETURN = r"""
experiment_templates:
  description:
    - The matching templates, sorted by name then ID. Keys are snake_case except the names you chose
      under C(actions), C(targets), C(parameters), C(resource_tags) and C(tags).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The template ID.
      type: str
      returned: always
    arn:
      description: The template ARN.
      type: str
      returned: always
    name:
      description: The V(Name) tag, if any.
      type: str
      returned: always
    tags:
      description: The template's tags.
      type: dict
      returned: always
    actions:
      description: Actions by name.
      type: dict
      returned: always
    targets:
      description: Targets by name.
      type: dict
      returned: always
    content:
      description: The template in the FIS file format (camelCase, canonical).
      type: dict
      returned: always
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # Handled by AnsibleAWSModule

try:
    from chaos_pulumi.aws.templates import get_template, list_templates, templates_tagged
    from chaos_pulumi.spec import TemplateSpec
except ImportError:
    pass  # Handled by require_chaos_pulumi()

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.chaos.faults.plugins.module_utils._fis import (
    NAME_TAG,
    fis_client,
    require_chaos_pulumi,
    template_result,
)


def matches(summary, wanted_tags):
    tags = summary.get("tags") or {}
    return all(tags.get(key) == str(value) for key, value in (wanted_tags or {}).items())


def describe(client, params):
    if params["id"]:
        summaries = [dict(id=params["id"], tags=None)]
    elif params["name"]:
        summaries = templates_tagged(client, NAME_TAG, params["name"])
    else:
        summaries = list_templates(client)
    found = []
    for summary in summaries:
        if summary.get("tags") is not None and not matches(summary, params["tags"]):
            continue
        template = get_template(client, summary["id"])
        if template is None or not matches(template, params["tags"]):
            continue
        if params["name"] and (template.get("tags") or {}).get(NAME_TAG) != params["name"]:
            continue
        result = template_result(template)
        result["content"] = TemplateSpec.from_fis(template).to_dict()
        found.append(result)
    return sorted(found, key=lambda t: (t.get("name") or "", t["id"]))


def main():
    argument_spec = dict(
        id=dict(type="str"),
        name=dict(type="str"),
        tags=dict(type="dict"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    require_chaos_pulumi(module)
    client = fis_client(module)
    try:
        templates = describe(client, module.params)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to describe FIS experiment templates")
    module.exit_json(changed=False, experiment_templates=templates)


if __name__ == "__main__":
    main()
