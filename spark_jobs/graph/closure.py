"""Impact closure: for every entity, everything that transitively depends on it.

`graph.impact` row (src, dst): a change to `src` impacts `dst`, first reached after `min_depth`
dependency hops; `relations` are the relations on the shortest paths from src to dst (sorted,
distinct). Lineage (upstream) is the same table read from `dst`. An entity on a cycle depends on
itself (a row with src = dst), as in a transitive closure; queries leave those out.

The DataFrame implementation (`closure_dataframe`) is semi-naive evaluation on coded edges
(`coding`: entities as ints, relation sets as bit masks, so every join, grouping and anti-join
shuffles four fixed-width columns): level d holds the pairs first reached at depth d, level d+1
is level d joined with the dependency edges minus every pair already reached, until a level is
empty (fixpoint) or `max_depth`. The whole closure of a large graph is built bottom-up instead
(`spark_jobs.graph.bottom_up`), which needs no anti-join. Each level or round is written as
Parquet so every join reads materialised data. It runs on any engine; `spark_jobs.graph.gf` has a GraphFrames one (message
passing over URIs, with the string-level `next_frontier` / `level_pairs` below).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from spark_jobs.config import Settings
from spark_jobs.model import RELATIONSHIPS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

ClosureEngine = Literal["auto", "dataframe", "graphframes"]
ClosureMethod = Literal["auto", "walk", "bottom_up", "local"]
DEFAULT_MAX_DEPTH = 64
BOTTOM_UP_MIN_EDGES = 500_000  # about where bottom-up overtakes the walk (BENCHMARKS.md, issue 16)
#: the whole closure of a graph under BOTTOM_UP_MIN_EDGES is walked in the driver up to this many rows
LOCAL_MAX_ROWS = 6_000_000
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
    against = F.col("rel").isin(*backward)  # a relation has one impact direction: one scan, no union
    return (active.where(F.col("rel").isin(*forward, *backward))
            .select(F.when(against, F.col("dst")).otherwise(F.col("src")).alias("src"),
                    F.when(against, F.col("src")).otherwise(F.col("dst")).alias("dst"), "rel")
            .distinct())


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
                      max_depth: int = DEFAULT_MAX_DEPTH, sources: DataFrame | None = None,
                      destinations: DataFrame | None = None, method: ClosureMethod = "auto",
                      local_max_rows: int = LOCAL_MAX_ROWS) -> ClosureResult:
    """Transitive closure of the dependency edges `deps` (src, dst, rel), up to `max_depth` hops,
    on coded edges (`coding`): semi-naive (`walk`), or bottom-up (`bottom_up`) for the whole
    closure of a graph of at least `BOTTOM_UP_MIN_EDGES` coded edges, or for the whole closure of
    a smaller graph the same walk in the driver (`local`, `local_walk.whole_closure`) while it
    stays under `local_max_rows` rows, else on the engine (`method` forces one).

    With `sources` (a frame with a `src` column) only the rows of those sources are computed,
    by a walk from them: each source's walk is independent of the others, so they are exactly
    its rows in the whole closure (what the incremental update re-derives). With `destinations`
    (a frame with a `dst` column) only the rows reaching those, by the same walk over the reversed
    edges: a shortest path and the relations on it read the same either way."""
    from pyspark.sql import functions as F

    from spark_jobs.graph.coding import MAX_DEPTH_CODED, decode, encode, node_ids

    if not 1 <= max_depth <= MAX_DEPTH_CODED - 2:  # depths go to max_depth + 1
        raise ValueError(f"max_depth must be from 1 to {MAX_DEPTH_CODED - 2}")
    # one level past the cut: a pair first reached there means the cut closure is not a fixpoint
    bound = max_depth + 1
    graph = encode(spark, deps, scratch=scratch)
    edges = graph.edges(spark)
    if sources is not None and destinations is not None:
        raise ValueError("closure_dataframe takes sources or destinations, not both")
    reversed_ = destinations is not None
    if reversed_:
        edges = edges.select(F.col("dst").alias("src"), F.col("src").alias("dst"), "mask")
        sources = destinations.select(F.col("dst").alias("src"))
    if sources is not None:
        first = edges.join(node_ids(spark, graph, sources), "src", "left_semi")
        paths, _ = walk(spark, edges, first, scratch=f"{scratch}/walk", bound=bound)
    else:
        paths = _whole_closure(spark, edges, scratch=scratch, bound=bound, method=method,
                               local_max_rows=local_max_rows)
    rows = read_rows(spark, paths)
    if reversed_:
        rows = rows.select(F.col("dst").alias("src"), F.col("src").alias("dst"), "depth", "mask")
    sizes = {r["depth"]: r["count"] for r in rows.groupBy("depth").count().collect()}
    level_sizes = [sizes.get(d, 0) for d in range(1, max((d for d in sizes if d <= max_depth), default=0) + 1)]
    return ClosureResult(decode(spark, graph, rows.where(rows.depth <= max_depth)), level_sizes,
                         converged=sizes.get(bound, 0) == 0, engine="dataframe")


def _whole_closure(spark: SparkSession, edges: DataFrame, *, scratch: str, bound: int, method: ClosureMethod,
                   local_max_rows: int) -> list[str]:
    """The paths of the coded rows of the whole closure of the coded `edges`, by `method`."""
    from spark_jobs.graph import bottom_up, local_walk

    if method == "auto":
        method = "bottom_up" if edges.count() >= BOTTOM_UP_MIN_EDGES else "local" if local_max_rows > 0 else "walk"
    if method == "bottom_up":
        return bottom_up.closure_paths(spark, edges, scratch=f"{scratch}/bottom-up", bound=bound)
    if method == "local":
        try:
            return [local_walk.whole_closure(spark, edges, path=f"{scratch}/local", bound=bound,
                                             max_rows=local_max_rows)]
        except local_walk.WalkTooLarge:
            pass  # past the driver's budget: the same walk on the engine
    return walk(spark, edges, edges, scratch=f"{scratch}/walk", bound=bound)[0]


def walk(spark: SparkSession, edges: DataFrame, first: DataFrame, *, scratch: str,
         bound: int) -> tuple[list[str], list[int]]:
    """Semi-naive evaluation from the coded edges `first` (level 1): level d + 1 is level d
    joined with `edges` minus every pair already reached, until a level is empty or `bound`.
    Each level is written as Parquet so every join reads materialised data; returns the paths
    and sizes of the non-empty levels."""
    from pyspark.sql import functions as F

    paths: list[str] = []
    sizes: list[int] = []
    frontier = first.select("src", "dst", "mask")
    for depth in range(1, bound + 1):
        path = f"{scratch}/level-{depth:04d}"
        frontier.select("src", "dst", F.lit(depth).alias("depth"), "mask").write.mode("overwrite").parquet(path)
        size = read_rows(spark, [path]).count()
        if size == 0:
            break
        paths.append(path)
        sizes.append(size)
        f, e = read_rows(spark, [path]).alias("f"), edges.alias("e")
        step = f.join(e, F.col("f.dst") == F.col("e.src")).select(
            F.col("f.src").alias("src"), F.col("e.dst").alias("dst"),
            F.col("f.mask").bitwiseOR(F.col("e.mask")).alias("mask"))
        frontier = (step.groupBy("src", "dst").agg(F.bit_or("mask").alias("mask"))
                    .join(read_rows(spark, paths).select("src", "dst"), ["src", "dst"], "left_anti"))
    return paths, sizes


def read_rows(spark: SparkSession, paths: list[str]) -> DataFrame:
    """Coded closure rows (src, dst, depth, mask) written at `paths`."""
    from spark_jobs.graph.coding import CODED_ROWS_SCHEMA

    if not paths:
        return spark.createDataFrame([], CODED_ROWS_SCHEMA)
    return spark.read.schema(CODED_ROWS_SCHEMA).parquet(*paths)


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
                    engine: ClosureEngine = "auto", local_max_rows: int = LOCAL_MAX_ROWS) -> ClosureResult:
    """The closure with the implementation `select_engine` picks."""
    if select_engine(spark, engine) == "graphframes":
        from spark_jobs.graph.gf import closure_graphframes

        return closure_graphframes(spark, deps, scratch=scratch, max_depth=max_depth)
    return closure_dataframe(spark, deps, scratch=scratch, max_depth=max_depth, local_max_rows=local_max_rows)


def write_impact(pairs: DataFrame, settings: Settings, *, run_id: str) -> None:
    """Replace graph.impact with `pairs` in one Delta commit: readers see the old closure or the
    new one, never a mix."""
    from pyspark.sql import functions as F

    from spark_jobs import tables

    target = tables.table("graph.impact")
    (pairs.withColumn("run_id", F.lit(run_id)).select(*target.column_names)
     .write.format("delta").mode("overwrite").save(target.path(settings)))
