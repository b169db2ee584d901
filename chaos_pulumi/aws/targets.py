"""Blast-radius resolver and preflight: what a template's targets would hit, before anything runs.

Each target of a ``TemplateSpec`` is resolved against the account and Region the environment points
at, the way FIS identifies targets ("Targets for AWS FIS", https://docs.aws.amazon.com/fis/latest/
userguide/targets.html): listed ARNs as given; tags through the Resource Groups Tagging API
(``GetResources``); then resource parameters and ``filters`` on the output of the type's Describe
call; then the selection mode (``chaos_pulumi.spec.selection``: PERCENT rounds down, as FIS does).

A target resolves ``exact``, as an ``upper-bound`` (something that only narrows the selection could
not be applied offline, so the true count is at most the one shown), or ``unresolved`` (the type is
not resolvable offline, see ``target_types.KINDS``, or the template targets other accounts).

:func:`preflight` turns that into a verdict: it refuses when a target would hit more than the cap
of its resource type, when it selects nothing while ``emptyTargetResolutionMode`` is ``fail`` (FIS
would fail the run), when a capped target cannot be resolved, and when the account cannot be queried
at all (fail closed, saying why). The caps are the guardrail policy's ``max_selection``: the count
cap limits how many resources any target would hit; the percent cap limits ``PERCENT(p)`` targets
(the share they would take of what matches). ``ALL`` is the policy's own rule, checked on the template.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chaos_pulumi.aws.clients import ClientFactory
from chaos_pulumi.aws.errors import FisError, error_text
from chaos_pulumi.aws.target_types import KINDS
from chaos_pulumi.spec.model import Target, TemplateSpec
from chaos_pulumi.spec.selection import SelectionMode, matches_filters, tag_dict, tags_match

# resource type -> (max resources, max percent of the matching ones); None = no cap.
CapFn = Callable[[str], tuple[int | None, float | None]]
EXACT, UPPER_BOUND, UNRESOLVED = "exact", "upper-bound", "unresolved"
SKIP_HINT = (
    "to start without it, skip the preflight visibly "
    "(Experiment(preflight=False), fis_experiment preflight: false)"
)


def no_caps(resource_type: str) -> tuple[int | None, float | None]:
    return None, None


@dataclass(frozen=True)
class TargetReport:
    """One target: what it matches, how many the selection takes, the cap, and the verdict."""

    name: str
    resource_type: str
    selection_mode: str
    selected_by: str
    resolution: str
    matching: tuple[str, ...] = ()
    would_hit: int | None = None
    max_count: int | None = None
    max_percent: float | None = None
    notes: tuple[str, ...] = ()
    refusal: str | None = None

    def summary(self) -> str:
        """``would hit 1 of 3`` (``up to`` for an upper bound), or why it could not be resolved."""
        if self.resolution == UNRESOLVED:
            return "not resolved offline"
        prefix = "up to " if self.resolution == UPPER_BOUND else ""
        return f"would hit {prefix}{self.would_hit} of {prefix}{len(self.matching)}"

    def cap_text(self) -> str:
        parts = []
        if self.max_count is not None:
            parts.append(f"{self.max_count} resource{'s' if self.max_count != 1 else ''}")
        if self.max_percent is not None:
            parts.append(f"{self.max_percent:g}% of PERCENT selections")
        return " / ".join(parts) or "none"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "resource_type": self.resource_type,
            "selection_mode": self.selection_mode,
            "selected_by": self.selected_by,
            "resolution": self.resolution,
            "matching": list(self.matching),
            "matching_count": len(self.matching) if self.resolution != UNRESOLVED else None,
            "would_hit": self.would_hit,
            "cap": {"max_count": self.max_count, "max_percent": self.max_percent},
            "summary": self.summary(),
            "notes": list(self.notes),
            "refusal": self.refusal,
        }


@dataclass(frozen=True)
class PreflightReport:
    """Every target of one template; ``error`` when the account could not be queried at all."""

    source: str
    region: str | None = None
    account: str | None = None
    empty_target_resolution_mode: str = "fail"
    targets: tuple[TargetReport, ...] = ()
    error: str | None = None

    @property
    def refusals(self) -> list[str]:
        return ([self.error] if self.error else []) + [t.refusal for t in self.targets if t.refusal]

    @property
    def refused(self) -> bool:
        return bool(self.refusals)

    def message(self) -> str:
        """Why the preflight refuses (empty when it does not), one reason per line."""
        if not self.refused:
            return ""
        where = f" (account {self.account}, {self.region})" if self.account else ""
        return f"preflight refused {self.source}{where}:\n" + "\n".join(f"  - {r}" for r in self.refusals)

    def lines(self) -> list[str]:
        """One line per target (for progress output): what it would hit, the cap, the verdict."""
        out = [
            f"target '{t.name}' ({t.resource_type}, {t.selection_mode}): {t.summary()}; cap: {t.cap_text()}; "
            + ("REFUSED" if t.refusal else "ok")
            for t in self.targets
        ]
        return out + ([f"REFUSED: {self.error}"] if self.error else [])

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "region": self.region,
            "account": self.account,
            "empty_target_resolution_mode": self.empty_target_resolution_mode,
            "refused": self.refused,
            "refusals": self.refusals,
            "error": self.error,
            "targets": [t.to_dict() for t in self.targets],
        }


class PreflightRefused(FisError):
    """A run was refused before it started; ``report`` says what each target would have hit, ``policy``
    (when given) which guardrail policy the caps came from."""

    def __init__(self, report: PreflightReport, policy: str | None = None) -> None:
        text = report.message()
        if policy:
            text += f"\n  (caps from the guardrail policy {policy})"
        super().__init__(text)
        self.report = report
        self.policy = policy


class TargetUnresolved(Exception):
    """A target cannot be resolved offline (not an AWS error: nothing to retry)."""


def _selected_by(target: Target) -> str:
    if target.resource_arns:
        return "arns"
    parts = [
        name
        for name, present in (
            ("tags", target.resource_tags),
            ("filters", target.filters),
            ("parameters", target.parameters),
        )
        if present
    ]
    return "+".join(parts) or "nothing"


def _tagged_arns(clients: ClientFactory, tagging_type: str, wanted: Mapping[str, str]) -> list[str]:
    """ARNs of ``tagging_type`` resources carrying every wanted tag with exactly its value."""
    filters = [{"Key": k, "Values": [v]} if v else {"Key": k} for k, v in wanted.items()]
    found = []
    pages = (
        clients("resourcegroupstaggingapi")
        .get_paginator("get_resources")
        .paginate(TagFilters=filters, ResourceTypeFilters=[tagging_type])
    )
    for page in pages:
        for item in page.get("ResourceTagMappingList", []):
            if tags_match(tag_dict(item.get("Tags")), wanted):  # exact values, the empty one included
                found.append(item["ResourceARN"])
    return found


def _match(clients: ClientFactory, target: Target) -> tuple[list[str], str, list[str]]:
    """(matching ARNs, resolution, notes) for a target that does not list ARNs."""
    kind = KINDS.get(target.resource_type)
    if kind is None:
        resolvable = ", ".join(sorted(KINDS))
        raise TargetUnresolved(
            f"{target.resource_type} is not resolvable offline by tags, filters or parameters "
            f"(resolvable: {resolvable}; any type resolves when the target lists ARNs)"
        )
    notes: list[str] = []
    tags = target.resource_tags
    candidates = _tagged_arns(clients, kind.tagging_type, tags) if tags else None
    applied = {k: v for k, v in target.parameters.items() if k in kind.parameters}
    ignored = sorted(set(target.parameters) - set(applied))
    if ignored:
        notes.append(f"parameters {', '.join(ignored)} narrow the selection in FIS; not applied offline")
    if candidates is not None and not (target.filters or applied):
        return candidates, UPPER_BOUND if ignored else EXACT, notes
    if candidates == []:
        return [], EXACT, notes
    try:
        records = kind.describe(clients, candidates, applied)
    except ValueError as e:
        raise TargetUnresolved(str(e)) from None
    matching = [
        arn
        for arn, record in records.items()
        if all(kind.parameters[k](record, v) for k, v in applied.items())
        and matches_filters(record, target.filters)
    ]
    if target.filters:
        notes.append(f"filters applied to {kind.describe_call}")
    return matching, UPPER_BOUND if ignored else EXACT, notes


def _refusal(t: TargetReport, mode: SelectionMode | None, empty_mode: str) -> str | None:
    where = f"target '{t.name}' ({t.resource_type}, {t.selection_mode})"
    percent = mode is not None and mode.kind == "PERCENT"
    capped = t.max_count is not None or (t.max_percent is not None and percent)
    if t.resolution == UNRESOLVED or mode is None or t.would_hit is None:
        if not capped:
            return None
        return (
            f"{where} cannot be resolved offline ({'; '.join(t.notes)}); a cap of {t.cap_text()} applies, "
            f"so the preflight cannot show the run stays inside it; {SKIP_HINT}"
        )
    matched = len(t.matching)
    if t.max_count is not None and t.would_hit > t.max_count:
        return (
            f"{where} {t.summary()} matching resources; the cap for {t.resource_type} is {t.max_count}: "
            "narrow the target (tags, filters, a smaller COUNT or PERCENT) or raise the cap in the policy"
        )
    if t.max_percent is not None and percent and t.would_hit:
        # FIS rounds down, so the share taken is at most p; of an upper bound only that much is known.
        share = 100.0 * t.would_hit / matched if t.resolution == EXACT else float(min(mode.n, 100))
        if share > t.max_percent:
            return (
                f"{where} {t.summary()} matching resources ({share:.0f}%); the cap for {t.resource_type} "
                f"is {t.max_percent:g}% of the matching ones: select a smaller PERCENT or a COUNT, or raise "
                "the cap in the policy"
            )
    if t.would_hit == 0 and empty_mode == "fail":
        why = (
            f"{t.selection_mode} of {matched} matching selects none (FIS rounds down)"
            if matched
            else "matches no resource"
        )
        return (
            f"{where} {why} and emptyTargetResolutionMode is 'fail', so FIS would fail the run: check its "
            "tags, filters and parameters, or set experimentOptions.emptyTargetResolutionMode: skip"
        )
    return None


def resolve_target(
    clients: ClientFactory,
    name: str,
    target: Target,
    cap_fn: CapFn = no_caps,
    empty_mode: str = "fail",
    multi_account: bool = False,
) -> TargetReport:
    """One target's report. AWS errors (the account cannot be queried) propagate."""
    max_count, max_percent = cap_fn(target.resource_type)
    mode = SelectionMode.parse(target.selection_mode)
    notes: list[str] = []
    matching: list[str] = []
    resolution = EXACT
    if target.resource_arns:
        matching = list(target.resource_arns)
        notes.append("listed ARNs taken as given")
        if target.parameters:
            resolution = UPPER_BOUND
            notes.append(f"parameters {', '.join(sorted(target.parameters))} are not applied to listed ARNs")
    elif multi_account:
        resolution = UNRESOLVED
        notes.append("a multi-account template resolves its targets in the target accounts, not queried here")
    else:
        try:
            matching, resolution, more = _match(clients, target)
            notes.extend(more)
        except TargetUnresolved as e:
            resolution = UNRESOLVED
            notes.append(str(e))
    if mode is None:
        notes.append(f"selectionMode {target.selection_mode!r} is not ALL, COUNT(n) or PERCENT(n)")
    would_hit = mode.selected(len(matching)) if mode is not None and resolution != UNRESOLVED else None
    if would_hit == 0 and empty_mode == "skip":
        notes.append("FIS skips the actions on this target (emptyTargetResolutionMode: skip)")
    report = TargetReport(
        name=name,
        resource_type=target.resource_type,
        selection_mode=target.selection_mode,
        selected_by=_selected_by(target),
        resolution=resolution,
        matching=tuple(sorted(matching)),
        would_hit=would_hit,
        max_count=max_count,
        max_percent=max_percent,
        notes=tuple(notes),
    )
    return _with_refusal(report, mode, empty_mode)


