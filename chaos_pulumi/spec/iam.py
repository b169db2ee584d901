"""Least-privilege IAM policy for the experiment role, derived from a template and the catalog."""

from __future__ import annotations

import json
import re
from typing import Any

from .catalog import Catalog, ResourceTypeSpec, catalog
from .model import Target, TemplateSpec

_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):")
_AUTOMATION_ROLE = "AutomationAssumeRole"


def _sid(*parts: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", " ".join(parts))
    return "".join(w[:1].upper() + w[1:] for w in words if w)[:100] or "Statement"


def _account(spec: TemplateSpec) -> str | None:
    m = _ACCOUNT.match(spec.role_arn)
    return m.group(1) if m else None


def _pattern(rtype: ResourceTypeSpec | None, account: str | None) -> str:
    """The type's ARN pattern, narrowed to the role's account where the pattern has an account field."""
    if rtype is None:
        return "*"
    parts = rtype.arn.split(":")
    if account and len(parts) > 5 and parts[0] == "arn" and parts[4] == "*":
        parts[4] = account
    return ":".join(parts)


def _target_scope(
    target: Target, rtype: ResourceTypeSpec | None, account: str | None
) -> tuple[list[str], dict]:
    """Resources and condition that limit a permission to what the target can select."""
    suffixes = rtype.arn_suffixes if rtype else ()
    if target.resource_arns and (rtype is None or rtype.arn != "*"):
        arns = sorted(target.resource_arns)
        return arns + [a + s for a in arns for s in suffixes], {}
    pattern = _pattern(rtype, account)
    resources = [pattern] + [pattern + s for s in suffixes if not pattern.endswith("*")]
    if target.resource_tags and (rtype is None or rtype.tag_condition):
        cond = {f"aws:ResourceTag/{k}": v for k, v in sorted(target.resource_tags.items())}
        return resources, {"StringEquals": cond}
    return resources, {}


def iam_policy(spec: TemplateSpec, cat: Catalog | None = None) -> dict[str, Any]:
    """An IAM policy document granting the experiment role exactly what the template needs.

    Permissions that act on target resources are scoped to the target's ARNs, or to the type's ARN
    pattern in the role's account with an ``aws:ResourceTag`` condition for tag targets; describe/list
    calls FIS makes get ``Resource: "*"`` (they do not support resource-level scoping). Never
    ``"Action": "*"``.
    """
    cat = cat or catalog()
    account = _account(spec)
    statements: list[dict[str, Any]] = []
    extra: list[dict[str, Any]] = []  # fixed-resource permissions, after the target-scoped ones
    # (resources, condition json) -> actions, so targets with the same scope share one statement
    scoped: dict[tuple[tuple[str, ...], str], dict[str, Any]] = {}
    unscoped: set[str] = set()

    def add_scoped(actions: list[str], resources: list[str], condition: dict, sid: str) -> None:
        key = (tuple(resources), json.dumps(condition, sort_keys=True))
        entry = scoped.setdefault(key, {"sid": sid, "actions": set()})
        entry["actions"].update(actions)

    for name in spec.action_order():
        action = spec.actions[name]
        aspec = cat.actions.get(action.action_id)
        if aspec is None:
            continue
        perms = aspec.permissions
        unscoped.update(perms.unscoped)
        if any(spec.targets[t].resource_tags for t in action.targets.values() if t in spec.targets):
            # FIS resolves tag targets through the Resource Groups Tagging API.
            unscoped.add("tag:GetResources")
        for special in perms.special:
            stmt: dict[str, Any] = {
                "Sid": _sid(name, special.action),
                "Effect": "Allow",
                "Action": [special.action],
                "Resource": special.resource,
            }
            condition = {k: dict(v) for k, v in (special.condition or {}).items()}
            if special.target_arns_condition:
                arns = sorted(
                    {
                        a
                        for t in action.targets.values()
                        if t in spec.targets
                        for a in spec.targets[t].resource_arns
                    }
                )
                if arns:
                    # Limit the injected errors to the roles/groups this template targets.
                    condition.setdefault("ForAllValues:StringEquals", {})[special.target_arns_condition] = (
                        arns
                    )
            if condition:
                stmt["Condition"] = condition
            extra.append(stmt)
        if perms.scoped:
            refs = [spec.targets[t] for t in action.targets.values() if t in spec.targets]
            if not refs:
                add_scoped(list(perms.scoped), ["*"], {}, _sid(name))
            for target in refs:
                rtype = cat.resource_types.get(target.resource_type)
                resources, cond = _target_scope(target, rtype, account)
                add_scoped(list(perms.scoped), resources, cond, _sid(name, "targets"))
        if perms.document_parameter and action.parameters.get(perms.document_parameter):
            doc = action.parameters[perms.document_parameter]
            if "ssm:SendCommand" in perms.all_actions:
                # SendCommand is authorised against the instances and the document alike.
                add_scoped(["ssm:SendCommand"], [doc], {}, _sid(name, "document"))
            if action.action_id == "aws:ssm:start-automation-execution":
                try:
                    doc_params = json.loads(action.parameters.get("documentParameters") or "{}")
                except ValueError:
                    doc_params = {}
                role = doc_params.get(_AUTOMATION_ROLE) if isinstance(doc_params, dict) else None
                if isinstance(role, list):
                    role = role[0] if role else None
                # Without an explicit AutomationAssumeRole the runbook's own default role is passed,
                # which the template does not name: any role of the account, to SSM only.
                passed = role if isinstance(role, str) and role else f"arn:aws:iam::{account or '*'}:role/*"
                extra.append(
                    {
                        "Sid": _sid(name, "pass role"),
                        "Effect": "Allow",
                        "Action": ["iam:PassRole"],
                        "Resource": passed,
                        "Condition": {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}},
                    }
                )
        if action.action_id == "aws:ec2:stop-instances" and action.parameters.get(
            "startInstancesAfterDuration"
        ):
            # Restarting instances with encrypted EBS volumes needs a grant on the volume's key.
            extra.append(
                {
                    "Sid": _sid(name, "kms grant for encrypted volumes"),
                    "Effect": "Allow",
                    "Action": ["kms:CreateGrant"],
                    "Resource": f"arn:aws:kms:*:{account or '*'}:key/*",
                    "Condition": {
                        "StringLike": {"kms:ViaService": "ec2.*.amazonaws.com"},
                        "Bool": {"kms:GrantIsForAWSResource": "true"},
                    },
                }
            )

    for (resources, cond_json), entry in scoped.items():
        stmt = {
            "Sid": entry["sid"],
            "Effect": "Allow",
            "Action": sorted(entry["actions"]),
            "Resource": list(resources) if len(resources) > 1 else resources[0],
        }
        cond = json.loads(cond_json)
        if cond:
            stmt["Condition"] = cond
        statements.append(stmt)

    statements.extend(extra)
    if unscoped:
        statements.append(
            {
                "Sid": "DescribeAndList",
                "Effect": "Allow",
                "Action": sorted(unscoped),
                "Resource": "*",
            }
        )

    statements.extend(_logging_statements(spec))
    statements.extend(_report_statements(spec, account))

    # Sids must be unique within a policy.
    seen: dict[str, int] = {}
    for stmt in statements:
        sid = stmt["Sid"]
        seen[sid] = seen.get(sid, 0) + 1
        if seen[sid] > 1:
            stmt["Sid"] = f"{sid}{seen[sid]}"
    return {"Version": "2012-10-17", "Statement": statements}


