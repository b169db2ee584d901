"""``ExperimentRole``: the IAM role FIS assumes, with exactly the permissions its templates need."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from chaos_pulumi.spec import Problem, TemplateSpec, has_errors, validate
from chaos_pulumi.spec.experiment_role import INLINE_POLICY_LIMIT, role_policy, split_policy
from chaos_pulumi.spec.iam import trust_policy
from chaos_pulumi.spec.scenarios import RenderedScenario

PLACEHOLDER_ACCOUNT = "000000000000"


def user_error(what: str, problems: Sequence[Problem]) -> pulumi.RunError:
    """Bad component arguments as Pulumi shows them: every field and its fix, no traceback."""
    lines = "\n".join(f"  {p}" for p in problems)
    return pulumi.RunError(f"{what}: invalid arguments\n{lines}")


def template_spec(template: TemplateSpec | RenderedScenario | Mapping[str, Any]) -> TemplateSpec:
    """A served template as the model: a TemplateSpec, a rendered scenario, or a file-format mapping."""
    if isinstance(template, TemplateSpec):
        return template
    if isinstance(template, RenderedScenario):
        return template.spec
    problems = [p for p in validate(dict(template)) if p.severity == "error" and p.path != "roleArn"]
    if has_errors(problems):
        raise user_error("ExperimentRole: a template it serves", problems)
    return TemplateSpec.from_dict(template)


def account_of(parent: pulumi.Resource, account_id: pulumi.Input[str] | None) -> pulumi.Output[str]:
    """The given account, or the provider's (an invoke, so a preview needs no extra input)."""
    if account_id is not None:
        return pulumi.Output.from_input(account_id)
    return aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent)).account_id


def region_of(parent: pulumi.Resource, region: pulumi.Input[str] | None) -> pulumi.Output[str]:
    """The given Region, or the provider's."""
    if region is not None:
        return pulumi.Output.from_input(region)
    return aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=parent)).region


class ExperimentRole(pulumi.ComponentResource):
    """An IAM role for FIS: ``iam-policy``'s least privilege for the templates it serves.

    The trust policy admits ``fis.amazonaws.com`` only for experiments of this account and Region
    (``aws:SourceAccount`` and ``aws:SourceArn``). The permissions are the union of the templates'
    policies: one inline policy when it fits IAM's 10,240-character limit, otherwise customer managed
    policies attached to the role.
    """

    arn: pulumi.Output[str]
    name: pulumi.Output[str]
    policy_documents: pulumi.Output[list]

    def __init__(
        self,
        resource_name: str,
        *,
        templates: Sequence[TemplateSpec | RenderedScenario | Mapping[str, Any]],
        account_id: pulumi.Input[str] | None = None,
        region: pulumi.Input[str] | None = None,
        role_name: pulumi.Input[str] | None = None,
        tags: Mapping[str, pulumi.Input[str]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("chaos-pulumi:components:ExperimentRole", resource_name, {}, opts)
        specs = [template_spec(t) for t in templates]
        if not specs:
            raise user_error(
                f"ExperimentRole {resource_name}",
                [Problem("templates", "is empty; give the templates it serves")],
            )
        child = pulumi.ResourceOptions(parent=self)
        account, where = account_of(self, account_id), region_of(self, region)

        # How many documents, decided now (resources cannot depend on outputs): an account id has a
        # fixed length, so the placeholder's sizes are the real sizes.
        sample = role_policy(specs, PLACEHOLDER_ACCOUNT)
        inline = len(json.dumps(sample, separators=(",", ":"))) <= INLINE_POLICY_LIMIT
        count = 1 if inline else len(split_policy(sample))

        def documents(acct: str) -> list[str]:
            policy = role_policy(specs, acct)
            docs = [policy] if inline else split_policy(policy)
            return [json.dumps(d, indent=2) for d in docs]

        texts = account.apply(documents)
        self.role = aws.iam.Role(
            resource_name,
            name=role_name,
            description="Experiment role for AWS FIS (chaos-pulumi: least privilege for its templates)",
            assume_role_policy=pulumi.Output.all(account, where).apply(
                lambda ar: json.dumps(trust_policy(ar[0], ar[1]), indent=2)
            ),
            tags={"chaos-pulumi:role": "fis-experiments", **dict(tags or {})},
            opts=child,
        )
        role_child = pulumi.ResourceOptions(parent=self.role)
        self.policies: list[pulumi.CustomResource] = []
        if inline:
            self.policies.append(
                aws.iam.RolePolicy(
                    f"{resource_name}-permissions", role=self.role.id, policy=texts[0], opts=role_child
                )
            )
        else:
            for i in range(count):
                policy = aws.iam.Policy(
                    f"{resource_name}-permissions-{i + 1}",
                    description=f"FIS experiment permissions, part {i + 1} of {count} (chaos-pulumi)",
                    policy=texts[i],
                    opts=role_child,
                )
                self.policies.append(policy)
                self.policies.append(
                    aws.iam.RolePolicyAttachment(
                        f"{resource_name}-permissions-{i + 1}",
                        role=self.role.name,
                        policy_arn=policy.arn,
                        opts=role_child,
                    )
                )
        self.arn = self.role.arn
        self.name = self.role.name
        self.policy_documents = texts
        self.register_outputs({"arn": self.arn, "name": self.name, "policy_documents": texts})
