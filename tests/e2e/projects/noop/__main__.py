"""One NoopResource: its provider is imported from the installed chaos_pulumi package."""

import pulumi

from chaos_pulumi.noop import NoopResource

config = pulumi.Config()
marker = NoopResource("marker", value={"greeting": config.get("greeting") or "hello", "n": 1})

pulumi.export("value", marker.value)
pulumi.export("marker_id", marker.id)
