"""Guardrails: a policy (data) of rules every experiment template must follow, evaluated on the spec model.

The CLI (``validate``, ``explain``), the Pulumi policy pack and the Ansible FIS modules all call
:func:`resolve_policy` and :func:`evaluate` from here, so they enforce the same rules the same way.
See docs/guardrails.md.
"""

from .evaluate import Evaluation, Status, Verdict, evaluate
from .policy import (
    DEFAULT_WAIVER_TAG,
    NO_POLICY,
    POLICY_VERSION,
    SAFE_DEFAULTS,
    Policy,
    RuleConfig,
    parse_policy,
    safe_defaults,
    safe_defaults_text,
    selection_cap,
    selection_rule,
)
from .project import (
    POLICY_ENV,
    PROJECT_CONFIG,
    PolicyChoice,
    find_project_config,
    load_policy_file,
    resolve_policy,
)
from .rules import RULES, Finding, Rule
from .selection import SelectionCap
from .waivers import WAIVER_RULE, Waiver, read_waiver

__all__ = [
    "DEFAULT_WAIVER_TAG",
    "Evaluation",
    "Finding",
    "NO_POLICY",
    "POLICY_ENV",
    "POLICY_VERSION",
    "PROJECT_CONFIG",
    "Policy",
    "PolicyChoice",
    "RULES",
    "Rule",
    "RuleConfig",
    "SAFE_DEFAULTS",
    "SelectionCap",
    "Status",
    "Verdict",
    "WAIVER_RULE",
    "Waiver",
    "evaluate",
    "find_project_config",
    "load_policy_file",
    "parse_policy",
    "read_waiver",
    "resolve_policy",
    "safe_defaults",
    "safe_defaults_text",
    "selection_cap",
    "selection_rule",
]
