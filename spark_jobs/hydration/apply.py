"""Merge one staged hydration batch into the graph: one commit per table.

- graph.entities (+ graph.entity_history): hydrated rows, tombstones (404, vanished, cells whose
  test no longer has them) and `reference` rows for edge targets not yet in the graph, through
  the generic content-hash upsert: an unchanged payload writes nothing and moves no timestamp.
- graph.edges: the declared edges of every entity in the batch; edges those entities declared
  before and no longer do become inactive; first_seen_at is kept.
- ops.hydration_failures: failed requests (attempts + 1, next_attempt_at with exponential
  backoff) and resolution of earlier failures that now succeeded.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from spark_jobs import killpoint, merge, tables
from spark_jobs.config import Settings
from spark_jobs.graph.scratch import scratch_dir
from spark_jobs.hydration.staging import STAGING_EDGES, STAGING_ENTITIES, STAGING_OUTCOMES
from spark_jobs.model import EntityType

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

ENTITY_HASH = ("id", "entity_type", "domain", "provider", "name", "description", "owners", "tags",
               "properties", "source_status", "created_at", "updated_at", "state")
EDGE_HASH = ("src", "rel", "dst", "src_type", "dst_type", "provenance", "rule", "declared_by", "active")
LIVE = ("hydrated", "enriched")
MAX_FAILURE_BACKOFF_S = 86_400.0


def _ts(value: datetime) -> str:
    return f"timestamp '{value.isoformat(sep=' ')}'"


def _types(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame([(t.value, t.domain, t.platform) for t in EntityType],
                                 "entity_type STRING, domain STRING, provider STRING")


def merge_batch(spark: SparkSession, settings: Settings, batch: str, *, run_id: str, now: datetime,
                failure_backoff_s: float = 60.0) -> dict[str, Any]:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    tables.register(spark, settings, ["graph.entities", "graph.entity_history", "graph.edges",
                                      "ops.hydration_failures", *(t.name for t in (
                                          STAGING_ENTITIES, STAGING_EDGES, STAGING_OUTCOMES))])
    ent_s = tables.read(spark, settings, STAGING_ENTITIES.name).where(F.col("batch") == batch).drop("batch")
    edg_s = tables.read(spark, settings, STAGING_EDGES.name).where(F.col("batch") == batch).drop("batch")
    out_s = tables.read(spark, settings, STAGING_OUTCOMES.name).where(F.col("batch") == batch).drop("batch")
    if out_s.limit(1).count() == 0 and ent_s.limit(1).count() == 0:
        return {"batch": batch, "merged": False}
    now_lit = F.lit(now).cast("timestamp")
    cur = tables.read(spark, settings, "graph.entities",
                      at_version=tables.version(settings, "graph.entities"))
    cur_edges = tables.read(spark, settings, "graph.edges", at_version=tables.version(settings, "graph.edges"))

    # one staged row per id (a payload is staged once; duplicates would only come from two
    # payloads naming the same entity, e.g. an owner user also hydrated by its own event)
    w = Window.partitionBy("id").orderBy(F.col("state"), F.col("name"))
    ent = ent_s.withColumn("_n", F.row_number().over(w)).where("_n = 1").drop("_n")
    staged_ids = ent.select("id")

    # tombstones: 404s (users found by email), and entities that only a batch entity declared
    deleted = out_s.where((F.col("outcome") == "deleted") & F.col("id").isNotNull()).select("id")
    users = cur.where(F.col("entity_type") == "User").select(
        "id", F.col("properties").getItem("email").alias("entity_key"))
    deleted_users = (out_s.where((F.col("outcome") == "deleted") & F.col("id").isNull()
                                 & (F.col("entity_type") == "User")).select("entity_key")
                     .join(users, "entity_key").select("id"))
    # identity addresses users by username but keys them by email: a renamed user's old URI goes
    renamed = (ent.where(F.col("entity_type") == "User")
               .select(F.col("properties").getItem("email").alias("entity_key")).where("entity_key IS NOT NULL")
               .join(users, "entity_key").select("id"))
    tomb0 = (deleted.unionByName(deleted_users).unionByName(renamed).distinct()
             .join(staged_ids, "id", "left_anti"))
    declarers = staged_ids.unionByName(tomb0).distinct()
    orphans = (cur_edges.where(F.col("active") & (F.col("provenance") == "declared")
                               & (F.col("src") != F.col("declared_by")))
               .join(declarers.select(F.col("id").alias("declared_by")), "declared_by", "left_semi")
               .select(F.col("src").alias("id")).join(staged_ids, "id", "left_anti"))
    tombs = tomb0.unionByName(orphans).distinct()

    cols = tables.columns_except("graph.entities", ["content_hash"])
    prev = cur.select("id", F.col("state").alias("_cur_state"), F.col("first_seen_at").alias("_first"),
                      F.col("last_enriched_at").alias("_enriched"))
    hydrated = (ent.join(prev, "id", "left")
                .withColumn("last_enriched_at", F.when(F.col("state") == "enriched", now_lit)
                            .otherwise(F.col("_enriched")))
                .withColumn("state", F.when(F.col("_cur_state").isin(*LIVE), F.col("_cur_state"))
                            .otherwise(F.col("state")))
                .withColumn("first_seen_at", F.coalesce(F.col("_first"), now_lit))
                .withColumn("last_hydrated_at", now_lit)
                .withColumn("run_id", F.lit(run_id)))
    gone_known = (cur.join(tombs, "id", "left_semi").withColumn("state", F.lit("deleted"))
                  .withColumn("run_id", F.lit(run_id)))
    gone_new = (out_s.where(F.col("outcome") == "deleted").where(F.col("id").isNotNull())
                .select("id", "entity_type", F.col("entity_key").alias("name"))
                .join(cur.select("id"), "id", "left_anti").join(staged_ids, "id", "left_anti")
                .dropDuplicates(["id"]).join(_types(spark), "entity_type"))
    refs = (edg_s.select(F.col("dst").alias("id"), F.col("dst_type").alias("entity_type"),
                         F.col("dst_name").alias("name"))
            .join(cur.select("id"), "id", "left_anti").join(staged_ids, "id", "left_anti")
            .join(tombs, "id", "left_anti").dropDuplicates(["id"]).join(_types(spark), "entity_type"))

    def minimal(df: DataFrame, state: str) -> DataFrame:
        return (df.withColumn("description", F.lit(None).cast("string"))
                .withColumn("owners", F.array().cast("array<string>"))
                .withColumn("tags", F.array().cast("array<struct<tag:string,value:string>>"))
                .withColumn("properties", F.create_map().cast("map<string,string>"))
                .withColumn("source_status", F.lit(None).cast("string"))
                .withColumn("created_at", F.lit(None).cast("timestamp"))
                .withColumn("updated_at", F.lit(None).cast("timestamp"))
                .withColumn("state", F.lit(state)).withColumn("first_seen_at", now_lit)
                .withColumn("last_hydrated_at", F.lit(None).cast("timestamp"))
                .withColumn("last_enriched_at", F.lit(None).cast("timestamp"))
                .withColumn("run_id", F.lit(run_id)))

    staged_entities = (hydrated.select(*cols).unionByName(gone_known.select(*cols))
                       .unionByName(minimal(gone_new, "deleted").select(*cols))
                       .unionByName(minimal(refs, "reference").select(*cols)))
    entities = merge.upsert(spark, settings, "graph.entities", staged_entities, hash_columns=ENTITY_HASH,
                            preserve_on_update=("first_seen_at",), history_table="graph.entity_history",
                            valid_from=now, run_id=run_id)
    suffix = batch.rsplit(":", 1)[-1]  # the batch's stage names the kill points (hydrate's is merged by merge)
    stage = "merge" if suffix == "hydrate" else suffix
    killpoint.reached(f"{stage}:after_entities")

    # edges: what the batch's entities declare now, and what they declared before and no longer do
    edge_cols = tables.table("graph.edges").column_names
    new = (edg_s.dropDuplicates(["src", "rel", "dst"])
           .join(cur_edges.select("src", "rel", "dst", F.col("first_seen_at").alias("_first")),
                 ["src", "rel", "dst"], "left")
           .withColumn("provenance", F.lit("declared")).withColumn("rule", F.lit(None).cast("string"))
           .withColumn("first_seen_at", F.coalesce(F.col("_first"), now_lit))
           .withColumn("last_seen_at", now_lit).withColumn("active", F.lit(True))
           .withColumn("run_id", F.lit(run_id)))
    dropped = (cur_edges.where(F.col("active") & (F.col("provenance") == "declared"))
               .join(declarers.select(F.col("id").alias("declared_by")), "declared_by", "left_semi")
               .join(new.select("src", "rel", "dst"), ["src", "rel", "dst"], "left_anti")
               .withColumn("active", F.lit(False)).withColumn("run_id", F.lit(run_id)))
    staged_edges = new.select(*edge_cols).unionByName(dropped.select(*edge_cols))
    edges = _merge_edges(spark, settings, staged_edges, cur_edges)
    killpoint.reached(f"{stage}:after_edges")

    failures = _merge_failures(spark, settings, out_s, run_id=run_id, now=now,
                               backoff_s=failure_backoff_s)
    return {"batch": batch, "merged": True,
            "entities_inserted": entities.inserted, "entities_updated": entities.updated,
            "edges_inserted": edges.inserted, "edges_updated": edges.updated, **failures}


def _merge_edges(spark: SparkSession, settings: Settings, staged: DataFrame,
                 current: DataFrame) -> merge.MergeResult:
    """Write only the edges whose state differs from the table (graph.edges has no content hash:
    the compared columns are few), so re-declaring an unchanged edge writes nothing."""
    from pyspark.sql import functions as F

    key = ["src", "rel", "dst"]
    cur = current.select(*key, *[F.col(c).alias(f"_cur_{c}") for c in EDGE_HASH if c not in key],
                         F.lit(True).alias("_exists"))
    joined = staged.join(cur, key, "left")
    differs = None
    for c in EDGE_HASH:
        if c in key:
            continue
        d = ~F.col(c).eqNullSafe(F.col(f"_cur_{c}"))
        differs = d if differs is None else differs | d
    columns = tables.table("graph.edges").column_names
    changes = joined.where(F.col("_exists").isNull() | differs).select(
        *columns, F.col("_exists").isNull().alias("_is_new"))
    with scratch_dir(settings, "edges") as scratch:
        changes.write.parquet(scratch)  # materialised once: the batch's joins run once
        changes = spark.read.schema(f"{tables.table('graph.edges').ddl}, _is_new BOOLEAN").parquet(scratch)
        counts = {r["_is_new"]: r["count"] for r in changes.groupBy("_is_new").count().collect()}
        inserted, updated = counts.get(True, 0), counts.get(False, 0)
        if inserted + updated == 0:
            return merge.MergeResult(0, 0, tables.version(settings, "graph.edges"))
        merge.write_rows(spark, settings, "graph.edges", changes, at_version=tables.version(settings, "graph.edges"),
                         preserve_on_update=("first_seen_at",), all_new=updated == 0)
    return merge.MergeResult(inserted, updated, tables.version(settings, "graph.edges"))


def _merge_failures(spark: SparkSession, settings: Settings, outcomes: DataFrame, *, run_id: str,
                    now: datetime, backoff_s: float) -> dict[str, int]:
    """One MERGE into ops.hydration_failures: new/extended failures and resolved retries."""
    from pyspark.sql import functions as F

    table = "ops.hydration_failures"
    cur = tables.read(spark, settings, table, at_version=tables.version(settings, table)).select(
        F.col("id").alias("failure_id"), F.col("attempts").alias("_attempts"), F.col("resolved").alias("_resolved"))
    src = (outcomes.dropDuplicates(["failure_id"]).join(cur, "failure_id", "left")
           .where((F.col("outcome") == "failed") | (F.col("_attempts").isNotNull() & ~F.col("_resolved"))))
    counts = {r["outcome"]: r["count"] for r in src.groupBy("outcome").count().collect()}
    failed = counts.get("failed", 0)
    resolved = sum(counts.values()) - failed
    if failed + resolved == 0:
        return {"failed": 0, "failures_resolved": 0}
    attempts = F.when(F.col("_resolved") | F.col("_attempts").isNull(), F.lit(1)).otherwise(F.col("_attempts") + 1)
    delay = F.least(F.lit(backoff_s) * F.pow(F.lit(2.0), attempts - 1), F.lit(MAX_FAILURE_BACKOFF_S))
    view = f"_mlg_failures_{run_id.replace('-', '_').replace(':', '_')}"
    (src.withColumn("attempts", attempts.cast("int"))
        .withColumn("next_attempt_at",
                    (F.lit(now).cast("timestamp").cast("double") + delay).cast("timestamp"))
        .select("failure_id", "source", "entity_type", "outcome", "error", "attempts", "next_attempt_at")
        .createOrReplaceTempView(view))
    now_sql, run_sql = _ts(now), tables.sql_literal(run_id)
    try:
        spark.sql(
            f"MERGE INTO {table} f USING {view} s ON f.id = s.failure_id "
            f"WHEN MATCHED AND s.outcome = 'failed' THEN UPDATE SET status = 'failed', attempts = s.attempts, "
            f"last_error = s.error, last_attempt_at = {now_sql}, next_attempt_at = s.next_attempt_at, "
            f"resolved = false, run_id = {run_sql} "
            f"WHEN MATCHED THEN UPDATE SET status = s.outcome, resolved = true, last_attempt_at = {now_sql}, "
            f"run_id = {run_sql} "
            f"WHEN NOT MATCHED AND s.outcome = 'failed' THEN INSERT "
            f"(id, source, entity_type, status, attempts, last_error, first_failed_at, last_attempt_at, "
            f"next_attempt_at, resolved, run_id) VALUES (s.failure_id, s.source, s.entity_type, 'failed', "
            f"s.attempts, s.error, {now_sql}, {now_sql}, s.next_attempt_at, false, {run_sql})"
        ).collect()
    finally:
        spark.catalog.dropTempView(view)
    return {"failed": failed, "failures_resolved": resolved}


def retry_due(spark: SparkSession, settings: Settings, now: datetime, *, limit: int = 100_000) -> list[tuple[str, str]]:
    """(entity_type, source key) of failed hydrations whose next attempt is due."""
    from pyspark.sql import functions as F

    from spark_jobs.model import resource_id

    if not tables.exists(settings, "ops.hydration_failures"):
        return []
    rows = (tables.read(spark, settings, "ops.hydration_failures")
            .where(~F.col("resolved") & (F.col("next_attempt_at") <= F.lit(now).cast("timestamp")))
            .select("id", "entity_type").limit(limit).collect())
    return [(r["entity_type"], resource_id(r["id"])) for r in rows]
