"""Which policy applies: --policy, $CHAOS_PULUMI_POLICY, chaos-pulumi.yaml found upwards, defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaos_pulumi.spec.guardrails import POLICY_ENV, find_project_config, resolve_policy

POLICY = "version: 1\nname: acme\nrules: {max_duration: PT20M}\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with a policy in guardrails/ and templates two levels down."""
    (tmp_path / "guardrails").mkdir()
    (tmp_path / "guardrails" / "acme.yaml").write_text(POLICY)
    (tmp_path / "experiments" / "web").mkdir(parents=True)
    (tmp_path / "chaos-pulumi.yaml").write_text("policy: guardrails/acme.yaml\nother_tool_setting: 1\n")
    monkeypatch.delenv(POLICY_ENV, raising=False)
    monkeypatch.chdir(tmp_path / "experiments")
    return tmp_path


def test_the_project_config_is_found_upwards_and_its_path_is_relative_to_it(repo: Path) -> None:
    start = repo / "experiments" / "web" / "t.yaml"
    assert find_project_config(start) == repo / "chaos-pulumi.yaml"
    choice = resolve_policy(start=start)
    assert choice.ok and choice.policy.name == "acme"
    assert choice.policy.source == str(repo / "guardrails" / "acme.yaml")
    assert (
        choice.policy.describe()
        == f"acme ({repo / 'guardrails' / 'acme.yaml'}), named by {repo / 'chaos-pulumi.yaml'}"
    )
    assert choice.config_file == repo / "chaos-pulumi.yaml"


def test_explicit_beats_environment_beats_project_config(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo / "other.yaml").write_text("version: 1\nname: other\n")
    monkeypatch.setenv(POLICY_ENV, "safe-defaults")
    assert resolve_policy(start=repo).policy.name == "safe-defaults"
    assert resolve_policy(start=repo).policy.origin == f"from ${POLICY_ENV}"
    choice = resolve_policy("../other.yaml", start=repo)  # relative to the working directory
    assert choice.policy.name == "other" and choice.policy.origin == "from --policy"
    off = resolve_policy("none", start=repo, option="policy_file")
    assert not off.policy.enabled and off.policy.origin == "from policy_file"


def test_no_configuration_means_the_safe_defaults_said_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(POLICY_ENV, raising=False)
    choice = resolve_policy(start=tmp_path, environ={})
    assert choice.config_file is None, "a chaos-pulumi.yaml above the test's tmp dir is in the way"
    assert choice.ok and choice.policy.name == "safe-defaults"
    assert choice.policy.origin == f"the default (no --policy, ${POLICY_ENV} or chaos-pulumi.yaml)"


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ("policy: missing.yaml\n", "no such file"),
        ("policy: 3\n", "must be a path to a policy file"),
        ("- policy\n", "must be a mapping"),
        ("policy: [\n", "not valid YAML"),
        ("policy: {version: 1, rules: {max_duration: soon}}\n", "PT30M"),
    ],
)
def test_a_broken_project_config_fails_closed(repo: Path, config: str, words: str) -> None:
    (repo / "chaos-pulumi.yaml").write_text(config)
    choice = resolve_policy(start=repo)
    assert not choice.ok and choice.policy is None
    assert any(words in p.message for p in choice.problems), choice.problems


def test_inline_policy_and_keywords_in_the_project_config(repo: Path) -> None:
    (repo / "chaos-pulumi.yaml").write_text("policy: {version: 1, name: inline, extends: none}\n")
    choice = resolve_policy(start=repo)
    assert choice.ok and choice.policy.name == "inline" and choice.policy.rules == {}
    assert choice.policy.origin == f"inline in {repo / 'chaos-pulumi.yaml'}"
    (repo / "chaos-pulumi.yaml").write_text("policy: none\n")
    assert not resolve_policy(start=repo).policy.enabled
    (repo / "chaos-pulumi.yaml").write_text("catalog: x\n")
    choice = resolve_policy(start=repo)
    assert choice.policy.name == "safe-defaults" and "sets no policy" in choice.policy.origin
