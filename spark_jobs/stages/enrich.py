"""Stage `enrich`: hydrate up to N entities still in state `reference` (option `enrich_limit`,
MLG_ENRICH_LIMIT) and merge them, so the graph completes progressively even when events were
dropped. Users are skipped: identity is keyed by email, and a user reference exists only when
identity did not know the owner's email."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.stages import RunContext

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def run(spark: SparkSession, settings: Settings, ctx: RunContext) -> dict[str, Any]:
    from pyspark.sql import functions as F

    from spark_jobs.hydration.apply import merge_batch
    from spark_jobs.hydration.config import HydrationConfig
    from spark_jobs.hydration.hydrate import hydrate_entities
    from spark_jobs.model import resource_id

    config = HydrationConfig.load(ctx.options)
    if config.enrich_limit <= 0 or not tables.exists(settings, "graph.entities"):
        return {"references": 0}
    if not settings.source_urls:
        return {"references": 0, "skipped": "no source URLs configured (MLG_SOURCE_<PLATFORM>_URL)"}
    rows = (tables.read(spark, settings, "graph.entities")
            .where((F.col("state") == "reference") & (F.col("entity_type") != "User"))
            .orderBy("first_seen_at", "id").limit(config.enrich_limit).select("id", "entity_type").collect())
    if not rows:
        return {"references": 0}
    todo = [(r["entity_type"], resource_id(r["id"])) for r in rows]
    batch = f"{ctx.run_id}:enrich"
    result = hydrate_entities(spark, settings, config, todo, batch=batch, state="enriched")
    metrics = {"references": len(todo), "enriched": result["hydrated"], "deleted": result["deleted"],
               "failed": result["failed"], "requests": result["requests"]}
    metrics.update(merge_batch(spark, settings, batch, run_id=ctx.run_id, now=datetime.now(timezone.utc),
                               failure_backoff_s=config.failure_backoff_s))
    return metrics
