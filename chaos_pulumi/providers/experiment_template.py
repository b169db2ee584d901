"""``ExperimentTemplate``: a FIS experiment template as a Pulumi resource.

State of one template (inputs and outputs share the keys):

- ``template``: the template in the canonical camelCase file format (``TemplateSpec.to_dict()``); as an
  input the desired one, as an output the one read back from FIS, so drift shows as a diff;
- ``arn``, ``region``: where it lives (region recorded at create, so destroy finds it later);
- ``adopt_id``: an existing template id to take over instead of creating one (used at create only);
- ``resource_key``: ``project/stack/name``, the seed of the create client token.
"""

from __future__ import annotations

import dataclasses
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

from chaos_pulumi.providers.base import (
    FisProvider,
    ProviderError,
    aws_error_text,
    client_token,
    environment_region,
    fis,
    has_unknowns,
    is_not_found,
    is_unknown,
    progress,
    short_name,
    touches_unknown,
    unknown_paths,
    update_tags,
    whole_numbers,
)
from chaos_pulumi.resources import (
    Action,
    ExperimentOptions,
    LogConfiguration,
    ReportConfiguration,
    StopCondition,
    Target,
    template_document,
)

# Input keys the provider reads; anything else in the state (outputs, __provider) never makes a diff.
_TEMPLATE = "template"


def _spec(data: Mapping[str, Any]) -> Any:
    from chaos_pulumi.spec import TemplateSpec

    return TemplateSpec.from_dict(data)


def _without_tags(spec: Any) -> Any:
    return dataclasses.replace(spec, tags={})


def _account_targeting(template: Any) -> str | None:
    """The template's accountTargeting, or None while it is not known yet."""
    if is_unknown(template):
        return None
    options = template.get("experimentOptions") if isinstance(template, Mapping) else None
    value = options.get("accountTargeting") if isinstance(options, Mapping) else None
    if is_unknown(options) or is_unknown(value):
        return None
    return value or "single-account"


def _template_arn(live: Mapping[str, Any], region: str, template_id: str) -> str:
    return str(live.get("arn") or f"arn:aws:fis:{region}::experiment-template/{template_id}")