def _logging_statements(spec: TemplateSpec) -> list[dict[str, Any]]:
    lc = spec.log_configuration
    if lc is None:
        return []
    out: list[dict[str, Any]] = []
    if lc.cloudwatch_logs_log_group_arn:
        out.append(
            {
                "Sid": "ExperimentLogsToCloudWatch",
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogDelivery",
                    "logs:DescribeLogGroups",
                    "logs:DescribeResourcePolicies",
                    "logs:PutResourcePolicy",
                ],
                "Resource": "*",
            }
        )
    if lc.s3_bucket_name:
        bucket = lc.s3_bucket_name
        out.append(
            {
                "Sid": "ExperimentLogsToS3",
                "Effect": "Allow",
                "Action": ["s3:GetBucketPolicy", "s3:PutBucketPolicy"],
                "Resource": f"arn:aws:s3:::{bucket}",
            }
        )
        out.append(
            {
                "Sid": "ExperimentLogDelivery",
                "Effect": "Allow",
                "Action": ["logs:CreateLogDelivery"],
                "Resource": "*",
            }
        )
    return out


def _report_statements(spec: TemplateSpec, account: str | None) -> list[dict[str, Any]]:
    rc = spec.report_configuration
    if rc is None:
        return []
    out: list[dict[str, Any]] = []
    if rc.s3_bucket_name:
        prefix = (rc.s3_prefix or "").strip("/")
        key = f"{prefix}/*" if prefix else "*"
        out.append(
            {
                "Sid": "ExperimentReportToS3",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"arn:aws:s3:::{rc.s3_bucket_name}/{key}",
            }
        )
    if rc.cloudwatch_dashboards:
        out.append(
            {
                "Sid": "ExperimentReportDashboards",
                "Effect": "Allow",
                "Action": ["cloudwatch:GetDashboard"],
                "Resource": list(rc.cloudwatch_dashboards)
                if len(rc.cloudwatch_dashboards) > 1
                else rc.cloudwatch_dashboards[0],
            }
        )
        out.append(
            {
                "Sid": "ExperimentReportWidgets",
                "Effect": "Allow",
                "Action": ["cloudwatch:GetMetricWidgetImage"],
                "Resource": "*",
            }
        )
    return out


def required_actions(spec: TemplateSpec, cat: Catalog | None = None) -> list[str]:
    """Every IAM action name the generated policy grants, sorted (for explain and reviews)."""
    names: set[str] = set()
    for stmt in iam_policy(spec, cat)["Statement"]:
        names.update(stmt["Action"])
    return sorted(names)


FIS_PRINCIPAL = "fis.amazonaws.com"
_ROLE_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/")


def trust_policy(account_id: str, region: str = "*", partition: str = "aws") -> dict[str, Any]:
    """The experiment role's trust policy: FIS may assume the role only for experiments of this account
    (``aws:SourceAccount``) and, through ``aws:SourceArn``, of ``region`` (``*``: any of its Regions).

    Both conditions keep FIS from acting for another account's experiment that names the role (the
    confused deputy); the guardrails' ``role_trust`` rule requires them.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": FIS_PRINCIPAL},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:fis:{region}:{account_id}:experiment/*"},
                },
            }
        ],
    }


def role_partition_account(role_arn: str) -> tuple[str, str] | None:
    """``(partition, account)`` of an IAM role ARN, or None when it is not one."""
    m = _ROLE_ARN.match(role_arn)
    return (m.group(1), m.group(2)) if m else None


def trust_policy_for_role(role_arn: str, region: str = "*") -> dict[str, Any]:
    """:func:`trust_policy` for the role ``role_arn`` names (its partition and account). Raises
    ValueError when it is not an IAM role ARN."""
    found = role_partition_account(role_arn)
    if found is None:
        raise ValueError(f"{role_arn!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
    partition, account = found
    return trust_policy(account, region, partition)
