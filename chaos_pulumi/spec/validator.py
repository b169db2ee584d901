"""Validate a FIS experiment template (file format, camelCase) against the FIS rules and the catalog.

``validate`` returns every problem it finds (up to MAX_PROBLEMS), each with the dotted path of the
field at fault and a message that says how to fix it. It never raises, whatever it is given: the
checks (in ``checks/``) look only at the fields FIS defines, to a fixed depth, check a size before
reading a value, and quote at most a short prefix of any value, so a hostile document costs no more
than a large valid one.
"""

from __future__ import annotations

from typing import Any

from .catalog import Catalog, catalog
from .checks.context import Context
from .checks.template import check_template
from .problems import Problem, internal_error


def validate(data: Any, cat: Catalog | None = None) -> list[Problem]:
    """Every problem in ``data`` (FIS file format, camelCase), errors and warnings. Never raises.

    ``cat`` is the catalog to check against; None means the default one (``catalog()``: the
    packaged catalog, or the file ``$CHAOS_PULUMI_CATALOG`` names).
    """
    try:
        ctx = Context(cat if cat is not None else catalog())
        check_template(ctx, data)
        return ctx.result()
    except Exception as e:  # defence in depth: a bug in a check must not crash `pulumi preview` or a playbook
        return [internal_error("validator", e)]
