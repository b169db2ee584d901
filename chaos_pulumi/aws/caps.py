"""The preflight's caps: the guardrail policy's ``max_selection`` as ``cap_fn(resource_type) ->
(max COUNT, max PERCENT)``, from the policy that applies (``guardrails.resolve_policy``) for every
front end: ``chaos-pulumi targets``, the Pulumi providers and the Ansible ``fis_experiment``.
"""

from __future__ import annotations

from pathlib import Path

from chaos_pulumi.aws.errors import FisError
from chaos_pulumi.aws.targets import CapFn
from chaos_pulumi.spec.guardrails import Policy, resolve_policy, selection_cap


class PolicyUnavailable(FisError):
    """The guardrail policy that applies does not load, so there are no caps to check against (a broken
    policy never means "no caps")."""


def guardrail_policy(
    explicit: str | None = None, start: str | Path | None = None, option: str = "--policy"
) -> Policy:
    """The guardrail policy that applies (``explicit``, ``$CHAOS_PULUMI_POLICY``, the ``chaos-pulumi.yaml``
    above ``start``, else the safe defaults: ``guardrails.resolve_policy``). Raises
    :class:`PolicyUnavailable` when it does not load."""
    choice = resolve_policy(explicit, start=start, option=option)
    if not choice.ok or choice.policy is None:
        problems = "; ".join(f"{p.path + ': ' if p.path else ''}{p.message}" for p in choice.problems)
        raise PolicyUnavailable(f"the guardrail policy does not load: {problems}")
    return choice.policy


def policy_caps(
    explicit: str | None = None, start: str | Path | None = None, option: str = "--policy"
) -> CapFn:
    """The selection caps of the guardrail policy that applies (:func:`guardrail_policy`), as the
    preflight's ``cap_fn``."""
    return caps_of(guardrail_policy(explicit, start, option))


def caps_of(policy: Policy | None) -> CapFn:
    """A policy's ``max_selection`` caps as the preflight's ``cap_fn`` (``selection_cap``)."""
    return lambda resource_type: selection_cap(policy, resource_type)


__all__ = ["PolicyUnavailable", "caps_of", "guardrail_policy", "policy_caps"]
