# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""The host-fault runtime: standard library only, run by the Ansible modules and by its own CLI.

Life of a timed fault (lifecycle.run_fault):
  1. the fault's plan validates the options and says what to inject (module side, nothing changes);
  2. a watchdog is double-forked into its own session (watchdog.py); it writes the record
     `<record_dir>/<fault_id>.json` with the deadline (records.py), reports its pid, then *it*
     injects, so nothing is injected that is not already watched;
  3. each inject step stores its revert step before the thing it undoes exists (revert.py);
  4. the watchdog reverts at the deadline, on a guard violation (guards.py), on SIGTERM, or exits
     when someone else reverted the record;
  5. every run first reverts records whose watchdog died and sweeps half-written records.

Drivers: ansible_driver.py (AnsibleModule) and cli.py (`python3 -m <this package>`); a fault is
defined once, in its module file (options, plan), and both drivers load it.
"""
