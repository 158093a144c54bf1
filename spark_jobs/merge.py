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
    `hash_columns`; what differs from the table is computed once, into scratch Parquet under
    the lakehouse, and the commits read that. `preserve_on_update` columns keep the table's value on update
    (e.g. `first_seen_at`). With `history_table`, each changed row is appended there with
    `valid_from`, and the previous version of that key is closed.
    """
    from pyspark.sql import functions as F

    from spark_jobs.graph.scratch import scratch_dir

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
    extra = {"_is_new": "BOOLEAN"}
    if history_table:
        # the open history row of each changed key, joined here once: what the history needs
        # (`open` a row, `close` the previous one too, or nothing: it already has this hash)
        if key != ["id"]:
            raise ValueError("history is kept for tables keyed by `id`")
        open_rows = (tables.read(spark, settings, history_table).where(F.col("valid_to").isNull())
                     .select("id", F.col("content_hash").alias("_open_hash")))
        changes = changes.join(open_rows, on="id", how="left").withColumn(
            "_history", F.when(F.col("_open_hash").isNull(), F.lit("open"))
            .when(F.col("_open_hash") != F.col("content_hash"), F.lit("close")).otherwise(F.lit("kept")))
        extra["_history"] = "STRING"
    with scratch_dir(settings, "upsert") as scratch:
        # materialised once: the hashing and the joins run once for the counts and the writes,
        # and the writes read a file instead of re-planning them (memory at a million entities)
        changes.select(*target.column_names, *extra).write.parquet(scratch)
        changes = spark.read.schema(", ".join([target.ddl, *(f"{c} {t}" for c, t in extra.items())])).parquet(scratch)
        counts = {tuple(row)[:-1]: row["count"] for row in changes.groupBy(*extra).count().collect()}
        inserted = sum(n for k, n in counts.items() if k[0])
        updated = sum(n for k, n in counts.items() if not k[0])
        if inserted + updated == 0:
            return MergeResult(0, 0, current_version)
        if history_table:
            _write_history(spark, settings, history_table, changes, {k[1] for k in counts}, valid_from, run_id)
        rows = changes.select(*target.column_names)
        if updated == 0:  # no staged row has a key in the table: an append commits the same rows
            tables.append(rows, settings, table_name)
        else:
            _merge_rows(spark, table_name, rows, key, [c for c in target.column_names
                                                       if c not in key and c not in preserve_on_update])
    return MergeResult(inserted, updated, tables.version(settings, table_name))


def _merge_rows(spark: SparkSession, table_name: str, rows: DataFrame, key: list[str], updated: list[str]) -> None:
    view = f"_mlg_changes_{next(_view_ids)}"
    rows.createOrReplaceTempView(view)
    on = " AND ".join(f"t.{k} = s.{k}" for k in key)
    updates = ", ".join(f"{c} = s.{c}" for c in updated)
    try:
        spark.sql(
            f"MERGE INTO {table_name} t USING {view} s ON {on} "
            f"WHEN MATCHED THEN UPDATE SET {updates} WHEN NOT MATCHED THEN INSERT *"
        ).collect()
    finally:
        spark.catalog.dropTempView(view)


def _write_history(spark: SparkSession, settings: Settings, history_table: str, changes: DataFrame,
                   needs: set[str], valid_from: datetime | None, run_id: str | None) -> None:
    """One history commit for the changes (`needs`: their `_history` values): the MERGE when an
    open row must be closed, else an append of the rows to open (a bootstrap, a batch of new
    keys). A key whose open row already has its hash (a crash after this commit and before the
    table's) gets no second row either way."""
    from pyspark.sql import functions as F

    columns = [c for c in changes.columns if not c.startswith("_")]
    view = f"_mlg_changes_{next(_view_ids)}"
    if "close" in needs:
        changes.select(*columns).createOrReplaceTempView(view)
    elif "open" in needs:
        changes.where(F.col("_history") == "open").select(*columns).createOrReplaceTempView(view)
    else:
        return
    try:
        if "close" in needs:
            _merge_history(spark, history_table, view, ["id"], valid_from, run_id)
        else:
            tables.append(spark.sql(f"SELECT {_history_row(valid_from, run_id)} FROM {view} c"),
                          settings, history_table)
    finally:
        spark.catalog.dropTempView(view)


def _history_row(valid_from: datetime | None, run_id: str | None) -> str:
    """The history columns of a change row `c` (the entity's columns as its JSON payload)."""
    when = "current_timestamp()" if valid_from is None else f"timestamp '{valid_from.isoformat(sep=' ')}'"
    run = "NULL" if run_id is None else tables.sql_literal(run_id)
    return (f"id, entity_type, content_hash, {when} AS valid_from, CAST(NULL AS TIMESTAMP) AS valid_to, "
            f"{run} AS run_id, to_json(struct(c.*)) AS payload")


def _merge_history(
    spark: SparkSession, history_table: str, view: str, key: list[str],
    valid_from: datetime | None, run_id: str | None,
) -> None:
    """Close the open history row of each changed key and open one with the new hash."""
    if key != ["id"]:
        raise ValueError("history is kept for tables keyed by `id`")
    source = (f"SELECT role, {_history_row(valid_from, run_id)} "
              f"FROM {view} c LATERAL VIEW explode(array('close', 'open')) r AS role")
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