def _with_refusal(report: TargetReport, mode: SelectionMode | None, empty_mode: str) -> TargetReport:
    refusal = _refusal(report, mode, empty_mode)
    if refusal is None:
        return report
    return TargetReport(**{**report.__dict__, "refusal": refusal})


def preflight(
    spec: TemplateSpec, clients: ClientFactory, cap_fn: CapFn | None = None, source: str = "template"
) -> PreflightReport:
    """Resolve every target of ``spec`` and judge it; never raises for AWS errors (it fails closed)."""
    empty_mode = spec.experiment_options.empty_target_resolution_mode
    multi = spec.experiment_options.account_targeting == "multi-account"
    region = None
    try:
        region = clients("sts").meta.region_name
        account = str(clients("sts").get_caller_identity()["Account"])
        targets = tuple(
            resolve_target(clients, name, spec.targets[name], cap_fn or no_caps, empty_mode, multi)
            for name in sorted(spec.targets)
        )
    except (BotoCoreError, ClientError) as e:
        return PreflightReport(
            source=source,
            region=region,
            empty_target_resolution_mode=empty_mode,
            error=(
                f"cannot query the account{f' in {region}' if region else ''} to resolve the targets "
                f"({error_text(e)}); refusing to start (fail closed); {SKIP_HINT}"
            ),
        )
    return PreflightReport(source, region, account, empty_mode, targets)


