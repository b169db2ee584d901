"""A template and a run of it that `pulumi up` waits for; settings.json sets the trigger and options."""

import json
from pathlib import Path

import pulumi

from chaos_pulumi import Action, Experiment, ExperimentTemplate, StopCondition

settings = json.loads(Path("settings.json").read_text())

tpl = ExperimentTemplate(
    "pause",
    description="Wait one minute",
    role_arn="arn:aws:iam::123456789012:role/chaos-fis-experiments",
    actions={"pause": Action(action_id="aws:fis:wait", parameters={"duration": "PT1M"})},
    stop_conditions=[StopCondition(source="none")],
)
run = Experiment(
    "gameday",
    template_id=tpl.id,
    trigger=settings["trigger"],
    wait=settings.get("wait", True),
    timeout=settings.get("timeout", "PT5M"),
    fail_on=settings.get("fail_on", ["failed", "stopped", "cancelled"]),
    actions_mode=settings.get("actions_mode", "run-all"),
)

pulumi.export("template_id", tpl.id)
pulumi.export("experiment_id", run.experiment_id)
pulumi.export("status", run.status)
pulumi.export("reason", run.reason)
pulumi.export("actions", run.actions)
pulumi.export("start_time", run.start_time)
pulumi.export("end_time", run.end_time)
