#!/usr/bin/python

# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)


DOCUMENTATION = r"""
module: fis_schedule
version_added: 0.2.0
short_description: Start an AWS FIS experiment template on a schedule, or Chaos Monkey style
description:
  - Manages EventBridge Scheduler schedules whose target is FIS C(StartExperiment) (the universal
    target C(arn:aws:scheduler:::aws-sdk:fis:startExperiment)), in a schedule group of their own.
  - Either a plain O(schedule_expression) (C(cron) or C(rate)) in a O(timezone), or Chaos Monkey mode
    (O(chaos_monkey)) - random runs on about one allowed day in O(chaos_monkey.mean_days_between_runs),
    inside a daily window, never on quiet dates, at least O(chaos_monkey.min_gap) apart. The run times
    over the horizon are planned from a seed and created as one-time C(at(...)) schedules, so
    C(--check --diff) shows them before anything exists. Planning is deterministic per day, so running
    the playbook again on a later day keeps every time already planned and only rolls the horizon.
  - Runs never overlap - O(chaos_monkey.min_gap) must be at least the template's maximum duration
    (its longest C(startAfter) path, read from the template) and each run ends inside its window.
  - Every start is tried once (no retries) and dropped if it cannot fire within five minutes.
  - The schedule group carries the tag C(chaos-pulumi:schedule); chaos-pulumi's kill switch disables
    every schedule in such groups.
  - The same planner and request shapes as chaos-pulumi's C(ChaosSchedule) Pulumi component.
  - Runs where boto3 and the C(chaos-pulumi) Python package are installed, usually the controller.
author:
  - chaos-pulumi contributors (@chaos-pulumi)
options:
  name:
    description:
      - Name of the schedule. Chaos Monkey runs are named C(<name>-<UTC time>), e.g. C(web-20261201T1023Z).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the schedules; runs no longer planned are deleted.
      - V(absent) deletes the schedules and the group if it holds nothing else.
    type: str
    choices: ['present', 'absent']
    default: present
  group_name:
    description: The schedule group. Defaults to O(name).
    type: str
  template_id:
    description:
      - ID of the FIS experiment template to start. Mutually exclusive with O(template_name).
    type: str
  template_name:
    description:
      - The template's V(Name) tag (as set by M(chaos.faults.fis_experiment_template)).
    type: str
  role_arn:
    description:
      - The role EventBridge Scheduler assumes to call C(fis:StartExperiment); allow it on this one
        template only (see the example playbook).
      - Required when O(state=present).
    type: str
  schedule_expression:
    description:
      - A plain schedule, C(cron(0 10 ? * TUE *)) or C(rate(7 days)). Mutually exclusive with O(chaos_monkey).
    type: str
  timezone:
    description: IANA time zone of O(schedule_expression) and of the Chaos Monkey window.
    type: str
    default: UTC
  chaos_monkey:
    description: Chaos Monkey mode. Mutually exclusive with O(schedule_expression).
    type: dict
    suboptions:
      mean_days_between_runs:
        description: On average one run per this many allowed days (at least 1).
        type: float
        default: 2.0
      min_gap:
        description: Minimum time between two runs (ISO 8601), at least the template's maximum duration.
        type: str
        default: P1D
      window:
        description: Daily window, C(HH:MM-HH:MM) in O(timezone); a run starts and ends inside it.
        type: str
        default: "09:00-15:00"
      weekdays:
        description: Allowed days, e.g. C(MON-FRI) or C(MON,WED,FRI).
        type: str
        default: MON-FRI
      quiet_dates:
        description: Dates (YYYY-MM-DD, in O(timezone)) without runs.
        type: list
        elements: str
        default: []
      horizon_days:
        description: How many days ahead to plan.
        type: int
        default: 14
      seed:
        description: The seed of the plan; defaults to O(name). The same seed plans the same times.
        type: str
  max_duration:
    description:
      - The template's maximum duration (ISO 8601), for the overlap check. Read from the template when
        not given.
    type: str
  leashed:
    description: Start experiments with C(actionsMode=skip-all) - targets resolved, nothing injected.
    type: bool
    default: false
  enabled:
    description: Create the schedules enabled.
    type: bool
    default: true
  now:
    description:
      - Plan as if it were this time (ISO 8601 with an offset), to preview another day. Defaults to now.
    type: str
requirements:
  - python >= 3.11
  - boto3
  - chaos-pulumi
attributes:
  check_mode:
    support: full
    description: Plans the runs and reports what would change, without any write call.
  diff_mode:
    support: full
    description: Shows the schedules before and after.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Every Tuesday at 10:00 Berlin time
  chaos.faults.fis_schedule:
    name: checkout-weekly
    template_name: checkout-latency
    role_arn: "arn:aws:iam::123456789012:role/chaos-scheduler"
    schedule_expression: "cron(0 10 ? * TUE *)"
    timezone: Europe/Berlin

- name: Chaos Monkey - about one working day in three, 10:00-15:00, leashed first
  chaos.faults.fis_schedule:
    name: checkout-monkey
    template_name: checkout-latency
    role_arn: "arn:aws:iam::123456789012:role/chaos-scheduler"
    timezone: Europe/Berlin
    chaos_monkey:
      mean_days_between_runs: 3
      window: "10:00-15:00"
      quiet_dates: ["2026-12-24", "2026-12-31"]
    leashed: true

- name: Remove the schedules
  chaos.faults.fis_schedule:
    name: checkout-monkey
    state: absent
"""

