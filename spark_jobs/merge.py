"""One generic upsert: by key, with content-hash change detection and history rows.

Only rows whose content hash differs from the table's current row are written, so merging
the same rows twice writes nothing (no new Delta version, no history row). The history
MERGE runs first and is idempotent, so a crash between the two commits is repaired by the
next run without a duplicate history row.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from spark_jobs import tables
from spark_jobs.config import Settings

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

_view_ids = itertools.count()


@dataclass(frozen=True)
class MergeResult:
    inserted: int
    updated: int
    version: int | None

    @property
    def changed(self) -> int:
        return self.inserted + self.updated


def content_hash(df: DataFrame, columns: Sequence[str]) -> Column:
    """A stable SHA-256 over the given columns: maps sorted by key, and arrays sorted, because
    every array of a hashed row is a set (owners, tags): a source that lists the same owners in
    another order has not changed the entity, and must not get a new version or history row."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, MapType

    types = {f.name: f.dataType for f in df.schema.fields}

    def canonical(name: str) -> Column:
        if isinstance(types.get(name), MapType):
            return F.map_from_entries(F.array_sort(F.map_entries(F.col(name)))).alias(name)
        if isinstance(types.get(name), ArrayType):
            return F.array_sort(F.col(name)).alias(name)
        return F.col(name)

    # One timestamp format for every engine: Sail writes microseconds, JVM Spark's default
    # milliseconds, and the hash must not depend on which engine wrote the row.
    return F.sha2(F.to_json(F.struct(*[canonical(c) for c in columns]), {"timestampFormat": JSON_TIMESTAMP}), 256)


JSON_TIMESTAMP = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"


def upsert(
    spark: SparkSession,
    settings: Settings,
    table_name: str,
    staged: DataFrame,
    *,
    hash_columns: Sequence[str],
    preserve_on_update: Sequence[str] = (),
    history_table: str | None = None,
    valid_from: datetime | None = None,
    run_id: str | None = None,
) -> MergeResult:
    """Upsert `staged` into `table_name` by its key; return what changed.

    `staged` must have the table's columns except `content_hash`, which is computed here from
    `hash_columns`. It is read more than once, so it must be deterministic (built from tables,
    not from live HTTP). `preserve_on_update` columns keep the table's value on update
    (e.g. `first_seen_at`). With `history_table`, each changed row is appended there with
    `valid_from`, and the previous version of that key is closed.
    """
    from pyspark.sql import functions as F

    target = tables.table(table_name)
    tables.register(spark, settings, [table_name] + ([history_table] if history_table else []))
    current_version = tables.version(settings, table_name)
    key = list(target.key)

    staged = staged.withColumn("content_hash", content_hash(staged, hash_columns))
    current = tables.read(spark, settings, table_name, at_version=current_version).select(
        *key, F.col("content_hash").alias("_current_hash")
    )
    changes = (
        staged.join(current, on=key, how="left")
        .where(F.col("_current_hash").isNull() | (F.col("_current_hash") != F.col("content_hash")))
        .withColumn("_is_new", F.col("_current_hash").isNull())
        .drop("_current_hash")
    )
    counts = {row["_is_new"]: row["count"] for row in changes.groupBy("_is_new").count().collect()}
    inserted, updated = counts.get(True, 0), counts.get(False, 0)
    if inserted + updated == 0:
        return MergeResult(0, 0, current_version)

    view = f"_mlg_changes_{next(_view_ids)}"
    changes.drop("_is_new").select(*target.column_names).createOrReplaceTempView(view)
    try:
        if history_table:
            _merge_history(spark, history_table, view, key, valid_from, run_id)
        on = " AND ".join(f"t.{k} = s.{k}" for k in key)
        updates = ", ".join(
            f"{c} = s.{c}" for c in target.column_names if c not in key and c not in preserve_on_update
        )
        spark.sql(
            f"MERGE INTO {table_name} t USING {view} s ON {on} "
            f"WHEN MATCHED THEN UPDATE SET {updates} WHEN NOT MATCHED THEN INSERT *"
        ).collect()
    finally:
        spark.catalog.dropTempView(view)
    return MergeResult(inserted, updated, tables.version(settings, table_name))


def _merge_history(
    spark: SparkSession, history_table: str, view: str, key: list[str],
    valid_from: datetime | None, run_id: str | None,
) -> None:
    """Close the open history row of each changed key and open one with the new hash."""
    if key != ["id"]:
        raise ValueError("history is kept for tables keyed by `id`")
    when = "current_timestamp()" if valid_from is None else f"timestamp '{valid_from.isoformat(sep=' ')}'"
    run = "NULL" if run_id is None else tables.sql_literal(run_id)
    source = (
        f"SELECT role, id, entity_type, content_hash, {when} AS valid_from, "
        f"CAST(NULL AS TIMESTAMP) AS valid_to, {run} AS run_id, to_json(struct(c.*)) AS payload "
        f"FROM {view} c LATERAL VIEW explode(array('close', 'open')) r AS role"
    )
    spark.sql(
        f"MERGE INTO {history_table} h USING ({source}) s "
        "ON h.id = s.id AND h.valid_to IS NULL AND ("
        "(s.role = 'close' AND h.content_hash <> s.content_hash) OR "
        "(s.role = 'open' AND h.content_hash = s.content_hash)) "
        "WHEN MATCHED AND s.role = 'close' THEN UPDATE SET valid_to = s.valid_from "
        "WHEN NOT MATCHED AND s.role = 'open' THEN INSERT "
        "(id, entity_type, content_hash, valid_from, valid_to, run_id, payload) "
        "VALUES (s.id, s.entity_type, s.content_hash, s.valid_from, s.valid_to, s.run_id, s.payload)"
    ).collect()
