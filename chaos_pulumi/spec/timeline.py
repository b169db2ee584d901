"""When each action of a template runs, at the latest, and how long the whole experiment can last.

One computation along the ``startAfter`` graph, used by ``explain`` (table and Gantt chart) and by
the guardrail rules ``max_duration`` / ``max_action_duration``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import Catalog, catalog
from .durations import parse_duration
from .model import TemplateSpec


def action_seconds(spec: TemplateSpec, name: str, cat: Catalog | None = None) -> float:
    """How long an action runs at most (0 for actions that complete when their API call returns)."""
    action = spec.actions[name]
    param = duration_parameter(action.action_id, cat)
    if param and param in action.parameters:
        return parse_duration(action.parameters[param]) or 0.0
    return 0.0


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
    """Latest start/end of every action along startAfter, and the longest path through them."""
    cat = cat or catalog()
    start: dict[str, float] = {}
    end: dict[str, float] = {}
    via: dict[str, str | None] = {}
    for name in spec.action_order():
        deps = [d for d in spec.actions[name].start_after if d in end]
        latest = max(deps, key=lambda d: end[d], default=None)
        start[name] = end[latest] if latest else 0.0
        via[name] = latest
        end[name] = start[name] + action_seconds(spec, name, cat)
    if not end:
        return Timeline({}, {}, [], 0.0)
    last = max(end, key=lambda n: (end[n], n))
    path = [last]
    while via.get(path[-1]):
        path.append(via[path[-1]])  # type: ignore[arg-type]
    return Timeline(start, end, list(reversed(path)), end[last])
