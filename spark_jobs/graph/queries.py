"""Graph questions for the CLI and for Python callers: lineage, impact, A/B tests, related
entities and explanations. Each closure question is the analyst query of the same name in
`sql/queries/` (one file, one question, `:name` parameters), so the CLI and SQL users get the
same answer; `shortest_path` walks graph.edges directly (BFS), so it works before any closure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.errors import MlgError, UsageError
from spark_jobs.uris import AipUri, InvalidAipUri

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

QUERIES_DIR = Path(__file__).resolve().parents[2] / "sql" / "queries"
ALL_DEPTHS = 1_000_000
PathRelations = Literal["dependency", "all"]


class UnknownEntity(MlgError):
    """A valid URI that is not in the graph."""


def query_text(name: str) -> str:
    path = QUERIES_DIR / f"{name}.sql"
    if not path.is_file():
        raise UsageError(f"no such query: {path}")
    return path.read_text()


def run_query(spark: SparkSession, settings: Settings, name: str, **params: Any) -> DataFrame:
    """Run `sql/queries/<name>.sql` with its named parameters bound."""
    from spark_jobs.sqlrun import run_sql

    result = run_sql(spark, settings, query_text(name), params, with_views=False)
    assert result is not None
    return result


def check_uri(text: str) -> str:
    """The canonical URI, or a one-line UsageError saying what is wrong with it."""
    try:
        AipUri.parse(text)
    except InvalidAipUri as exc:
        raise UsageError(str(exc)) from None
    return text


def require_entity(spark: SparkSession, settings: Settings, uri: str) -> str:
    """`uri` when it is a valid URI of an entity in graph.entities, else a one-line error."""
    from pyspark.sql import functions as F

    check_uri(uri)
    if not tables.exists(settings, "graph.entities"):
        raise MlgError(f"no graph at {tables.lakehouse_root(settings)} yet: run `mlg build` first")
    found = tables.read(spark, settings, "graph.entities").where(F.col("id") == uri).limit(1).count()
    if not found:
        raise UnknownEntity(f"unknown entity {uri}: it is not in graph.entities")
    return uri


def _require_impact(settings: Settings) -> None:
    if tables.version(settings, "graph.impact") is None:
        raise MlgError("graph.impact has not been built yet: run `mlg build` (its closure stage) first")


def lineage(spark: SparkSession, settings: Settings, uri: str, *, depth: int | None = None,
            rel: str | None = None) -> DataFrame:
    """Everything `uri` transitively depends on (upstream), nearest first."""
    check_lineage_args(depth, rel)
    require_entity(spark, settings, uri)
    _require_impact(settings)
    return run_query(spark, settings, "lineage", uri=uri, max_depth=depth or ALL_DEPTHS, rel=rel or "")


def impact(spark: SparkSession, settings: Settings, uri: str) -> DataFrame:
    """Everything that transitively depends on `uri`, with owners and teams to notify."""
    require_entity(spark, settings, uri)
    _require_impact(settings)
    return run_query(spark, settings, "impact", uri=uri)


def related(spark: SparkSession, settings: Settings, uri: str) -> DataFrame:
    """Every active edge touching `uri`, both directions."""
    require_entity(spark, settings, uri)
    return run_query(spark, settings, "related", uri=uri)


def tested_in(spark: SparkSession, settings: Settings, uri: str) -> DataFrame:
    """A/B tests of a model (instance), or the models and instances an A/B test evaluates."""
    require_entity(spark, settings, uri)
    return run_query(spark, settings, "tested_in", uri=uri)


@dataclass(frozen=True)
class PathEdge:
    """One edge of a path as stored (src -[rel]-> dst); `forward` says whether the path walks
    it along its arrow."""

    src: str
    rel: str
    dst: str
    forward: bool

    def render(self) -> str:
        return f"{self.src} -[{self.rel}]-> {self.dst}"


def shortest_path(spark: SparkSession, settings: Settings, src: str, dst: str, *, max_depth: int = 12,
                  relations: PathRelations = "dependency") -> list[PathEdge] | None:
    """A shortest path between two entities over the active edges, walked in either direction
    (BFS, one DataFrame join per hop), or None if there is none within `max_depth` hops.

    `dependency` walks only relations with an impact meaning, so ownership (every asset of a
    user is two hops from every other) and similarity suggestions do not make short cuts.
    Ties between equally short paths break by the smallest (parent, rel), so answers are stable.
    """
    from pyspark.sql import functions as F

    from spark_jobs.graph.closure import impact_relations
    from spark_jobs.graph.scratch import scratch_dir

    require_entity(spark, settings, src)
    require_entity(spark, settings, dst)
    if src == dst:
        return []
    edges = tables.read(spark, settings, "graph.edges").where(F.col("active"))
    if relations == "dependency":
        forward, backward = impact_relations()
        edges = edges.where(F.col("rel").isin(*forward, *backward))
    steps = edges.select(F.col("src").alias("a"), F.col("dst").alias("b"), "rel", F.lit(True).alias("forward")) \
        .unionByName(edges.select(F.col("dst").alias("a"), F.col("src").alias("b"), "rel",
                                  F.lit(False).alias("forward")))
    level_schema = "node string, parent string, rel string, forward boolean"
    with scratch_dir(settings, "bfs") as scratch:
        steps.write.parquet(f"{scratch}/steps")
        steps = spark.read.schema("a string, b string, rel string, forward boolean").parquet(f"{scratch}/steps")
        paths = [f"{scratch}/level-0000"]
        spark.createDataFrame([(src, None, None, None)], level_schema).write.parquet(paths[0])
        found_at = None
        for depth in range(1, max_depth + 1):
            frontier = spark.read.schema(level_schema).parquet(paths[-1]).select("node")
            visited = spark.read.schema(level_schema).parquet(*paths).select("node")
            reached = (
                frontier.join(steps, frontier["node"] == steps["a"])
                .select(F.col("b").alias("node"), F.struct(F.col("a").alias("parent"), "rel", "forward").alias("via"))
                .join(visited, on="node", how="left_anti")
                .groupBy("node").agg(F.min("via").alias("via"))
                .select("node", "via.parent", "via.rel", "via.forward")
            )
            path = f"{scratch}/level-{depth:04d}"
            reached.write.parquet(path)
            level = spark.read.schema(level_schema).parquet(path)
            if level.where(F.col("node") == dst).limit(1).count():
                found_at = depth
                paths.append(path)
                break
            if level.limit(1).count() == 0:
                return None
            paths.append(path)
        if found_at is None:
            return None
        walk: list[PathEdge] = []
        node = dst
        for depth in range(found_at, 0, -1):
            row = spark.read.schema(level_schema).parquet(paths[depth]).where(F.col("node") == node).first()
            edge = PathEdge(row.parent, row.rel, node, True) if row.forward else PathEdge(node, row.rel, row.parent, False)
            walk.append(edge)
            node = row.parent
        return list(reversed(walk))


ENGINES = ("delta", "spark")


def check_lineage_args(depth: int | None, rel: str | None) -> None:
    """`--depth` and `--rel` checked before anything heavy starts (relations are upper case)."""
    from spark_jobs.model import relationship

    if depth is not None and depth < 1:
        raise UsageError(f"--depth must be at least 1, got {depth}")
    if rel is not None:
        try:
            relationship(rel)
        except ValueError as exc:
            hint = f" (relations are upper case: --rel {rel.upper()})" if rel.upper() != rel else ""
            raise UsageError(f"{exc}{hint}") from None


def check_limit(limit: int) -> None:
    if limit < 1:
        raise UsageError(f"--limit must be at least 1, got {limit}")


def print_rows(columns: list[str], rows: list[tuple], *, fmt: str | None = None, limit: int = 1000) -> list[tuple]:
    """Print a result through the one output formatter; return the printed rows."""
    import sys

    from spark_jobs import output

    shown = [tuple(r) for r in rows[:limit]]
    output.emit(columns, shown, fmt)
    if len(rows) > limit:
        print(f"(stopped at --limit {limit})", file=sys.stderr)
    return shown


def answer(uri: str, query: Callable[[SparkSession, Settings, str], DataFrame], *, fmt: str | None = None,
           limit: int = 1000, engine: str = "delta",
           lookup: Callable[[Any, str, int], tuple[list[str], list[tuple]]] | None = None,
           ) -> tuple[list[str], list[tuple]]:
    """Answer one entity question for the CLI and print it; returns its columns and the printed rows.

    `engine="delta"` (the default) reads the Delta tables directly (`lookup.GraphLookup`, no Spark
    client); `engine="spark"` runs the analyst query on the engine. Both give the same rows."""
    check_uri(uri)
    check_limit(limit)
    settings = Settings.load()
    if engine == "delta" and lookup is not None:
        from spark_jobs.graph.lookup import GraphLookup

        columns, rows = lookup(GraphLookup(settings), uri, limit + 1)  # one more: "stopped at --limit"
        return columns, print_rows(columns, rows, fmt=fmt, limit=limit)
    from spark_jobs.session import spark_session

    with spark_session(settings) as spark:
        df = query(spark, settings, uri)
        columns = df.columns
        rows = [tuple(r) for r in df.limit(limit + 1).collect()]
    return columns, print_rows(columns, rows, fmt=fmt, limit=limit)


def add_output_options(parser: Any) -> None:
    from spark_jobs import output

    output.add_format_option(parser)
    parser.add_argument("--limit", type=int, default=1000, help="most rows to print (default 1000)")
    add_engine_option(parser)


def add_engine_option(parser: Any) -> None:
    parser.add_argument("--engine", choices=ENGINES, default="delta",
                        help="delta (default): read the Delta tables directly, no Spark client; "
                             "spark: run the analyst query on the engine (same answer, slower start)")
