"""FIS experiment templates: plan a change, apply it, create one, find, read and delete them.

Both front ends go through here: the Pulumi provider (``chaos_pulumi.providers.experiment_template``)
and the Ansible modules (``chaos.faults.fis_experiment_template`` and its ``_info``). The same live
and desired template give the same plan (:func:`plan_template`, pure), and the same plan gives the
same FIS calls (:func:`apply_template`, :func:`create_template`).

What the FIS layer trusts, once, for both front ends:

- **Writes are read back from their responses, not with a second call.** ``CreateExperimentTemplate``
  and ``UpdateExperimentTemplate`` return the template as FIS stored it; that is what is checked
  against the desired template (a field FIS did not apply fails with its name) and what the front
  ends report. Tags are the ones the successful tag calls set.
- **Creates carry a derived client token** (:func:`template_token`: who creates it, and its content),
  so a create retried after a crash returns the template the first attempt made. When the response
  is such a replay (the template was created before this request), the template is read once to
  tell "made by the first attempt" from "deleted since", and a deleted one is made again under a new
  token.
"""

from __future__ import annotations

import dataclasses
import email.utils
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chaos_pulumi.aws.errors import FisError, is_not_found
from chaos_pulumi.aws.tags import TagChange, apply_tags, plan_tags
from chaos_pulumi.aws.tokens import client_token
from chaos_pulumi.spec.model import TemplateSpec

# A create response whose template is older than the response by more than this is a token replay.
# (The HTTP Date header has one-second resolution; a fresh create is well within this.)
REPLAY_AFTER_S = 2.0


@dataclass(frozen=True)
class TemplateChange:
    """What it takes to turn the live template (``before``; None: there is none) into the desired one."""

    before: TemplateSpec | None
    after: TemplateSpec  # the template as FIS will hold it
    update: bool = False  # UpdateExperimentTemplate: the content (everything but tags) differs
    tags: TagChange = dataclasses.field(default_factory=TagChange)
    create_only: tuple[str, ...] = ()  # fields FIS cannot change in place that differ (file-format paths)

    @property
    def create(self) -> bool:
        return self.before is None

    @property
    def changed(self) -> bool:
        return self.create or self.update or bool(self.tags)


def _value_at(data: Mapping[str, Any], path: tuple[str, ...], default: Any) -> Any:
    value: Any = data
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return default if value is None else value


def create_only_changes(before: TemplateSpec, after: TemplateSpec) -> tuple[str, ...]:
    """File-format paths (``experimentOptions.accountTargeting``) of fields FIS cannot change on an
    existing template whose values differ: such a change needs a new template."""
    old, new = before.to_dict(), after.to_dict()
    return tuple(
        ".".join(path)
        for path, default in TemplateSpec.create_only_paths()
        if _value_at(old, path, default) != _value_at(new, path, default)
    )


def plan_template(
    live: TemplateSpec | None, desired: TemplateSpec, purge_tags: bool = True
) -> TemplateChange:
    """The change from ``live`` to ``desired`` (pure: no FIS call).

    ``desired.tags`` are the tags wanted; with ``purge_tags`` other tags are removed (never the ones
    AWS reserves, ``aws:*``), without it they are left alone.
    """
    if live is None:
        return TemplateChange(before=None, after=desired)
    update = dataclasses.replace(live, tags={}) != dataclasses.replace(desired, tags={})
    tags = plan_tags(live.tags, desired.tags, purge=purge_tags)
    after = dataclasses.replace(desired if update else live, tags=tags.applied_to(live.tags))
    return TemplateChange(
        before=live,
        after=after,
        update=update,
        tags=tags,
        create_only=create_only_changes(live, desired) if update else (),
    )


class TemplateNotApplied(FisError):
    """FIS stored something else than was asked for (``fields``: the file-format keys that differ)."""

    def __init__(self, template_id: str, fields: list[str]) -> None:
        super().__init__(f"FIS did not apply {', '.join(fields)} to experiment template {template_id}")
        self.template_id = template_id
        self.fields = fields


def _check_stored(stored: Mapping[str, Any], wanted: TemplateSpec) -> None:
    actual = TemplateSpec.from_fis(stored)
    if actual != wanted:
        want, got = wanted.to_dict(), actual.to_dict()
        raise TemplateNotApplied(
            str(stored.get("id")), sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
        )


