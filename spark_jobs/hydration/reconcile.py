"""Bulk paths over the listing endpoints, as functions the Airflow maintenance DAG calls.

- `bootstrap`: load every source's current state in bulk (a new deployment, benchmarks);
  SQS events are only for incremental change.
- `reconcile`: the same listing, then tombstone what the graph holds as live but no complete
  listing returned (missed delete events); unchanged entities write nothing (content hashes).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.hydration.apply import merge_batch
from spark_jobs.hydration.config import HydrationConfig
from spark_jobs.hydration.listing import complete_types, hydrate_listings
from spark_jobs.hydration.staging import STAGING_ENTITIES, STAGING_OUTCOMES

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from spark_jobs.stages import RunContext


def stage_listing(spark: SparkSession, settings: Settings, config: HydrationConfig, *, batch: str,
                  tombstone: bool) -> dict[str, Any]:
    """List everything into staging batch `batch`; with `tombstone`, stage vanished entities as deleted."""
    from pyspark.sql import functions as F

    from spark_jobs.providers import SELF_DESCRIBING

    started = time.perf_counter()
    metrics = hydrate_listings(spark, settings, config, batch=batch)
    metrics["list_s"] = round(time.perf_counter() - started, 3)
    types = complete_types(metrics["complete"])
    metrics["vanished"] = 0
    if tombstone and types and tables.exists(settings, "graph.entities"):
        listed = tables.read(spark, settings, STAGING_ENTITIES.name).where(F.col("batch") == batch).select("id")
        vanished = (tables.read(spark, settings, "graph.entities")
                    .where(F.col("state").isin("hydrated", "enriched") & F.col("entity_type").isin(*types)
                           # no listing holds a self-described source's entities: never "vanished"
                           & ~F.col("provider").isin(*SELF_DESCRIBING))
                    .join(listed, "id", "left_anti")
                    .select(F.lit(batch).alias("batch"), F.col("provider").alias("source"), "entity_type",
                            F.regexp_extract("id", r"^aip://[^/]+/[^/]+/(.*)$", 1).alias("entity_key"),
                            F.col("id").alias("failure_id"), "id", F.lit("deleted").alias("outcome"),
                            F.lit(None).cast("string").alias("error")))
        n = vanished.count()
        if n:
            tables.append(vanished, settings, STAGING_OUTCOMES.name)
        metrics["vanished"] = n
    return metrics


def _run(spark: SparkSession, settings: Settings, ctx: RunContext, *, stage: str, tombstone: bool) -> dict[str, Any]:
    config = HydrationConfig.load(ctx.options)
    tables.register(spark, settings)
    batch = f"{ctx.run_id}:{stage}"
    # the listing reads state at least as new as every event landed so far
    landing_version = tables.version(settings, "landing.events")
    metrics = stage_listing(spark, settings, config, batch=batch, tombstone=tombstone)
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    metrics.update(merge_batch(spark, settings, batch, run_id=ctx.run_id, now=now,
                               failure_backoff_s=config.failure_backoff_s))
    metrics["merge_s"] = round(time.perf_counter() - started, 3)
    # an incomplete listing merged what it got but tombstoned nothing for that collection
    metrics["status"] = "partial" if metrics["errors"] else "success"
    if stage == "bootstrap" and not metrics["errors"]:
        # a complete bootstrap supersedes the events landed before it: the next build starts after them
        metrics["landing_version"] = landing_version
    return metrics


def bootstrap(spark: SparkSession, settings: Settings, ctx: RunContext) -> dict[str, Any]:
    """Load every source's current state through its listing endpoints, and merge it."""
    return _run(spark, settings, ctx, stage="bootstrap", tombstone=False)


def reconcile(spark: SparkSession, settings: Settings, ctx: RunContext) -> dict[str, Any]:
    """Page through every listing: hydrate missing or stale entities, tombstone vanished ones."""
    return _run(spark, settings, ctx, stage="reconcile", tombstone=True)
