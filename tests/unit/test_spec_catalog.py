"""The catalog data: complete, self-consistent, with its source and date."""

from __future__ import annotations

import re

from chaos_pulumi.spec import catalog
from chaos_pulumi.spec.catalog import PARAMETER_TYPES, load_catalog

PERMISSION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")

# From the AWS FIS actions reference (see the catalog's `source`).
EXPECTED = {
    "aws:fis:inject-api-internal-error",
    "aws:fis:inject-api-throttle-error",
    "aws:fis:inject-api-unavailable-error",
    "aws:arc:start-zonal-autoshift",
    "aws:fis:wait",
    "aws:cloudwatch:assert-alarm-state",
    "aws:dynamodb:global-table-pause-replication",
    "aws:dsql:cluster-connection-failure",
    "aws:ebs:pause-volume-io",
    "aws:ebs:volume-io-latency",
    "aws:ec2:api-insufficient-instance-capacity-error",
    "aws:ec2:asg-insufficient-instance-capacity-error",
    "aws:ec2:reboot-instances",
    "aws:ec2:send-spot-instance-interruptions",
    "aws:ec2:stop-instances",
    "aws:ec2:terminate-instances",
    "aws:ecs:drain-container-instances",
    "aws:ecs:stop-task",
    "aws:ecs:task-cpu-stress",
    "aws:ecs:task-io-stress",
    "aws:ecs:task-kill-process",
    "aws:ecs:task-network-blackhole-port",
    "aws:ecs:task-network-latency",
    "aws:ecs:task-network-packet-loss",
    "aws:eks:inject-kubernetes-custom-resource",
    "aws:eks:pod-cpu-stress",
    "aws:eks:pod-delete",
    "aws:eks:pod-io-stress",
    "aws:eks:pod-memory-stress",
    "aws:eks:pod-network-blackhole-port",
    "aws:eks:pod-network-latency",
    "aws:eks:pod-network-packet-loss",
    "aws:eks:terminate-nodegroup-instances",
    "aws:elasticache:replicationgroup-interrupt-az-power",
    "aws:kinesis:stream-provisioned-throughput-exception",
    "aws:kinesis:stream-expired-iterator-exception",
    "aws:lambda:invocation-add-delay",
    "aws:lambda:invocation-error",
    "aws:lambda:invocation-http-integration-response",
    "aws:memorydb:multi-region-cluster-pause-replication",
    "aws:network:disrupt-connectivity",
    "aws:network:route-table-disrupt-cross-region-connectivity",
    "aws:network:transit-gateway-disrupt-cross-region-connectivity",
    "aws:network:disrupt-vpc-endpoint",
    "aws:rds:failover-db-cluster",
    "aws:rds:reboot-db-instances",
    "aws:s3:bucket-pause-replication",
    "aws:ssm:send-command",
    "aws:ssm:start-automation-execution",
    "aws:directconnect:virtual-interface-disconnect",
}


def test_source_and_date_are_recorded() -> None:
    cat = catalog()
    assert "fis-actions-reference" in cat.source
    assert re.match(r"^\d{4}-\d{2}-\d{2}$", cat.retrieved)


def test_every_documented_action_is_there() -> None:
    assert EXPECTED <= set(catalog().actions)


def test_action_targets_refer_to_known_resource_types() -> None:
    cat = catalog()
    for action in cat.actions.values():
        for key, rtype in action.targets.items():
            assert rtype in cat.resource_types, f"{action.id}.{key} -> {rtype}"
            assert key[0].isupper(), f"{action.id}: target key {key} should be capitalised like FIS"


def test_parameters_are_typed_and_ranges_make_sense() -> None:
    cat = catalog()
    specs = [p for a in cat.actions.values() for p in a.parameters.values()]
    specs += [p for t in cat.resource_types.values() for p in t.parameters.values()]
    for p in specs:
        assert p.type in PARAMETER_TYPES
        if p.minimum is not None and p.maximum is not None:
            assert p.minimum <= p.maximum, p
        if p.type == "duration" and p.min_text is not None:
            assert p.minimum is not None and p.maximum is not None, p
        if p.type == "enum":
            assert p.values, p
    assert {p.type for p in specs} >= {
        "duration",
        "integer",
        "enum",
        "list",
        "boolean",
        "json",
        "arn",
        "string",
    }


def test_every_action_with_a_duration_has_a_duration_parameter() -> None:
    for action in catalog().actions.values():
        if action.duration_parameter:
            assert action.parameters[action.duration_parameter].type == "duration"


def test_permissions_are_concrete_iam_actions() -> None:
    for action in catalog().actions.values():
        for perm in action.permissions.all_actions:
            assert PERMISSION.match(perm), f"{action.id}: {perm}"
        assert action.reverts, f"{action.id} should say what reverts"
        # The reference lists no IAM permission for these two (the second is governed by Kubernetes RBAC).
        if action.id not in ("aws:fis:wait", "aws:eks:inject-kubernetes-custom-resource"):
            assert action.permissions.all_actions, f"{action.id} has no permissions"


