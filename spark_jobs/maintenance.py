"""Delta table maintenance through delta-rs: compact, vacuum, checkpoint.

Why delta-rs and not Spark SQL: OPTIMIZE / VACUUM are not available on every engine we run
on (pysail has neither), while delta-rs works next to any of them, on a path or on s3://.

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
from collections.abc import Iterable, Sequence
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


def optimize(settings: Settings, names: Iterable[str] | None = None, *,
             options: MaintenanceOptions = MaintenanceOptions()) -> dict[str, dict[str, Any]]:
    """Bin-pack small files of each table (default: every table but landing) into larger ones."""
    out: dict[str, dict[str, Any]] = {}
    for name in _existing(settings, names, exclude=LANDING_TABLES):
        out[name] = _compact(settings, name, options=options)
    return out


def _compact(settings: Settings, name: str, *, options: MaintenanceOptions,
             partition_filters: list[tuple[str, str, Any]] | None = None) -> dict[str, Any]:
    dt = _open(settings, name)
    before = dt.version()
    started = time.perf_counter()
    if options.dry_run:
        files = len(dt.file_uris(partition_filters) if partition_filters else dt.file_uris())
        return {"version": before, "files": files, "dry_run": True}
    metrics = dt.optimize.compact(partition_filters=partition_filters, target_size=options.target_size)
    return {"files_removed": metrics.get("numFilesRemoved", 0), "files_added": metrics.get("numFilesAdded", 0),
            "partitions": metrics.get("partitionsOptimized", 0), "version_before": before,
            "version_after": dt.version(), "seconds": round(time.perf_counter() - started, 3)}


def compact_landing(settings: Settings, *, options: MaintenanceOptions = MaintenanceOptions(),
                    today: date | None = None) -> dict[str, dict[str, Any]]:
    """Compact the landing tables: closed `ingest_date` partitions of events, all of quarantine."""
    today = today or datetime.now(timezone.utc).date()
    out: dict[str, dict[str, Any]] = {}
    if tables.exists(settings, "landing.events"):
        filters = None if options.include_open_partition else [("ingest_date", "<", today.isoformat())]
        out["landing.events"] = _compact(settings, "landing.events", options=options, partition_filters=filters)
    if tables.exists(settings, "landing.quarantine"):
        out["landing.quarantine"] = _compact(settings, "landing.quarantine", options=options)
    return out


def vacuum(settings: Settings, names: Iterable[str] | None = None, *,
           options: MaintenanceOptions = MaintenanceOptions()) -> dict[str, dict[str, Any]]:
    """Delete files no version within the retention window still references."""
    out: dict[str, dict[str, Any]] = {}
    for name in _existing(settings, names):
        dt = _open(settings, name)
        enforce = options.retention_hours >= DEFAULT_RETENTION_HOURS
        candidates = dt.vacuum(retention_hours=options.retention_hours, dry_run=True,
                               enforce_retention_duration=enforce)
        deleted: list[str] = []
        if candidates and not options.dry_run:
            deleted = dt.vacuum(retention_hours=options.retention_hours, dry_run=False,
                                enforce_retention_duration=enforce)
        out[name] = {"candidates": len(candidates), "deleted": len(deleted), "version": dt.version()}
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
