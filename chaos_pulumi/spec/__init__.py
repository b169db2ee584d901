"""The experiment spec: model, FIS catalog, validator, loaders and wire converters.

Pure Python (stdlib + pyyaml): no Pulumi, Ansible or boto3 imports here.
"""

from .catalog import Catalog, catalog, load_catalog
from .loader import LoadResult, load_bytes, load_file, load_stream, load_text
from .model import (
    Action,
    ExperimentOptions,
    Filter,
    LogConfiguration,
    ReportConfiguration,
    StopCondition,
    Target,
    TargetFilter,
    TemplateSpec,
)
from .problems import Problem, has_errors
from .validator import validate

__all__ = [
    "Action",
    "Catalog",
    "ExperimentOptions",
    "Filter",
    "LoadResult",
    "LogConfiguration",
    "Problem",
    "ReportConfiguration",
    "StopCondition",
    "Target",
    "TargetFilter",
    "TemplateSpec",
    "catalog",
    "has_errors",
    "load_bytes",
    "load_catalog",
    "load_file",
    "load_stream",
    "load_text",
    "validate",
]