RETURN = r"""
group_name:
  description: The schedule group.
  type: str
  returned: always
  sample: checkout-monkey
planned_runs:
  description: Chaos Monkey run times (UTC, ISO 8601), in order; empty for a plain schedule.
  type: list
  elements: str
  returned: always
  sample: ["2026-12-02T10:43:00+00:00", "2026-12-07T12:08:00+00:00"]
schedules:
  description: The schedules after the change (in check mode, as they would be).
  type: list
  elements: dict
  returned: always
  contains:
    name:
      description: Schedule name.
      type: str
    schedule_expression:
      description: C(cron), C(rate) or C(at) expression.
      type: str
    schedule_expression_timezone:
      description: Its time zone.
      type: str
    state:
      description: V(ENABLED) or V(DISABLED).
      type: str
    description:
      description: What the schedule does, with the local run time for Chaos Monkey runs.
      type: str
"""

import json
from dataclasses import replace
from datetime import datetime, timezone

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # Handled by AnsibleAWSModule

try:
    from chaos_pulumi.aws.templates import get_template
    from chaos_pulumi.spec import TemplateSpec
    from chaos_pulumi.spec.durations import parse_duration
    from chaos_pulumi.spec.explain import timeline
    from chaos_pulumi.spec.schedules import (
        SCHEDULE_TAG,
        ScheduleError,
        StartExperimentTarget,
        check_expression,
        is_own_schedule,
        monkey_settings,
        plan_runs,
        schedule_entries,
    )
except ImportError:
    pass  # Handled by require_chaos_pulumi()

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.chaos.faults.plugins.module_utils._fis import (
    find_template,
    fis_client,
    problem_text,
    require_chaos_pulumi,
)

_COMPARED = ("ScheduleExpression", "ScheduleExpressionTimezone", "FlexibleTimeWindow", "Description", "State")


def _not_found(error):
    return error.response.get("Error", {}).get("Code") == "ResourceNotFoundException"


def _summary(schedule):
    return dict(
        name=schedule["Name"],
        schedule_expression=schedule["ScheduleExpression"],
        schedule_expression_timezone=schedule.get("ScheduleExpressionTimezone", "UTC"),
        state=schedule.get("State", "ENABLED"),
        description=schedule.get("Description", ""),
    )


def _same(live, wanted):
    """Whether a live schedule (GetSchedule) already is the wanted request."""
    if any(live.get(k) != wanted[k] for k in _COMPARED):
        return False
    have, want = live.get("Target") or {}, wanted["Target"]
    try:
        same_input = json.loads(have.get("Input") or "null") == json.loads(want["Input"])
    except ValueError:
        same_input = False
    return (
        same_input
        and have.get("Arn") == want["Arn"]
        and have.get("RoleArn") == want["RoleArn"]
        and have.get("RetryPolicy") == want["RetryPolicy"]
    )


