"""FIS's selection-mode count and filter matching (chaos_pulumi.spec.selection), pure."""

from __future__ import annotations

import datetime

import pytest

from chaos_pulumi.spec import TargetFilter
from chaos_pulumi.spec.selection import SelectionMode, matches_filters, tag_dict, tags_match, values_at


@pytest.mark.parametrize(
    ("mode", "identified", "selected"),
    [
        ("ALL", 7, 7),
        ("ALL", 0, 0),
        ("COUNT(1)", 7, 1),
        ("COUNT(10)", 3, 3),
        ("PERCENT(50)", 5, 2),  # the user guide's example: five instances at 50 % is two
        ("PERCENT(5)", 4, 0),  # ... and four at 5 % selects none
        ("PERCENT(25)", 8, 2),
        ("PERCENT(100)", 9, 9),
        ("PERCENT(34)", 3, 1),
    ],
)
def test_selected_count_follows_fis(mode: str, identified: int, selected: int) -> None:
    parsed = SelectionMode.parse(mode)
    assert parsed is not None and parsed.selected(identified) == selected


@pytest.mark.parametrize("text", ["", "SOME", "COUNT()", "COUNT(-1)", "PERCENT(1.5)", "count(1)", None])
def test_parse_rejects_what_fis_rejects(text) -> None:
    assert SelectionMode.parse(text) is None


INSTANCE = {
    "InstanceId": "i-1",
    "State": {"Code": 16, "Name": "running"},
    "Placement": {"AvailabilityZone": "us-east-1a"},
    "EbsOptimized": False,
    "LaunchTime": datetime.datetime(2026, 1, 2, 3, 4, 5),
    "NetworkInterfaces": [
        {"Groups": [{"GroupId": "sg-a"}, {"GroupId": "sg-b"}]},
        {"Groups": [{"GroupId": "sg-c"}]},
    ],
}


def test_values_at_expands_lists_and_ignores_case_of_elements() -> None:
    assert list(values_at(INSTANCE, "State.Name")) == ["running"]
    assert sorted(values_at(INSTANCE, "NetworkInterfaces.Groups.GroupId")) == ["sg-a", "sg-b", "sg-c"]
    assert list(values_at({"lastStatus": "RUNNING"}, "LastStatus")) == ["RUNNING"]  # ECS writes camelCase
    assert list(values_at(INSTANCE, "EbsOptimized")) == ["false"]
    assert list(values_at(INSTANCE, "State.Code")) == ["16"]
    assert list(values_at(INSTANCE, "Placement")) == []  # a structure is not a value
    assert list(values_at(INSTANCE, "No.Such.Path")) == []


def test_filters_and_across_filters_or_within_values() -> None:
    def f(path: str, *values: str) -> TargetFilter:
        return TargetFilter(path=path, values=values)

    assert matches_filters(INSTANCE, [])
    assert matches_filters(INSTANCE, [f("State.Name", "stopped", "running")])
    assert matches_filters(INSTANCE, [f("NetworkInterfaces.Groups.GroupId", "sg-c", "sg-z")])
    assert matches_filters(
        INSTANCE, [f("NetworkInterfaces.Groups.GroupId", "sg-a"), f("State.Name", "running")]
    )
    assert not matches_filters(
        INSTANCE, [f("State.Name", "running"), f("Placement.AvailabilityZone", "us-east-1b")]
    )
    assert not matches_filters(INSTANCE, [f("State.Name", "Running")])  # values are compared exactly


def test_tags() -> None:
    tags = tag_dict([{"Key": "app", "Value": "web"}, {"key": "team", "value": ""}])
    assert tags == {"app": "web", "team": ""}
    assert tags_match(tags, {"app": "web"}) and tags_match(tags, {"app": "web", "team": ""})
    assert not tags_match(tags, {"team": "sre"}) and not tags_match(tags, {"env": ""})
    assert tag_dict(None) == {}
