"""Stage `merge`: merge the batch `hydrate` staged in this run into graph.entities,
graph.entity_history, graph.edges and ops.hydration_failures (one commit per table), and record
the landing version it consumed (the watermark the next build starts from)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.stages import RunContext

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _hydrated_version(spark: SparkSession, settings: Settings, run_id: str) -> int | None:
    from pyspark.sql import functions as F

    rows = (tables.read(spark, settings, "ops.runs")
            .where((F.col("run_id") == run_id) & (F.col("stage") == "hydrate") & (F.col("status") == "success"))
            .select("landing_version").collect())
    values = [r["landing_version"] for r in rows if r["landing_version"] is not None]
    return max(values) if values else None


def run(spark: SparkSession, settings: Settings, ctx: RunContext) -> dict[str, Any]:
    from spark_jobs.hydration.apply import merge_batch
    from spark_jobs.hydration.config import HydrationConfig
    from spark_jobs.hydration.staging import has_batch

    config = HydrationConfig.load(ctx.options)
    tables.register(spark, settings)
    batch = f"{ctx.run_id}:hydrate"
    metrics: dict[str, Any] = {"landing_version": _hydrated_version(spark, settings, ctx.run_id)}
    if not has_batch(spark, settings, batch):
        metrics["merged"] = False
        return metrics
    metrics.update(merge_batch(spark, settings, batch, run_id=ctx.run_id, now=datetime.now(timezone.utc),
                               failure_backoff_s=config.failure_backoff_s))
    return metrics