def _own_schedules(client, group, name):
    """The live schedules of this chaos schedule in the group, by name (GetSchedule shape)."""
    found = {}
    try:
        paginator = client.get_paginator("list_schedules")
        for page in paginator.paginate(GroupName=group, NamePrefix=name):
            for item in page.get("Schedules", []):
                if is_own_schedule(name, item["Name"]):
                    found[item["Name"]] = client.get_schedule(
                        Name=item["Name"], GroupName=group, aws_retry=True
                    )
    except ClientError as e:
        if not _not_found(e):
            raise
    return found


def _group(client, group):
    try:
        return client.get_schedule_group(Name=group, aws_retry=True)
    except ClientError as e:
        if _not_found(e):
            return None
        raise


def _template(module, client_fis):
    """(template id, maximum duration in seconds) of the template to start."""
    params = module.params
    if params["template_name"]:
        template = find_template(module, client_fis, params["template_name"])
        if template is None:
            module.fail_json(
                msg=f"template_name: no FIS experiment template has the tag Name={params['template_name']}"
            )
    else:
        template = get_template(client_fis, params["template_id"])
        if template is None:
            module.fail_json(msg=f"template_id: no FIS experiment template {params['template_id']}")
    return template["id"], timeline(TemplateSpec.from_fis(template)).total_seconds


def _desired(module, template_id, run_seconds):
    params = module.params
    name = params["name"]
    cm = params["chaos_monkey"]
    try:
        if params["max_duration"]:
            seconds = parse_duration(params["max_duration"])
            if seconds is None:
                module.fail_json(
                    msg=f"max_duration: '{params['max_duration']}' is not an ISO-8601 duration, e.g. PT1H"
                )
            run_seconds = seconds
        runs = []
        if params["schedule_expression"]:
            check_expression(params["schedule_expression"])
            monkey_settings(seed=name, timezone=params["timezone"])
        else:
            settings = monkey_settings(
                seed=cm["seed"] or name,
                mean_days_between_runs=cm["mean_days_between_runs"],
                min_gap=cm["min_gap"],
                window=cm["window"],
                weekdays=cm["weekdays"],
                timezone=params["timezone"],
                quiet_dates=cm["quiet_dates"],
                horizon_days=cm["horizon_days"],
                run_seconds=run_seconds,
            )
            now = datetime.now(timezone.utc)  # noqa: UP017 - modules compile for Python 3.8 (tests/config.yml)
            if params["now"]:
                try:
                    now = datetime.fromisoformat(params["now"])
                except ValueError:
                    module.fail_json(
                        msg=f"now: '{params['now']}' is not an ISO 8601 time, e.g. 2026-12-01T06:00:00+00:00"
                    )
                if now.tzinfo is None:
                    module.fail_json(msg="now: give an offset, e.g. 2026-12-01T06:00:00+00:00")
            runs = plan_runs(settings, now)
    except ScheduleError as e:
        module.fail_json(msg="invalid schedule:\n" + problem_text([_option_path(p) for p in e.problems]))
    entries = schedule_entries(
        name,
        schedule_expression=params["schedule_expression"],
        runs=runs,
        timezone=params["timezone"],
        leashed=params["leashed"],
        enabled=params["enabled"],
    )
    target = StartExperimentTarget(template_id, params["role_arn"], params["leashed"], {SCHEDULE_TAG: name})
    group = params["group_name"] or name
    return {e.name: e.request(group, target) for e in entries}, runs


def _option_path(problem):
    """The planner's field names are this module's chaos_monkey suboptions."""
    if problem.path in ("schedule_expression", "timezone", "max_duration", "seed"):
        return problem
    return replace(problem, path=f"chaos_monkey.{problem.path}")


