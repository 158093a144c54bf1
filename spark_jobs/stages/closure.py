"""Stage `closure`: rebuild graph.impact (the impact / lineage closure over the active
dependency edges) in one commit, then graph.deprecation_candidates from it.

Options (RunContext.options): `graph_engine` ('auto' | 'dataframe' | 'graphframes'),
`closure_max_depth` (default 64 hops; a closure cut there reports converged=False).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from spark_jobs import killpoint, tables
from spark_jobs.config import Settings
from spark_jobs.stages import RunContext

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def run(spark: SparkSession, settings: Settings, ctx: RunContext) -> dict[str, Any]:
    from spark_jobs.graph.closure import DEFAULT_MAX_DEPTH, compute_closure, dependency_edges, write_impact
    from spark_jobs.graph.deprecation import write_deprecation_candidates
    from spark_jobs.graph.scratch import scratch_dir

    tables.register(spark, settings, ["graph.edges", "graph.impact", "graph.entities"])
    version = tables.version(settings, "graph.edges")
    deps = dependency_edges(tables.read(spark, settings, "graph.edges", at_version=version))
    with scratch_dir(settings, "closure") as scratch:
        result = compute_closure(spark, deps, scratch=scratch,
                                 max_depth=int(ctx.options.get("closure_max_depth", DEFAULT_MAX_DEPTH)),
                                 engine=ctx.options.get("graph_engine", "auto"))
        write_impact(result.pairs, settings, run_id=ctx.run_id)
    killpoint.reached("closure:after_impact")
    candidates = write_deprecation_candidates(spark, settings, run_id=ctx.run_id)
    return {"engine": result.engine, "impact_pairs": result.rows, "depth": result.depth,
            "converged": result.converged, "edges_version": version,
            "impact_version": tables.version(settings, "graph.impact"), "deprecation_candidates": candidates}
