# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)


import yaml
from ansible_collections.chaos.faults.plugins.modules import fis_experiment

from chaos_pulumi.aws import experiments


def test_states_and_defaults_are_the_fis_layers():
    """The documentation (which ansible-test checks against the argument spec) lists exactly the
    states, defaults and modes chaos-pulumi's FIS layer defines, the ones the Pulumi Experiment uses."""
    options = yaml.safe_load(fis_experiment.DOCUMENTATION)["options"]
    assert options["fail_on"]["choices"] == list(experiments.FAIL_ON_CHOICES)
    assert options["fail_on"]["default"] == list(experiments.DEFAULT_FAIL_ON)
    assert options["actions_mode"]["choices"] == list(experiments.ACTIONS_MODES)
    assert options["actions_mode"]["default"] == experiments.DEFAULT_ACTIONS_MODE
