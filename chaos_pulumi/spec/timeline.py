"""When each action of a template runs, at the latest, and how long the whole experiment can last.

One computation along the ``startAfter`` graph, used by ``explain`` (table and Gantt chart) and by
the guardrail rules ``max_duration`` / ``max_action_duration``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .catalog import Catalog, catalog
from .durations import parse_duration
from .model import TemplateSpec


def action_seconds(spec: TemplateSpec, name: str, cat: Catalog | None = None) -> float:
    """How long an action runs at most (0 for actions that complete when their API call returns)."""
    action = spec.actions[name]
    param = duration_parameter(action.action_id, cat)
    if param and param in action.parameters:
        return _seconds(action.parameters[param])
    return 0.0


@functools.lru_cache(maxsize=4096)
def _seconds(text: str) -> float:
    return parse_duration(text) or 0.0  # the same few durations recur in every template


def duration_parameter(action_id: str, cat: Catalog | None = None) -> str | None:
    """The parameter that bounds an action's run (``duration`` unless the catalog names another)."""
    cat = cat or catalog()
    aspec = cat.actions.get(action_id)
    return aspec.duration_parameter if aspec else "duration"


@dataclass(frozen=True)
class Timeline:
    start: dict[str, float]  # seconds after experiment start, at the latest
    end: dict[str, float]
    critical_path: list[str]
    total_seconds: float


def timeline(spec: TemplateSpec, cat: Catalog | None = None) -> Timeline:
    """Latest start/end of every action along startAfter, and the longest path through them.

    Each action starts when the last of the actions it starts after has ended; actions caught in a
    startAfter cycle (the validator rejects those) are left out, as ``action_order`` leaves them out.
    """
    cat = cat or catalog()
    actions = spec.actions
    if not any(a.start_after for a in actions.values()):
        # Everything starts at once (most templates): no graph to walk.
        end = {name: action_seconds(spec, name, cat) for name in actions}
        if not end:
            return Timeline({}, {}, [], 0.0)
        last = max(end, key=lambda n: (end[n], n))
        return Timeline(dict.fromkeys(end, 0.0), end, [last], end[last])
    start: dict[str, float] = {}
    end = {}
    via: dict[str, str | None] = {}
    open_: set[str] = set()

    def visit(name: str) -> bool:
        if name in end:
            return True
        if name in open_ or name not in actions:
            return False
        open_.add(name)
        deps = [d for d in actions[name].start_after if visit(d)]
        open_.discard(name)
        latest = max(deps, key=end.__getitem__, default=None)
        start[name] = end[latest] if latest else 0.0
        via[name] = latest
        end[name] = start[name] + action_seconds(spec, name, cat)
        return True

    for name in actions:
        visit(name)
    if not end:
        return Timeline({}, {}, [], 0.0)
    last = max(end, key=lambda n: (end[n], n))
    path = [last]
    while via.get(path[-1]):
        path.append(via[path[-1]])  # type: ignore[arg-type]
    return Timeline(start, end, list(reversed(path)), end[last])
