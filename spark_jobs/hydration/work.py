"""Work selection: which entities a build must hydrate.

The watermark is a `landing.events` Delta version recorded by the last successful `merge`
stage in `ops.runs` (in the lakehouse, not in Airflow). The events landed since are read from
the data files the later commits added (a build reads only those files, never the whole
landing table), coalesced to one task per
(entity_type, entity_key): ten events for one instance are one fetch.

New files are the `add` actions with `dataChange = true` of the commits after the watermark, read
from the Delta log itself, so a maintenance compaction (which adds files with `dataChange =
false`) never replays history. If one of those files was since compacted *and* vacuumed, the
work falls back to the events received since the watermark's commit time (minus SLACK).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from spark_jobs import tables
from spark_jobs.config import Settings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def watermark(spark: SparkSession, settings: Settings) -> int | None:
    """landing.events version consumed by the last successful merge or complete bootstrap (None: never)."""
    from pyspark.sql import functions as F

    if not tables.exists(settings, "ops.runs"):
        return None
    row = (tables.read(spark, settings, "ops.runs")
           .where(F.col("stage").isin("merge", "bootstrap") & (F.col("status") == "success")
                  & F.col("landing_version").isNotNull())
           .agg(F.max("landing_version").alias("v")).collect())
    return None if not row or row[0]["v"] is None else int(row[0]["v"])


def _added_files(settings: Settings, since: int, until: int) -> list[str] | None:
    """Data files added (dataChange) by commits since+1..until; None if one cannot be read."""
    import json
    from urllib.parse import unquote

    from pyarrow import fs as pafs

    root = tables.table("landing.events").path(settings)
    filesystem, base = pafs.FileSystem.from_uri(root if "://" in root else f"file://{root}")
    added: list[str] = []
    try:
        for version in range(since + 1, until + 1):
            with filesystem.open_input_stream(f"{base}/_delta_log/{version:020d}.json") as fh:
                for line in fh.read().decode().splitlines():
                    add = json.loads(line).get("add") if line.strip() else None
                    if add and add.get("dataChange", True):
                        added.append(unquote(add["path"]))
        infos = filesystem.get_file_info([f"{base}/{p}" for p in added])
    except (OSError, ValueError):
        return None
    if any(i.type == pafs.FileType.NotFound for i in infos):
        return None
    return [f"{root}/{p}" for p in added]


SLACK = timedelta(hours=1)
"""Landing receives a message before it commits it: how much earlier than the watermark's
commit an event not yet in that commit may have been received."""


def _commit_time(settings: Settings, version: int) -> datetime | None:
    from deltalake import DeltaTable

    try:
        dt = DeltaTable(tables.table("landing.events").path(settings), storage_options=tables.storage_options())
        for entry in dt.history():
            if entry.get("version") == version and entry.get("timestamp"):
                return datetime.fromtimestamp(entry["timestamp"] / 1000, tz=timezone.utc)
    except Exception:  # noqa: BLE001 - no time bound is still correct, only slower
        return None
    return None


def new_events(spark: SparkSession, settings: Settings, since: int | None,
               until: int | None) -> DataFrame | None:
    """Events landed after version `since` up to `until` (source, entity_type, entity_key), or None."""
    from pyspark.sql import functions as F

    if until is None or (since is not None and since >= until):
        return None
    if since is None:
        return tables.read(spark, settings, "landing.events", at_version=until).select(*EVENT_COLUMNS)
    added = _added_files(settings, since, until)
    if added is not None:
        return spark.read.parquet(*added).select(*EVENT_COLUMNS) if added else None
    events = tables.read(spark, settings, "landing.events", at_version=until)
    bound = _commit_time(settings, since)
    if bound is not None:
        events = events.where((F.col("ingest_date") >= F.lit((bound - SLACK).date()))
                              & (F.col("received_at") >= F.lit(bound - SLACK)))
    return events.select(*EVENT_COLUMNS)


EVENT_COLUMNS = ("source", "entity_type", "entity_key")


def coalesce(events: DataFrame | None) -> list[tuple[str, str]]:
    """One (entity_type, entity_key) per entity to fetch, in a stable order (events of a
    self-describing source are their own payload: never fetched, see `self_described`)."""
    from pyspark.sql import functions as F

    from spark_jobs.providers import SELF_DESCRIBING

    if events is None:
        return []
    rows = (events.where("entity_type IS NOT NULL AND entity_key IS NOT NULL")
            .where(~F.col("source").isin(*SELF_DESCRIBING)).select("entity_type", "entity_key")
            .distinct().collect())
    return sorted((r["entity_type"], r["entity_key"]) for r in rows)


def self_described(events: DataFrame | None) -> list[str]:
    """The self-describing sources (OpenLineage) with new events in `events`."""
    from pyspark.sql import functions as F

    from spark_jobs.providers import SELF_DESCRIBING

    if events is None:
        return []
    rows = events.where(F.col("source").isin(*SELF_DESCRIBING)).select("source").distinct().collect()
    return sorted(r["source"] for r in rows)
