"""Delta table maintenance: compact, vacuum, checkpoint.

Two backends behind one small interface, chosen by the configured engine: on a JVM Spark
engine with Delta (a Spark Connect server or classic Spark, `capabilities(spark).delta_sql`)
compaction and vacuum run as Delta's own SQL (`OPTIMIZE`, `VACUUM ... DRY RUN`, versions from
`DESCRIBE HISTORY`), inside the engine that also writes the tables; everywhere else (pysail
has neither statement) through delta-rs, which works next to any engine, on a path or on
s3://. Checkpoints always go through delta-rs: Delta Spark has no SQL for them (it writes one
every 10 commits by itself), and both read the other's checkpoints.

Every operation is idempotent and writes a Delta version only when it changes something:
compaction with nothing to merge commits nothing, and vacuum is dry-run first and only run
when it would delete files (delta-rs records VACUUM START/END commits even when they do
nothing). Landing is compacted per closed `ingest_date` partition only, because `mlg_land`
appends to today's partition every few minutes and a rewrite of files it is adding to would
race with it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from spark_jobs import tables
from spark_jobs.config import Settings

log = logging.getLogger(__name__)

LANDING_TABLES = ("landing.events", "landing.quarantine")
DEFAULT_RETENTION_HOURS = 7 * 24  # Delta's own default: time travel a week back keeps working


@dataclass(frozen=True, kw_only=True)
class MaintenanceOptions:
    """Knobs for one maintenance pass (Airflow params / `mlg maintain` flags map onto these)."""

    retention_hours: int = DEFAULT_RETENTION_HOURS
    target_size: int | None = None  # bytes per compacted file; delta-rs default (100 MiB) if None
    include_open_partition: bool = False  # also compact today's landing partition
    dry_run: bool = False
    drop_checkpoint_hint: bool | None = None  # None: only on the embedded engine (see `checkpoint`)


def _existing(settings: Settings, names: Iterable[str] | None, *, exclude: Sequence[str] = ()) -> list[str]:
    chosen = list(names) if names is not None else [n for n in tables.all_tables() if n not in exclude]
    for name in chosen:
        tables.table(name)  # unknown names fail with the list of known ones
    return [n for n in chosen if tables.exists(settings, n)]


def _open(settings: Settings, name: str):
    from deltalake import DeltaTable

    return DeltaTable(tables.table(name).path(settings), storage_options=tables.storage_options())


Filters = list[tuple[str, str, Any]] | None


class _DeltaRs:
    """delta-rs on the table's files (any engine, or none)."""

    name = "delta-rs"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def version(self, name: str) -> int:
        return _open(self._settings, name).version()

    def files(self, name: str, filters: Filters) -> int:
        dt = _open(self._settings, name)
        return len(dt.file_uris(filters) if filters else dt.file_uris())

    def compact(self, name: str, filters: Filters, target_size: int | None) -> dict[str, int]:
        metrics = _open(self._settings, name).optimize.compact(partition_filters=filters, target_size=target_size)
        return {"files_removed": metrics.get("numFilesRemoved", 0), "files_added": metrics.get("numFilesAdded", 0),
                "partitions": metrics.get("partitionsOptimized", 0)}

    def vacuum_candidates(self, name: str, retention_hours: int, enforce: bool) -> list[str]:
        return _open(self._settings, name).vacuum(retention_hours=retention_hours, dry_run=True,
                                                  enforce_retention_duration=enforce)

    def vacuum(self, name: str, retention_hours: int, enforce: bool) -> None:
        _open(self._settings, name).vacuum(retention_hours=retention_hours, dry_run=False,
                                           enforce_retention_duration=enforce)


