# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""The guardrail policy option of the FIS modules that create or start experiments."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  policy_file:
    description:
      - The guardrail policy the experiment template must follow. It is checked before anything is
        created, changed or started, in check mode too; a template that breaks it fails the task with
        every problem (its field path, rule id and how to comply) and nothing is changed.
      - A path to a policy file (YAML or JSON, schema in the chaos-pulumi docs, C(docs/guardrails.md)),
        V(safe-defaults) for the built-in policy, or V(none) to turn the guardrails off visibly.
      - When not set, C(CHAOS_PULUMI_POLICY) in the module's environment is used, else the C(policy) key
        of the nearest C(chaos-pulumi.yaml) above the template file (or the working directory), else
        V(safe-defaults).
      - "A template may waive rules visibly with the tag C(chaos:waiver), for example
        C(stop_condition_required: staging game day, alarm lands in OPS-123)."
    type: str
"""