def preflight_start(
    clients: ClientFactory,
    spec_or_template_id: TemplateSpec | str,
    cap_fn: CapFn | None = None,
    policy: str | None = None,
    source: str = "template",
) -> PreflightReport:
    """The check before a start, for every front end: resolve the template (a spec, or the id of a
    template in FIS, read with GetExperimentTemplate), and raise :class:`PreflightRefused` when the
    preflight refuses; otherwise return the report (for the run's outputs)."""
    if isinstance(spec_or_template_id, TemplateSpec):
        report = preflight(spec_or_template_id, clients, cap_fn, source)
    else:
        template_id = spec_or_template_id
        try:
            template = clients("fis").get_experiment_template(id=template_id)["experimentTemplate"]
        except (BotoCoreError, ClientError) as e:
            report = PreflightReport(
                source=f"template {template_id}",
                error=f"cannot read template {template_id} ({error_text(e)}); refusing to start; {SKIP_HINT}",
            )
        else:
            report = preflight(TemplateSpec.from_fis(template), clients, cap_fn, f"template {template_id}")
    if report.refused:
        raise PreflightRefused(report, policy)
    return report


def resolved_by_fis(fis: Any, experiment_id: str) -> dict[str, list[str]]:
    """What FIS actually resolved for a run (ListExperimentResolvedTargets): target name -> ARNs, for
    a run's outputs next to what the preflight expected."""
    out: dict[str, list[str]] = {}
    for page in fis.get_paginator("list_experiment_resolved_targets").paginate(experimentId=experiment_id):
        for item in page.get("resolvedTargets", []):
            arn = (item.get("targetInformation") or {}).get("arn")
            out.setdefault(str(item.get("targetName")), []).append(str(arn))
    return {name: sorted(arns) for name, arns in sorted(out.items())}


__all__ = [
    "EXACT",
    "UNRESOLVED",
    "UPPER_BOUND",
    "CapFn",
    "PreflightRefused",
    "PreflightReport",
    "TargetReport",
    "no_caps",
    "preflight",
    "preflight_start",
    "resolve_target",
    "resolved_by_fis",
]