class _DeltaSql:
    """Delta Lake's own SQL on a JVM Spark engine (`delta.`<path>`` identifiers, no catalog)."""

    name = "delta-sql"

    def __init__(self, settings: Settings, spark) -> None:
        self._settings, self._spark = settings, spark

    def _ident(self, name: str) -> str:
        return "delta.`" + tables.table(name).path(self._settings).replace("`", "``") + "`"

    def version(self, name: str) -> int:
        return int(self._spark.sql(f"DESCRIBE HISTORY {self._ident(name)} LIMIT 1").collect()[0]["version"])

    def files(self, name: str, filters: Filters) -> int:
        if filters:
            return self._spark.read.format("delta").load(tables.table(name).path(self._settings)) \
                .where(_where(filters)).inputFiles().__len__()
        return int(self._spark.sql(f"DESCRIBE DETAIL {self._ident(name)}").collect()[0]["numFiles"])

    def compact(self, name: str, filters: Filters, target_size: int | None) -> dict[str, int]:
        if target_size:
            self._spark.conf.set("spark.databricks.delta.optimize.maxFileSize", str(target_size))
        where = f" WHERE {_where(filters)}" if filters else ""
        metrics = self._spark.sql(f"OPTIMIZE {self._ident(name)}{where}").collect()[0]["metrics"]
        return {"files_removed": metrics["numFilesRemoved"], "files_added": metrics["numFilesAdded"],
                "partitions": metrics["partitionsOptimized"]}

    def _retention(self, enforce: bool) -> None:
        # Delta refuses a retention under 7 days unless the check is off (delta-rs: `enforce`).
        self._spark.conf.set("spark.databricks.delta.retentionDurationCheck.enabled", str(enforce).lower())

    def vacuum_candidates(self, name: str, retention_hours: int, enforce: bool) -> list[str]:
        self._retention(enforce)
        rows = self._spark.sql(f"VACUUM {self._ident(name)} RETAIN {int(retention_hours)} HOURS DRY RUN").collect()
        return [r[0] for r in rows]

    def vacuum(self, name: str, retention_hours: int, enforce: bool) -> None:
        self._retention(enforce)
        self._spark.sql(f"VACUUM {self._ident(name)} RETAIN {int(retention_hours)} HOURS").collect()


def _where(filters: list[tuple[str, str, Any]]) -> str:
    """delta-rs partition filters as a SQL predicate (our own column names, quoted values)."""
    allowed = {"<", "<=", ">", ">=", "=", "!="}
    parts = []
    for column, op, value in filters:
        if op not in allowed or not column.isidentifier():
            raise ValueError(f"unsupported partition filter {(column, op, value)!r}")
        parts.append(f"{column} {op} {tables.sql_literal(str(value))}")
    return " AND ".join(parts)


@contextmanager
def _backend(settings: Settings) -> Iterator[_DeltaRs | _DeltaSql]:
    """Delta SQL when the configured engine is JVM Spark with Delta, delta-rs otherwise."""
    from spark_jobs.session import capabilities, engine_mode, spark_session

    if engine_mode(settings) == "embedded":  # pysail: no OPTIMIZE / VACUUM, and no need to start it
        yield _DeltaRs(settings)
        return
    with spark_session(settings, app_name="mlg-maintenance") as spark:
        if capabilities(spark).delta_sql:
            yield _DeltaSql(settings, spark)
        else:
            yield _DeltaRs(settings)


def backend_name(settings: Settings) -> str:
    """Which maintenance path the configured engine gets ("delta-sql" or "delta-rs")."""
    with _backend(settings) as backend:
        return backend.name


def optimize(settings: Settings, names: Iterable[str] | None = None, *,
             options: MaintenanceOptions = MaintenanceOptions()) -> dict[str, dict[str, Any]]:
    """Bin-pack small files of each table (default: every table but landing) into larger ones."""
    out: dict[str, dict[str, Any]] = {}
    chosen = _existing(settings, names, exclude=LANDING_TABLES)
    if not chosen:
        return out
    with _backend(settings) as backend:
        for name in chosen:
            out[name] = _compact(backend, name, options=options)
    return out


def _compact(backend: _DeltaRs | _DeltaSql, name: str, *, options: MaintenanceOptions,
             partition_filters: Filters = None) -> dict[str, Any]:
    before = backend.version(name)
    started = time.perf_counter()
    if options.dry_run:
        return {"version": before, "files": backend.files(name, partition_filters), "dry_run": True}
    metrics = backend.compact(name, partition_filters, options.target_size)
    return {**metrics, "version_before": before, "version_after": backend.version(name),
            "seconds": round(time.perf_counter() - started, 3), "engine": backend.name}


