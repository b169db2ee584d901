"""PID 1 of one namespace test host (see hosts.py); stdlib only, run by ``python3 host_init.py CONFIG``.

It runs inside a fresh network, mount and PID namespace. It mounts a private tmpfs on
/run/chaos-faults (so fault records of different test hosts never collide), starts sshd and the demo
HTTP service, reaps every orphan (the fault watchdogs double-fork and end up here), and on SIGTERM
kills everything in its PID namespace. When it exits, the kernel kills whatever is left in the
namespace, so a test host never outlives its teardown.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time


def main() -> int:
    with open(sys.argv[1]) as f:
        config = json.load(f)
    os.makedirs("/run/chaos-faults", exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "mode=0755,size=16m", "chaos-faults", "/run/chaos-faults"], check=True
    )
    for path in config.get("tmpfs", []):
        os.makedirs(path, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755,size=256m", "host-tmp", path], check=True)
    log = open(config["log"], "ab", buffering=0)  # noqa: SIM115 - held for the life of PID 1
    children = []
    for argv in config["services"]:
        children.append(
            subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        )
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with open(config["ready"] + ".tmp", "w") as f:
        f.write(json.dumps({"pids": [c.pid for c in children]}))
    os.replace(config["ready"] + ".tmp", config["ready"])
    while not stopping:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            pid = 0
        if pid == 0:
            time.sleep(0.05)
    # kill(-1) from PID 1 of a PID namespace reaches every other process of that namespace
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
