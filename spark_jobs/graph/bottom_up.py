"""The whole closure bottom-up (dynamic programming on the dependency DAG), for large graphs.

An entity's rows are the union over its dependency edges (v, c) of c at depth 1 and c's rows one
hop further, keeping per pair the smallest depth and the relations of every shortest path
(`extend`, `shortest`). `peel` closes in round k the entities all of whose edges lead to entities
closed before, with one join and two groupings per round and no anti-join against everything
reached. Entities on a cycle or reaching one never become ready: `close_the_core` closes them
from the semi-naive walk over their own edges and one join through the edges leaving them.

Measured (BENCHMARKS.md, issue 16): 12 % faster than the semi-naive walk on the scale-1000
ecosystem (1.9 M dependency edges, 42 M pairs), 2-3x slower on small graphs (about thirty rounds
of small jobs), so `closure_dataframe` uses it from `BOTTOM_UP_MIN_EDGES` edges up.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from spark_jobs.graph.closure import read_rows, walk

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def closure_paths(spark: SparkSession, edges: DataFrame, *, scratch: str, bound: int) -> list[str]:
    """Paths of the coded closure rows (src, dst, depth, mask) of every entity, up to `bound`."""
    done, core = peel(spark, edges, scratch=f"{scratch}/peel", bound=bound)
    return done + close_the_core(spark, edges, core, done, scratch=f"{scratch}/core", bound=bound)


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
        ready = pending.join(waiting.select(F.col("src").alias("node")), "node", "left_anti")
        out = edges.join(ready.select(F.col("node").alias("src")), "src", "left_semi")
        path = f"{scratch}/round-{k:04d}"
        shortest(extend(out, read_rows(spark, paths), bound=bound)).write.mode("overwrite").parquet(path)
        closed = read_rows(spark, [path])
        if closed.limit(1).count() == 0:  # a ready entity has an edge, so a row at depth 1
            return paths, pending
        paths.append(path)
        pending_path = f"{scratch}/pending-{k:04d}"
        pending.join(closed.select(F.col("src").alias("node")), "node", "left_anti") \
            .write.mode("overwrite").parquet(pending_path)
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
    paths, _ = walk(spark, inner, inner, scratch=f"{scratch}/walk", bound=bound)
    exit_path = f"{scratch}/exit"
    shortest(extend(exits, read_rows(spark, done), bound=bound)).write.mode("overwrite").parquet(exit_path)
    # s reaches y at depth 0 (itself) or by a core row; a core row (s, s) is a cycle, never shorter
    within = core.select(F.col("node").alias("src"), F.col("node").alias("dst"), F.lit(0).alias("depth"),
                         F.lit(0).cast("bigint").alias("mask"))
    if paths:
        within = within.unionByName(read_rows(spark, paths).where(F.col("src") != F.col("dst")))
    w, x = within.alias("w"), read_rows(spark, [exit_path]).alias("x")
    out = (w.join(x, F.col("w.dst") == F.col("x.src"))
           .select(F.col("w.src").alias("src"), F.col("x.dst").alias("dst"),
                   (F.col("w.depth") + F.col("x.depth")).alias("depth"),
                   F.col("w.mask").bitwiseOR(F.col("x.mask")).alias("mask"))
           .where(F.col("depth") <= bound))
    out_path = f"{scratch}/out"
    shortest(out).write.mode("overwrite").parquet(out_path)
    return [*paths, out_path]
