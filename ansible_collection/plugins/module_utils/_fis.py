# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

"""Shared code of the chaos.faults FIS modules (private: not a public API of the collection).

The modules run where boto3 and chaos-pulumi are installed, like amazon.aws modules. Templates are
validated and compared with chaos-pulumi's spec layer, so Ansible, Pulumi and the CLI agree on what
a valid template is and on when two templates are the same.
"""

import re
import traceback

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

try:
    from chaos_pulumi.spec import TemplateSpec, has_errors, load_file, validate

    HAS_CHAOS_PULUMI = True
    CHAOS_PULUMI_IMPORT_ERROR = None
except ImportError:
    HAS_CHAOS_PULUMI = False
    CHAOS_PULUMI_IMPORT_ERROR = traceback.format_exc()

# The tag that gives a FIS template (which has no name of its own) the name Ansible finds it by.
NAME_TAG = "Name"

TERMINAL_STATES = ("completed", "stopped", "failed", "cancelled")
FAILED_STATES = ("failed", "stopped", "cancelled")

# Fields whose keys the user (or FIS) chose: returned exactly as written, never snake_cased.
_USER_KEYED_FIELDS = frozenset(
    ["actions", "targets", "parameters", "resourceTags", "tags", "resolvedTargets"]
)


def require_chaos_pulumi(module):
    """Fail the task with install instructions when chaos-pulumi cannot be imported."""
    if not HAS_CHAOS_PULUMI:
        module.fail_json(
            msg=missing_required_lib("chaos-pulumi", reason="to validate and compare FIS templates"),
            exception=CHAOS_PULUMI_IMPORT_ERROR,
        )


