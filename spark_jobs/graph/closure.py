"""Impact closure: for every entity, everything that transitively depends on it.

`graph.impact` row (src, dst): a change to `src` impacts `dst`, first reached after `min_depth`
dependency hops; `relations` are the relations on the shortest paths from src to dst (sorted,
distinct). Lineage (upstream) is the same table read from `dst`. An entity on a cycle depends on
itself (a row with src = dst), as in a transitive closure; queries leave those out.

The DataFrame implementation is semi-naive evaluation: level d holds the pairs first reached at
depth d, level d+1 is level d joined with the dependency edges minus every pair already reached,
until a level is empty (fixpoint) or `max_depth`. Each level is written as Parquet so every join
reads materialised data. It runs on any engine; `spark_jobs.graph.gf` has a GraphFrames one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from spark_jobs.config import Settings
from spark_jobs.model import RELATIONSHIPS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

ClosureEngine = Literal["auto", "dataframe", "graphframes"]
DEFAULT_MAX_DEPTH = 64
_EDGES_SCHEMA = "src string, dst string, rel string"
_LEVEL_SCHEMA = "src string, dst string, relations array<string>, min_depth int"


def impact_relations() -> tuple[list[str], list[str]]:
    """(relations whose dst depends on src, relations whose src depends on dst)."""
    forward = sorted(r for r, spec in RELATIONSHIPS.items() if spec.impact == "dst_depends_on_src")
    backward = sorted(r for r, spec in RELATIONSHIPS.items() if spec.impact == "src_depends_on_dst")
    return forward, backward


def dependency_edges(edges: DataFrame) -> DataFrame:
    """Active edges of `edges` as (src, dst, rel) with dst depending on src: impact follows the
    relation's dependency meaning, not the arrow. Relations with no impact are left out."""
    from pyspark.sql import functions as F

    forward, backward = impact_relations()
    active = edges.where(F.col("active")) if "active" in edges.columns else edges
    along = active.where(F.col("rel").isin(*forward)).select("src", "dst", "rel")
    against = active.where(F.col("rel").isin(*backward)).select(
        F.col("dst").alias("src"), F.col("src").alias("dst"), "rel")
    return along.unionByName(against).distinct()


@dataclass
class ClosureResult:
    """The closure as a DataFrame (src, dst, min_depth, relations) and how it was reached.

    `pairs` reads the scratch files of the computation: consume it before the scratch dir goes.
    """

    pairs: DataFrame
    level_sizes: list[int] = field(default_factory=list)
    converged: bool = True
    engine: str = "dataframe"

    @property
    def rows(self) -> int:
        return sum(self.level_sizes)

    @property
    def depth(self) -> int:
        return len([n for n in self.level_sizes if n])


def closure_dataframe(spark: SparkSession, deps: DataFrame, *, scratch: str,
                      max_depth: int = DEFAULT_MAX_DEPTH, sources: DataFrame | None = None) -> ClosureResult:
    """Semi-naive transitive closure of the dependency edges `deps` (src, dst, rel).

    With `sources` (a frame with a `src` column) only the rows of those sources are computed:
    each source's walk is independent of the others, so they are exactly its rows in the whole
    closure (what the incremental update re-derives)."""
    from pyspark.sql import functions as F

    if max_depth < 1:
        raise ValueError("max_depth must be at least 1")
    edges_path = f"{scratch}/edges"
    deps.select("src", "dst", "rel").distinct().write.mode("overwrite").parquet(edges_path)
    # explicit schemas: an empty level may have been written as no file at all
    edges = spark.read.schema(_EDGES_SCHEMA).parquet(edges_path)

    level_paths: list[str] = []
    level_sizes: list[int] = []
    first = edges if sources is None else edges.join(sources.select("src").distinct(), "src", "left_semi")
    frontier = first.groupBy("src", "dst").agg(F.array_sort(F.collect_set("rel")).alias("relations"))
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
        # max_depth reached: it is a fixpoint only if nothing new lies one level further
        converged = frontier.limit(1).count() == 0
    return ClosureResult(level_pairs(spark, level_paths), level_sizes, converged, "dataframe")


def next_frontier(spark: SparkSession, step: DataFrame, level_paths: list[str]) -> DataFrame:
    """Pairs one hop further (relations merged per pair) that no earlier level reached."""
    from pyspark.sql import functions as F

    reached = spark.read.schema(_LEVEL_SCHEMA).parquet(*level_paths).select("src", "dst")
    return (
        step.groupBy("src", "dst")
        .agg(F.array_sort(F.array_distinct(F.flatten(F.collect_list("relations")))).alias("relations"))
        .join(reached, on=["src", "dst"], how="left_anti")
    )


def level_pairs(spark: SparkSession, level_paths: list[str]) -> DataFrame:
    """The closure: every level written so far, as (src, dst, min_depth, relations)."""
    if not level_paths:
        return spark.createDataFrame([], "src string, dst string, min_depth int, relations array<string>")
    return spark.read.schema(_LEVEL_SCHEMA).parquet(*level_paths).select("src", "dst", "min_depth", "relations")


def select_engine(spark: SparkSession, requested: ClosureEngine = "auto") -> Literal["dataframe", "graphframes"]:
    """GraphFrames when asked for or (auto) when the session can load it; else DataFrames."""
    from spark_jobs.session import capabilities

    try:
        available = capabilities(spark).graphframes
    except RuntimeError:  # a session not made by spark_session(): assume the least
        available = False
    if requested == "graphframes" and not available:
        raise RuntimeError("GraphFrames was requested but this session cannot load its JVM core "
                           "(a classic session with the graphframes jar on spark.jars is needed)")
    if requested == "dataframe" or not available:
        return "dataframe"
    return "graphframes"


def compute_closure(spark: SparkSession, deps: DataFrame, *, scratch: str, max_depth: int = DEFAULT_MAX_DEPTH,
                    engine: ClosureEngine = "auto") -> ClosureResult:
    """The closure with the implementation `select_engine` picks."""
    if select_engine(spark, engine) == "graphframes":
        from spark_jobs.graph.gf import closure_graphframes

        return closure_graphframes(spark, deps, scratch=scratch, max_depth=max_depth)
    return closure_dataframe(spark, deps, scratch=scratch, max_depth=max_depth)


def write_impact(pairs: DataFrame, settings: Settings, *, run_id: str) -> None:
    """Replace graph.impact with `pairs` in one Delta commit: readers see the old closure or the
    new one, never a mix."""
    from pyspark.sql import functions as F

    from spark_jobs import tables

    target = tables.table("graph.impact")
    (pairs.withColumn("run_id", F.lit(run_id)).select(*target.column_names)
     .write.format("delta").mode("overwrite").save(target.path(settings)))
