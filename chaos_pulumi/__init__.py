"""chaos-pulumi: chaos experiments as infrastructure code (AWS FIS through Pulumi and Ansible).

```python
from chaos_pulumi import ExperimentTemplate, Experiment, Target, Action, StopCondition, Filter
```

The typed arguments (``Target``, ``Action``, ...) are plain data classes. The Pulumi resources
(``ExperimentTemplate``, ``Experiment``) import ``pulumi`` only when first used, so tools that only need
the spec (the ``chaos-pulumi`` CLI, the Ansible modules) do not pay for importing Pulumi.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> module that defines it (imported on first access).
_EXPORTS = {
    "ExperimentTemplate": "chaos_pulumi.providers.experiment_template",
    "Experiment": "chaos_pulumi.providers.experiment",
    "Target": "chaos_pulumi.resources",
    "Action": "chaos_pulumi.resources",
    "StopCondition": "chaos_pulumi.resources",
    "Filter": "chaos_pulumi.resources",
    "LogConfiguration": "chaos_pulumi.resources",
    "ExperimentOptions": "chaos_pulumi.resources",
    "ReportConfiguration": "chaos_pulumi.resources",
}

__all__ = [
    "Action",
    "Experiment",
    "ExperimentOptions",
    "ExperimentTemplate",
    "Filter",
    "LogConfiguration",
    "ReportConfiguration",
    "StopCondition",
    "Target",
    "__version__",
]

if TYPE_CHECKING:
    from chaos_pulumi.providers.experiment import Experiment
    from chaos_pulumi.providers.experiment_template import ExperimentTemplate
    from chaos_pulumi.resources import (
        Action,
        ExperimentOptions,
        Filter,
        LogConfiguration,
        ReportConfiguration,
        StopCondition,
        Target,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'chaos_pulumi' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
