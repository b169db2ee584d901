"""The string formats FIS takes: names, selection modes, ARNs, bucket names, numbers."""

from __future__ import annotations

import functools
import re

NAME = re.compile(r"^\S+$")
# Digits are bounded so int() never reads a long string (Python refuses past 4,300 digits).
SELECTION = re.compile(r"^(ALL|COUNT\((\d{1,18})\)|PERCENT\((\d{1,18})\))$")
SELECTION_LIKE = re.compile(r"^(COUNT|PERCENT)\(\d+\)$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
ALARM_ARN = re.compile(r"^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.{1,255}$")
ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}|aws)?:.+$")
LOG_GROUP_ARN = re.compile(r"^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[\w#/.-]{1,512}(:\*)?$")
DASHBOARD_ARN = re.compile(r"^arn:aws[a-z-]*:cloudwatch::\d{12}:dashboard/[\w-]{1,255}$")
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")
INTEGER = re.compile(r"^-?\d+$")


@functools.lru_cache(maxsize=64)
def _arn_regex(pattern: str) -> re.Pattern[str]:
    # A wildcard stays within its ARN field (no ':'), except the last one, so matching stays linear.
    head, star, tail = re.escape(pattern).rpartition(r"\*")
    regex = head.replace(r"\*", "[^:]*") + (".*" if star else "") + tail
    return re.compile("^" + regex.replace("arn:aws:", r"arn:aws[a-z-]*:", 1) + "$")


def arn_matches(arn: str, pattern: str) -> bool:
    """Does ``arn`` fit an IAM resource pattern like ``arn:aws:ec2:*:*:instance/*``?"""
    return pattern == "*" or _arn_regex(pattern).match(arn) is not None
