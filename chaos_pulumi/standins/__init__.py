"""Stand-ins for AWS operations the embedded default's moto server lacks.

moto 5.2.5 implements most of what chaos-pulumi calls, not all of it. Each module here adds one
missing piece to moto's own backend, shaped after botocore's service model so the real boto3 client
reaches it over HTTP exactly as it reaches AWS. They are stand-ins: they behave like the AWS
documentation describes, not like AWS does in every corner, and each module says where it differs.

``python -m chaos_pulumi.standins [moto.server options]`` runs moto's server with them installed;
``chaos_pulumi.local`` starts it that way.
"""

from __future__ import annotations

from chaos_pulumi.standins import fis_safety_lever


def install_all() -> None:
    """Register every stand-in with moto (before its server builds the service apps)."""
    fis_safety_lever.install()


__all__ = ["install_all"]
