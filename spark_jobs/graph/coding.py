"""Dependency edges coded for the closure: entities as dense ints, a pair's relations as a bit
mask (bit i: the i-th relation name in sorted order). The closure's joins, groupings and
anti-joins then shuffle a few fixed-width columns instead of URIs and string arrays (at scale
1000, 44 M pairs of ~60-byte URIs), and a union of relations is a `bit_or`. `decode` turns the
coded rows back into (src, dst, min_depth, relations) with the relations sorted and distinct.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

CODED_EDGES_SCHEMA = "src int, dst int, mask bigint"
CODED_ROWS_SCHEMA = "src int, dst int, depth int, mask bigint"
NODES_SCHEMA = "id int, node string"
MASK_BITS = 48  # a mask's bits; the bits above hold a depth where a (depth, mask) is one bigint
MAX_RELATIONS = MASK_BITS
MAX_DEPTH_CODED = 1 << (63 - MASK_BITS)  # depths below this fit above the mask, sign bit clear
PAIRS_SCHEMA = "src string, dst string, min_depth int, relations array<string>"


@dataclass(frozen=True)
class CodedGraph:
    """Where the coded edges and the id -> entity table were written, and the relation names."""

    nodes_path: str
    edges_path: str
    relations: tuple[str, ...]

    def edges(self, spark: SparkSession) -> DataFrame:
        return spark.read.schema(CODED_EDGES_SCHEMA).parquet(self.edges_path)

    def nodes(self, spark: SparkSession) -> DataFrame:
        return spark.read.schema(NODES_SCHEMA).parquet(self.nodes_path)


def encode(spark: SparkSession, deps: DataFrame, *, scratch: str) -> CodedGraph:
    """Write `deps` (src, dst, rel) as coded edges (src, dst, mask): one row per (src, dst) with
    the bits of every relation between them."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    triples_path = f"{scratch}/triples"
    deps.select("src", "dst", "rel").distinct().write.mode("overwrite").parquet(triples_path)
    triples = spark.read.schema("src string, dst string, rel string").parquet(triples_path)
    relations = tuple(sorted(r["rel"] for r in triples.select("rel").distinct().collect()))
    if len(relations) > MAX_RELATIONS:
        raise ValueError(f"the closure codes relations as bits: at most {MAX_RELATIONS} relation names, "
                         f"got {len(relations)}")
    nodes_path = f"{scratch}/nodes"
    ends = triples.select(F.col("src").alias("node")).union(triples.select(F.col("dst").alias("node"))).distinct()
    # one global order gives every engine the same dense ids; the window runs in one partition,
    # which the client warns about, but it numbers entities, not pairs
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*No Partition Defined for Window operation.*")
        ends.select(F.row_number().over(Window.orderBy("node")).cast("int").alias("id"), "node") \
            .write.mode("overwrite").parquet(nodes_path)
    graph = CodedGraph(nodes_path, f"{scratch}/coded-edges", relations)
    nodes = graph.nodes(spark)
    bit = F.lit(0).cast("bigint")
    for i, name in enumerate(relations):
        bit = F.when(F.col("rel") == name, F.lit(1 << i).cast("bigint")).otherwise(bit)
    (triples.join(nodes.select(F.col("node").alias("src"), F.col("id").alias("s")), "src")
     .join(nodes.select(F.col("node").alias("dst"), F.col("id").alias("d")), "dst")
     .groupBy(F.col("s").alias("src"), F.col("d").alias("dst")).agg(F.bit_or(bit).alias("mask"))
     .write.mode("overwrite").parquet(graph.edges_path))
    return graph


def node_ids(spark: SparkSession, graph: CodedGraph, entities: DataFrame) -> DataFrame:
    """The ids (column `src`) of the entities in `entities`' `src` column that are in the graph."""
    from pyspark.sql import functions as F

    return (graph.nodes(spark).join(entities.select(F.col("src").alias("node")).distinct(), "node", "left_semi")
            .select(F.col("id").alias("src")))


def relation_names(mask: Column, relations: tuple[str, ...]) -> Column:
    """The sorted relation names whose bits are set in `mask`."""
    from pyspark.sql import functions as F

    return F.array_compact(F.array(*[F.when(mask.bitwiseAND(F.lit(1 << i).cast("bigint")) != 0, F.lit(name))
                                     for i, name in enumerate(relations)]))


def decode(spark: SparkSession, graph: CodedGraph, rows: DataFrame) -> DataFrame:
    """Coded closure rows (src, dst, depth, mask) as (src, dst, min_depth, relations)."""
    from pyspark.sql import functions as F

    if not graph.relations:  # no edges, no rows (and `array()` of nothing has no element type)
        return spark.createDataFrame([], PAIRS_SCHEMA)
    nodes = graph.nodes(spark)
    return (rows.join(nodes.select(F.col("id").alias("src"), F.col("node").alias("src_node")), "src")
            .join(nodes.select(F.col("id").alias("dst"), F.col("node").alias("dst_node")), "dst")
            .select(F.col("src_node").alias("src"), F.col("dst_node").alias("dst"),
                    F.col("depth").cast("int").alias("min_depth"),
                    relation_names(F.col("mask"), graph.relations).alias("relations")))
