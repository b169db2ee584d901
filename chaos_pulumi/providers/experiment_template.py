"""``ExperimentTemplate``: a FIS experiment template as a Pulumi resource.

State of one template (inputs and outputs share the keys):

- ``template``: the template in the canonical camelCase file format (``TemplateSpec.to_dict()``); as an
  input the desired one, as an output the one FIS holds (as its write response or ``read`` returned
  it), so drift shows as a diff;
- ``arn``, ``region``: where it lives (region recorded at create, so destroy finds it later);
- ``adopt_id``: an existing template id to take over instead of creating one (used at create only);
- ``resource_key``: ``project/stack/name``, the seed of the create client token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    UpdateResult,
)

from chaos_pulumi.aws.caps import PolicyUnavailable, caps_of
from chaos_pulumi.aws.errors import FisError, error_text
from chaos_pulumi.aws.targets import preflight
from chaos_pulumi.aws.templates import (
    TemplateNotApplied,
    apply_template,
    create_template,
    delete_template,
    get_template,
    plan_template,
    template_arn,
)
from chaos_pulumi.providers.base import (
    FisProvider,
    ProviderError,
    account_clients,
    environment_region,
    fis,
    has_unknowns,
    is_unknown,
    preflight_policy,
    progress,
    short_name,
    touches_unknown,
    unknown_paths,
    whole_numbers,
)
from chaos_pulumi.spec.model import (
    Action,
    ExperimentOptions,
    LogConfiguration,
    ReportConfiguration,
    StopCondition,
    Target,
    TemplateSpec,
)

# Input keys the provider reads; anything else in the state (outputs, __provider) never makes a diff.
_TEMPLATE = "template"


def _spec(data: Mapping[str, Any]) -> TemplateSpec:
    return TemplateSpec.from_dict(data)


def _at(template: Any, path: tuple[str, ...]) -> Any:
    value = template
    for key in path:
        if is_unknown(value) or not isinstance(value, Mapping):
            return value if is_unknown(value) else None
        value = value.get(key)
    return value


def _create_only_changed(old: Any, new: Any) -> bool:
    """A field FIS cannot change in place (``experimentOptions.accountTargeting``) is known and differs."""
    for path, default in TemplateSpec.create_only_paths():
        wanted = _at(new, path)
        if is_unknown(wanted):
            continue  # decided at `up`, once it is known
        if (wanted or default) != (_at(old, path) or default):
            return True
    return False


def _failure(name: str, doing: str, err: Exception) -> ProviderError:
    if isinstance(err, TemplateNotApplied):
        return ProviderError(
            f"{name}: FIS did not apply {', '.join(err.fields)} to experiment template {err.template_id} "
            "(as FIS returned it after writing); run `pulumi up --replace` on this resource"
        )
    if isinstance(err, ProviderError):
        return err
    if isinstance(err, FisError):
        return ProviderError(f"{name}: {doing} failed: {err}")
    return ProviderError(f"{name}: {doing} failed: {error_text(err)}")


def _new_content(old: Any, spec: TemplateSpec) -> bool:
    """Whether the template is new or its content changed (a no-change preview queries nothing)."""
    try:
        return not isinstance(old, Mapping) or _spec(old) != spec
    except Exception:  # state of another shape: treat as changed, the preflight only warns
        return True


def _preview_preflight(name: str, spec: TemplateSpec, region: str | None) -> None:
    """What the template's targets would hit now, as progress lines and warnings: the preflight an
    ``Experiment`` makes before it starts, run early so a reviewer sees it in ``pulumi preview``. It
    never fails the preview (targets may be created by the same deployment); a run is refused later."""
    region = region or environment_region()
    if not region:
        return  # no AWS Region configured: there is no account to look at
    try:
        policy = preflight_policy()
    except PolicyUnavailable as err:
        progress(f"{name}: warning: preflight not run: {err}")
        return
    try:
        report = preflight(spec, account_clients(region), caps_of(policy), source="template")
    except Exception as err:  # a preview never fails on the preflight
        progress(f"{name}: warning: preflight could not run ({error_text(err)})")
        return
    for line in report.lines() if not report.error else []:
        progress(f"{name}: preflight: {line}")
    for refusal in report.refusals:
        progress(f"{name}: warning: preflight: {refusal}")
    if report.refused:
        progress(
            f"{name}: warning: an Experiment of this template would be refused now "
            f"(caps from the guardrail policy {policy.describe()})"
        )


class ExperimentTemplateProvider(FisProvider):
    """Create, update in place, tag, read back and delete FIS experiment templates (through
    ``chaos_pulumi.aws.templates``, which the Ansible modules use too)."""

    # ----- preview ---------------------------------------------------------------------------
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = dict(news)
        template = whole_numbers(news.get(_TEMPLATE))
        if is_unknown(template):
            return CheckResult(inputs, [])
        if not isinstance(template, Mapping):
            return CheckResult(
                inputs, [CheckFailure("", "template: expected a FIS experiment template (a mapping)")]
            )
        failures = [CheckFailure("", message) for message in self._input_problems(news)]
        unknown = unknown_paths(template)
        for problem in self._template_problems(template):
            if touches_unknown(problem.path, unknown):
                continue  # decided at `pulumi up`, once the value is known
            if problem.severity == "error":
                failures.append(CheckFailure("", str(problem)))
            else:
                progress(f"{short_name(news.get('resource_key'))}: warning: {problem}")
        if not unknown and not failures:
            # Canonical form in state: key order, defaults and set order never show up as a diff.
            spec = _spec(template)
            inputs[_TEMPLATE] = spec.to_dict()
            if spec.targets and _new_content(olds.get(_TEMPLATE), spec):
                _preview_preflight(short_name(news.get("resource_key")), spec, news.get("region"))
        return CheckResult(inputs, failures)

    @staticmethod
    def _input_problems(news: Mapping[str, Any]) -> list[str]:
        """Problems of the inputs other than the template."""
        problems = []
        for key in ("adopt_id", "region"):
            value = news.get(key)
            if value is None or is_unknown(value):
                continue
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{key}: expected a non-empty string, got {value!r}")
        return problems

    @staticmethod
    def _template_problems(template: Mapping[str, Any]) -> list[Any]:
        """Problems of the template (``Problem``s with field paths): what every front end checks."""
        from chaos_pulumi.spec import validate

        return validate(template)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old_template = olds.get(_TEMPLATE) or {}
        new_template = news.get(_TEMPLATE)
        replaces = []
        if _create_only_changed(old_template, new_template):
            replaces.append(_TEMPLATE)
        new_region = news.get("region")
        if not is_unknown(new_region):
            old_region = olds.get("region")
            wanted = new_region or environment_region()
            if old_region and wanted and wanted != old_region:
                replaces.append("region")
        if has_unknowns(new_template):
            return DiffResult(changes=True, replaces=replaces)
        # Both sides through the current canonical form, so a package upgrade alone never makes a diff.
        changed = _spec(old_template) != _spec(new_template or {})
        return DiffResult(changes=bool(changed or replaces), replaces=replaces, delete_before_replace=False)

    # ----- lifecycle -------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        desired = _spec(props[_TEMPLATE])
        client = fis(props.get("region"))
        region = client.meta.region_name
        name = short_name(props.get("resource_key"))
        adopt_id = props.get("adopt_id")
        try:
            if adopt_id:
                live = get_template(client, adopt_id)
                if live is None:
                    raise ProviderError(
                        f"adopt_id: experiment template {adopt_id!r} does not exist in {region}; "
                        "check the id and the region, or remove adopt_id to create a new template"
                    )
                progress(f"{name}: adopting experiment template {adopt_id}")
                stored = apply_template(client, live, plan_template(TemplateSpec.from_fis(live), desired))
            else:
                # The client token is derived from project/stack/name and the content: a create retried
                # after a crash gets the template the first attempt made.
                stored = create_template(client, desired, owner=str(props.get("resource_key")))
        except Exception as err:
            raise _failure(name, "creating the experiment template", err) from err
        return CreateResult(str(stored["id"]), self._outputs(props, stored, region))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        desired = _spec(news[_TEMPLATE])
        client = fis(olds.get("region") or news.get("region"))
        name = short_name(news.get("resource_key"))
        try:
            live = get_template(client, id_)
            if live is None:
                raise ProviderError(
                    f"{name}: experiment template {id_} no longer exists; run `pulumi refresh` and then "
                    "`pulumi up` to create it again"
                )
            stored = apply_template(client, live, plan_template(TemplateSpec.from_fis(live), desired))
        except Exception as err:
            raise _failure(name, f"updating experiment template {id_}", err) from err
        return UpdateResult(self._outputs(news, stored, client.meta.region_name))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = fis(props.get("region"))
        live = get_template(client, id_)
        if live is None:
            return ReadResult(id_="", outs={})  # deleted outside Pulumi: drop it, the next up recreates it
        outs = dict(props)
        outs[_TEMPLATE] = TemplateSpec.from_fis(live).to_dict()
        outs["arn"] = template_arn(live, client.meta.region_name, id_)
        outs["region"] = client.meta.region_name
        return ReadResult(id_, outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client = fis(props.get("region"))
        try:
            delete_template(client, id_)
        except Exception as err:
            name = short_name(props.get("resource_key"))
            raise _failure(name, f"deleting experiment template {id_}", err) from err

    # ----- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _outputs(props: Mapping[str, Any], stored: Mapping[str, Any], region: str) -> dict[str, Any]:
        """Outputs from the template as FIS stored it (already checked against the desired one)."""
        outs = {k: v for k, v in props.items() if k != "__provider"}
        outs[_TEMPLATE] = TemplateSpec.from_fis(stored).to_dict()
        outs["arn"] = template_arn(stored, region, str(stored["id"]))
        outs["region"] = region
        return outs


class ExperimentTemplate(Resource, module="fis", name="ExperimentTemplate"):
    """An AWS FIS experiment template, validated at ``pulumi preview`` and updated in place.

    Give the template as typed arguments, as a file (:meth:`from_file`), or as a ``template`` mapping in
    the FIS file format; typed arguments win over the same fields of ``template``, tags are merged.
    ``adopt_id`` takes over an existing template instead of creating one (``pulumi import`` does not work
    for dynamic resources). Credentials and region come from the standard AWS environment at run time.
    """

    arn: pulumi.Output[str]
    """The template's ARN."""
    template: pulumi.Output[dict]
    """The template as FIS holds it, in the canonical camelCase file format."""
    region: pulumi.Output[str]
    """The AWS region of the template."""

    def __init__(
        self,
        resource_name: str,
        *,
        description: pulumi.Input[str] | None = None,
        role_arn: pulumi.Input[str] | None = None,
        targets: Mapping[str, Target | Mapping[str, Any]] | None = None,
        actions: Mapping[str, Action | Mapping[str, Any]] | None = None,
        stop_conditions: Sequence[StopCondition | Mapping[str, Any]] | None = None,
        log_configuration: LogConfiguration | Mapping[str, Any] | None = None,
        experiment_options: ExperimentOptions | Mapping[str, Any] | None = None,
        report_configuration: ReportConfiguration | Mapping[str, Any] | None = None,
        tags: Mapping[str, pulumi.Input[str]] | None = None,
        template: Mapping[str, Any] | None = None,
        adopt_id: pulumi.Input[str] | None = None,
        region: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        document = dict(template or {})
        # The keyword names are TemplateSpec's field names: the field table maps them to FIS names.
        typed = TemplateSpec.document(
            description=description,
            role_arn=role_arn,
            targets=targets,
            actions=actions,
            stop_conditions=stop_conditions,
            log_configuration=log_configuration,
            experiment_options=experiment_options,
            report_configuration=report_configuration,
        )
        document.update(typed)
        if tags is not None:
            document["tags"] = {**dict(document.get("tags") or {}), **dict(tags)}
        props = {
            _TEMPLATE: document,
            "adopt_id": adopt_id,
            "region": region,
            "resource_key": f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}",
            "arn": None,
        }
        super().__init__(ExperimentTemplateProvider(), resource_name, props, opts)

    @classmethod
    def from_file(
        cls,
        resource_name: str,
        path: str | Path,
        *,
        role_arn: pulumi.Input[str] | None = None,
        description: pulumi.Input[str] | None = None,
        stop_conditions: Sequence[StopCondition | Mapping[str, Any]] | None = None,
        tags: Mapping[str, pulumi.Input[str]] | None = None,
        adopt_id: pulumi.Input[str] | None = None,
        region: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> ExperimentTemplate:
        """A template from a YAML or JSON file in the FIS file format (the one ``chaos-pulumi validate``
        checks); ``role_arn``, ``description`` and ``stop_conditions`` replace the file's, ``tags`` merge."""
        from chaos_pulumi.spec import load_file

        result = load_file(path)
        if result.data is None:
            reasons = "; ".join(str(p) for p in result.problems) or "not a FIS experiment template"
            raise pulumi.RunError(f"{resource_name}: cannot read {path}: {reasons}")
        # Validation problems of the content surface at preview, with their paths, from the provider.
        return cls(
            resource_name,
            template=result.data,
            role_arn=role_arn,
            description=description,
            stop_conditions=stop_conditions,
            tags=tags,
            adopt_id=adopt_id,
            region=region,
            opts=opts,
        )
