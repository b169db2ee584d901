#!/usr/bin/python

# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)


DOCUMENTATION = r"""
module: ssm_fault_document
version_added: 0.2.0
short_description: Register a host fault as an SSM Command document, for FIS to run on EC2 fleets
description:
  - Creates or updates the SSM Command document that runs host fault O(fault) (the same runtime, options
    and guarantees as M(chaos.faults.cpu_stress) and the other host-fault modules) on Linux instances
    through the SSM agent. FIS runs it with the V(aws:ssm:send-command) action
    (see M(chaos.faults.fis_experiment_template)).
  - The document embeds the host-fault runtime and takes the fault's options as parameters, each with an
    C(allowedPattern) no shell metacharacter passes; the command blocks for the fault's life, exits 3 when
    the C(stopOnUrl) guard reverted the fault early, and the fault is reverted at once when the command is
    cancelled (as FIS does when an experiment stops). Instances need Python 3.7 or later.
  - Idempotent. The document is compared with the live default version; a different one becomes a new version
    and the default. Check mode and diff mode are supported.
  - Runs where boto3 and the C(chaos-pulumi) Python package are installed, usually the controller.
author:
  - chaos-pulumi contributors (@chaos-pulumi)
options:
  fault:
    description:
      - The timed host fault, for example V(cpu_stress) or V(network_blackhole).
      - Required with O(state=present).
    type: str
  name:
    description:
      - The document name. Default V(ChaosFaults-<fault>); names starting with C(ChaosFaults-) let
        C(chaos-pulumi explain) and the validator recognise the document.
    type: str
  state:
    description:
      - V(present) registers or updates the document, V(absent) deletes it.
    type: str
    choices: ['present', 'absent']
    default: present
  max_duration:
    description:
      - The longest fault duration in seconds the document accepts (1-43200); its C(timeoutSeconds) follows.
    type: int
    default: 3600
  tags:
    description:
      - Tags of a new document (an existing document's tags are left as they are).
    type: dict
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Register the CPU stress document
  chaos.faults.ssm_fault_document:
    fault: cpu_stress
  register: cpu_doc

- name: Send it to the instances tagged app=web through FIS
  chaos.faults.fis_experiment_template:
    name: web-cpu
    template:
      description: CPU stress on one web instance for five minutes
      roleArn: arn:aws:iam::123456789012:role/fis-fleet
      stopConditions: [{source: none}]
      targets:
        web: {resourceType: "aws:ec2:instance", resourceTags: {app: web}, selectionMode: COUNT(1)}
      actions:
        cpu:
          actionId: aws:ssm:send-command
          parameters:
            documentArn: "{{ cpu_doc.document.arn }}"
            documentParameters: '{"duration": "300", "load": "80"}'
            duration: PT6M
          targets: {Instances: web}
"""

RETURN = r"""
document:
  description: The document after the task (in check mode, what it would be).
  returned: state=present
  type: dict
  contains:
    name:
      description: The document name.
      type: str
    arn:
      description: The document ARN, what C(documentArn) of V(aws:ssm:send-command) takes.
      type: str
    default_version:
      description: The default version after the task (null in check mode for a new document).
      type: str
    fault:
      description: The host fault it runs.
      type: str
    parameters:
      description: The document's parameter names.
      type: list
      elements: str
    bytes:
      description: Size of the document content (SSM takes 64 KB including parameter values).
      type: int
    runtime_sha256:
      description: SHA-256 of the embedded runtime zipapp.
      type: str
"""

import json
import traceback

from ansible.module_utils.basic import missing_required_lib

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

try:
    from chaos_pulumi.fleet import build_document

    HAS_CHAOS_PULUMI = True
    CHAOS_PULUMI_IMPORT_ERROR = None
except ImportError:
    HAS_CHAOS_PULUMI = False
    CHAOS_PULUMI_IMPORT_ERROR = traceback.format_exc()


def _live(client, name):
    """(content as data, default version) of the document, or (None, None) when there is none."""
    try:
        got = client.get_document(Name=name, aws_retry=True)  # no version: the default one
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") == "InvalidDocument":
            return None, None
        raise
    return json.loads(got["Content"]), got.get("DocumentVersion")


def _arn(module, name):
    account = module.client("sts").get_caller_identity()["Account"]
    partition = "aws-cn" if module.region.startswith("cn-") else "aws"
    return f"arn:{partition}:ssm:{module.region}:{account}:document/{name}"


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            fault=dict(type="str"),
            name=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            max_duration=dict(type="int", default=3600),
            tags=dict(type="dict"),
        ),
        required_if=[("state", "present", ["fault"])],
        required_one_of=[("fault", "name")],
        supports_check_mode=True,
    )
    if not HAS_CHAOS_PULUMI:
        module.fail_json(msg=missing_required_lib("chaos-pulumi"), exception=CHAOS_PULUMI_IMPORT_ERROR)
    p = module.params
    name = p["name"] or f"ChaosFaults-{p['fault']}"
    client = module.client("ssm", retry_decorator=AWSRetry.jittered_backoff())
    try:
        live, version = _live(client, name)
        if p["state"] == "absent":
            if live is not None and not module.check_mode:
                client.delete_document(Name=name, aws_retry=True)
            module.exit_json(changed=live is not None)
        try:
            doc = build_document(p["fault"], p["max_duration"])
        except ValueError as e:
            module.fail_json(msg=str(e))
        changed = live != doc.content
        if changed and not module.check_mode:
            if live is None:
                tags = [{"Key": k, "Value": str(v)} for k, v in (p["tags"] or {}).items()]
                created = client.create_document(
                    Name=name, Content=doc.json, DocumentType="Command", DocumentFormat="JSON",
                    TargetType="/AWS::EC2::Instance", Tags=tags, aws_retry=True)
                version = created["DocumentDescription"]["DocumentVersion"]
            else:
                updated = client.update_document(
                    Name=name, Content=doc.json, DocumentVersion="$LATEST", DocumentFormat="JSON",
                    TargetType="/AWS::EC2::Instance", aws_retry=True)
                version = updated["DocumentDescription"]["DocumentVersion"]
                client.update_document_default_version(Name=name, DocumentVersion=version, aws_retry=True)
        arn = _arn(module, name)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"SSM document {name}: could not register it")
    result = dict(
        changed=changed,
        document=dict(name=name, arn=arn, default_version=version, fault=doc.fault,
                      parameters=list(doc.content["parameters"]), bytes=doc.size,
                      runtime_sha256=doc.runtime_sha256),
    )
    if module._diff:  # pylint: disable=protected-access
        def summary(content):
            params = sorted(content.get("parameters") or {})
            return {"description": content.get("description"), "parameters": params}

        result["diff"] = {"before": summary(live) if live else {}, "after": summary(doc.content)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
