#!/usr/bin/python

# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)


DOCUMENTATION = r"""
module: fis_safety_lever
version_added: 0.1.0
short_description: Engage or disengage the AWS Fault Injection Service (FIS) safety lever
description:
  - Sets the FIS safety lever of the account in one Region (there is one per account and Region, id
    V(default)). While it is engaged, FIS stops every experiment in progress (they end C(stopped))
    and cancels every experiment started (they end C(cancelled)); disengaging lets experiments start
    again. Stopped and cancelled experiments cannot be resumed.
  - Idempotent. A lever already in the wanted state is not changed, whatever O(reason) says (FIS
    changes the reason only together with the status), so the reason of the earlier change stays
    and is returned. A lever that is still C(engaging) counts as engaged; to disengage it the module
    waits up to O(wait_timeout) seconds for FIS to finish engaging.
  - The kill switch for a whole inventory is the collection playbook C(chaos.faults.stop_all), which
    engages the lever and reverts every host fault; C(chaos-pulumi stop-all) also pauses the chaos
    schedules.
  - Runs where boto3 and the C(chaos-pulumi) Python package are installed, usually the controller.
author:
  - chaos-pulumi contributors (@chaos-pulumi)
options:
  state:
    description:
      - V(engaged) stops every running experiment and blocks new ones; V(disengaged) allows them.
    type: str
    choices: ['engaged', 'disengaged']
    required: true
  reason:
    description:
      - Why the lever changes; FIS keeps it with the lever's state.
    type: str
    required: true
  wait_timeout:
    description:
      - Seconds to wait for a lever that is still C(engaging) before disengaging it.
    type: int
    default: 60
requirements:
  - python >= 3.11
  - boto3
  - chaos-pulumi
attributes:
  check_mode:
    support: full
    description: Reads the lever and reports whether it would change; changes nothing.
  diff_mode:
    support: full
    description: The lever's status and reason before and after.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Stop every FIS experiment in this account and Region, and block new ones
  chaos.faults.fis_safety_lever:
    state: engaged
    reason: "INC-1234: checkout errors, stop all chaos"
    region: eu-west-1

- name: Allow experiments again after the incident
  chaos.faults.fis_safety_lever:
    state: disengaged
    reason: "INC-1234 resolved"
    region: eu-west-1

- name: Refuse to start a game day while the lever is engaged
  chaos.faults.fis_safety_lever:
    state: disengaged
    reason: check only
  check_mode: true
  register: lever
  failed_when: lever.changed
"""

RETURN = r"""
safety_lever:
  description: The lever after the task (in check mode, as it is now).
  returned: always
  type: dict
  contains:
    id:
      description: The lever's ID, always V(default).
      type: str
      returned: always
    arn:
      description: The lever's ARN.
      type: str
      returned: always
    status:
      description: V(engaged), V(engaging) or V(disengaged).
      type: str
      returned: always
      sample: engaged
    reason:
      description: The reason of the last change.
      type: str
      returned: when FIS has one
previous:
  description: The lever's status and reason before the task.
  returned: always
  type: dict
  sample: {"status": "disengaged", "reason": "all clear"}
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.chaos.faults.plugins.module_utils._fis import require_chaos_pulumi

try:
    from chaos_pulumi.aws.safety import lever_is, safety_lever, set_lever
except ImportError:
    pass  # Handled by require_chaos_pulumi


def lever_result(lever):
    state = lever.get("state") or {}
    result = {"id": lever.get("id"), "arn": lever.get("arn"), "status": state.get("status")}
    if state.get("reason") is not None:
        result["reason"] = state["reason"]
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            state=dict(type="str", choices=["engaged", "disengaged"], required=True),
            reason=dict(type="str", required=True),
            wait_timeout=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    require_chaos_pulumi(module)
    wanted, reason = module.params["state"], module.params["reason"]
    if not reason.strip():
        module.fail_json(msg="reason: say why the safety lever changes (FIS records it)")
    client = module.client("fis")
    try:
        lever = safety_lever(client)
        before = dict(lever.get("state") or {})
        changed = not lever_is(before, wanted)
        if changed and not module.check_mode:
            # Someone else may have changed it meanwhile: then this task changed nothing.
            changed = set_lever(client, wanted, reason, wait_s=module.params["wait_timeout"])["changed"]
            lever = safety_lever(client)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"FIS safety lever: could not set it {wanted}")
    except TimeoutError as e:
        module.fail_json(msg=f"FIS safety lever: {e}")
    result = dict(changed=changed, safety_lever=lever_result(lever), previous=before)
    if module._diff:  # pylint: disable=protected-access
        after = {"status": wanted, "reason": reason} if changed else before
        result["diff"] = {"before": before, "after": after}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
