"""Pulumi dynamic providers for AWS FIS.

The provider classes live here, in the installed package, and never in a program's ``__main__``: Pulumi
then stores only a reference to the class (``chaos_pulumi.providers.experiment_template.
ExperimentTemplateProvider``) in the state, so stacks keep working across package upgrades and bug fixes
reach refresh and destroy of existing stacks. Those class paths are part of the state format: do not
rename or move them without leaving an alias behind.
"""
