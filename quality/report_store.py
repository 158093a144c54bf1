"""What the governance report keeps between runs, so a report costs what changed since the last one.

- A section whose inputs are unchanged (the Delta versions of every table its SQL, its chart's SQL
  and the views they use read, and the text of the SQL and of the code that renders it) is not
  queried again: its CSV, its rendered HTML and (for the sections other queries aggregate) its
  rows as Parquet are reused from `<reports_dir>/governance/.sections/`.
- "Graph size over versions" counts each Delta version of graph.entities / graph.edges once: a
  version never changes, so its counts are kept (keyed by table, version and commit time, so a
  table created anew is counted anew) and only versions not seen before are read.

The manifest is written last; a report that fails part way leaves the previous one in force.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
VIEWS_DIR = SQL_DIR / "views"
STORE_DIR = ".sections"
MANIFEST = "manifest.json"
# Code whose change alters what a section renders.
RENDERING_CODE = tuple(Path(__file__).resolve().parent / n for n in ("governance.py", "charts.py", "html.py"))

_TABLE_REF = re.compile(r"\b((?:graph|quality|ops|search)\.[a-z_]+)\b")
_VIEW_DEF = re.compile(r"CREATE\s+OR\s+REPLACE\s+TEMP\s+VIEW\s+(\w+)\s+AS", re.IGNORECASE)


@lru_cache(maxsize=1)
def view_definitions() -> dict[str, str]:
    """Analyst view name -> the SQL that defines it (sql/views/*.sql)."""
    from spark_jobs.sqlrun import split_statements

    out = {}
    for path in sorted(VIEWS_DIR.glob("*.sql")):
        for statement in split_statements(path.read_text(encoding="utf-8")):
            match = _VIEW_DEF.search(statement)
            if match:
                out[match.group(1)] = statement[match.end():]
    return out


def tables_read(text: str, extra_views: Mapping[str, Iterable[str]] | None = None) -> set[str]:
    """The lakehouse tables `text` reads, directly or through the analyst views (and through
    `extra_views`: other view names -> the tables behind them)."""
    from spark_jobs.sqlrun import _code_only

    views, extra = view_definitions(), dict(extra_views or {})
    found: set[str] = set()
    pending, seen = [_code_only(text)], set()
    while pending:
        code = pending.pop()
        found |= set(_TABLE_REF.findall(code))
        words = set(re.findall(r"\b\w+\b", code))
        for name in words - seen:
            if name in views:
                seen.add(name)
                pending.append(_code_only(views[name]))
            elif name in extra:
                seen.add(name)
                found |= set(extra[name])
    return found


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A digest of every SQL file and the rendering code: any edit invalidates every kept section."""
    digest = hashlib.sha256()
    for path in sorted(SQL_DIR.rglob("*.sql")) + sorted(RENDERING_CODE):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def section_fingerprint(key: str, reads: Iterable[str], versions: Mapping[str, int | None],
                        options: Mapping[str, Any]) -> str:
    payload = {"key": key, "code": code_fingerprint(), "options": dict(options),
               "versions": {name: versions.get(name) for name in sorted(reads)}}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class ReportStore:
    """The manifest of kept sections and graph-size counts under `<out_dir>/.sections/`."""

    def __init__(self, out_dir: Path) -> None:
        self.dir = out_dir / STORE_DIR
        self._path = self.dir / MANIFEST
        try:
            manifest = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            manifest = {}
        self._sections: dict[str, dict[str, Any]] = manifest.get("sections", {})
        self._sizes: dict[str, dict[str, Any]] = manifest.get("graph_sizes", {})
        self._new_sections: dict[str, dict[str, Any]] = {}
        self._used_sizes: dict[str, dict[str, Any]] = {}

    # sections
    def kept(self, key: str, fingerprint: str, csv_path: Path) -> dict[str, Any] | None:
        """The kept section (rows, body, rows_path) when it was rendered from the same inputs."""
        entry = self._sections.get(key)
        if not entry or entry.get("fingerprint") != fingerprint or not csv_path.exists():
            return None
        if entry.get("rows_path") and not Path(entry["rows_path"]).exists():
            return None
        return entry

    def rows_path(self, key: str) -> Path:
        return self.dir / f"{key}.parquet"

    def keep(self, key: str, fingerprint: str, *, rows: int, body: str, rows_path: Path | None,
             rows_schema: Mapping[str, Any] | None = None) -> None:
        self._new_sections[key] = {"fingerprint": fingerprint, "rows": rows, "body": body,
                                   "rows_path": str(rows_path) if rows_path else None, "rows_schema": rows_schema}

    # graph size counts
    @staticmethod
    def size_key(table: str, version: int, committed: datetime) -> str:
        return f"{table}@{version}@{committed.timestamp():.3f}"

    def known_size(self, key: str) -> dict[str, Any] | None:
        row = self._sizes.get(key)
        if row is not None:
            self._used_sizes[key] = row
            return {**row, "committed_at": datetime.fromisoformat(row["committed_at"])}
        return None

    def keep_size(self, key: str, row: Mapping[str, Any]) -> None:
        self._used_sizes[key] = {**row, "committed_at": row["committed_at"].isoformat()}

    def save(self) -> None:
        """Write the manifest: the sections of this report and the counts of the versions it showed."""
        self.dir.mkdir(parents=True, exist_ok=True)
        manifest = {"sections": self._new_sections, "graph_sizes": self._used_sizes}
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, indent=1, default=str), encoding="utf-8")
        tmp.replace(self._path)
