"""Stage `closure`: bring graph.impact (the impact / lineage closure over the active dependency
edges) up to date in one commit, then graph.deprecation_candidates from it.

Incremental by default: when graph.impact is still the version the last successful closure run
wrote (its `impact_version` in ops.runs), only the rows the dependency-edge change since that
run's `edges_version` can reach (by source or by destination, whichever are fewer) are re-derived and the difference is applied in one commit (`graph.incremental`);
a run with no dependency-edge change writes no graph.impact version. It recomputes the closure
whole (one overwrite) on the first run, when graph.impact was written by anything else, when the
last closure was cut at max_depth or computed to another depth, or when the change is larger than
`Settings.closure_incremental_max_fraction`.

Options (RunContext.options): `graph_engine` ('auto' | 'dataframe' | 'graphframes'),
`closure_max_depth` (default 64 hops; a closure cut there reports converged=False),
`closure_mode` ('auto' | 'full'), `closure_incremental_max_fraction` (overrides the setting).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from spark_jobs import killpoint, tables
from spark_jobs.config import Settings
from spark_jobs.stages import RunContext

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def last_closure(spark: SparkSession, settings: Settings) -> dict[str, Any] | None:
    """Metrics of the latest successful closure stage recorded in ops.runs (None: never)."""
    from pyspark.sql import functions as F

    if not tables.exists(settings, "ops.runs"):
        return None
    rows = (tables.read(spark, settings, "ops.runs")
            .where((F.col("stage") == "closure") & (F.col("status") == "success"))
            .orderBy(F.col("ended_at").desc()).limit(1).select("metrics").collect())
    if not rows:
        return None
    try:
        return json.loads(rows[0]["metrics"] or "{}")
    except ValueError:
        return None


def _incremental_base(previous: dict[str, Any] | None, impact_version: int | None, max_depth: int) -> int | None:
    """The graph.edges version graph.impact is the closure of, when an update from it is exact."""
    if not previous or impact_version is None or previous.get("impact_version") != impact_version:
        return None
    if previous.get("converged") is not True or previous.get("max_depth", max_depth) != max_depth:
        return None
    base = previous.get("edges_version")
    return int(base) if base is not None else None


def run(spark: SparkSession, settings: Settings, ctx: RunContext) -> dict[str, Any]:
    from spark_jobs.graph.closure import DEFAULT_MAX_DEPTH, compute_closure, dependency_edges, write_impact
    from spark_jobs.graph.deprecation import write_deprecation_candidates
    from spark_jobs.graph.incremental import ImpactUpdate, update_impact
    from spark_jobs.graph.scratch import scratch_dir

    tables.register(spark, settings, ["graph.edges", "graph.impact", "graph.entities"])
    version = tables.version(settings, "graph.edges")
    max_depth = int(ctx.options.get("closure_max_depth", DEFAULT_MAX_DEPTH))
    max_fraction = float(ctx.options.get("closure_incremental_max_fraction",
                                         settings.closure_incremental_max_fraction))
    base = None
    if ctx.options.get("closure_mode", "auto") != "full" and version is not None:
        base = _incremental_base(last_closure(spark, settings), tables.version(settings, "graph.impact"), max_depth)

    metrics: dict[str, Any] = {"edges_version": version, "max_depth": max_depth, "edges_version_before": base}
    update = None
    with scratch_dir(settings, "closure") as scratch:
        if base == version:  # not one commit to graph.edges since: nothing to look at
            update = ImpactUpdate(0)
        elif base is not None:
            update = update_impact(spark, settings, since_edges_version=base, edges_version=version,
                                   run_id=ctx.run_id, scratch=f"{scratch}/incremental", max_fraction=max_fraction,
                                   max_depth=max_depth)
        if update is not None and update.fallback:
            metrics["incremental_fallback"] = update.fallback
            update = None
        if update is not None:
            metrics.update(mode="incremental" if update.committed else "unchanged",
                           changed_dependency_edges=update.changed_edges,
                           direction=update.direction, affected_entities=update.affected_entities,
                           affected_rows=update.affected_rows,
                           upserted=update.upserted, deleted=update.deleted, converged=update.converged,
                           depth=len([n for n in update.level_sizes if n]), engine="dataframe")
        else:
            deps = dependency_edges(tables.read(spark, settings, "graph.edges", at_version=version)) \
                if version is not None else spark.createDataFrame([], "src string, dst string, rel string")
            result = compute_closure(spark, deps, scratch=scratch, max_depth=max_depth,
                                     engine=ctx.options.get("graph_engine", "auto"),
                                     local_max_rows=settings.closure_local_full_max_rows)
            write_impact(result.pairs, settings, run_id=ctx.run_id)
            metrics.update(mode="full", engine=result.engine, depth=result.depth, converged=result.converged)
    killpoint.reached("closure:after_impact")
    impact_version = tables.version(settings, "graph.impact")
    metrics.update(impact_version=impact_version,
                   impact_pairs=0 if impact_version is None else tables.row_count(settings, "graph.impact",
                                                                                   impact_version))
    metrics["deprecation_candidates"] = write_deprecation_candidates(spark, settings, run_id=ctx.run_id)
    return metrics

