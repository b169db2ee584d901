"""A problem found in an experiment template: where it is, what is wrong, how to fix it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding of the validator or loader.

    ``path`` is the dotted path of the field at fault in the file format (``actions.stop.targets``),
    or ``""`` for the whole document; ``message`` says what is wrong and how to fix it. ``rule`` is the
    id of the guardrail rule that found it (``max_selection``), ``None`` for validator and loader findings.
    """

    path: str
    message: str
    severity: Severity = "error"
    rule: str | None = None

    def __str__(self) -> str:
        text = f"[{self.rule}] {self.message}" if self.rule else self.message
        return f"{self.path}: {text}" if self.path else text

    def to_dict(self) -> dict[str, str]:
        out = {"path": self.path, "message": self.message, "severity": self.severity}
        if self.rule:
            out["rule"] = self.rule
        return out


def has_errors(problems: Iterable[Problem]) -> bool:
    """True when any problem is an error (warnings alone do not make a template invalid)."""
    return any(p.severity == "error" for p in problems)


def internal_error(component: str, error: BaseException, source: str = "") -> Problem:
    """The problem reported when a bug (not the input) stopped ``component``: the defence in depth."""
    where = f"{source}: " if source else ""
    return Problem("", f"{where}internal {component} error ({type(error).__name__}); please report it")


def is_internal(problem: Problem) -> bool:
    """True for a problem made by ``internal_error``: reaching one is a bug (the fuzz tests fail on it)."""
    return (
        problem.path == ""
        and " error (" in problem.message
        and problem.message.endswith("; please report it")
    )
