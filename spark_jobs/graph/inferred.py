"""Materialise inferred edges into graph.edges: one MERGE, so one Delta commit per run.

An inferred edge that a rule implies again stays as it is (no rewrite); a new one is inserted;
one that had gone inactive is reactivated; one whose path no longer holds is deactivated
(`active = false`, kept for history). With `managed_rules=None` every inferred edge is managed,
so the edges of a rule removed from the code go inactive on the next run; otherwise edges of
rules not named are left alone. Declared edges are never touched, even when a rule implies the
same (src, rel, dst) as a declared edge.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.graph.scratch import materialize, scratch_dir

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_view_ids = itertools.count()
_CHANGES_SCHEMA = "src string, rel string, dst string, src_type string, dst_type string, rule string, action string"


@dataclass(frozen=True)
class InferredMerge:
    inserted: int
    reactivated: int
    deactivated: int
    unchanged: int
    version: int | None

    def as_metrics(self, prefix: str = "inferred") -> dict[str, int | None]:
        return {f"{prefix}_inserted": self.inserted, f"{prefix}_reactivated": self.reactivated,
                f"{prefix}_deactivated": self.deactivated, f"{prefix}_unchanged": self.unchanged,
                "edges_version": self.version}


def merge_inferred(
    spark: SparkSession,
    settings: Settings,
    inferred: DataFrame,
    *,
    managed_rules: Sequence[str] | None = None,
    run_id: str,
    now: datetime,
) -> InferredMerge:
    """Make the active inferred edges (of `managed_rules`, or all) exactly `inferred` (src, rel,
    dst, src_type, dst_type, rule), in one commit; return what changed."""
    tables.register(spark, settings, ["graph.edges"])
    key = ["src", "rel", "dst"]
    with scratch_dir(settings, "inferred") as scratch:
        # the rules' joins run once: both the comparison and the deactivations read their rows
        return _apply(spark, settings, materialize(inferred, f"{scratch}/inferred"), key, managed_rules,
                      scratch=f"{scratch}/changes", run_id=run_id, now=now)


def _apply(spark: SparkSession, settings: Settings, inferred: DataFrame, key: list[str],
           managed_rules: Sequence[str] | None, *, scratch: str, run_id: str, now: datetime) -> InferredMerge:
    from pyspark.sql import functions as F

    # pinned: the rows compared and the rows merged into are the same version
    current = tables.read(spark, settings, "graph.edges", at_version=tables.version(settings, "graph.edges"))
    existing = current.select(*key, F.col("provenance").alias("_provenance"), F.col("active").alias("_active"),
                              F.col("rule").alias("_rule"))
    proposed = inferred.join(existing, on=key, how="left").withColumn(
        "action",
        F.when(F.col("_provenance").isNull(), F.lit("insert"))
        .when(F.col("_provenance") != "inferred", F.lit("keep"))  # a source declares it: its edge wins
        .when(~F.col("_active") | (F.col("_rule") != F.col("rule")), F.lit("reactivate"))
        .otherwise(F.lit("keep")),
    )
    managed = (F.col("provenance") == "inferred") & F.col("active")
    if managed_rules is not None:
        managed = managed & F.col("rule").isin(*managed_rules)
    gone = (
        current.where(managed)
        .select(*key, "src_type", "dst_type", "rule")
        .join(inferred.select(*key), on=key, how="left_anti")
        .withColumn("action", F.lit("deactivate"))
    )
    columns = [*key, "src_type", "dst_type", "rule", "action"]
    # materialised once: the counts and the MERGE read the same rows
    proposed.select(*columns).unionByName(gone.select(*columns)).write.parquet(scratch)
    changes = spark.read.schema(_CHANGES_SCHEMA).parquet(scratch)
    counts = {r["action"]: r["count"] for r in changes.groupBy("action").count().collect()}
    writes = sum(counts.get(a, 0) for a in ("insert", "reactivate", "deactivate"))
    version = tables.version(settings, "graph.edges")
    if writes:
        version = _merge(spark, settings, changes.where(F.col("action") != "keep"), run_id=run_id, now=now)
    return InferredMerge(counts.get("insert", 0), counts.get("reactivate", 0), counts.get("deactivate", 0),
                         counts.get("keep", 0), version)


def _merge(spark: SparkSession, settings: Settings, changes: DataFrame, *, run_id: str, now: datetime) -> int | None:
    view = f"_mlg_inferred_{next(_view_ids)}"
    changes.createOrReplaceTempView(view)
    when = f"timestamp '{now.isoformat(sep=' ')}'"
    run = tables.sql_literal(run_id)
    try:
        spark.sql(
            f"MERGE INTO graph.edges t USING {view} s "
            "ON t.src = s.src AND t.rel = s.rel AND t.dst = s.dst "
            "WHEN MATCHED AND t.provenance = 'inferred' AND s.action = 'deactivate' THEN UPDATE SET "
            f"active = false, run_id = {run} "
            "WHEN MATCHED AND t.provenance = 'inferred' AND s.action = 'reactivate' THEN UPDATE SET "
            f"active = true, rule = s.rule, last_seen_at = {when}, run_id = {run} "
            "WHEN NOT MATCHED AND s.action = 'insert' THEN INSERT "
            "(src, rel, dst, src_type, dst_type, provenance, rule, declared_by, first_seen_at, last_seen_at, "
            "active, run_id) VALUES (s.src, s.rel, s.dst, s.src_type, s.dst_type, 'inferred', s.rule, NULL, "
            f"{when}, {when}, true, {run})"
        ).collect()
    finally:
        spark.catalog.dropTempView(view)
    return tables.version(settings, "graph.edges")
