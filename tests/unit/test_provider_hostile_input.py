"""The Pulumi front end on hostile templates: ExperimentTemplateProvider.check and from_file.

check() is what `pulumi preview` calls with the template the program gave (a tree of strings,
numbers, lists and mappings, as the engine's protobuf carries it); from_file reads a file first.
Both must answer with the limit and the field path, bounded, and never raise. The spec layer does
the work: no provider code knows about these limits.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pulumi
import pytest

from chaos_pulumi.providers.experiment_template import ExperimentTemplate, ExperimentTemplateProvider
from chaos_pulumi.spec.limits import MAX_ENTRIES, MAX_NODES, MAX_PROBLEMS

from ._spec_fixtures import base_template
from .test_spec_limits import alias_nest


def reasons(template: Any) -> list[str]:
    result = ExperimentTemplateProvider().check({}, {"template": template, "resource_key": "p/s/t"})
    out = [f.reason for f in result.failures]
    assert out, "a hostile template passed check"
    assert not [r for r in out if "please report it" in r], out
    assert len(out) <= MAX_PROBLEMS + 1 and max(len(r) for r in out) < 1_000, (len(out), max(map(len, out)))
    return out


def hostile(**changes: Any) -> dict[str, Any]:
    t = base_template()
    for path, value in changes.items():
        node = t
        *parents, last = path.split("__")
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        node[int(last) if isinstance(node, list) else last] = value
    return t


def test_check_quotes_a_huge_value_by_its_prefix() -> None:
    found = reasons(hostile(stopConditions__0__value="A" * 5_000_000))
    assert any(
        r.startswith("stopConditions[0].value: 'AAAA") and "(5,000,000 characters)" in r for r in found
    )


def test_check_measures_digit_strings_before_reading_them() -> None:
    found = reasons(
        hostile(
            targets__web__selectionMode="COUNT(" + "9" * 5_000 + ")",
            actions__stop__parameters__startInstancesAfterDuration="9" * 5_000,
        )
    )
    assert "targets.web.selectionMode: is 5,007 characters long; the limit is 64, e.g. COUNT(1)" in found
    assert any(
        r.startswith("actions.stop.parameters.startInstancesAfterDuration: is 5,000 characters")
        for r in found
    )


def test_check_on_numbers_pulumi_sends_as_floats() -> None:
    # The engine sends numbers as doubles; check turns whole ones into ints (1e300 -> a 301-digit int).
    found = reasons(
        hostile(actions__stop__parameters__startInstancesAfterDuration=1e300, tags__n=float("nan"))
    )
    assert any(
        r.startswith("actions.stop.parameters.startInstancesAfterDuration: '<a number of about 30")
        for r in found
    )


def test_check_on_non_string_keys_keeps_the_real_problems() -> None:
    t = hostile(roleArn="not-a-role")
    t["stopConditions"][0].update({1: "x", None: "y"})
    found = reasons(t)
    assert "stopConditions[0].1: unknown field '1' (allowed: source, value)" in found
    assert any(r.startswith("roleArn: 'not-a-role' is not an IAM role ARN") for r in found)


def test_check_does_not_look_into_oversized_collections() -> None:
    t = base_template()
    t["targets"] = {f"t{i}": copy.deepcopy(t["targets"]["web"]) for i in range(50_000)}
    t["tags"] = {f"aws:k{i}": "v" for i in range(900)}
    found = reasons(t)
    assert any(
        r.startswith(f"targets: has 50,000 targets; the validator reads at most {MAX_ENTRIES:,}")
        for r in found
    )
    assert found[-1].endswith("more problems are not shown (the first 200 are); fix these and validate again")


def test_check_on_deep_nesting_within_what_the_engine_carries() -> None:
    deep: Any = "x"
    for _ in range(90):  # protobuf Structs nest at most 100 deep
        deep = {"a": deep}
    found = reasons(hostile(logConfiguration=deep))
    assert any(r.startswith("logConfiguration.a: unknown field 'a'") for r in found)


def test_from_file_refuses_a_hostile_file_before_any_resource(tmp_path: Path) -> None:
    path = tmp_path / "nest.yaml"
    path.write_text(alias_nest())
    with pytest.raises(pulumi.RunError) as e:
        ExperimentTemplate.from_file("nest", path)
    message = str(e.value)
    assert f"YAML aliases expand to more than {MAX_NODES:,} nodes; write the value out" in message
    assert message.startswith(f"nest: cannot read {path}: stopConditions[0].value") and len(message) < 500
    big = tmp_path / "big.yaml"
    big.write_text("description: '" + "A" * 2_000_000 + "'\n")
    with pytest.raises(pulumi.RunError, match="is larger than 1 MiB"):
        ExperimentTemplate.from_file("big", big)
