"""One Pulumi component per FIS scenario: the rendered ``ExperimentTemplate`` (and its role if none is given).

Every parameter left ``None`` takes the scenario's own default (data/fis-scenarios.yaml), so these
signatures carry names and types but never a second copy of a default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import pulumi

from chaos_pulumi import ExperimentTemplate
from chaos_pulumi.spec import TemplateSpec
from chaos_pulumi.spec.scenario_params import ScenarioError
from chaos_pulumi.spec.scenarios import RenderedScenario, render_scenario

from .role import ExperimentRole, user_error

_PLACEHOLDER_ROLE = "arn:aws:iam::000000000000:role/chaos-pulumi-placeholder"
_PLACEHOLDER_ALARM = "arn:aws:cloudwatch:us-east-1:000000000000:alarm:chaos-pulumi-placeholder-{}"


def render_with_inputs(
    scenario: str,
    parameters: Mapping[str, Any],
    role_arn: pulumi.Input[str] | None,
    stop_conditions: Sequence[pulumi.Input[str]],
) -> tuple[RenderedScenario, dict[str, Any]]:
    """Render with placeholders where Pulumi values are not known yet, then put the values back.

    Returns the pure rendering (for review, the role policy and schedules) and the template document
    for ``ExperimentTemplate`` holding the real role ARN and alarm ARNs (which may be Outputs).
    """
    stops = list(stop_conditions)
    given = {k: v for k, v in parameters.items() if v is not None}
    given["role_arn"] = role_arn if isinstance(role_arn, str) else _PLACEHOLDER_ROLE
    given["stop_conditions"] = [
        s if isinstance(s, str) else _PLACEHOLDER_ALARM.format(i) for i, s in enumerate(stops)
    ]
    rendered = render_scenario(scenario, given)
    document = rendered.to_dict()
    if role_arn is not None:
        document["roleArn"] = role_arn
    if stops:
        document["stopConditions"] = [{"source": "aws:cloudwatch:alarm", "value": s} for s in stops]
    return rendered, document


_NOT_PARAMETERS = frozenset({"self", "__class__", "resource_name", "role_arn", "stop_conditions", "opts"})


class ScenarioComponent(pulumi.ComponentResource):
    """Base of the scenario components; subclasses name the scenario and declare typed parameters."""

    scenario: ClassVar[str]

    template_id: pulumi.Output[str]
    """The experiment template's id (what StartExperiment and ChaosSchedule take)."""
    template_arn: pulumi.Output[str]
    actions: pulumi.Output[dict]
    """Action name -> FIS action id, as included."""
    sub_actions: pulumi.Output[list]
    role_arn: pulumi.Output[str]

    def _build(self, arguments: dict[str, Any]) -> None:
        """Register the template (and a role when none is given) from a subclass constructor's
        ``locals()``: its keyword arguments other than the common ones are the scenario's parameters."""
        parameters = {k: v for k, v in arguments.items() if k not in _NOT_PARAMETERS}
        resource_name, role_arn = arguments["resource_name"], arguments["role_arn"]
        stop_conditions, opts = arguments["stop_conditions"], arguments["opts"]
        super().__init__(f"chaos-pulumi:scenarios:{type(self).__name__}", resource_name, {}, opts)
        try:
            self.rendered, document = render_with_inputs(
                self.scenario, parameters, role_arn, stop_conditions or ()
            )
        except ScenarioError as e:
            raise user_error(f"{type(self).__name__} {resource_name}", e.problems) from None
        child = pulumi.ResourceOptions(parent=self)
        self.role: ExperimentRole | None = None
        if role_arn is None:
            self.role = ExperimentRole(f"{resource_name}-role", templates=[self.rendered.spec], opts=child)
            document["roleArn"] = self.role.arn
        self.template = ExperimentTemplate(f"{resource_name}-template", template=document, opts=child)
        self.template_id = self.template.id
        self.template_arn = self.template.arn
        self.actions = pulumi.Output.from_input(self.rendered.actions)
        self.sub_actions = pulumi.Output.from_input(list(self.rendered.sub_actions))
        self.role_arn = pulumi.Output.from_input(document["roleArn"])
        self.register_outputs(
            {
                "template_id": self.template_id,
                "template_arn": self.template_arn,
                "actions": self.actions,
                "sub_actions": self.sub_actions,
                "role_arn": self.role_arn,
            }
        )

    @property
    def spec(self) -> TemplateSpec:
        """The rendered template (placeholders for values not known yet), for reviews and schedules."""
        return self.rendered.spec


