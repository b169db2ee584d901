"""Entry point Pulumi runs (``python -m pulumi.policy <engine> <this directory>``): serve the pack."""

from chaos_pulumi.policy_pack.pack import serve

serve()
