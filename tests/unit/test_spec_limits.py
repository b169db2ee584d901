"""Hostile documents get a clear problem with a path and the limit, never an internal error.

Each case is one way issue 14 found to take the reader down (alias nests, huge numbers and values,
odd keys) or one limit (file size, nesting, entries, problems). Time is not asserted (benchmarks
measure it); the memory a refusal takes is, through tracemalloc.
"""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from chaos_pulumi.spec import has_errors, load_bytes, load_file, load_stream, load_text, validate
from chaos_pulumi.spec.checks.context import Context
from chaos_pulumi.spec.checks.text import quote
from chaos_pulumi.spec.limits import MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_ENTRIES, MAX_NODES, MAX_PROBLEMS
from chaos_pulumi.spec.problems import Problem, is_internal
from tests.harness.fuzz import issue_alias_nest

from ._spec_fixtures import ALARM, base_template


def alias_nest(levels: int = 10, fan: int = 9) -> str:
    return issue_alias_nest(levels, fan)


def refused(result: Any) -> Problem:
    """The single problem of a document the loader refused; nothing of it reaches a caller."""
    assert result.data is None and result.spec is None
    (problem,) = result.problems
    assert not is_internal(problem)
    return problem


def no_internal(problems: list[Problem]) -> list[str]:
    assert not [p for p in problems if is_internal(p)], problems
    return [str(p) for p in problems]


def test_the_alias_nest_from_the_issue_is_refused_with_its_path_in_bounded_memory() -> None:
    text = alias_nest()
    assert len(text) < 1_500
    tracemalloc.start()
    try:
        problem = refused(load_text(text, "nest.yaml"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert problem.path.startswith("stopConditions[0].value")
    assert problem.message == f"YAML aliases expand to more than {MAX_NODES:,} nodes; write the value out"
    assert peak < 2 * 1024 * 1024, f"refusing the nest took {peak / 1e6:.1f} MB"


def test_a_small_alias_nest_still_loads_and_is_judged_by_the_validator() -> None:
    problems = no_internal(load_text(alias_nest(levels=3, fan=3), "nest.yaml").problems)
    assert any(
        p.startswith("stopConditions[0].value: a list is not a CloudWatch alarm ARN") for p in problems
    )


@pytest.mark.parametrize(
    ("text", "path", "fragment"),
    [
        ("a: &a [*a]\n", "a[0]", "YAML alias *a refers to a value that contains it"),
        ("a: &a {b: {c: *a}}\n", "a.b.c", "YAML alias *a refers to a value that contains it"),
        ("tags: {n: " + "9" * 5_000 + "}\n", "tags.n", "is a number 5,000 digits long"),
        ("tags: {n: !!int '" + "9" * 5_000 + "'}\n", "tags.n", "is a number 5,000 digits long"),
        ("a: " + "[" * 40 + "]" * 40 + "\n", "a" + "[0]" * (MAX_DEPTH - 1), f"nested more than {MAX_DEPTH}"),
        ("a: [" + ",".join(["x"] * (MAX_NODES + 10)) + "]\n", "a[99997]", f"more than {MAX_NODES:,} values"),
    ],
)
def test_yaml_limits_name_the_path(text: str, path: str, fragment: str) -> None:
    problem = refused(load_text(text, "t.yaml"))
    assert problem.path == path and fragment in problem.message, problem


def test_merge_key_chains_are_counted_before_they_are_expanded() -> None:
    lines = ["x:", "  m0: &m0 {a0: 1}"] + [
        f"  m{i}: &m{i} {{<<: *m{i - 1}, a{i}: 1}}" for i in range(1, 5_000)
    ]
    problem = refused(load_text("\n".join(lines) + "\n", "merge.yaml"))
    assert "YAML aliases expand to more than" in problem.message and problem.path.startswith("x.m")
    small = load_text("base: &b {a: 1}\nmore: {<<: *b, c: 2}\n", "m.yaml")
    assert small.data is not None and small.data["more"] == {"a": 1, "c": 2}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"a": ' + "9" * 5_000 + "}", "is a number 5,000 digits long"),
        ('{"a":' * 50 + "1" + "}" * 50, f"nested more than {MAX_DEPTH} levels deep"),
        ("[" * 100_000 + "]" * 100_000, f"nested more than {MAX_DEPTH} levels deep"),
        ('{"a": [' + ",".join(["1"] * (MAX_NODES + 1)) + "]}", f"more than {MAX_NODES:,} values"),
    ],
)
def test_json_limits(text: str, fragment: str) -> None:
    assert fragment in str(refused(load_text(text, "t.json")))