class ExperimentTemplateProvider(FisProvider):
    """Create, update in place, tag, read back and delete FIS experiment templates."""

    # ----- preview ---------------------------------------------------------------------------
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        from chaos_pulumi.spec import validate

        inputs = dict(news)
        template = whole_numbers(news.get(_TEMPLATE))
        if is_unknown(template):
            return CheckResult(inputs, [])
        if not isinstance(template, Mapping):
            return CheckResult(
                inputs, [CheckFailure("", "template: expected a FIS experiment template (a mapping)")]
            )
        failures = []
        for key in ("adopt_id", "region"):
            value = news.get(key)
            if value is None or is_unknown(value):
                continue
            if not isinstance(value, str) or not value.strip():
                failures.append(CheckFailure("", f"{key}: expected a non-empty string, got {value!r}"))
        unknown = unknown_paths(template)
        for problem in validate(template):
            if touches_unknown(problem.path, unknown):
                continue  # decided at `pulumi up`, once the value is known
            if problem.severity == "error":
                failures.append(CheckFailure("", str(problem)))
            else:
                progress(f"{short_name(news.get('resource_key'))}: warning: {problem}")
        if not unknown and not failures:
            # Canonical form in state: key order, defaults and set order never show up as a diff.
            inputs[_TEMPLATE] = _spec(template).to_dict()
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old_template = olds.get(_TEMPLATE) or {}
        new_template = news.get(_TEMPLATE)
        replaces = []
        new_targeting = _account_targeting(new_template)
        if new_targeting is not None and new_targeting != _account_targeting(old_template):
            replaces.append(_TEMPLATE)  # FIS cannot change accountTargeting in place
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
                template_id = adopt_id
                live = self._get(client, template_id)
                if live is None:
                    raise ProviderError(
                        f"adopt_id: experiment template {template_id!r} does not exist in {region}; "
                        "check the id and the region, or remove adopt_id to create a new template"
                    )
                progress(f"{name}: adopting experiment template {template_id}")
                self._apply(client, template_id, live, desired)
                written = None  # read it again below, after the update
            else:
                request = desired.to_create_request()
                token = client_token(props.get("resource_key"), request)
                resp = client.create_experiment_template(**desired.to_create_request(client_token=token))
                template_id = resp["experimentTemplate"]["id"]
                written = self._get(client, template_id)
                if written is None:
                    # The token named a template deleted since; a fresh token makes a new one.
                    token = client_token(props.get("resource_key"), request, "recreate")
                    resp = client.create_experiment_template(**desired.to_create_request(client_token=token))
                    template_id = resp["experimentTemplate"]["id"]
        except ProviderError:
            raise
        except Exception as err:
            raise ProviderError(
                f"{name}: creating the experiment template failed: {aws_error_text(err)}"
            ) from err
        return CreateResult(template_id, self._outputs(client, template_id, props, desired, region, written))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        desired = _spec(news[_TEMPLATE])
        region = olds.get("region") or news.get("region")
        client = fis(region)
        name = short_name(news.get("resource_key"))
        try:
            live = self._get(client, id_)
            if live is None:
                raise ProviderError(
                    f"{name}: experiment template {id_} no longer exists; run `pulumi refresh` and then "
                    "`pulumi up` to create it again"
                )
            self._apply(client, id_, live, desired)
        except ProviderError:
            raise
        except Exception as err:
            raise ProviderError(
                f"{name}: updating experiment template {id_} failed: {aws_error_text(err)}"
            ) from err
        return UpdateResult(self._outputs(client, id_, news, desired, client.meta.region_name))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = fis(props.get("region"))
        live = self._get(client, id_)
        if live is None:
            return ReadResult(id_="", outs={})  # deleted outside Pulumi: drop it, the next up recreates it
        from chaos_pulumi.spec import TemplateSpec

        outs = dict(props)
        outs[_TEMPLATE] = TemplateSpec.from_fis(live).to_dict()
        outs["arn"] = _template_arn(live, client.meta.region_name, id_)
        outs["region"] = client.meta.region_name
        return ReadResult(id_, outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client = fis(props.get("region"))
        try:
            client.delete_experiment_template(id=id_)
        except Exception as err:
            if is_not_found(err):
                return  # already gone: that is what delete wants
            name = short_name(props.get("resource_key"))
            raise ProviderError(
                f"{name}: deleting experiment template {id_} failed: {aws_error_text(err)}"
            ) from err

    # ----- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _get(client: Any, template_id: str) -> dict[str, Any] | None:
        try:
            return client.get_experiment_template(id=template_id)["experimentTemplate"]
        except Exception as err:
            if is_not_found(err):
                return None
            raise

    @staticmethod
    def _apply(client: Any, template_id: str, live: Mapping[str, Any], desired: Any) -> None:
        """Make the live template equal ``desired``: one update for the content, tag calls for the tags."""
        from chaos_pulumi.spec import TemplateSpec

        current = TemplateSpec.from_fis(live)
        if _without_tags(current) != _without_tags(desired):
            client.update_experiment_template(**desired.to_update_request(template_id))
        arn = _template_arn(live, client.meta.region_name, template_id)
        update_tags(client, arn, current.tags, desired.tags)

    def _outputs(
        self,
        client: Any,
        template_id: str,
        props: Mapping[str, Any],
        desired: Any,
        region: str,
        live: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Outputs from the template as FIS holds it (``live``, or read now), checked against ``desired``."""
        from chaos_pulumi.spec import TemplateSpec

        live = live if live is not None else self._get(client, template_id)
        if live is None:
            raise ProviderError(f"experiment template {template_id} vanished right after it was written")
        actual = TemplateSpec.from_fis(live)
        if actual != desired:
            wanted, got = desired.to_dict(), actual.to_dict()
            fields = sorted(k for k in set(wanted) | set(got) if wanted.get(k) != got.get(k))
            raise ProviderError(
                f"{short_name(props.get('resource_key'))}: FIS did not apply {', '.join(fields)} to "
                f"experiment template {template_id} (read back after writing); "
                "run `pulumi up --replace` on this resource"
            )
        outs = {k: v for k, v in props.items() if k != "__provider"}
        outs[_TEMPLATE] = actual.to_dict()
        outs["arn"] = _template_arn(live, region, template_id)
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
        typed = template_document(
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
