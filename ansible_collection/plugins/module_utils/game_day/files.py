# Copyright: chaos-pulumi contributors
# Apache License 2.0 (see the collection's galaxy.yml)
"""Writing a game day's files: <output_dir>/<run_id>/journal.json, journal-chaostoolkit.json,
report.md and report.html, each replaced atomically so a reader never sees half a file."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from ansible_collections.chaos.faults.plugins.module_utils.game_day.chaostoolkit import (
    CHAOSTOOLKIT_JOURNAL,
    chaostoolkit_journal,
)
from ansible_collections.chaos.faults.plugins.module_utils.game_day.html_page import render_html
from ansible_collections.chaos.faults.plugins.module_utils.game_day.journal import build_journal
from ansible_collections.chaos.faults.plugins.module_utils.game_day.markdown import render_markdown


def write_atomic(path: str, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, default=str) + "\n"


def run_paths(output_dir: str, run_id: str) -> dict[str, str]:
    run_dir = os.path.join(output_dir, run_id)
    return {
        "run_dir": run_dir,
        "journal_path": os.path.join(run_dir, "journal.json"),
        "journal_chaostoolkit_path": os.path.join(run_dir, CHAOSTOOLKIT_JOURNAL),
        "report_md_path": os.path.join(run_dir, "report.md"),
        "report_html_path": os.path.join(run_dir, "report.html"),
    }


def write_reports(params: dict[str, Any]) -> dict[str, Any]:
    """Build the journal and write both journals (and, in the final phase, both reports)."""
    journal = build_journal(params)
    paths = run_paths(params["output_dir"], params["run_id"])
    os.makedirs(paths["run_dir"], exist_ok=True)
    write_atomic(paths["journal_path"], _json(journal))
    write_atomic(paths["journal_chaostoolkit_path"], _json(chaostoolkit_journal(journal)))
    if (params.get("phase") or "final") == "final":
        write_atomic(paths["report_md_path"], render_markdown(journal))
        write_atomic(paths["report_html_path"], render_html(journal))
    return dict(paths, journal=journal, status=journal["status"], deviated=journal["deviated"])
