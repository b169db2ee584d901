"""Two ExperimentTemplates: a typed one whose shape comes from settings.json, and one from a file.

The role ARN is the output of another resource, so at the first preview it is unknown: the provider
must validate everything else and leave the role for `up`.
"""

import json
from pathlib import Path

import pulumi

from chaos_pulumi import (
    Action,
    ExperimentOptions,
    ExperimentTemplate,
    Filter,
    LogConfiguration,
    StopCondition,
    Target,
)
from chaos_pulumi.noop import NoopResource

settings = json.loads(Path("settings.json").read_text())
role = NoopResource("role", value=settings["role_arn"])
# Known only once the role resource exists (its id is made at create): unknown during the first preview.
role_arn = role.id.apply(lambda _: settings["role_arn"])

all_actions = {
    "stop": Action(
        action_id="aws:ec2:stop-instances",
        description="Stop one web instance",
        parameters={"startInstancesAfterDuration": settings.get("restart_after", "PT5M")},
        targets={"Instances": "web"},
    ),
    "pause": Action(action_id="aws:fis:wait", parameters={"duration": "PT1M"}, start_after=["stop"]),
}
actions = {name: all_actions[name] for name in settings["actions"]}

web = ExperimentTemplate(
    "web",
    description=settings["description"],
    role_arn=role_arn,
    targets={
        "web": Target(
            resource_type="aws:ec2:instance",
            resource_tags={"app": "web"},
            filters=[Filter(path="State.Name", values=["running"])],
            selection_mode="COUNT(1)",
        )
    }
    if "stop" in actions
    else {},
    actions=actions,
    stop_conditions=[StopCondition(source="aws:cloudwatch:alarm", value=settings["alarm_arn"])],
    log_configuration=LogConfiguration(
        cloudwatch_logs_log_group_arn="arn:aws:logs:us-east-1:123456789012:log-group:/chaos/fis:*"
    ),
    experiment_options=ExperimentOptions(account_targeting=settings.get("account_targeting")),
    tags=settings["tags"],
)
from_file = ExperimentTemplate.from_file("from-file", "experiment.yaml", role_arn=role_arn)

pulumi.export("web_id", web.id)
pulumi.export("web_arn", web.arn)
pulumi.export("web_template", web.template)
pulumi.export("file_id", from_file.id)