def _snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def snake_fis(value, user_keys=False):
    """FIS camelCase -> Ansible snake_case, leaving user-chosen map keys exactly as they are.

    ``actions``, ``targets``, ``parameters``, ``resourceTags`` and ``tags`` are maps whose keys are
    names the user picked (``stopWeb``, ``myInstances``, ``duration``); the values of actions and
    targets are FIS objects again, so their own fields are converted.
    """
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if user_keys:
                out[key] = snake_fis(item) if isinstance(item, dict) else item
            elif key in _USER_KEYED_FIELDS:
                out[_snake(key)] = snake_fis(item, user_keys=True) if isinstance(item, dict) else item
            else:
                out[_snake(key)] = snake_fis(item)
        return out
    if isinstance(value, list):
        return [snake_fis(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def problem_text(problems):
    """One line per problem: ``<field path>: <message>``."""
    return "\n".join(f"{p.path}: {p.message}" for p in problems)


def problem_dicts(problems):
    return [dict(path=p.path, message=p.message, severity=p.severity) for p in problems]


def load_desired_template(module):
    """The desired template (file-format dict) from ``template`` or ``template_file``.

    Applies ``role_arn`` and the tags (file tags, then ``tags``, then ``Name``), validates it, and
    fails the task, before any API call, with every problem and its field path.
    Returns ``(data, explicit_tags)``; ``explicit_tags`` is None when neither the file nor ``tags``
    set any tag (then existing tags other than Name are left alone, as amazon.aws does).
    """
    params = module.params
    if params.get("template_file"):
        loaded = load_file(params["template_file"])
        if loaded.data is None or has_errors(loaded.problems):
            module.fail_json(
                msg="template_file {} cannot be used:\n{}".format(
                    params["template_file"], problem_text(loaded.problems)
                ),
                problems=problem_dicts(loaded.problems),
            )
        data = dict(loaded.data)
    else:
        data = dict(params["template"])

    if params.get("role_arn"):
        data["roleArn"] = params["role_arn"]

    file_tags = data.get("tags")
    explicit = None
    if isinstance(file_tags, dict) and file_tags:
        explicit = dict((str(k), v) for k, v in file_tags.items())
    if params.get("tags") is not None:
        explicit = dict(explicit or {})
        explicit.update(params["tags"])
    name = params["name"]
    if explicit and NAME_TAG in explicit and str(explicit[NAME_TAG]) != name:
        module.fail_json(
            msg=f"tags.{NAME_TAG}: {explicit[NAME_TAG]!r} differs from name {name!r}; "
            "the Name tag is the template's name, so set only `name`"
        )
    tags = dict(explicit or {})
    tags[NAME_TAG] = name
    data["tags"] = tags

    problems = validate(data)
    source = params.get("template_file") or "template"
    if has_errors(problems):
        errors = [p for p in problems if p.severity == "error"]
        module.fail_json(
            msg=f"{source} is not a valid FIS experiment template ({len(errors)} "
            f"problem{'' if len(errors) == 1 else 's'}); nothing was changed:\n{problem_text(errors)}",
            problems=problem_dicts(problems),
        )
    for problem in problems:
        module.warn(f"{source}: {problem}")
    return data, explicit


@AWSRetry.jittered_backoff()
def _list_template_summaries(client):
    paginator = client.get_paginator("list_experiment_templates")
    return paginator.paginate().build_full_result().get("experimentTemplates", [])


def templates_named(client, name):
    """Summaries of every template whose Name tag is ``name``."""
    return [t for t in _list_template_summaries(client) if (t.get("tags") or {}).get(NAME_TAG) == name]


def list_templates(client):
    return _list_template_summaries(client)


def get_template(client, template_id):
    """The full template, or None when it does not exist."""
    try:
        return client.get_experiment_template(id=template_id, aws_retry=True)["experimentTemplate"]
    except is_boto3_error_code("ResourceNotFoundException"):
        return None


def find_template(module, client, name):
    """The one template called ``name`` (full), or None; fails when the name is ambiguous."""
    found = templates_named(client, name)
    if len(found) > 1:
        module.fail_json(
            msg=f"{len(found)} FIS experiment templates have the tag {NAME_TAG}={name} "
            f"(ids: {', '.join(sorted(t['id'] for t in found))}); delete the extra ones or use template_id"
        )
    if not found:
        return None
    return get_template(client, found[0]["id"])


def template_result(template):
    """What a module returns for a template: snake_case, with user-chosen keys untouched."""
    result = snake_fis(dict((k, v) for k, v in template.items() if k not in ("tags",)))
    result["tags"] = dict(template.get("tags") or {})
    result["name"] = result["tags"].get(NAME_TAG)
    return result


def template_content(template):
    """The template in the FIS file format (camelCase), canonical, without server-side fields."""
    return TemplateSpec.from_fis(template).to_dict()


@AWSRetry.jittered_backoff()
def _list_experiment_summaries(client, template_id=None):
    paginator = client.get_paginator("list_experiments")
    kwargs = {}
    if template_id:
        kwargs["experimentTemplateId"] = template_id
    return paginator.paginate(**kwargs).build_full_result().get("experiments", [])


def list_experiments(client, template_id=None):
    return _list_experiment_summaries(client, template_id)


def get_experiment(client, experiment_id):
    """The full experiment, or None when it does not exist."""
    try:
        return client.get_experiment(id=experiment_id, aws_retry=True)["experiment"]
    except is_boto3_error_code("ResourceNotFoundException"):
        return None


def experiment_result(experiment):
    """What a module returns for an experiment: snake_case, action names untouched, plus a
    ``status`` shortcut and ``action_states`` (action name -> status)."""
    result = snake_fis(experiment)
    result["status"] = (experiment.get("state") or {}).get("status")
    result["action_states"] = dict(
        (name, (action.get("state") or {}).get("status"))
        for name, action in (experiment.get("actions") or {}).items()
    )
    return result


def experiment_failure(experiment, fail_on):
    """A message when the experiment ended in one of the ``fail_on`` states, else None."""
    state = experiment.get("state") or {}
    status = state.get("status")
    if status not in fail_on:
        return None
    failed_actions = [
        "{}={}".format(name, (action.get("state") or {}).get("status"))
        for name, action in sorted((experiment.get("actions") or {}).items())
        if (action.get("state") or {}).get("status") not in ("completed", "skipped")
    ]
    message = "FIS experiment {} ended {}".format(experiment.get("id"), status)
    if state.get("reason"):
        message += ": {}".format(state["reason"])
    if failed_actions:
        message += " (actions: {})".format(", ".join(failed_actions))
    return message