def ensure_present(module, client, client_fis):
    params = module.params
    name = params["name"]
    group = params["group_name"] or name
    template_id, run_seconds = _template(module, client_fis)
    wanted, runs = _desired(module, template_id, run_seconds)
    live = _own_schedules(client, group, name)
    changed = False
    group_info = _group(client, group)
    if group_info is None:
        changed = True
        if not module.check_mode:
            client.create_schedule_group(
                Name=group, Tags=[{"Key": SCHEDULE_TAG, "Value": name}], aws_retry=True
            )
            group_info = _group(client, group)
    else:
        tags = client.list_tags_for_resource(ResourceArn=group_info["Arn"], aws_retry=True).get("Tags", [])
        if {"Key": SCHEDULE_TAG, "Value": name} not in tags:
            changed = True
            if not module.check_mode:
                client.tag_resource(
                    ResourceArn=group_info["Arn"], Tags=[{"Key": SCHEDULE_TAG, "Value": name}], aws_retry=True
                )
    for sched_name in sorted(set(live) - set(wanted)):
        changed = True
        if not module.check_mode:
            try:
                client.delete_schedule(Name=sched_name, GroupName=group, aws_retry=True)
            except ClientError as e:
                if not _not_found(e):
                    raise
    for sched_name, request in wanted.items():
        current = live.get(sched_name)
        if current is not None and _same(current, request):
            continue
        changed = True
        if module.check_mode:
            continue
        if current is None:
            client.create_schedule(aws_retry=True, **request)
        else:
            client.update_schedule(aws_retry=True, **request)
    before = [_summary(live[n]) for n in sorted(live)]
    after = [_summary(wanted[n]) for n in sorted(wanted)]
    return dict(
        changed=changed,
        group_name=group,
        planned_runs=[r.start.isoformat() for r in runs],
        schedules=after,
        diff=dict(before=dict(schedules=before), after=dict(schedules=after)),
    )


def ensure_absent(module, client):
    name = module.params["name"]
    group = module.params["group_name"] or name
    live = _own_schedules(client, group, name)
    changed = bool(live)
    if not module.check_mode:
        for sched_name in sorted(live):
            try:
                client.delete_schedule(Name=sched_name, GroupName=group, aws_retry=True)
            except ClientError as e:
                if not _not_found(e):
                    raise
    info = _group(client, group)
    if info is not None:
        tags = client.list_tags_for_resource(ResourceArn=info["Arn"], aws_retry=True).get("Tags", [])
        others = [
            s for s in client.list_schedules(GroupName=group).get("Schedules", []) if s["Name"] not in live
        ]
        if {"Key": SCHEDULE_TAG, "Value": name} in tags and not others:
            changed = True
            if not module.check_mode:
                try:
                    client.delete_schedule_group(Name=group, aws_retry=True)
                except ClientError as e:
                    if not _not_found(e):
                        raise
    before = [_summary(live[n]) for n in sorted(live)]
    return dict(
        changed=changed,
        group_name=group,
        planned_runs=[],
        schedules=[],
        diff=dict(before=dict(schedules=before), after=dict(schedules=[])),
    )


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        group_name=dict(type="str"),
        template_id=dict(type="str"),
        template_name=dict(type="str"),
        role_arn=dict(type="str"),
        schedule_expression=dict(type="str"),
        timezone=dict(type="str", default="UTC"),
        chaos_monkey=dict(
            type="dict",
            no_log=False,  # "monkey" ends in "key": not a secret
            options=dict(
                mean_days_between_runs=dict(type="float", default=2.0),
                min_gap=dict(type="str", default="P1D"),
                window=dict(type="str", default="09:00-15:00"),
                weekdays=dict(type="str", default="MON-FRI"),
                quiet_dates=dict(type="list", elements="str", default=[]),
                horizon_days=dict(type="int", default=14),
                seed=dict(type="str"),
            ),
        ),
        max_duration=dict(type="str"),
        leashed=dict(type="bool", default=False),
        enabled=dict(type="bool", default=True),
        now=dict(type="str"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("template_id", "template_name"), ("schedule_expression", "chaos_monkey")],
        required_if=[
            ("state", "present", ("role_arn",)),
            ("state", "present", ("template_id", "template_name"), True),
            ("state", "present", ("schedule_expression", "chaos_monkey"), True),
        ],
    )
    require_chaos_pulumi(module)
    client = module.client("scheduler", retry_decorator=AWSRetry.jittered_backoff())
    try:
        if module.params["state"] == "absent":
            result = ensure_absent(module, client)
        else:
            client_fis = fis_client(module)
            result = ensure_present(module, client, client_fis)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="EventBridge Scheduler call failed")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