def test_documents_over_one_mebibyte_are_not_read_whole(tmp_path: Path) -> None:
    big = "description: '" + "A" * MAX_DOCUMENT_BYTES + "'\n"
    assert "is larger than 1 MiB" in refused(load_bytes(big.encode(), "big.yaml")).message
    assert f"is {len(big):,} characters long" in refused(load_text(big, "big.yaml")).message
    path = tmp_path / "big.yaml"
    path.write_text(big)
    assert refused(load_file(path)).message.startswith(f"{path}: is larger than 1 MiB")
    assert "is larger than 1 MiB" in refused(load_stream(io.BytesIO(big.encode()))).message
    assert "is larger than 1 MiB" in refused(load_file("/dev/zero")).message  # endless: read up to the limit


def test_a_template_just_under_the_limit_still_loads() -> None:
    t = base_template()
    t["description"] = "A" * (MAX_DOCUMENT_BYTES - 2_000)
    problems = no_internal(load_text(json.dumps(t), "t.json").problems)
    assert (
        f"description: is {MAX_DOCUMENT_BYTES - 2_000:,} characters long; the limit is 512, shorten it"
        in problems
    )


def test_huge_values_are_quoted_by_a_short_prefix() -> None:
    t = base_template()
    t["stopConditions"][0]["value"] = "A" * 5_000_000
    t["roleArn"] = "B" * 12_000
    problems = no_internal(validate(t))
    assert (
        f"stopConditions[0].value: '{'A' * 60}…' (5,000,000 characters) is not a CloudWatch alarm ARN"
        in "\n".join(problems)
    )
    assert "roleArn: is 12,000 characters long; the limit is 2048, shorten it" in problems
    assert max(len(p) for p in problems) < 400


def test_numbers_are_read_only_after_a_length_check() -> None:
    t = base_template()
    t["targets"]["web"]["selectionMode"] = "COUNT(" + "9" * 5_000 + ")"
    t["targets"]["db"]["selectionMode"] = "PERCENT(" + "9" * 40 + ")"
    t["actions"]["stop"]["parameters"]["startInstancesAfterDuration"] = "9" * 5_000
    t["actions"]["stress"]["parameters"]["documentParameters"] = '{"DurationSeconds": "' + "9" * 900 + '"}'
    t["tags"]["n"] = 10**5_000
    problems = no_internal(validate(t))
    assert "targets.web.selectionMode: is 5,007 characters long; the limit is 64, e.g. COUNT(1)" in problems
    assert any(
        p.startswith("targets.db.selectionMode: 'PERCENT(9999") and "out of range" in p for p in problems
    )
    assert (
        "actions.stop.parameters.startInstancesAfterDuration: is 5,000 characters long; the limit is 1024"
        in (problems)
    )
    assert any(
        p.startswith("actions.stress.parameters.documentParameters: DurationSeconds '9999")
        and "is not a whole number of seconds" in p
        for p in problems
    )
    assert "tags.n: '<a number of about 5,000 digits>' is too large a number for a FIS parameter" in problems


def test_odd_keys_in_a_stop_condition_keep_every_real_problem() -> None:
    t = base_template()
    t["stopConditions"] = [{1: "x", None: "y", "source": "aws:cloudwatch:alarm", "value": ALARM}]
    t["roleArn"] = "not-a-role"
    problems = no_internal(validate(t))
    assert "stopConditions[0].1: unknown field '1' (allowed: source, value)" in problems
    assert "stopConditions[0].null: unknown field 'null' (allowed: source, value)" in problems
    assert any(p.startswith("roleArn: 'not-a-role' is not an IAM role ARN") for p in problems)
    text = "description: x\nroleArn: r\nstopConditions: [{1: x, null: y, source: none}]\nactions: {}\n"
    assert "stopConditions[0].1: unknown field '1' (allowed: source, value)" in no_internal(
        load_text(text).problems
    )


