"""GraphFrames implementations of rule inference (motif finding) and impact closure (message
passing with `aggregateMessages`), used when the session can load GraphFrames' JVM core
(`capabilities(spark).graphframes`, classic sessions with the jar). They give the same rows as
the DataFrame implementations in `rules` and `closure`, which run everywhere; the parity test
compares the two where GraphFrames is available.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from spark_jobs.graph.closure import (
    _EDGES_SCHEMA,
    _LEVEL_SCHEMA,
    DEFAULT_MAX_DEPTH,
    ClosureResult,
    level_pairs,
    next_frontier,
)
from spark_jobs.graph.rules import INFERRED_COLUMNS, RULES, Rule, check_order
from spark_jobs.model import RELATIONSHIPS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def motif(rule: Rule) -> str:
    """The GraphFrames motif of a rule's path: vertices n0..nk, edge e_i between n_i and n_i+1
    pointing the way the relation's arrow points."""
    parts = []
    for i, step in enumerate(rule.path):
        a, b = (f"n{i}", f"n{i + 1}") if step.direction == "out" else (f"n{i + 1}", f"n{i}")
        parts.append(f"({a})-[e{i}]->({b})")
    return "; ".join(parts)


def _vertices(edges: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    return (edges.select(F.col("src").alias("id"), F.col("src_type").alias("entity_type"))
            .unionByName(edges.select(F.col("dst").alias("id"), F.col("dst_type").alias("entity_type")))
            .dropDuplicates(["id"]))


def apply_rule_motif(edges: DataFrame, rule: Rule, vertices: DataFrame | None = None) -> DataFrame:
    """`rules.apply_rule` through GraphFrames motif finding (`vertices`: the edges' ends, when
    the caller already has them)."""
    from graphframes import GraphFrame
    from pyspark.sql import functions as F

    graph = GraphFrame(_vertices(edges) if vertices is None else vertices, edges.select("src", "dst", "rel"))
    last = len(rule.path)
    condition = (F.col("n0.entity_type") == rule.start_type.value) & (
        F.col(f"n{last}.entity_type") == rule.end_type.value)
    for i, step in enumerate(rule.path):
        condition = condition & (F.col(f"e{i}.rel") == step.rel)
    return (
        graph.find(motif(rule)).where(condition)
        .select(F.col("n0.id").alias("src"), F.lit(rule.implies).alias("rel"), F.col(f"n{last}.id").alias("dst"),
                F.col("n0.entity_type").alias("src_type"), F.col(f"n{last}.entity_type").alias("dst_type"),
                F.lit(rule.name).alias("rule"))
        .distinct()
    )


def infer_motifs(edges: DataFrame, rules: Sequence[Rule] = RULES) -> DataFrame:
    """`rules.infer` with each rule found as a motif (same chaining and tie-breaking)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    check_order(rules)
    inferred_rels = {r for r, spec in RELATIONSHIPS.items() if spec.inferred}
    walkable = edges.where(~F.col("rel").isin(*inferred_rels)).select("src", "rel", "dst", "src_type", "dst_type")
    # A motif joins the vertices once per named vertex and every edge once per named edge: each
    # input is computed once (localCheckpoint: GraphFrames runs on JVM Spark only, which has it)
    # instead of once per join, and implied edges join vertices that are already there.
    walkable = walkable.localCheckpoint()
    vertices = _vertices(walkable).localCheckpoint()
    results = []
    for order, r in enumerate(rules):
        implied = apply_rule_motif(walkable, r, vertices).withColumn("_order", F.lit(order))
        results.append(implied)
        if any(r.implies in later.relations for later in rules[order + 1:]):
            walkable = walkable.unionByName(implied.select(*walkable.columns)).localCheckpoint()
    union = results[0]
    for df in results[1:]:
        union = union.unionByName(df)
    first = Window.partitionBy("src", "rel", "dst").orderBy("_order")
    return union.withColumn("_rank", F.row_number().over(first)).where("_rank = 1").select(*INFERRED_COLUMNS)


def closure_graphframes(spark: SparkSession, deps: DataFrame, *, scratch: str,
                        max_depth: int = DEFAULT_MAX_DEPTH) -> ClosureResult:
    """Semi-naive closure as message passing: each vertex holds the (origin, relations) pairs
    that first reached it at the previous level and forwards them along its dependency edges;
    a level keeps only pairs never reached before. Levels are written like the DataFrame one."""
    from graphframes import GraphFrame
    from graphframes.lib import AggregateMessages as AM
    from pyspark.sql import functions as F

    if max_depth < 1:
        raise ValueError("max_depth must be at least 1")
    edges_path = f"{scratch}/edges"
    deps.select("src", "dst", "rel").distinct().write.mode("overwrite").parquet(edges_path)
    edges = spark.read.schema(_EDGES_SCHEMA).parquet(edges_path)
    ids = edges.select(F.col("src").alias("id")).union(edges.select(F.col("dst").alias("id"))).distinct()

    level_paths: list[str] = []
    level_sizes: list[int] = []
    frontier = edges.groupBy("src", "dst").agg(F.array_sort(F.collect_set("rel")).alias("relations"))
    converged = False
    received = None
    for depth in range(1, max_depth + 1):
        path = f"{scratch}/level-{depth:04d}"
        frontier.withColumn("min_depth", F.lit(depth).cast("int")).write.mode("overwrite").parquet(path)
        if received is not None:
            received.unpersist()  # aggregateMessages returns a persisted frame; its level is on disk now
        written = spark.read.schema(_LEVEL_SCHEMA).parquet(path)
        size = written.count()
        if size == 0:
            converged = True
            break
        level_paths.append(path)
        level_sizes.append(size)
        holding = written.groupBy(F.col("dst").alias("id")).agg(
            F.collect_list(F.struct(F.col("src").alias("origin"), "relations")).alias("frontier"))
        # every vertex stays (triplets join both ends); only holders send (null frontier: no message)
        vertices = ids.join(holding, on="id", how="left")
        graph = GraphFrame(vertices, edges)
        sent = F.transform(AM.src["frontier"], lambda x: F.struct(
            x["origin"].alias("origin"), F.array_union(x["relations"], F.array(AM.edge["rel"])).alias("relations")))
        received = graph.aggregateMessages([F.flatten(F.collect_list(AM.msg)).alias("inbox")], sendToDst=[sent])
        step = received.select(F.col("id").alias("dst"), F.explode("inbox").alias("m")).select(
            F.col("m.origin").alias("src"), "dst", F.col("m.relations").alias("relations"))
        frontier = next_frontier(spark, step, level_paths)
    else:
        converged = frontier.limit(1).count() == 0
    return ClosureResult(level_pairs(spark, level_paths), level_sizes, converged, "graphframes")
