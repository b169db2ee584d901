# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""What a fault refuses to do unless `force` is set: long durations, paths outside a mount, ..."""

from __future__ import annotations

import os

from .errors import FaultError

DEFAULT_MAX_DURATION = 3600
FORCED_MAX_DURATION = 86400


def refuse_unless_force(params: dict, condition: bool, message: str) -> None:
    if condition and not params.get("force"):
        raise FaultError(message + " (set force: true to do it anyway)")


def validate_duration(params: dict) -> int:
    duration = params.get("duration")
    if duration is None:
        raise FaultError("duration: required with state=present (seconds the fault lasts, e.g. duration: 60)")
    limit = FORCED_MAX_DURATION if params.get("force") else DEFAULT_MAX_DURATION
    if not 1 <= duration <= limit:
        hint = " (longer needs force: true)" if not params.get("force") and duration > 0 else ""
        raise FaultError(f"duration: must be within 1-{limit} seconds, got {duration}{hint}")
    return duration


def check_path_in_mount(params: dict, field: str = "path") -> str:
    """The real path of directory `params[field]`; refuses one outside `params["mount"]` unless force."""
    path = params.get(field)
    if not path:
        raise FaultError(f"{field}: required with state=present (an existing directory)")
    real = os.path.realpath(path)
    if not os.path.isdir(real):
        raise FaultError(f"{field}: {path} is not an existing directory")
    mount = params.get("mount")
    if mount:
        mreal = os.path.realpath(mount)
        if not os.path.isdir(mreal):
            raise FaultError(f"mount: {mount} is not an existing directory")
        inside = real == mreal or real.startswith(mreal.rstrip("/") + "/")
        same_fs = os.stat(real).st_dev == os.stat(mreal).st_dev
        refuse_unless_force(params, not (inside and same_fs),
                            f"{field}: {path} (real path {real}) is outside mount {mount} "
                            "or on another filesystem")
    return real
