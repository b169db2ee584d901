"""chaos-pulumi quickstart: two FIS experiment templates and one experiment run.

- ``stop-one-web``: a template written with the typed Python API;
- ``from-file``: the same kind of template from ``../experiments/ec2-stop-one-instance.yaml``;
- ``gameday``: a run of ``stop-one-web`` that ``pulumi up`` waits for.

The run defaults to ``actionsMode: skip-all``, FIS's dry run (targets resolved, nothing injected). Set
``pulumi config set actionsMode run-all`` to inject for real, and change ``trigger`` to run again.
Before it starts, the blast-radius preflight resolves the target in the account (running instances
tagged app=web) and refuses to start when none match or more than the guardrail policy allows; the
outputs show what it expected and what FIS resolved.
Credentials and region come from the standard AWS environment; ``make demo`` points it at a local
moto server, so nothing here needs an AWS account.
"""

from pathlib import Path

import pulumi

from chaos_pulumi import Action, Experiment, ExperimentTemplate, Filter, StopCondition, Target

config = pulumi.Config()
role_arn = config.get("roleArn") or "arn:aws:iam::123456789012:role/chaos-fis-experiments"
alarm_arn = config.get("alarmArn") or "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-alb-5xx-high"

typed = ExperimentTemplate(
    "stop-one-web",
    description="Stop one web instance for five minutes",
    role_arn=role_arn,
    targets={
        "web": Target(
            resource_type="aws:ec2:instance",
            resource_tags={"app": "web"},
            filters=[Filter(path="State.Name", values=["running"])],
            selection_mode="COUNT(1)",
        )
    },
    actions={
        "stop": Action(
            action_id="aws:ec2:stop-instances",
            parameters={"startInstancesAfterDuration": "PT5M"},
            targets={"Instances": "web"},
        )
    },
    stop_conditions=[StopCondition(source="aws:cloudwatch:alarm", value=alarm_arn)],
    tags={"team": "sre"},
)

from_file = ExperimentTemplate.from_file(
    "from-file",
    Path(__file__).parent.parent / "experiments" / "ec2-stop-one-instance.yaml",
    role_arn=role_arn,
)

run = Experiment(
    "gameday",
    template_id=typed.id,
    trigger=config.get("trigger") or "first-run",
    wait=True,
    timeout="PT30M",
    actions_mode=config.get("actionsMode") or "skip-all",
)

pulumi.export("typed_template_id", typed.id)
pulumi.export("typed_template_arn", typed.arn)
pulumi.export("file_template_id", from_file.id)
pulumi.export("file_template_description", from_file.template["description"])
pulumi.export("experiment_id", run.experiment_id)
pulumi.export("experiment_status", run.status)
pulumi.export("experiment_reason", run.reason)
pulumi.export("experiment_actions", run.actions)
# What the preflight expected each target to hit (its whole report: run.preflight_report), and what FIS
# resolved (moto resolves only targets that list ARNs).
expected = run.preflight_report.apply(lambda report: {t["name"]: t["summary"] for t in report["targets"]})
pulumi.export("experiment_preflight", expected)
pulumi.export("experiment_resolved_targets", run.resolved_targets)