class AzPowerInterruption(ScenarioComponent):
    """AZ Availability: Power Interruption (FIS scenario library) as an experiment template."""

    scenario = "az-power-interruption"

    def __init__(
        self,
        resource_name: str,
        *,
        availability_zone: str,
        role_arn: pulumi.Input[str] | None = None,
        stop_conditions: Sequence[pulumi.Input[str]] | None = None,
        waiver: str | None = None,
        interruption_duration: str | None = None,
        recovery_duration: str | None = None,
        network_disruption_duration: str | None = None,
        iam_roles: Sequence[str] | None = None,
        tag_key: str | None = None,
        tag_value: str | None = None,
        include: Sequence[str] | None = None,
        target_tags: Mapping[str, Mapping[str, str]] | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        log_group_arn: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._build(locals())


class AzApplicationSlowdown(ScenarioComponent):
    """AZ: Application Slowdown (FIS scenario library) as an experiment template."""

    scenario = "az-application-slowdown"

    def __init__(
        self,
        resource_name: str,
        *,
        availability_zone: str,
        role_arn: pulumi.Input[str] | None = None,
        stop_conditions: Sequence[pulumi.Input[str]] | None = None,
        waiver: str | None = None,
        region: str | None = None,
        delay_milliseconds: int | None = None,
        flows_percent: int | None = None,
        duration: str | None = None,
        tag_key: str | None = None,
        tag_value: str | None = None,
        eks_cluster: str | None = None,
        eks_namespace: str | None = None,
        eks_service_account: str | None = None,
        include: Sequence[str] | None = None,
        target_tags: Mapping[str, Mapping[str, str]] | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        log_group_arn: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._build(locals())


class CrossAzTrafficSlowdown(ScenarioComponent):
    """Cross-AZ: Traffic Slowdown (FIS scenario library) as an experiment template."""

    scenario = "cross-az-traffic-slowdown"

    def __init__(
        self,
        resource_name: str,
        *,
        availability_zone: str,
        other_availability_zones: Sequence[str],
        role_arn: pulumi.Input[str] | None = None,
        stop_conditions: Sequence[pulumi.Input[str]] | None = None,
        waiver: str | None = None,
        region: str | None = None,
        loss_percent: int | None = None,
        flows_percent: int | None = None,
        duration: str | None = None,
        tag_key: str | None = None,
        tag_value: str | None = None,
        eks_cluster: str | None = None,
        eks_namespace: str | None = None,
        eks_service_account: str | None = None,
        include: Sequence[str] | None = None,
        target_tags: Mapping[str, Mapping[str, str]] | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        log_group_arn: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._build(locals())


class CrossRegionConnectivity(ScenarioComponent):
    """Cross-Region: Connectivity (FIS scenario library) as an experiment template."""

    scenario = "cross-region-connectivity"

    def __init__(
        self,
        resource_name: str,
        *,
        destination_region: str,
        role_arn: pulumi.Input[str] | None = None,
        stop_conditions: Sequence[pulumi.Input[str]] | None = None,
        waiver: str | None = None,
        duration: str | None = None,
        include: Sequence[str] | None = None,
        target_tags: Mapping[str, Mapping[str, str]] | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        log_group_arn: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._build(locals())
