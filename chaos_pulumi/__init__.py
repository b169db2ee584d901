"""chaos-pulumi: chaos experiments as infrastructure code (AWS FIS through Pulumi and Ansible).

```python
from chaos_pulumi import ExperimentTemplate, Experiment, Target, Action, StopCondition, Filter
```

The typed arguments (``Target``, ``Action``, ...) are the spec model's own classes (one class per FIS
concept, ``chaos_pulumi.Target is chaos_pulumi.spec.Target``). The Pulumi resources
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
    "Target": "chaos_pulumi.spec.model",
    "Action": "chaos_pulumi.spec.model",
    "StopCondition": "chaos_pulumi.spec.model",
    "Filter": "chaos_pulumi.spec.model",
    "LogConfiguration": "chaos_pulumi.spec.model",
    "ExperimentOptions": "chaos_pulumi.spec.model",
    "ReportConfiguration": "chaos_pulumi.spec.model",
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
    from chaos_pulumi.spec.model import (
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
