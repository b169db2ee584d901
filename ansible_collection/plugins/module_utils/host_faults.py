# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Compatibility import path: the host-fault runtime now lives in the host_fault_runtime package.

Code written against the former single file (probe.py imports its HTTP and command samplers from
here) keeps working; new code imports from host_fault_runtime.<concern> directly. Nothing is
defined here.
"""

from __future__ import annotations

from .host_fault_runtime.clock import parse_iso, utc_iso
from .host_fault_runtime.errors import FaultError
from .host_fault_runtime.guards import (
    GUARD_INTERVAL_MAX_MS,
    check_guard,
    command_sample,
    http_opener,
    http_sample,
    normalize_guard,
)
from .host_fault_runtime.procs import (
    all_pids,
    ancestors,
    cmdline,
    group_members,
    is_kernel_thread,
    kill_group,
    proc_stat,
    process_alive,
    protected_processes,
    ssh_connection_env,
)
from .host_fault_runtime.records import (
    RECORD_DIR,
    RecordStore,
    is_active,
    new_fault_id,
    redact_url,
    redacted_record,
)
from .host_fault_runtime.revert import execute_revert, recover_orphans, revert_fault
from .host_fault_runtime.runner import run, run_checked

__all__ = [
    "GUARD_INTERVAL_MAX_MS", "RECORD_DIR", "FaultError", "RecordStore", "all_pids", "ancestors",
    "check_guard", "cmdline", "command_sample", "execute_revert", "group_members", "http_opener",
    "http_sample", "is_active", "is_kernel_thread", "kill_group", "new_fault_id", "normalize_guard",
    "parse_iso", "proc_stat", "process_alive", "protected_processes", "recover_orphans", "redact_url",
    "redacted_record", "revert_fault", "run", "run_checked", "ssh_connection_env", "utc_iso",
]
