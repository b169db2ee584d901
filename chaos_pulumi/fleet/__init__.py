"""Host faults on EC2 fleets: the host-fault runtime as SSM Command documents that FIS can send.

    from chaos_pulumi.fleet import build_document, fault_names
    doc = build_document("cpu_stress")          # .content (the document), .name, .size, .parameters

Standard library only (plus the collection's runtime files shipped with the package); the Pulumi
component is `chaos_pulumi.components.HostFault`, the Ansible module `chaos.faults.ssm_fault_document`.
"""

from __future__ import annotations

from .ssm_document import DOCUMENT_PREFIX, FaultDocument, build_document, document_name, fault_names

__all__ = ["DOCUMENT_PREFIX", "FaultDocument", "build_document", "document_name", "fault_names"]
