"""load_text / load_file: YAML or JSON in, problems out, never an exception."""

from __future__ import annotations

import json

from chaos_pulumi.spec import load_file, load_text

from ._spec_fixtures import base_template


def test_json_and_yaml_give_the_same_spec() -> None:
    import yaml

    t = base_template()
    a = load_text(json.dumps(t), "t.json")
    b = load_text(yaml.safe_dump(t), "t.yaml")
    assert a.valid and b.valid and a.spec == b.spec


def test_yaml_syntax_error_has_line_and_column() -> None:
    r = load_text("description: x\nactions: [\n", "bad.yaml")
    assert r.spec is None and r.data is None
    (p,) = r.problems
    assert p.path == "" and p.message.startswith("bad.yaml: not valid YAML at line")


def test_json_syntax_error() -> None:
    r = load_text('{"description": }', "bad.json")
    (p,) = r.problems
    assert "not valid JSON" in p.message and "line 1" in p.message


def test_duplicate_keys_are_reported() -> None:
    r = load_text("description: a\ndescription: b\n", "dup.yaml")
    assert "duplicate key 'description'" in r.problems[0].message


def test_duplicate_json_keys_are_reported_like_yaml_ones() -> None:
    # json keeps the last of two keys; a reviewer reads the first. Neither loader keeps either.
    doc = '{"description": "a", "stopConditions": [{"source": "aws:cloudwatch:alarm", "value": "x"}],'
    r = load_text(doc + ' "stopConditions": [{"source": "none"}]}', "dup.json")
    assert r.data is None and r.spec is None
    assert "not valid JSON: duplicate key 'stopConditions'; each key may" in r.problems[0].message
    nested = load_text('{"targets": {"web": {"selectionMode": "COUNT(1)", "selectionMode": "ALL"}}}', "-")
    assert "duplicate key 'selectionMode'" in nested.problems[0].message
    two_objects = load_text('{"description": "d", "tags": {"a": "1"}, "x": {"a": "1"}}', "ok.json")
    assert two_objects.data is not None  # the same key in two objects is fine


def test_merge_keys_can_be_overridden_but_own_keys_not_repeated() -> None:
    r = load_text("base: &b {a: 1, c: 3}\nmore: {<<: *b, a: 2}\nlist: {<<: [*b, {a: 5, d: 4}], c: 0}\n")
    assert r.data is not None
    assert r.data["more"] == {"a": 2, "c": 3}
    assert r.data["list"] == {"a": 1, "c": 0, "d": 4}  # the first mapping listed wins, own keys over both
    r = load_text("base: &b {a: 1}\nmore: {<<: *b, c: 1, c: 2}\n", "dup.yaml")
    assert "duplicate key 'c'" in r.problems[0].message


def test_empty_and_non_mapping_documents() -> None:
    assert "the file is empty" in load_text("", "e.yaml").problems[0].message
    assert "the file is a list" in load_text("- a\n- b\n", "l.yaml").problems[0].message


def test_unsafe_yaml_tags_are_refused() -> None:
    r = load_text("description: !!python/object/apply:os.system ['true']\n", "evil.yaml")
    assert r.spec is None and r.problems


def test_missing_file_directory_and_binary(tmp_path) -> None:
    assert "no such file" in load_file(tmp_path / "nope.yaml").problems[0].message
    assert "is a directory" in load_file(tmp_path).problems[0].message
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert "not UTF-8" in load_file(binary).problems[0].message


def test_invalid_template_keeps_data_but_no_spec() -> None:
    r = load_text("description: x\n", "x.yaml")
    assert r.data == {"description": "x"} and r.spec is None and not r.valid


def test_warnings_alone_keep_the_spec() -> None:
    t = base_template()
    t["stopConditions"] = [{"source": "none"}]
    r = load_text(json.dumps(t))
    assert r.valid and r.spec is not None and r.problems[0].severity == "warning"
