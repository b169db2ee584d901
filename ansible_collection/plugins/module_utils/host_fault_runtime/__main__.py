# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""`python3 -m ansible_collections.chaos.faults.plugins.module_utils.host_fault_runtime ...` (see cli.py)."""

from __future__ import annotations

if __name__ == "__main__":
    from .cli import main

    raise SystemExit(main())