def test_shared_and_cyclic_python_values_are_never_walked() -> None:
    nest: Any = ["lol"]
    for _ in range(30):
        nest = [nest] * 9  # 9**30 values if expanded
    loop: dict[str, Any] = {}
    loop["targets"] = loop
    t = base_template()
    t["stopConditions"][0]["value"] = nest
    t["tags"] = loop
    problems = no_internal(validate(t))
    assert any(
        p.startswith("stopConditions[0].value: a list is not a CloudWatch alarm ARN") for p in problems
    )
    assert "tags.targets: must be a string, not a mapping" in problems
    assert no_internal(validate(loop))


def test_the_whole_run_reads_a_bounded_number_of_values() -> None:
    """Per-collection limits multiply across levels; one budget for the whole run does not."""
    shared_filter = {"path": "State.Name", "values": ["running"] * 1_000}
    target = {"resourceType": "aws:ec2:instance", "resourceTags": {"a": "b"}, "selectionMode": "ALL"}
    target["filters"] = [shared_filter] * 1_000  # 1,000 targets x 1,000 filters x 1,000 values if walked
    t = base_template()
    t["targets"] = {f"t{i}": target for i in range(1_000)}
    problems = no_internal(validate(t))
    assert any(
        p.endswith(f"the template has more than {MAX_NODES:,} values; the rest was not checked")
        for p in problems
    )


def test_collections_past_the_entry_limit_are_not_looked_into() -> None:
    t = base_template()
    t["targets"] = {f"t{i}": {"resourceType": "aws:ec2:instance"} for i in range(MAX_ENTRIES + 1)}
    t["actions"]["stop"]["parameters"] = {f"p{i}": "x" for i in range(50_000)}
    problems = no_internal(validate(t))
    assert (
        f"targets: has {MAX_ENTRIES + 1:,} targets; the validator reads at most {MAX_ENTRIES:,} "
        "(FIS takes far fewer), so it was not checked further"
    ) in problems
    assert any(
        p.startswith("actions.stop.parameters: has 50,000 entries; the validator reads at most")
        for p in problems
    )


def test_fis_quotas_on_actions_and_stop_conditions() -> None:
    t = base_template()
    for i in range(19):
        t["actions"][f"w{i}"] = {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}}
    t["stopConditions"] = [{"source": "aws:cloudwatch:alarm", "value": f"{ALARM}-{i}"} for i in range(6)]
    problems = no_internal(validate(t))
    assert "actions: has 21 actions; FIS takes at most 20 per template, split it" in problems
    assert "stopConditions: has 6 entries; FIS takes at most 5 stop conditions" in problems
    del t["actions"]["w0"]
    t["stopConditions"].pop()
    assert not has_errors(validate(t))


def test_at_most_max_problems_are_listed_and_the_rest_counted() -> None:
    t = base_template()
    t["targets"]["web"]["resourceTags"] = {f"aws:k{i}": "v" for i in range(900)}
    problems = validate(t)
    assert len(problems) == MAX_PROBLEMS + 1
    last = problems[-1]
    assert last.path == "" and last.severity == "error"
    assert last.message.endswith(
        f"more problems are not shown (the first {MAX_PROBLEMS} are); fix these and validate again"
    )


def test_quote() -> None:
    assert quote("web") == "'web'"
    assert quote("A" * 12_000) == f"'{'A' * 60}…' (12,000 characters)"
    assert quote(None) == "'null'" and quote(True) == "'true'" and quote(5) == "'5'"
    assert quote([1, 2]) == "a list" and quote({"a": 1}) == "a mapping"
    assert quote(10**5_000) == "'<a number of about 5,000 digits>'"


def test_the_internal_error_path_is_still_there(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_ctx: Context, _data: Any) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr("chaos_pulumi.spec.validator.check_template", broken)
    (problem,) = validate(base_template())
    assert is_internal(problem) and problem.message == "internal validator error (KeyError); please report it"
    assert is_internal(load_text("description: x\n", "x.yaml").problems[0])

    def broken_parser(_text: str, _source: str) -> Any:
        raise KeyError("a bug")

    monkeypatch.setattr("chaos_pulumi.spec.loader._parse", broken_parser)
    (problem,) = load_text("description: x\n", "x.yaml").problems
    assert (
        is_internal(problem)
        and problem.message == "x.yaml: internal loader error (KeyError); please report it"
    )
