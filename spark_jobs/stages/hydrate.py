"""Stage `hydrate`: select the work (events landed since the watermark, coalesced per entity,
plus failed hydrations now due), fetch it from the sources in bulk, normalise, and stage the
rows for `merge`. On a fresh lakehouse (graph.entities empty) it bootstraps through the listing
endpoints instead (`bootstrap` option / MLG_BOOTSTRAP: auto | always | never).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.stages import RunContext

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _graph_empty(spark: SparkSession, settings: Settings) -> bool:
    return not tables.exists(settings, "graph.entities") or \
        tables.read(spark, settings, "graph.entities").limit(1).count() == 0


def run(spark: SparkSession, settings: Settings, ctx: RunContext) -> dict[str, Any]:
    from spark_jobs.hydration import work
    from spark_jobs.hydration.apply import retry_due
    from spark_jobs.hydration.config import HydrationConfig
    from spark_jobs.hydration.hydrate import hydrate_entities
    from spark_jobs.hydration.reconcile import stage_listing
    from spark_jobs.model import PLATFORMS

    config = HydrationConfig.load(ctx.options)
    tables.register(spark, settings)
    batch = f"{ctx.run_id}:hydrate"
    until = tables.version(settings, "landing.events")
    since = work.watermark(spark, settings)
    metrics: dict[str, Any] = {"landing_version": until, "since_version": since}
    started = time.perf_counter()

    sources_configured = all(settings.source_urls.get(p) for p in PLATFORMS)
    if config.bootstrap == "always" or (config.bootstrap == "auto" and sources_configured
                                        and _graph_empty(spark, settings)):
        listing = stage_listing(spark, settings, config, batch=batch, tombstone=False)
        metrics.update(mode="bootstrap", entities=sum(listing["listed"].values()),
                       listing_errors=len(listing["errors"]), requests=listing["requests"],
                       seconds_fetch=round(time.perf_counter() - started, 3))
        # no listing holds the self-described sources: their landed events are staged beside it,
        # or the watermark would pass them by
        events = work.new_events(spark, settings, since, until)
        writer = _stage_self_described(spark, settings, config, batch, work.self_described(events), events,
                                       until, metrics, append=True)
        if writer is not None:
            metrics["staged"] = writer.close()
        return metrics

    events = work.new_events(spark, settings, since, until)
    tasks = work.coalesce(events)
    retries = retry_due(spark, settings, datetime.now(timezone.utc))
    metrics.update(mode="events", entities_from_events=len(tasks), retries_due=len(retries))
    todo = list(dict.fromkeys(tasks + retries))
    writer = _stage_self_described(spark, settings, config, batch, work.self_described(events), events, until,
                                   metrics)
    if not todo:
        metrics["entities"] = 0
        if writer is not None:
            metrics["staged"] = writer.close()
        return metrics
    result = hydrate_entities(spark, settings, config, todo, batch=batch, state="hydrated", writer=writer)
    metrics.update(entities=result["requested"], hydrated=result["hydrated"], deleted=result["deleted"],
                   failed=result["failed"], owner_users=result["owner_users"], requests=result["requests"],
                   seconds_fetch=round(time.perf_counter() - started, 3))
    return metrics


def _stage_self_described(spark: SparkSession, settings: Settings, config: Any, batch: str, sources: list[str],
                          events: Any, until: int | None, metrics: dict[str, Any], *,
                          append: bool = False) -> Any:
    """Stage what the new `events` of the sources whose events are their own payload
    (OpenLineage) change; their writer (`append`: after rows already staged), or None."""
    import importlib

    from spark_jobs.hydration.staging import StagingWriter

    if not sources:
        return None
    writer = StagingWriter(spark, settings, batch, chunk_rows=config.stage_chunk_rows, append=append)
    for source in sources:
        metrics[source] = importlib.import_module(f"spark_jobs.providers.{source}").stage(
            spark, settings, writer, events=events, until=until)
    return writer
