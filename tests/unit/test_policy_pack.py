"""The policy pack's pieces that the e2e test cannot reach: role_trust against pulumi-aws roles (whose
provider plugin cannot run here), the policy list per guardrail policy, unknown values.

The pack's real run through the Pulumi CLI is tests/e2e/test_policy_pack.py.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from chaos_pulumi.policy_pack.pack import ROLE_TYPE, TEMPLATE_TYPE, TemplateProps, policies
from chaos_pulumi.spec.guardrails import Policy, PolicyChoice, safe_defaults

from ._spec_fixtures import ROLE, base_template

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "fis.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "123456789012"},
                "ArnLike": {"aws:SourceArn": "arn:aws:fis:us-east-1:123456789012:experiment/*"},
            },
        }
    ],
}
LOOSE = {"Version": "2012-10-17", "Statement": [{**TRUST["Statement"][0], "Condition": {}}]}


def resource(rtype: str, name: str, props: dict[str, Any], **deps: Any) -> PolicyResource:
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return PolicyResource(
        rtype,
        unknown_checking_proxy(props),
        f"urn:pulumi:test::proj::{rtype}::{name}",
        name,
        opts,
        None,
        None,
        deps.get("dependencies", []),
        deps.get("property_dependencies", {}),
    )


def role_trust(choice: PolicyChoice) -> StackValidationPolicy:
    return next(p for p in policies(choice) if p.name == "role_trust")


def run_stack_policy(policy: StackValidationPolicy, resources: list[PolicyResource]) -> list[tuple[str, str]]:
    reports: list[tuple[str, str]] = []
    policy.validate(StackValidationArgs(resources), lambda message, urn=None: reports.append((message, urn)))
    return reports


def test_one_policy_per_rule_with_the_rules_level() -> None:
    choice = PolicyChoice(safe_defaults())
    names = [p.name for p in policies(choice)]
    assert names == [
        "guardrail_policy",
        "stop_condition_required",
        "max_duration",
        "max_action_duration",
        "max_selection",
        "denied_actions",
        "role_trust",
        "waiver",
        "waived",
    ]
    levels = {p.name: p.enforcement_level for p in policies(choice)}
    assert levels["max_selection"] == EnforcementLevel.MANDATORY
    assert levels["waived"] == EnforcementLevel.ADVISORY
    softer = replace(
        safe_defaults(),
        rules={
            **safe_defaults().rules,
            "max_duration": replace(safe_defaults().rules["max_duration"], level="warning"),
        },
    )
    assert {p.name: p.enforcement_level for p in policies(PolicyChoice(softer))}["max_duration"] == (
        EnforcementLevel.ADVISORY
    )
    assert [p.name for p in policies(PolicyChoice(Policy.off("from $CHAOS_PULUMI_POLICY")))] == [
        "guardrail_policy"
    ]


@pytest.mark.parametrize("via", ["property_dependencies", "dependencies", "arn"])
def test_role_trust_reads_the_stacks_role(via: str) -> None:
    role = resource(ROLE_TYPE, "fis-role", {"arn": ROLE, "assumeRolePolicy": json.dumps(LOOSE)})
    deps: dict[str, Any] = {}
    if via == "property_dependencies":
        deps = {"property_dependencies": {"template": [role]}}
    elif via == "dependencies":
        deps = {"dependencies": [role]}
    template = resource(TEMPLATE_TYPE, "web", {"template": base_template()}, **deps)
    reports = run_stack_policy(role_trust(PolicyChoice(safe_defaults())), [role, template])
    (message, urn) = reports[0]
    assert urn == template.urn
    assert message.startswith(
        "[role_trust] roleArn: Statement[0] lets fis.amazonaws.com assume the role without aws:SourceAccount "
        "and aws:SourceArn"
    )
    assert message.endswith("(policy safe-defaults)")


def test_role_trust_is_decided_while_the_role_arn_is_unknown() -> None:
    role = resource(
        ROLE_TYPE, "fis-role", {"arn": UNKNOWN_STRING_VALUE, "assumeRolePolicy": json.dumps(LOOSE)}
    )
    document = base_template()
    document["roleArn"] = UNKNOWN_STRING_VALUE  # role.arn at the first preview
    template = resource(
        TEMPLATE_TYPE, "web", {"template": document}, property_dependencies={"template": [role]}
    )
    (message, urn), *_ = run_stack_policy(role_trust(PolicyChoice(safe_defaults())), [role, template])
    assert urn == template.urn and "without aws:SourceAccount and aws:SourceArn" in message


def test_role_trust_passes_a_limited_role_and_skips_roles_it_cannot_see() -> None:
    good = resource(ROLE_TYPE, "fis-role", {"arn": ROLE, "assumeRolePolicy": TRUST})
    template = resource(TEMPLATE_TYPE, "web", {"template": base_template()}, dependencies=[good])
    assert run_stack_policy(role_trust(PolicyChoice(safe_defaults())), [good, template]) == []
    elsewhere = resource(TEMPLATE_TYPE, "other", {"template": base_template()})  # role not in this stack
    assert run_stack_policy(role_trust(PolicyChoice(safe_defaults())), [elsewhere]) == []


def test_template_props_record_unknown_values() -> None:
    template = base_template()
    template["targets"]["web"]["selectionMode"] = UNKNOWN_STRING_VALUE
    template["stopConditions"][0]["value"] = UNKNOWN_STRING_VALUE
    template["actions"]["stop"]["parameters"] = {"startInstancesAfterDuration": 300.0}
    read = TemplateProps(unknown_checking_proxy({"template": template}))
    assert sorted(read.unknown) == ["stopConditions.0.value", "targets.web.selectionMode"]
    assert "selectionMode" not in read.data["targets"]["web"]
    assert read.data["actions"]["stop"]["parameters"]["startInstancesAfterDuration"] == 300
    assert read.unknown_error is not None
    whole = TemplateProps(unknown_checking_proxy({"template": UNKNOWN_STRING_VALUE}))
    assert whole.unknown == [""] and whole.data == {}


def test_a_broken_policy_fails_every_template() -> None:
    from chaos_pulumi.spec import Problem

    choice = PolicyChoice(None, (Problem("rules.max_duration", "'soon' is not a duration"),))
    (only,) = policies(choice)
    assert only.name == "guardrail_policy" and only.enforcement_level == EnforcementLevel.MANDATORY
