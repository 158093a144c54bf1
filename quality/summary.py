"""One HTML page per quality run with every check (GE and graph checks), linking GE Data Docs."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from quality.html import cards, esc, page, table

if TYPE_CHECKING:
    from quality.runner import QualityOutcome


def write_summary(outcome: QualityOutcome, path: Path, *, data_docs_index: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = sorted(outcome.results, key=lambda r: (r.success, r.severity != "critical", r.suite, r.expectation))
    rows = [
        ("pass" if r.success else "FAIL", r.severity, r.suite, r.expectation, r.target,
         json.dumps(dict(r.observed), default=str, sort_keys=True)[:400], r.description)
        for r in ordered
    ]
    body_rows = table(["status", "severity", "suite", "expectation", "target", "observed", "meaning"], rows,
                      cell_class=_status_class)
    link = ""
    if data_docs_index.is_file():
        link = (f'<p>Great Expectations Data Docs: <a href="{esc(os.path.relpath(data_docs_index, path.parent))}">'
                "suites and validation details</a></p>")
    versions = ", ".join(f"{k} v{v}" for k, v in sorted(outcome.table_versions.items()))
    body = (
        cards([("gate", outcome.gate.upper()), ("checks", len(outcome.results)),
               ("failed critical", len(outcome.failed_critical)), ("failed warning", len(outcome.failed_warning))])
        + link + f"<section><h2>Checks</h2>{body_rows}</section>"
    )
    path.write_text(page(f"Quality run {outcome.run_id}", f"Tables checked: {versions}", body), encoding="utf-8")
    return path


def _status_class(column: int, value: object) -> str:
    return {"pass": "pass", "FAIL": "fail"}.get(str(value), "") if column == 0 else ""