def apply_template(client: Any, live: Mapping[str, Any], change: TemplateChange) -> dict[str, Any]:
    """Make the existing template ``live`` (as GetExperimentTemplate returned it) what ``change`` says:
    UpdateExperimentTemplate for the content, then UntagResource and TagResource for the tags.

    Returns the template as FIS holds it afterwards (the update response, or ``live``, with the tags
    set), checked against ``change.after``. Nothing is written when a create-only field differs.
    """
    if change.create_only:
        raise FisError(
            f"{', '.join(change.create_only)}: FIS cannot change this on an existing template "
            f"({live.get('id')}); delete the template and create it again"
        )
    stored = dict(live)
    if change.update:
        request = change.after.to_update_request(str(live["id"]))
        stored = dict(client.update_experiment_template(**request)["experimentTemplate"])
    apply_tags(client, str(live["arn"]), change.tags)
    stored["tags"] = dict(change.after.tags)
    _check_stored(stored, change.after)
    return stored


def template_token(owner: str, desired: TemplateSpec, attempt: int = 0) -> str:
    """The create client token: the same owner (a Pulumi resource, Ansible) and content give the same
    one; ``attempt`` > 0 gives the new token used after the first one named a deleted template."""
    salt = () if attempt == 0 else ("recreate",) if attempt == 1 else (f"recreate-{attempt}",)
    return client_token(owner, desired.to_create_request(), *salt)


def _replayed(response: Mapping[str, Any]) -> bool:
    """True when a create response returns a template made before this request (or when it cannot tell)."""
    created = (response.get("experimentTemplate") or {}).get("creationTime")
    date = ((response.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}).get("date")
    if not isinstance(created, datetime) or not date:
        return True
    try:
        now = email.utils.parsedate_to_datetime(date)
        return (now - created).total_seconds() > REPLAY_AFTER_S
    except (TypeError, ValueError):
        return True


def create_template(client: Any, desired: TemplateSpec, owner: str) -> dict[str, Any]:
    """CreateExperimentTemplate with a derived client token; returns the template as FIS stored it,
    checked against ``desired``."""
    for attempt in range(3):
        request = desired.to_create_request(client_token=template_token(owner, desired, attempt))
        response = client.create_experiment_template(**request)
        stored = response["experimentTemplate"]
        if not _replayed(response):
            break
        current = get_template(client, str(stored["id"]))
        if current is not None:
            stored = current  # the template an earlier attempt made
            break
        # The token named a template deleted since: the next attempt uses a new token.
    else:
        raise FisError("creating the experiment template failed: FIS kept returning deleted templates")
    _check_stored(stored, desired)
    return dict(stored)


def get_template(client: Any, template_id: str) -> dict[str, Any] | None:
    """The template as GetExperimentTemplate returns it, or None when it does not exist."""
    try:
        return client.get_experiment_template(id=template_id)["experimentTemplate"]
    except Exception as err:
        if is_not_found(err):
            return None
        raise


def delete_template(client: Any, template_id: str) -> bool:
    """DeleteExperimentTemplate; False when it was already gone (that is what delete wants)."""
    try:
        client.delete_experiment_template(id=template_id)
    except Exception as err:
        if is_not_found(err):
            return False
        raise
    return True


def list_templates(client: Any) -> list[dict[str, Any]]:
    """Every template summary (ListExperimentTemplates, all pages)."""
    paginator = client.get_paginator("list_experiment_templates")
    return [t for page in paginator.paginate() for t in page.get("experimentTemplates", [])]


def templates_tagged(client: Any, key: str, value: str) -> list[dict[str, Any]]:
    """Summaries of the templates tagged ``key=value`` (how Ansible finds a template by its name)."""
    return [t for t in list_templates(client) if (t.get("tags") or {}).get(key) == value]


def template_arn(live: Mapping[str, Any], region: str, template_id: str) -> str:
    return str(live.get("arn") or f"arn:aws:fis:{region}::experiment-template/{template_id}")


__all__ = [
    "REPLAY_AFTER_S",
    "TemplateChange",
    "TemplateNotApplied",
    "apply_template",
    "create_only_changes",
    "create_template",
    "delete_template",
    "get_template",
    "list_templates",
    "plan_template",
    "template_arn",
    "template_token",
    "templates_tagged",
]
