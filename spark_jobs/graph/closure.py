"""Impact closure: for every entity, everything that transitively depends on it.

`graph.impact` row (src, dst): a change to `src` impacts `dst`, first reached after `min_depth`
dependency hops; `relations` are the relations on the shortest paths from src to dst (sorted,
distinct). Lineage (upstream) is the same table read from `dst`. An entity on a cycle depends on
itself (a row with src = dst), as in a transitive closure; queries leave those out.

The DataFrame implementation (`closure_dataframe`) works on coded edges (`coding`: entities as
ints, relation sets as bit masks) and builds the closure bottom-up, which costs one join and one
grouping per round and grows with the output: `peel` closes an entity once everything it depends
on is closed (an entity's rows are its edges plus its children's rows one hop further), and the
entities it never reaches, those on or reaching a cycle, are closed by `close_the_core` (a
semi-naive walk over the core's own edges, then one join through the edges leaving it). Rows
of chosen sources alone (the incremental update) come from a semi-naive walk from them (`walk`).
Every round is written as Parquet so every join reads materialised data. It runs on any engine;
`spark_jobs.graph.gf` has a GraphFrames one (semi-naive message passing, with the string-level
`next_frontier` / `level_pairs` below).
"""

from __future__ import annotations

import itertools
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
    """Transitive closure of the dependency edges `deps` (src, dst, rel), up to `max_depth` hops.

    The whole closure is built bottom-up (`peel`, then `close_the_core` for what reaches a cycle).
    With `sources` (a frame with a `src` column) only the rows of those sources are computed, by
    a semi-naive walk from them (`walk`): each source's rows do not depend on the others, so they
    are exactly its rows in the whole closure (what the incremental update re-derives)."""
    from spark_jobs.graph.coding import MAX_DEPTH_CODED, decode, encode, node_ids

    if not 1 <= max_depth <= MAX_DEPTH_CODED - 2:  # depths go to max_depth + 1
        raise ValueError(f"max_depth must be from 1 to {MAX_DEPTH_CODED - 2}")
    # one level past the cut: a pair first reached there means the cut closure is not a fixpoint
    bound = max_depth + 1
    graph = encode(spark, deps, scratch=scratch)
    edges = graph.edges(spark)
    if sources is None:
        done, core = peel(spark, edges, scratch=f"{scratch}/peel", bound=bound)
        paths = done + close_the_core(spark, edges, core, done, scratch=f"{scratch}/core", bound=bound)
    else:
        first = edges.join(node_ids(spark, graph, sources), "src", "left_semi")
        paths = walk(spark, edges, first, scratch=f"{scratch}/walk", bound=bound)
    rows = _read_rows(spark, paths)
    sizes = {r["depth"]: r["count"] for r in rows.groupBy("depth").count().collect()}
    level_sizes = [sizes.get(d, 0) for d in range(1, max((d for d in sizes if d <= max_depth), default=0) + 1)]
    return ClosureResult(decode(spark, graph, rows.where(rows.depth <= max_depth)), level_sizes,
                         converged=sizes.get(bound, 0) == 0, engine="dataframe")


def shortest(rows: DataFrame) -> DataFrame:
    """Per (src, dst) of coded rows (src, dst, depth, mask): the smallest depth and the union of
    the masks of the rows at that depth (the relations of every shortest path). After the union
    per depth there is one mask per (src, dst, depth), so the smallest (depth, mask) is a plain
    `min` of depth * 2^MASK_BITS + mask (a `min` of a struct is far slower on pysail)."""
    from pyspark.sql import functions as F

    from spark_jobs.graph.coding import MASK_BITS

    per_depth = rows.groupBy("src", "dst", "depth").agg(F.bit_or("mask").alias("mask"))
    best = (per_depth.groupBy("src", "dst")
            .agg(F.min(F.shiftleft(F.col("depth").cast("bigint"), MASK_BITS).bitwiseOR(F.col("mask"))).alias("best")))
    return best.select("src", "dst", F.shiftright("best", MASK_BITS).cast("int").alias("depth"),
                       F.col("best").bitwiseAND(F.lit((1 << MASK_BITS) - 1)).alias("mask"))


def extend(edges: DataFrame, closed: DataFrame, *, bound: int) -> DataFrame:
    """Rows through one more hop in front: for each edge (v, c) the row (v, c) at depth 1 and
    (v, x) at depth + 1 for every closure row (c, x) of `closed`, up to depth `bound`."""
    from pyspark.sql import functions as F

    e, c = edges.alias("e"), closed.alias("c")
    through = (e.join(c.where(F.col("depth") < bound), F.col("e.dst") == F.col("c.src"))
               .select(F.col("e.src").alias("src"), F.col("c.dst").alias("dst"), (F.col("c.depth") + 1).alias("depth"),
                       F.col("e.mask").bitwiseOR(F.col("c.mask")).alias("mask")))
    return edges.select("src", "dst", F.lit(1).alias("depth"), "mask").unionByName(through)