def test_resource_types_say_how_they_are_selected() -> None:
    cat = catalog()
    assert cat.resource_types["aws:eks:pod"].select_by == {"parameters"}
    assert cat.resource_types["aws:eks:pod"].parameters_only
    assert cat.resource_types["aws:s3:bucket"].select_by == {"tags", "filters"}
    assert cat.resource_types["aws:eks:cluster"].max_arns == 1
    for rt in cat.resource_types.values():
        assert rt.select_by <= {"arns", "tags", "filters", "parameters"}
        assert rt.arn == "*" or rt.arn.startswith("arn:aws:")


def test_catalog_round_trips_through_its_own_dict(tmp_path) -> None:
    import yaml

    cat = catalog()
    path = tmp_path / "cat.yaml"
    path.write_text(yaml.safe_dump(cat.to_dict()))
    assert load_catalog(path) == cat


def test_unconfirmed_entries_are_marked_with_a_note() -> None:
    unconfirmed = {a.id: a for a in catalog().actions.values() if not a.confirmed}
    assert "aws:dsql:cluster-connection-failure" in unconfirmed
    assert "aws:ec2:stop-instances" not in unconfirmed
    assert all(a.note for a in unconfirmed.values())


def test_facts_from_the_aws_reference() -> None:
    """Spot checks of details that differ between the AWS reference and third-party catalogs."""
    cat = catalog()
    latency = cat.actions["aws:ebs:volume-io-latency"].parameters
    assert latency["readIOPercentage"].type == "number" and latency["readIOPercentage"].minimum == 0.1
    assert cat.actions["aws:ebs:pause-volume-io"].parameters["duration"].min_text == "PT1S"
    assert (
        cat.actions["aws:directconnect:virtual-interface-disconnect"].parameters["duration"].min_text
        == "PT10M"
    )
    assert cat.actions["aws:kinesis:stream-provisioned-throughput-exception"].permissions.all_actions == (
        "kinesis:InjectApiError",
    )
    assert (
        "ec2:RevokeSecurityGroupEgress"
        in cat.actions["aws:network:disrupt-vpc-endpoint"].permissions.all_actions
    )
    assert "s3:PauseReplication" in cat.actions["aws:s3:bucket-pause-replication"].permissions.all_actions
    assert cat.actions["aws:eks:inject-kubernetes-custom-resource"].permissions.all_actions == ()
    assert cat.actions["aws:ecs:task-network-latency"].parameters["sources"].nospace
    assert (
        "ChaosEngine"
        in cat.actions["aws:eks:inject-kubernetes-custom-resource"].parameters["kubernetesKind"].values
    )


def test_per_action_rules_are_data_and_survive_a_round_trip() -> None:
    from chaos_pulumi.spec.catalog import Catalog, HostDuration

    cat = catalog()
    cut = cat.actions["aws:network:disrupt-connectivity"].parameters["prefixListIdentifier"]
    assert cut.when == ("scope", "prefix-list") and not cut.required
    restart = cat.actions["aws:ec2:stop-instances"].parameters["startInstancesAfterDuration"]
    assert restart.if_missing and restart.if_missing.startswith("the instances stay stopped")
    assert cat.actions["aws:ssm:send-command"].host_duration == HostDuration(
        "documentArn", "AWSFIS-Run-", "documentParameters", "DurationSeconds"
    )
    again = Catalog.from_dict(cat.to_dict())
    assert again.actions == cat.actions and again.resource_types == cat.resource_types


def test_the_validator_follows_rules_given_to_other_actions(tmp_path) -> None:
    """A rule in the data is enough: no code names the action."""
    import yaml

    from chaos_pulumi.spec import validate

    data = catalog().to_dict()
    wait = data["actions"]["aws:fis:wait"]
    wait["parameters"]["mode"] = {"type": "enum", "values": ["quiet", "loud"], "default": "quiet"}
    wait["parameters"]["volume"] = {"type": "integer", "when": {"mode": "loud"}, "description": "1-11"}
    wait["parameters"]["reason"] = {"type": "string", "if_missing": "nobody will know why it waited"}
    path = tmp_path / "cat.yaml"
    path.write_text(yaml.safe_dump(data))
    custom = load_catalog(path)
    template = {
        "description": "wait",
        "roleArn": "arn:aws:iam::123456789012:role/r",
        "stopConditions": [{"source": "none"}],
        "actions": {"w": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M", "mode": "loud"}}},
    }
    found = [str(p) for p in validate(template, custom)]
    assert "actions.w.parameters.volume: is required when mode is 'loud'; set it to 1-11" in found
    assert "actions.w.parameters: has no reason: nobody will know why it waited" in found
    template["actions"]["w"]["parameters"].update(mode="quiet", volume="3", reason="drill")
    found = [str(p) for p in validate(template, custom)]
    assert "actions.w.parameters.volume: is only used with mode 'loud'" in found
    assert any("unknown parameter 'mode'" in str(p) for p in validate(template))  # the packaged catalog


def test_a_malformed_rule_in_a_catalog_file_is_refused(tmp_path) -> None:
    import pytest
    import yaml

    data = catalog().to_dict()
    data["actions"]["aws:fis:wait"]["parameters"]["duration"]["when"] = {"a": "1", "b": "2"}
    path = tmp_path / "cat.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ValueError, match="'when' takes one entry"):
        load_catalog(path)
