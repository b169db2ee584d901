"""A template that breaks the guardrail policy: ``pulumi preview --policy-pack "$(chaos-pulumi policy-pack)"``
fails on it, naming each rule and field.

"Stop every web instance", with nothing to stop the experiment early: ``ALL`` on a target chosen by
tags (the safe defaults allow ``ALL`` only on listed ARNs, since nothing bounds how many instances
carry a tag) and no CloudWatch alarm as a stop condition. It is a valid FIS template, so without the
pack the preview passes; with it, both rules are mandatory violations. To comply: ``COUNT(1)`` (or
``PERCENT(p)`` with p <= 50) and an alarm, or a visible waiver tag
(``chaos:waiver: "stop_condition_required, max_selection: <reason>"``).
"""

import pulumi

from chaos_pulumi import Action, ExperimentTemplate, Filter, StopCondition, Target

role_arn = pulumi.Config().get("roleArn") or "arn:aws:iam::123456789012:role/chaos-fis-experiments"

ExperimentTemplate(
    "stop-every-web",
    description="Stop every web instance for five minutes",
    role_arn=role_arn,
    targets={
        "web": Target(
            resource_type="aws:ec2:instance",
            resource_tags={"app": "web"},
            filters=[Filter(path="State.Name", values=["running"])],
            selection_mode="ALL",
        )
    },
    actions={
        "stop": Action(
            action_id="aws:ec2:stop-instances",
            parameters={"startInstancesAfterDuration": "PT5M"},
            targets={"Instances": "web"},
        )
    },
    stop_conditions=[StopCondition(source="none")],
    tags={"team": "sre"},
)
