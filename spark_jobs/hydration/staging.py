"""Staging tables: the normalised rows of one hydration batch, consumed by the merge.

Each batch (`<run_id>:<stage>`) overwrites the staging tables with its first write and appends
after, so staging holds one batch and costs nothing when a run has no work (no write at all).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from spark_jobs import killpoint, tables
from spark_jobs.config import Settings
from spark_jobs.model import EntityType, resource_id

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_TAGS = "ARRAY<STRUCT<tag: STRING, value: STRING>>"

STAGING_ENTITIES = tables.add_table(tables.Table(
    "staging.entities",
    (("batch", "STRING"), ("id", "STRING"), ("entity_type", "STRING"), ("domain", "STRING"),
     ("provider", "STRING"), ("name", "STRING"), ("description", "STRING"), ("owners", "ARRAY<STRING>"),
     ("tags", _TAGS), ("properties", "MAP<STRING, STRING>"), ("source_status", "STRING"),
     ("created_at", "TIMESTAMP"), ("updated_at", "TIMESTAMP"), ("state", "STRING")),
    key=("batch", "id"),
    description="normalised entity rows of the latest hydration batch (merge input)",
))
STAGING_EDGES = tables.add_table(tables.Table(
    "staging.edges",
    (("batch", "STRING"), ("src", "STRING"), ("rel", "STRING"), ("dst", "STRING"), ("src_type", "STRING"),
     ("dst_type", "STRING"), ("dst_name", "STRING"), ("declared_by", "STRING")),
    key=("batch", "src", "rel", "dst"),
    description="declared edges of the latest hydration batch (merge input)",
))
STAGING_OUTCOMES = tables.add_table(tables.Table(
    "staging.outcomes",
    (("batch", "STRING"), ("source", "STRING"), ("entity_type", "STRING"), ("entity_key", "STRING"),
     ("failure_id", "STRING"), ("id", "STRING"), ("outcome", "STRING"), ("error", "STRING")),
    key=("batch", "failure_id"),
    description="one requested entity of the latest batch: hydrated, deleted (404) or failed",
))
STAGING = (STAGING_ENTITIES.name, STAGING_EDGES.name, STAGING_OUTCOMES.name)


def parse_ts(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def type_of(uri: str) -> str | None:
    try:
        return EntityType.of_uri(uri).value
    except ValueError:
        return None


class StagingWriter:
    """Buffers rows and writes them to the staging tables in chunks (one Delta commit each)."""

    def __init__(self, spark: SparkSession, settings: Settings, batch: str, *, chunk_rows: int = 50_000,
                 append: bool = False) -> None:
        """`append`: add to rows another writer already staged for this batch (else the first
        chunk replaces whatever the staging tables held)."""
        self.spark, self.settings, self.batch, self.chunk_rows = spark, settings, batch, chunk_rows
        self._rows: dict[str, list[tuple]] = {name: [] for name in STAGING}
        self._started: set[str] = {n for n in STAGING if tables.exists(settings, n)} if append else set()
        self.counts = {name: 0 for name in STAGING}

    def entity(self, row: dict[str, Any]) -> None:
        self._add(STAGING_ENTITIES.name, (
            self.batch, row["id"], row["entity_type"], row["domain"], row["provider"], row["name"],
            row["description"], row["owners"], [(t["tag"], t["value"]) for t in row["tags"]],
            row["properties"], row["source_status"], parse_ts(row["created_at"]),
            parse_ts(row["updated_at"]), row["state"]))

    def edge(self, src: str, rel: str, dst: str, declared_by: str) -> None:
        self._add(STAGING_EDGES.name, (self.batch, src, rel, dst, type_of(src), type_of(dst),
                                       resource_id(dst), declared_by))

    def outcome(self, *, source: str, entity_type: str, key: str, id: str | None, outcome: str,
                error: str | None = None) -> None:
        failure_id = EntityType(entity_type).uri(key)
        self._add(STAGING_OUTCOMES.name, (self.batch, source, entity_type, key, failure_id, id, outcome, error))

    def _add(self, name: str, row: tuple) -> None:
        rows = self._rows[name]
        rows.append(row)
        if len(rows) >= self.chunk_rows:
            self._flush(name)

    def _flush(self, name: str) -> None:
        rows = self._rows[name]
        if not rows:
            return
        df = self.spark.createDataFrame(rows, tables.table(name).ddl)
        mode = "append" if name in self._started else "overwrite"
        writer = df.write.format("delta").mode(mode)
        if mode == "overwrite":
            writer = writer.option("overwriteSchema", "true")
        writer.save(tables.table(name).path(self.settings))
        self._started.add(name)
        self.counts[name] += len(rows)
        self._rows[name] = []
        killpoint.reached(f"{self.batch.rsplit(':', 1)[-1]}:after_staging_write")

    def close(self) -> dict[str, int]:
        for name in STAGING:
            self._flush(name)
        return {name.split(".")[1]: n for name, n in self.counts.items()}

def has_batch(spark: SparkSession, settings: Settings, batch: str) -> bool:
    """Whether the staging tables hold this batch (a stage that found no work writes none)."""
    if not tables.exists(settings, STAGING_OUTCOMES.name) and not tables.exists(settings, STAGING_ENTITIES.name):
        return False
    from pyspark.sql import functions as F

    for name in (STAGING_OUTCOMES.name, STAGING_ENTITIES.name):
        if tables.exists(settings, name) and \
                tables.read(spark, settings, name).where(F.col("batch") == batch).limit(1).count():
            return True
    return False
