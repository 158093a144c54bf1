"""The semi-naive walk over a small edge set, vectorised in the driver (numpy).

An incremental closure update re-derives the rows of a few hundred entities; on the engine each of
the walk's ~30 levels is two queries whose fixed cost (~0.1 s each) is most of the stage. When the
edges the walk can use (its cone, bounded by the caller) are few, they are fetched once as Arrow
and walked here: the same levels, depths and relation masks as `closure.walk`, with no per-row
Python (each level is a CSR expansion, a sort and a `bitwise_or.reduceat`). The whole closure of a
graph with few edges is walked here too (`whole_closure`: at scale 100, 4 M rows in 1.9 s against
3.5 s for the engine's ~28 levels), its coded rows written as Parquet for the engine to decode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


class WalkTooLarge(Exception):
    """The walk reached more rows than the caller allowed: use the engine's walk instead."""


@dataclass(frozen=True)
class WalkRows:
    """Closure rows as parallel arrays of node codes, depths and relation masks."""

    src: np.ndarray
    dst: np.ndarray
    depth: np.ndarray
    mask: np.ndarray

    def __len__(self) -> int:
        return len(self.src)


def walk(src: np.ndarray, dst: np.ndarray, mask: np.ndarray, starts: np.ndarray, *, n_nodes: int,
         bound: int, max_rows: int) -> WalkRows:
    """Every (start, d) reachable within `bound` hops over the coded edges (src, dst, mask), one
    edge per (src, dst): the smallest depth and the union of the masks of the paths at that depth.
    Raises WalkTooLarge past `max_rows` rows."""
    order = np.argsort(src, kind="stable")
    e_dst, e_mask = dst[order].astype(np.int64), mask[order].astype(np.int64)
    indptr = np.searchsorted(src[order], np.arange(n_nodes + 1))

    first = np.isin(src, starts)
    f_src, f_dst, f_mask = src[first].astype(np.int64), dst[first].astype(np.int64), mask[first].astype(np.int64)
    seen = np.sort(f_src * n_nodes + f_dst)
    levels = [(f_src, f_dst, np.ones(len(f_src), np.int64), f_mask)]
    total = len(f_src)
    for depth in range(2, bound + 1):
        if total > max_rows:
            raise WalkTooLarge(f"the walk passed {max_rows:,} rows")
        begin, degree = indptr[f_dst], indptr[f_dst + 1] - indptr[f_dst]
        if degree.sum() > 4 * max_rows:  # one level's expansion, before its duplicates go
            raise WalkTooLarge(f"a level of the walk passed {4 * max_rows:,} paths")
        row = np.repeat(np.arange(len(f_dst)), degree)
        if not len(row):
            break
        offset = np.arange(len(row)) - np.repeat(np.cumsum(degree) - degree, degree)
        edge = begin[row] + offset
        keys = f_src[row] * n_nodes + e_dst[edge]
        masks = f_mask[row] | e_mask[edge]
        by_key = np.argsort(keys, kind="stable")
        keys, masks = keys[by_key], masks[by_key]
        starts_at = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        keys, masks = keys[starts_at], np.bitwise_or.reduceat(masks, starts_at)
        at = np.searchsorted(seen, keys)  # `seen` and `keys` sorted: a binary search, not a set op
        new = seen[np.minimum(at, len(seen) - 1)] != keys if len(seen) else np.ones(len(keys), bool)
        keys, masks, at = keys[new], masks[new], at[new]
        if not len(keys):
            break
        f_src, f_dst, f_mask = keys // n_nodes, keys % n_nodes, masks
        levels.append((f_src, f_dst, np.full(len(keys), depth, np.int64), f_mask))
        seen = np.insert(seen, at, keys)  # a merge of two sorted arrays (union1d hashes and sorts both)
        total += len(keys)
    return WalkRows(*(np.concatenate([level[i] for level in levels]) for i in range(4)))


