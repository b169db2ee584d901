"""What every check writes to: the catalog in use and the problems found so far (at most MAX_PROBLEMS)."""

from __future__ import annotations

from ..catalog import Catalog
from ..limits import MAX_PROBLEMS
from ..problems import Problem


class Context:
    __slots__ = ("cat", "problems", "dropped", "dropped_error", "values")

    def __init__(self, cat: Catalog) -> None:
        self.cat = cat
        self.problems: list[Problem] = []
        self.dropped = 0
        self.dropped_error = False
        self.values = 0  # entries of the lists and mappings looked into so far (see fields.too_many)

    def error(self, path: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(path, message, "error"))
        else:
            self.dropped += 1
            self.dropped_error = True

    def warn(self, path: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(path, message, "warning"))
        else:
            self.dropped += 1

    def result(self) -> list[Problem]:
        if self.dropped:
            self.problems.append(
                Problem(
                    "",
                    f"{self.dropped:,} more problems are not shown (the first {MAX_PROBLEMS} are); "
                    "fix these and validate again",
                    "error" if self.dropped_error else "warning",
                )
            )
        return self.problems
