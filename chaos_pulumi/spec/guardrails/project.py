"""Which policy applies: ``--policy`` (or a front end's own option), ``$CHAOS_PULUMI_POLICY``, the
``policy`` key of the nearest ``chaos-pulumi.yaml``, else the built-in safe defaults.

A repository states its policy once, in ``chaos-pulumi.yaml`` at its root::

    policy: guardrails/production.yaml   # a path relative to this file, `safe-defaults`, `none`,
                                         # or the policy document itself as a mapping

Files are read bounded in size and parsed with the spec layer's safe loader, like templates.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..catalog import Catalog
from ..loader import parse_document
from ..problems import Problem, has_errors
from .policy import NO_POLICY, SAFE_DEFAULTS, Policy, parse_policy, safe_defaults

PROJECT_CONFIG = "chaos-pulumi.yaml"
POLICY_ENV = "CHAOS_PULUMI_POLICY"
MAX_FILE_BYTES = 256 * 1024  # a policy is a few KB; anything larger is the wrong file


@dataclass(frozen=True)
class PolicyChoice:
    """The policy that applies, or (``policy is None``) the problems that keep it from loading.

    Callers fail closed on problems: a broken policy never silently means "no policy".
    """

    policy: Policy | None
    problems: tuple[Problem, ...] = ()
    config_file: Path | None = None

    @property
    def ok(self) -> bool:
        return self.policy is not None and not has_errors(self.problems)


def read_document(path: Path) -> tuple[Any, list[Problem]]:
    """A YAML/JSON file's data, read at most MAX_FILE_BYTES. Never raises."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return None, [Problem("", f"{path}: no such file")]
    except IsADirectoryError:
        return None, [Problem("", f"{path}: is a directory, not a file")]
    except OSError as e:
        return None, [Problem("", f"{path}: cannot be read: {e.strerror or e}")]
    if len(raw) > MAX_FILE_BYTES:
        return None, [
            Problem(
                "", f"{path}: is larger than {MAX_FILE_BYTES // 1024} KiB; a policy is a few KB - wrong file?"
            )
        ]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, [Problem("", f"{path}: not UTF-8 text")]
    return parse_document(text, str(path))


def load_policy_file(path: str | Path, cat: Catalog | None = None) -> tuple[Policy | None, list[Problem]]:
    """Read and parse a policy file. Never raises."""
    p = Path(path)
    data, problems = read_document(p)
    if problems:
        return None, problems
    return parse_policy(data, str(p), cat)


def find_project_config(start: str | Path) -> Path | None:
    """The nearest ``chaos-pulumi.yaml`` in ``start`` or a directory above it."""
    here = Path(start).absolute()
    if not here.is_dir():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / PROJECT_CONFIG
        if candidate.is_file():
            return candidate
    return None


def _named(value: str, base: Path, origin: str, cat: Catalog | None) -> PolicyChoice:
    """A policy named by a setting: `none`, `safe-defaults`, or a file path relative to ``base``."""
    if value == NO_POLICY:
        return PolicyChoice(Policy.off(origin))
    if value == SAFE_DEFAULTS:
        return PolicyChoice(replace(safe_defaults(), origin=origin))
    path = Path(os.path.expanduser(value))
    if not path.is_absolute():
        path = base / path
    policy, problems = load_policy_file(path, cat)
    if policy is None:
        return PolicyChoice(None, tuple(problems))
    return PolicyChoice(replace(policy, origin=origin), tuple(problems))


def resolve_policy(
    explicit: str | None = None,
    *,
    start: str | Path | None = None,
    option: str = "--policy",
    environ: Mapping[str, str] | None = None,
    cat: Catalog | None = None,
) -> PolicyChoice:
    """The policy for templates in ``start`` (a file or directory; default the working directory).

    ``explicit`` is the front end's own setting (``--policy``, Ansible's ``policy_file``), named
    ``option`` in messages. Relative paths in it and in the environment variable are relative to the
    working directory; a path in ``chaos-pulumi.yaml`` is relative to that file.
    """
    environ = os.environ if environ is None else environ
    cwd = Path.cwd()
    if explicit:
        return _named(explicit, cwd, f"from {option}", cat)
    if environ.get(POLICY_ENV):
        return _named(environ[POLICY_ENV], cwd, f"from ${POLICY_ENV}", cat)
    config = find_project_config(start if start is not None else cwd)
    if config is None:
        return PolicyChoice(
            replace(safe_defaults(), origin=f"the default (no {option}, ${POLICY_ENV} or {PROJECT_CONFIG})")
        )
    data, problems = read_document(config)
    if problems:
        return PolicyChoice(None, tuple(problems), config)
    if data is None or (isinstance(data, Mapping) and "policy" not in data):
        return PolicyChoice(
            replace(safe_defaults(), origin=f"the default ({config} sets no policy)"), config_file=config
        )
    if not isinstance(data, Mapping):
        return PolicyChoice(None, (Problem("", f"{config}: must be a mapping with a `policy` key"),), config)
    value = data["policy"]
    origin = f"named by {config}"
    if isinstance(value, str) and value.strip():
        choice = _named(value.strip(), config.parent, origin, cat)
        return replace(choice, config_file=config)
    if isinstance(value, Mapping):
        policy, problems = parse_policy(value, f"{config} (policy)", cat)
        if policy is None:
            return PolicyChoice(None, tuple(_under("policy", p) for p in problems), config)
        return PolicyChoice(replace(policy, origin=f"inline in {config}"), tuple(problems), config)
    return PolicyChoice(
        None,
        (
            Problem(
                "policy",
                f"{config}: must be a path to a policy file, {SAFE_DEFAULTS}, {NO_POLICY} or a policy "
                "mapping",
            ),
        ),
        config,
    )


def _under(prefix: str, problem: Problem) -> Problem:
    path = f"{prefix}.{problem.path}" if problem.path else prefix
    return replace(problem, path=path)