def whole_closure(spark: SparkSession, edges: DataFrame, *, path: str, bound: int, max_rows: int) -> str:
    """Every row of the closure of the coded edges `edges` (src, dst, mask), walked here and written
    at `path` as coded rows (`CODED_ROWS_SCHEMA`: what `closure.read_rows` reads), up to `bound`
    hops. Raises WalkTooLarge past `max_rows` rows or edges, having written nothing."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyarrow import fs

    table = edges.select("src", "dst", "mask").limit(max_rows + 1).toArrow()
    if table.num_rows > max_rows:
        raise WalkTooLarge(f"the closure's edges pass {max_rows:,}")
    src = table["src"].to_numpy().astype(np.int64)
    dst = table["dst"].to_numpy().astype(np.int64)
    n_nodes = int(max(src.max(initial=0), dst.max(initial=0))) + 1
    rows = walk(src, dst, table["mask"].to_numpy().astype(np.int64), np.unique(src), n_nodes=n_nodes,
                bound=bound, max_rows=max_rows)
    coded = pa.table({"src": pa.array(rows.src, pa.int32()), "dst": pa.array(rows.dst, pa.int32()),
                      "depth": pa.array(rows.depth, pa.int32()), "mask": pa.array(rows.mask, pa.int64())})
    filesystem, inner = fs.FileSystem.from_uri(path if "://" in path else f"file://{path}")
    filesystem.create_dir(inner, recursive=True)
    pq.write_table(coded, f"{inner}/part-00000.parquet", filesystem=filesystem)
    return path


def closure_rows(spark: SparkSession, deps: DataFrame, starts: DataFrame, *, reverse: bool, bound: int,
                 max_rows: int) -> tuple[DataFrame, list[int]]:
    """The closure rows of `starts` (column `node`) over the dependency edges `deps` (src, dst,
    rel), walked here: rows from each start, or (reverse) the rows reaching each start. Returns
    (src, dst, min_depth, relations) for depths up to `bound` - 1 and the size of every level up to
    `bound` (a non-empty last one: the walk was cut). Raises WalkTooLarge past `max_rows` rows or
    edges, having fetched no more edges than that."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyspark.sql import functions as F

    from spark_jobs.graph.coding import PAIRS_SCHEMA, relation_names

    table = deps.select("src", "dst", "rel").limit(max_rows + 1).toArrow()
    if table.num_rows > max_rows:
        raise WalkTooLarge(f"the walk's edges pass {max_rows:,}")
    nodes = pc.unique(pa.chunked_array(table["src"].chunks + table["dst"].chunks, pa.string()))
    relations = tuple(sorted(pc.unique(table["rel"]).to_pylist()))
    if not relations:
        return spark.createDataFrame([], PAIRS_SCHEMA), []
    s = pc.index_in(table["src"], value_set=nodes).to_numpy().astype(np.int64)
    d = pc.index_in(table["dst"], value_set=nodes).to_numpy().astype(np.int64)
    bits = np.left_shift(1, pc.index_in(table["rel"], value_set=pa.array(relations)).to_numpy().astype(np.int64))
    if reverse:
        s, d = d, s
    key = s * len(nodes) + d  # one edge per pair, its relations' bits or-ed
    order = np.argsort(key, kind="stable")
    key, bits = key[order], bits[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    key, bits = key[first], np.bitwise_or.reduceat(bits, first)
    start_codes = pc.index_in(starts.select("node").toArrow()["node"], value_set=nodes).drop_null().to_numpy()
    rows = walk(key // len(nodes), key % len(nodes), bits, start_codes.astype(np.int64), n_nodes=len(nodes),
                bound=bound, max_rows=max_rows)
    level_sizes = np.bincount(rows.depth, minlength=2)[1:].tolist()
    kept = rows.depth < bound
    src, dst = (rows.dst, rows.src) if reverse else (rows.src, rows.dst)
    out = pa.table({"src": nodes.take(pa.array(src[kept])), "dst": nodes.take(pa.array(dst[kept])),
                    "min_depth": pa.array(rows.depth[kept], pa.int32()), "mask": pa.array(rows.mask[kept], pa.int64())})
    pairs = spark.createDataFrame(out, "src string, dst string, min_depth int, mask bigint").select(
        "src", "dst", "min_depth", relation_names(F.col("mask"), relations).alias("relations"))
    return pairs, level_sizes
