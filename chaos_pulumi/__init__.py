"""chaos-pulumi: chaos experiments as infrastructure code (AWS FIS through Pulumi and Ansible)."""

__version__ = "0.1.0"