def peel(spark: SparkSession, edges: DataFrame, *, scratch: str, bound: int) -> tuple[list[str], DataFrame]:
    """Dynamic programming bottom-up: an entity's closure is the union over its dependency edges
    (v, c) of c at depth 1 and c's closure one hop further (`extend`, then `shortest`). Round k
    closes the entities all of whose edges lead to entities closed before (sinks have nothing to
    close), with one join and one grouping and no anti-join. Entities on a cycle or reaching one
    are never ready: they are returned as the core (a frame of `node` ids), with the paths of the
    closed rows."""
    from pyspark.sql import functions as F

    pending_path = f"{scratch}/pending-0000"
    edges.select(F.col("src").alias("node")).distinct().write.mode("overwrite").parquet(pending_path)
    paths: list[str] = []
    for k in itertools.count(1):
        pending = spark.read.schema("node int").parquet(pending_path)
        waiting = edges.join(pending.select(F.col("node").alias("dst")), "dst", "left_semi")
        ready_path = f"{scratch}/ready-{k:04d}"
        pending.join(waiting.select(F.col("src").alias("node")), "node", "left_anti") \
            .write.mode("overwrite").parquet(ready_path)
        ready = spark.read.schema("node int").parquet(ready_path)
        if ready.limit(1).count() == 0:
            return paths, pending
        out = edges.join(ready.select(F.col("node").alias("src")), "src", "left_semi")
        rows = extend(out, _read_rows(spark, paths), bound=bound)
        path = f"{scratch}/round-{k:04d}"
        shortest(rows).write.mode("overwrite").parquet(path)
        paths.append(path)
        pending_path = f"{scratch}/pending-{k:04d}"
        pending.join(ready, "node", "left_anti").write.mode("overwrite").parquet(pending_path)
    raise AssertionError("unreachable")  # itertools.count() does not end


def close_the_core(spark: SparkSession, edges: DataFrame, core: DataFrame, done: list[str], *, scratch: str,
                   bound: int) -> list[str]:
    """The rows of the core (entities on or reaching a cycle), given the closed rows `done` of
    everything else. A shortest path between two core entities stays in the core (every entity on
    it reaches a cycle), so those rows are the semi-naive closure of the core's own edges. A
    shortest path from the core to a closed entity x leaves the core once, by an exit edge
    (y, c): its rows are the core rows (s, y), or s itself, joined with y's exit rows (y, x),
    which are `extend` over the exit edges and the closed rows."""
    from pyspark.sql import functions as F

    if core.limit(1).count() == 0:
        return []
    from_core = edges.join(core.select(F.col("node").alias("src")), "src", "left_semi")
    inner = from_core.join(core.select(F.col("node").alias("dst")), "dst", "left_semi")
    exits = from_core.join(core.select(F.col("node").alias("dst")), "dst", "left_anti")
    paths = walk(spark, inner, inner, scratch=f"{scratch}/walk", bound=bound)
    exit_path = f"{scratch}/exit"
    shortest(extend(exits, _read_rows(spark, done), bound=bound)).write.mode("overwrite").parquet(exit_path)
    # s reaches y at depth 0 (itself) or by a core row; a core row (s, s) is a cycle, never shorter
    within = core.select(F.col("node").alias("src"), F.col("node").alias("dst"), F.lit(0).alias("depth"),
                         F.lit(0).cast("bigint").alias("mask"))
    if paths:
        within = within.unionByName(_read_rows(spark, paths).where(F.col("src") != F.col("dst")))
    w, x = within.alias("w"), _read_rows(spark, [exit_path]).alias("x")
    out = (w.join(x, F.col("w.dst") == F.col("x.src"))
           .select(F.col("w.src").alias("src"), F.col("x.dst").alias("dst"),
                   (F.col("w.depth") + F.col("x.depth")).alias("depth"),
                   F.col("w.mask").bitwiseOR(F.col("x.mask")).alias("mask"))
           .where(F.col("depth") <= bound))
    out_path = f"{scratch}/out"
    shortest(out).write.mode("overwrite").parquet(out_path)
    return [*paths, out_path]


def walk(spark: SparkSession, edges: DataFrame, first: DataFrame, *, scratch: str, bound: int) -> list[str]:
    """Semi-naive evaluation from the coded edges `first` (level 1): level d + 1 is level d
    joined with `edges` minus every pair already reached, until a level is empty or `bound`.
    Each level is written as Parquet so every join reads materialised data; returns their paths."""
    from pyspark.sql import functions as F

    paths: list[str] = []
    frontier = first.select("src", "dst", "mask")
    for depth in range(1, bound + 1):
        path = f"{scratch}/level-{depth:04d}"
        frontier.select("src", "dst", F.lit(depth).alias("depth"), "mask").write.mode("overwrite").parquet(path)
        if _read_rows(spark, [path]).limit(1).count() == 0:
            break
        paths.append(path)
        f, e = _read_rows(spark, [path]).alias("f"), edges.alias("e")
        step = f.join(e, F.col("f.dst") == F.col("e.src")).select(
            F.col("f.src").alias("src"), F.col("e.dst").alias("dst"),
            F.col("f.mask").bitwiseOR(F.col("e.mask")).alias("mask"))
        frontier = (step.groupBy("src", "dst").agg(F.bit_or("mask").alias("mask"))
                    .join(_read_rows(spark, paths).select("src", "dst"), ["src", "dst"], "left_anti"))
    return paths


def _read_rows(spark: SparkSession, paths: list[str]) -> DataFrame:
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