def compact_landing(settings: Settings, *, options: MaintenanceOptions = MaintenanceOptions(),
                    today: date | None = None) -> dict[str, dict[str, Any]]:
    """Compact the landing tables: closed `ingest_date` partitions of events, all of quarantine."""
    today = today or datetime.now(timezone.utc).date()
    out: dict[str, dict[str, Any]] = {}
    present = [n for n in LANDING_TABLES if tables.exists(settings, n)]
    if not present:
        return out
    with _backend(settings) as backend:
        if "landing.events" in present:
            filters = None if options.include_open_partition else [("ingest_date", "<", today.isoformat())]
            out["landing.events"] = _compact(backend, "landing.events", options=options, partition_filters=filters)
        if "landing.quarantine" in present:
            out["landing.quarantine"] = _compact(backend, "landing.quarantine", options=options)
    return out


def vacuum(settings: Settings, names: Iterable[str] | None = None, *,
           options: MaintenanceOptions = MaintenanceOptions()) -> dict[str, dict[str, Any]]:
    """Delete files no version within the retention window still references."""
    out: dict[str, dict[str, Any]] = {}
    chosen = _existing(settings, names)
    if not chosen:
        return out
    enforce = options.retention_hours >= DEFAULT_RETENTION_HOURS
    with _backend(settings) as backend:
        for name in chosen:
            candidates = backend.vacuum_candidates(name, options.retention_hours, enforce)
            deleted = 0
            if candidates and not options.dry_run:
                backend.vacuum(name, options.retention_hours, enforce)
                deleted = len(candidates)
            out[name] = {"candidates": len(candidates), "deleted": deleted, "version": backend.version(name)}
    return out


def checkpoint(settings: Settings, names: Iterable[str] | None = None, *,
               options: MaintenanceOptions = MaintenanceOptions()) -> dict[str, dict[str, Any]]:
    """Write a checkpoint at each table's current version and drop expired log files.

    Readers then replay one parquet file instead of every JSON commit since the table began.
    A checkpoint is not a new table version.

    On the embedded engine the optional `_delta_log/_last_checkpoint` hint is removed again:
    pysail 0.7.2 misreads it for time travel (`VERSION AS OF v` for 2 <= v < the checkpoint
    fails with "Missing commit file"), and the quality drift check reads the previous
    version. Without the hint every reader finds the checkpoint by listing the log, as the
    Delta protocol allows.
    """
    from spark_jobs.session import engine_mode

    drop_hint = options.drop_checkpoint_hint
    if drop_hint is None:
        drop_hint = engine_mode(settings) == "embedded"
    out: dict[str, dict[str, Any]] = {}
    for name in _existing(settings, names):
        dt = _open(settings, name)
        if not options.dry_run:
            dt.create_checkpoint()
            dt.cleanup_metadata()
            if drop_hint:
                _remove_checkpoint_hint(tables.table(name).path(settings))
        out[name] = {"checkpoint_version": dt.version()}
    return out


def _remove_checkpoint_hint(path: str) -> None:
    if "://" in path:
        import pyarrow.fs as pafs

        fs, root = pafs.FileSystem.from_uri(path)
        try:
            fs.delete_file(f"{root}/_delta_log/_last_checkpoint")
        except (FileNotFoundError, OSError):
            pass
        return
    try:
        os.remove(os.path.join(path, "_delta_log", "_last_checkpoint"))
    except FileNotFoundError:
        pass


def summarize(step: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Totals across tables, small enough for an XCom or one log line."""
    totals: dict[str, int] = {"tables": len(step)}
    for metrics in step.values():
        for key in ("files_removed", "files_added", "deleted", "candidates"):
            if isinstance(metrics.get(key), int):
                totals[key] = totals.get(key, 0) + metrics[key]
    return totals
