"""The semi-naive closure over URIs that `closure_dataframe` replaced (issue 16: each level
anti-joins the frontier against every level reached so far), kept only as the closure
benchmark's baseline so old and new can be timed side by side in one run. Not used by the product."""

from __future__ import annotations

from typing import TYPE_CHECKING

from spark_jobs.graph.closure import (
    _EDGES_SCHEMA,
    _LEVEL_SCHEMA,
    DEFAULT_MAX_DEPTH,
    ClosureResult,
    level_pairs,
    next_frontier,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def closure_seminaive(spark: SparkSession, deps: DataFrame, *, scratch: str,
                      max_depth: int = DEFAULT_MAX_DEPTH) -> ClosureResult:
    from pyspark.sql import functions as F

    edges_path = f"{scratch}/edges"
    deps.select("src", "dst", "rel").distinct().write.mode("overwrite").parquet(edges_path)
    edges = spark.read.schema(_EDGES_SCHEMA).parquet(edges_path)
    level_paths: list[str] = []
    level_sizes: list[int] = []
    frontier = edges.groupBy("src", "dst").agg(F.array_sort(F.collect_set("rel")).alias("relations"))
    converged = False
    for depth in range(1, max_depth + 1):
        path = f"{scratch}/level-{depth:04d}"
        frontier.withColumn("min_depth", F.lit(depth).cast("int")).write.mode("overwrite").parquet(path)
        written = spark.read.schema(_LEVEL_SCHEMA).parquet(path)
        size = written.count()
        if size == 0:
            converged = True
            break
        level_paths.append(path)
        level_sizes.append(size)
        step = written.alias("f").join(edges.alias("e"), F.col("f.dst") == F.col("e.src")).select(
            F.col("f.src").alias("src"), F.col("e.dst").alias("dst"),
            F.array_union(F.col("f.relations"), F.array(F.col("e.rel"))).alias("relations"))
        frontier = next_frontier(spark, step, level_paths)
    else:
        converged = frontier.limit(1).count() == 0
    return ClosureResult(level_pairs(spark, level_paths), level_sizes, converged, "dataframe")
