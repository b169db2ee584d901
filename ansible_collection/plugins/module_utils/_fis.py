# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

"""Shared code of the chaos.faults FIS modules (private: not a public API of the collection).

The modules run where boto3 and chaos-pulumi are installed, like amazon.aws modules. Everything FIS
is chaos-pulumi's FIS layer (``chaos_pulumi.aws``), the same code the Pulumi providers call: templates
are validated, compared, planned and applied, and experiments started, waited for, judged and stopped
the same way, so Ansible, Pulumi and the CLI agree. What is here is only Ansible's side of it: module
parameters in, snake_case results out, and finding a template by its name.
"""

import re
import traceback

from ansible.module_utils.basic import missing_required_lib

try:
    from chaos_pulumi.aws import client_config
    from chaos_pulumi.aws.experiments import experiment_summary
    from chaos_pulumi.aws.templates import get_template, templates_tagged
    from chaos_pulumi.spec import has_errors, load_file, validate
    from chaos_pulumi.spec.scenarios import ScenarioError, render_option

    HAS_CHAOS_PULUMI = True
    CHAOS_PULUMI_IMPORT_ERROR = None
except ImportError:
    HAS_CHAOS_PULUMI = False
    CHAOS_PULUMI_IMPORT_ERROR = traceback.format_exc()

# The tag that gives a FIS template (which has no name of its own) the name Ansible finds it by.
NAME_TAG = "Name"
# Who asks, in the client tokens the modules derive (Pulumi uses project/stack/resource).
TOKEN_OWNER = "ansible:chaos.faults"

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


def render_scenario_option(module):
    """The ``scenario`` option rendered (a ``RenderedScenario``), its ``role_arn`` parameter defaulting to
    the module's; bad parameters fail the task, before any API call, with every problem and its field."""
    try:
        return render_option(module.params["scenario"], role_arn=module.params.get("role_arn"))
    except ScenarioError as e:
        name = (module.params["scenario"] or {}).get("name")
        count = len(e.problems)
        module.fail_json(
            msg=f"scenario {name} cannot be rendered ({count} problem{'' if count == 1 else 's'}); nothing "
            f"was changed:\n{problem_text(e.problems)}",
            problems=problem_dicts(e.problems),
        )


def load_desired_template(module, rendered=None):
    """The desired template (file-format dict) from ``template``, ``template_file`` or a rendered
    ``scenario`` (``rendered``, from :func:`render_scenario_option`).

    Applies ``role_arn`` and the tags (file tags, then ``tags``, then ``Name``), validates it, and
    fails the task, before any API call, with every problem and its field path.
    Returns ``(data, explicit_tags)``; ``explicit_tags`` is None when neither the file nor ``tags``
    set any tag (then existing tags other than Name are left alone, as amazon.aws does).
    """
    params = module.params
    if rendered is not None:
        data = rendered.to_dict()
        # The console names a scenario's template by its title; here the Name tag is the task's `name`.
        data["tags"] = dict((k, v) for k, v in (data.get("tags") or {}).items() if k != NAME_TAG)
    elif params.get("template_file"):
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
    source = params.get("template_file") or (f"scenario {rendered.name}" if rendered else "template")
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


def fis_client(module):
    """The module's FIS client, configured like the Pulumi providers' (retries, timeouts, user agent):
    the calls are made by chaos-pulumi's FIS layer, so retries belong to the client it is handed."""
    return module.client("fis", config=client_config())


def account_clients(module):
    """Clients for the account's services with the module's AWS settings (region, endpoint, profile,
    credentials), one per service, made when first asked for: what the preflight queries."""
    made = {}

    def client(service):
        if service not in made:
            made[service] = module.client(service, config=client_config())
        return made[service]

    return client


def find_template_id(module, client, name):
    """The id of the one template called ``name`` (its Name tag), or None; fails when it is ambiguous."""
    found = templates_tagged(client, NAME_TAG, name)
    if len(found) > 1:
        module.fail_json(
            msg=f"{len(found)} FIS experiment templates have the tag {NAME_TAG}={name} "
            f"(ids: {', '.join(sorted(t['id'] for t in found))}); delete the extra ones or use template_id"
        )
    return found[0]["id"] if found else None


def find_template(module, client, name):
    """The one template called ``name`` (as GetExperimentTemplate returns it), or None."""
    template_id = find_template_id(module, client, name)
    return None if template_id is None else get_template(client, template_id)


def template_result(template):
    """What a module returns for a template: snake_case, with user-chosen keys untouched."""
    result = snake_fis(dict((k, v) for k, v in template.items() if k not in ("tags",)))
    result["tags"] = dict(template.get("tags") or {})
    result["name"] = result["tags"].get(NAME_TAG)
    return result


def experiment_result(experiment):
    """What a module returns for an experiment: snake_case, action names untouched, plus a
    ``status`` shortcut and ``action_states`` (action name -> status)."""
    summary = experiment_summary(experiment)
    result = snake_fis(experiment)
    result["status"] = summary["status"]
    result["action_states"] = dict((name, action["status"]) for name, action in summary["actions"].items())
    return result
