"""Blast-radius resolver and preflight against the moto server, with real resources made through boto3."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chaos_pulumi.aws.clients import client_factory
from chaos_pulumi.aws.targets import (
    EXACT,
    UNRESOLVED,
    UPPER_BOUND,
    PreflightRefused,
    preflight,
    preflight_start,
    resolve_target,
    resolved_by_fis,
)
from chaos_pulumi.local import free_port
from chaos_pulumi.spec import Target, TemplateSpec


def spec(
    targets: dict[str, dict[str, Any]], empty: str = "fail", accounts: str | None = None
) -> TemplateSpec:
    options: dict[str, str] = {"emptyTargetResolutionMode": empty}
    if accounts:
        options["accountTargeting"] = accounts
    return TemplateSpec.from_dict(
        {
            "description": "resolver test",
            "roleArn": "arn:aws:iam::123456789012:role/fis",
            "stopConditions": [{"source": "none"}],
            "targets": targets,
            "actions": {},
            "experimentOptions": options,
        }
    )


def target(**fields: Any) -> Target:
    return Target.from_dict(fields)


def instance_arn(instance_id: str) -> str:
    return f"arn:aws:ec2:us-east-1:123456789012:instance/{instance_id}"


def run_instances(moto, count: int, tags: dict[str, str], subnet: str | None = None) -> list[str]:
    return moto.run_instances(count, tags, subnet)


@pytest.fixture
def fleet(moto) -> dict[str, list[str]]:
    """Five web instances (one stopped, one terminated), two api instances, one untagged."""
    web = run_instances(moto, 5, {"app": "web", "env": "test"})
    api = run_instances(moto, 2, {"app": "api"})
    run_instances(moto, 1, {})
    ec2 = moto.client("ec2")
    ec2.stop_instances(InstanceIds=[web[0]])
    ec2.terminate_instances(InstanceIds=[web[1]])
    return {"web": web, "api": api, "web_running": web[2:]}


def test_tags_then_filters_then_selection_mode(moto, fleet) -> None:
    clients = client_factory()
    running = {"path": "State.Name", "values": ["running"]}
    by_tag = {"resourceType": "aws:ec2:instance", "resourceTags": {"app": "web"}}

    everything = resolve_target(clients, "web", target(**by_tag, selectionMode="ALL"))
    assert everything.resolution == EXACT
    assert set(everything.matching) == {
        instance_arn(i) for i in fleet["web"]
    }  # FIS sees stopped/terminated too
    assert everything.would_hit == 5 and everything.summary() == "would hit 5 of 5"

    for mode, hit in (("ALL", 3), ("COUNT(1)", 1), ("COUNT(9)", 3), ("PERCENT(50)", 1), ("PERCENT(67)", 2)):
        report = resolve_target(clients, "web", target(**by_tag, filters=[running], selectionMode=mode))
        assert set(report.matching) == {instance_arn(i) for i in fleet["web_running"]}, mode
        assert (report.would_hit, len(report.matching)) == (hit, 3), mode  # PERCENT rounds down, as FIS does
        assert "filters applied to DescribeInstances" in report.notes

    both_tags = resolve_target(
        clients,
        "web",
        target(**{**by_tag, "resourceTags": {"app": "web", "env": "test"}}, selectionMode="ALL"),
    )
    assert len(both_tags.matching) == 5  # several tags: all must be present (AND)
    none = resolve_target(
        clients,
        "web",
        target(**{**by_tag, "resourceTags": {"app": "web", "env": "prod"}}, selectionMode="ALL"),
    )
    assert none.matching == () and none.would_hit == 0


def test_filter_paths_and_or_semantics(moto) -> None:
    ec2 = moto.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24", AvailabilityZone="us-east-1a")["Subnet"][
        "SubnetId"
    ]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.2.0/24", AvailabilityZone="us-east-1b")["Subnet"][
        "SubnetId"
    ]
    in_a = run_instances(moto, 2, {"app": "web"}, subnet=a)
    in_b = run_instances(moto, 3, {"app": "web"}, subnet=b)
    clients = client_factory()
    base = {"resourceType": "aws:ec2:instance", "resourceTags": {"app": "web"}, "selectionMode": "ALL"}

    zone_a = resolve_target(
        clients,
        "t",
        target(**base, filters=[{"path": "Placement.AvailabilityZone", "values": ["us-east-1a"]}]),
    )
    assert set(zone_a.matching) == {instance_arn(i) for i in in_a}
    either = resolve_target(clients, "t", target(**base, filters=[{"path": "SubnetId", "values": [a, b]}]))
    assert len(either.matching) == 5  # several values of one filter: any (OR)
    contradiction = resolve_target(
        clients,
        "t",
        target(**base, filters=[{"path": "SubnetId", "values": [a]}, {"path": "SubnetId", "values": [b]}]),
    )
    assert contradiction.matching == ()  # several filters: all (AND)
    nested = resolve_target(
        clients, "t", target(**base, filters=[{"path": "NetworkInterfaces.SubnetId", "values": [b]}])
    )
    assert set(nested.matching) == {instance_arn(i) for i in in_b}  # a list on the way is expanded


def test_subnets_by_tags_and_parameters(moto) -> None:
    ec2 = moto.client("ec2")
    vpc1 = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    vpc2 = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    tag = [{"ResourceType": "subnet", "Tags": [{"Key": "chaos", "Value": "ok"}]}]
    made = {}
    for vpc, cidr, zone in (
        (vpc1, "10.2.1.0/24", "us-east-1a"),
        (vpc1, "10.2.2.0/24", "us-east-1b"),
        (vpc2, "10.3.1.0/24", "us-east-1a"),
    ):
        made[(vpc, zone)] = ec2.create_subnet(
            VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone, TagSpecifications=tag
        )["Subnet"]["SubnetArn"]
    clients = client_factory()
    tagged = resolve_target(
        clients, "s", target(resourceType="aws:ec2:subnet", resourceTags={"chaos": "ok"}, selectionMode="ALL")
    )
    assert set(tagged.matching) == set(made.values())
    narrowed = resolve_target(
        clients,
        "s",
        target(
            resourceType="aws:ec2:subnet",
            resourceTags={"chaos": "ok"},
            parameters={"vpc": vpc1, "availabilityZoneIdentifier": "us-east-1a"},
            selectionMode="ALL",
        ),
    )
    assert narrowed.matching == (made[(vpc1, "us-east-1a")],) and narrowed.resolution == EXACT
    by_parameters_only = resolve_target(
        clients, "s", target(resourceType="aws:ec2:subnet", parameters={"vpc": vpc2}, selectionMode="ALL")
    )
    assert by_parameters_only.matching == (made[(vpc2, "us-east-1a")],)


def test_rds_instances_by_tags_and_engine_filter(moto) -> None:
    rds = moto.client("rds")
    arns = {}
    for name, engine, app in (
        ("pg1", "postgres", "shop"),
        ("pg2", "postgres", "shop"),
        ("my1", "mysql", "shop"),
        ("pg3", "postgres", "other"),
    ):
        arns[name] = rds.create_db_instance(
            DBInstanceIdentifier=name,
            Engine=engine,
            DBInstanceClass="db.t3.micro",
            AllocatedStorage=20,
            MasterUsername="admin",
            MasterUserPassword="not-a-secret-1",
            Tags=[{"Key": "app", "Value": app}],
        )["DBInstance"]["DBInstanceArn"]
    clients = client_factory()
    report = resolve_target(
        clients,
        "db",
        target(
            resourceType="aws:rds:db",
            resourceTags={"app": "shop"},
            filters=[{"path": "Engine", "values": ["postgres"]}],
            selectionMode="COUNT(1)",
        ),
    )
    assert set(report.matching) == {arns["pg1"], arns["pg2"]} and report.would_hit == 1
    zoned = resolve_target(
        clients,
        "db",
        target(
            resourceType="aws:rds:db",
            resourceTags={"app": "shop"},
            parameters={"availabilityZoneIdentifiers": "us-east-1a"},
            selectionMode="ALL",
        ),
    )
    assert zoned.resolution == UPPER_BOUND and len(zoned.matching) == 3
    assert any("availabilityZoneIdentifiers" in n for n in zoned.notes)
    assert zoned.summary() == "would hit up to 3 of up to 3"


def test_ecs_tasks_by_tags_filters_and_cluster_service(moto) -> None:
    ecs = moto.client("ecs")
    for cluster in ("shop", "batch"):
        ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "w", "image": "nginx", "memory": 64}]
    )

    def run(cluster: str, count: int, group: str, app: str) -> set[str]:
        tasks = ecs.run_task(
            cluster=cluster,
            taskDefinition="web",
            count=count,
            launchType="FARGATE",
            group=group,
            tags=[{"key": "app", "value": app}],
        )["tasks"]
        return {t["taskArn"] for t in tasks}

    api = run("shop", 3, "service:api", "web")
    cart = run("shop", 1, "service:cart", "web")
    batch = run("batch", 2, "family:web", "web")
    clients = client_factory()
    by_service = resolve_target(
        clients,
        "t",
        target(
            resourceType="aws:ecs:task",
            parameters={"cluster": "shop", "service": "api"},
            selectionMode="PERCENT(34)",
        ),
    )
    assert set(by_service.matching) == api and by_service.would_hit == 1
    tagged = resolve_target(
        clients, "t", target(resourceType="aws:ecs:task", resourceTags={"app": "web"}, selectionMode="ALL")
    )
    assert set(tagged.matching) == api | cart | batch
    filtered = resolve_target(
        clients,
        "t",
        target(
            resourceType="aws:ecs:task",
            resourceTags={"app": "web"},
            filters=[{"path": "Group", "values": ["service:cart"]}],
            selectionMode="ALL",
        ),
    )
    assert set(filtered.matching) == cart
    in_cluster = resolve_target(
        clients,
        "t",
        target(
            resourceType="aws:ecs:task",
            resourceTags={"app": "web"},
            parameters={"cluster": "batch"},
            selectionMode="ALL",
        ),
    )
    assert set(in_cluster.matching) == batch


def test_ebs_volumes_by_tags_and_zone(moto) -> None:
    ec2 = moto.client("ec2")
    spec_tags = [{"ResourceType": "volume", "Tags": [{"Key": "data", "Value": "yes"}]}]
    a = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, TagSpecifications=spec_tags)["VolumeId"]
    b = ec2.create_volume(AvailabilityZone="us-east-1b", Size=8, TagSpecifications=spec_tags)["VolumeId"]
    ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)
    clients = client_factory()
    arn = "arn:aws:ec2:us-east-1:123456789012:volume/{}".format
    tagged = resolve_target(
        clients,
        "v",
        target(resourceType="aws:ec2:ebs-volume", resourceTags={"data": "yes"}, selectionMode="ALL"),
    )
    assert set(tagged.matching) == {arn(a), arn(b)}
    zoned = resolve_target(
        clients,
        "v",
        target(
            resourceType="aws:ec2:ebs-volume",
            resourceTags={"data": "yes"},
            parameters={"availabilityZoneIdentifier": "us-east-1b"},
            selectionMode="ALL",
        ),
    )
    assert zoned.matching == (arn(b),)


def test_cap_refuses_naming_target_count_and_cap(moto, fleet) -> None:
    clients = client_factory()
    caps = {"aws:ec2:instance": (2, None)}
    template = spec(
        {
            "web": {
                "resourceType": "aws:ec2:instance",
                "resourceTags": {"app": "web"},
                "filters": [{"path": "State.Name", "values": ["running"]}],
                "selectionMode": "ALL",
            }
        }
    )
    report = preflight(template, clients, lambda t: caps.get(t, (None, None)), source="web.yaml")
    assert report.refused and report.account == "123456789012" and report.region == "us-east-1"
    [refusal] = report.refusals
    assert (
        "target 'web'" in refusal
        and "would hit 3 of 3" in refusal
        and "cap for aws:ec2:instance is 2" in refusal
    )
    assert report.message().startswith("preflight refused web.yaml (account 123456789012, us-east-1):")
    with pytest.raises(PreflightRefused) as info:
        preflight_start(clients, template, lambda t: caps.get(t, (None, None)))
    assert "would hit 3 of 3" in str(info.value) and info.value.report.targets[0].would_hit == 3

    inside = spec(
        {
            "web": {
                "resourceType": "aws:ec2:instance",
                "resourceTags": {"app": "web"},
                "filters": [{"path": "State.Name", "values": ["running"]}],
                "selectionMode": "COUNT(2)",
            }
        }
    )
    assert not preflight_start(clients, inside, lambda t: caps.get(t, (None, None))).refused

    share = spec(
        {
            "web": {
                "resourceType": "aws:ec2:instance",
                "resourceTags": {"app": "web"},
                "filters": [{"path": "State.Name", "values": ["running"]}],
                "selectionMode": "PERCENT(67)",
            }
        }
    )
    half = preflight(share, clients, lambda t: (None, 50.0))  # PERCENT(67) of 3 takes 2: 67 %
    assert half.refused and "(67%)" in half.refusals[0] and "50%" in half.refusals[0]
    assert not preflight(share, clients, lambda t: (None, 70.0)).refused
    assert not preflight(inside, clients, lambda t: (None, 50.0)).refused  # the percent cap is for PERCENT(p)


def test_listed_arns_are_taken_as_given_and_count_capped(moto) -> None:
    arns = [instance_arn(f"i-{n:017x}") for n in range(3)]  # not created: listed ARNs are taken as given
    clients = client_factory()
    template = spec(
        {"pick": {"resourceType": "aws:ec2:instance", "resourceArns": arns, "selectionMode": "ALL"}}
    )
    report = preflight(template, clients, lambda t: (5, 10.0))
    [t] = report.targets
    assert t.selected_by == "arns" and set(t.matching) == set(arns) and t.would_hit == 3
    assert not report.refused, report.refusals  # the percent cap is for PERCENT(p) targets
    assert preflight(template, clients, lambda t: (2, None)).refused


def test_empty_target_refused_when_fail_noted_when_skip(moto, fleet) -> None:
    clients = client_factory()
    nothing = {
        "nobody": {
            "resourceType": "aws:ec2:instance",
            "resourceTags": {"app": "ghost"},
            "selectionMode": "ALL",
        }
    }
    refused = preflight(spec(nothing), clients)
    assert refused.refused and "matches no resource" in refused.refusals[0]
    assert "emptyTargetResolutionMode is 'fail'" in refused.refusals[0]
    skipped = preflight(spec(nothing, empty="skip"), clients)
    assert not skipped.refused
    assert any("skips the actions" in n for n in skipped.targets[0].notes)

    too_small = {
        "web": {
            "resourceType": "aws:ec2:instance",
            "resourceTags": {"app": "api"},
            "selectionMode": "PERCENT(40)",
        }
    }  # 40 % of 2 rounds down to none
    report = preflight(spec(too_small), clients)
    assert report.refused and "PERCENT(40) of 2 matching selects none (FIS rounds down)" in report.refusals[0]


def test_types_not_resolvable_offline_are_said_so(moto) -> None:
    clients = client_factory()
    pods = {
        "pods": {
            "resourceType": "aws:eks:pod",
            "selectionMode": "ALL",
            "parameters": {
                "clusterIdentifier": "c",
                "namespace": "n",
                "selectorType": "podName",
                "selectorValue": "p",
            },
        }
    }
    free = preflight(spec(pods), clients)
    [t] = free.targets
    assert t.resolution == UNRESOLVED and "aws:eks:pod is not resolvable offline" in t.notes[0]
    assert "aws:ec2:instance" in t.notes[0] and not free.refused
    capped = preflight(spec(pods), clients, lambda rt: (1, None))
    assert (
        capped.refused
        and "cannot be resolved offline" in capped.refusals[0]
        and "preflight=False" in capped.refusals[0]
    )

    multi = preflight(
        spec(
            {"web": {"resourceType": "aws:ec2:instance", "resourceTags": {"a": "b"}, "selectionMode": "ALL"}},
            accounts="multi-account",
        ),
        clients,
        lambda rt: (1, None),
    )
    assert multi.targets[0].resolution == UNRESOLVED and "multi-account" in multi.targets[0].notes[0]
    assert multi.refused


def test_empty_tag_value_matches_only_an_empty_value(moto) -> None:
    blank = run_instances(moto, 1, {"chaos": ""})
    run_instances(moto, 1, {"chaos": "yes"})
    report = resolve_target(
        client_factory(),
        "t",
        target(resourceType="aws:ec2:instance", resourceTags={"chaos": ""}, selectionMode="ALL"),
    )
    assert report.matching == (instance_arn(blank[0]),)


def test_preflight_start_reads_the_template_from_fis(moto, fleet) -> None:
    clients = client_factory()
    template = spec(
        {"web": {"resourceType": "aws:ec2:instance", "resourceTags": {"app": "web"}, "selectionMode": "ALL"}}
    )
    template_id = clients("fis").create_experiment_template(**template.to_create_request(str(uuid.uuid4())))[
        "experimentTemplate"
    ]["id"]
    report = preflight_start(clients, template_id, lambda rt: (10, None))
    assert report.source == f"template {template_id}" and report.targets[0].would_hit == 5
    with pytest.raises(PreflightRefused) as info:
        preflight_start(clients, template_id, lambda rt: (4, None))
    assert "would hit 5 of 5" in str(info.value)
    with pytest.raises(PreflightRefused) as info:
        preflight_start(clients, "EXTdoesnotexist", lambda rt: (4, None))
    assert "cannot read template EXTdoesnotexist" in str(info.value) and "ResourceNotFound" in str(info.value)


def test_unreachable_account_fails_closed_saying_why(moto, monkeypatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    template = spec(
        {
            "web": {
                "resourceType": "aws:ec2:instance",
                "resourceTags": {"app": "web"},
                "selectionMode": "COUNT(1)",
            }
        }
    )
    report = preflight(template, client_factory())
    assert report.refused and report.targets == ()
    assert "cannot query the account in us-east-1" in report.error and "Could not connect" in report.error
    assert "fail closed" in report.error and "preflight=False" in report.error
    with pytest.raises(PreflightRefused):
        preflight_start(client_factory(), template)


def test_resolved_by_fis_reads_what_a_run_resolved(moto) -> None:
    clients = client_factory()
    arns = [instance_arn(i) for i in run_instances(moto, 2, {"app": "web"})]
    template = spec(
        {"pick": {"resourceType": "aws:ec2:instance", "resourceArns": arns, "selectionMode": "ALL"}}
    )
    fis = clients("fis")
    template_id = fis.create_experiment_template(**template.to_create_request(str(uuid.uuid4())))[
        "experimentTemplate"
    ]["id"]
    experiment = fis.start_experiment(experimentTemplateId=template_id, clientToken=str(uuid.uuid4()))
    resolved = resolved_by_fis(fis, experiment["experiment"]["id"])
    assert resolved == {"pick": sorted(arns)}
    assert resolved["pick"] == list(preflight(template, clients).targets[0].matching)
