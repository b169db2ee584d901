"""One ExperimentTemplate from experiment.yaml; with settings.json's late_selection, a second one whose
selection mode comes from another resource's output, so it is unknown during the first preview."""

import copy
import json
from pathlib import Path

import yaml

from chaos_pulumi import ExperimentTemplate
from chaos_pulumi.noop import NoopResource

settings = json.loads(Path("settings.json").read_text())
web = ExperimentTemplate.from_file("web", "experiment.yaml")

if settings.get("late_selection"):
    marker = NoopResource("selection", value=settings["late_selection"])
    document = copy.deepcopy(yaml.safe_load(Path("experiment.yaml").read_text()))
    document["description"] = "late selection"
    document["targets"]["web"]["selectionMode"] = marker.id.apply(lambda _: settings["late_selection"])
    ExperimentTemplate("late", template=document)
