"""Table registry: every Delta table's name, schema, key and location, and how to open it.

Tables live under `MLG_LAKEHOUSE/<schema>/<table>` and are registered in each session's
catalog under their documented names (`graph.entities`), so SQL reads like the README.
Reads and writes go through Spark (`format("delta")`, SQL `MERGE INTO`); table metadata
(versions, history, maintenance) goes through delta-rs, which works next to any engine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from spark_jobs.config import Settings
from spark_jobs.session import require_delta

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    description: str
    partition_by: tuple[str, ...] = ()

    @property
    def schema_name(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def table_name(self) -> str:
        return self.name.split(".", 1)[1]

    @property
    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]

    @property
    def ddl(self) -> str:
        """Column list as DDL, usable both in CREATE TABLE and as a createDataFrame schema."""
        return ", ".join(f"{c} {t}" for c, t in self.columns)

    def path(self, settings: Settings) -> str:
        return f"{lakehouse_root(settings)}/{self.schema_name}/{self.table_name}"


def lakehouse_root(settings: Settings) -> str:
    root = settings.lakehouse
    if "://" in root:
        return root.rstrip("/")
    return os.path.abspath(root)


_TAGS = "ARRAY<STRUCT<tag: STRING, value: STRING>>"

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "landing.events",
            (("message_id", "STRING"), ("dedup_id", "STRING"), ("source", "STRING"),
             ("event_type", "STRING"), ("entity_type", "STRING"), ("entity_key", "STRING"),
             ("body", "STRING"), ("received_at", "TIMESTAMP"), ("ingest_date", "DATE"),
             ("batch_id", "STRING")),
            key=("dedup_id",),
            partition_by=("ingest_date",),
            description="one landed SQS message (deduplicated by SQS / SNS message id)",
        ),
        Table(
            "landing.quarantine",
            (("message_id", "STRING"), ("source", "STRING"), ("body", "STRING"),
             ("reason", "STRING"), ("received_at", "TIMESTAMP"), ("batch_id", "STRING")),
            key=("message_id",),
            description="one rejected message, kept with the reason",
        ),
        Table(
            "graph.entities",
            (("id", "STRING"), ("entity_type", "STRING"), ("domain", "STRING"),
             ("provider", "STRING"), ("name", "STRING"), ("description", "STRING"),
             ("owners", "ARRAY<STRING>"), ("tags", _TAGS), ("properties", "MAP<STRING, STRING>"),
             ("source_status", "STRING"), ("created_at", "TIMESTAMP"), ("updated_at", "TIMESTAMP"),
             ("state", "STRING"), ("first_seen_at", "TIMESTAMP"), ("last_hydrated_at", "TIMESTAMP"),
             ("last_enriched_at", "TIMESTAMP"), ("content_hash", "STRING"), ("run_id", "STRING")),
            key=("id",),
            description="one entity, current state, addressed by its AIP URI",
        ),
        Table(
            "graph.entity_history",
            (("id", "STRING"), ("entity_type", "STRING"), ("content_hash", "STRING"),
             ("valid_from", "TIMESTAMP"), ("valid_to", "TIMESTAMP"), ("run_id", "STRING"),
             ("payload", "STRING"), ("closed_on", "DATE")),
            key=("id", "valid_from"),
            # closing a version rewrites only the open rows and the day's closed ones, not the history
            partition_by=("closed_on",),
            description="one version of an entity; valid_to (and closed_on, its date) is null for the current one",
        ),
        Table(
            "graph.edges",
            (("src", "STRING"), ("rel", "STRING"), ("dst", "STRING"), ("src_type", "STRING"),
             ("dst_type", "STRING"), ("provenance", "STRING"), ("rule", "STRING"),
             ("declared_by", "STRING"), ("first_seen_at", "TIMESTAMP"),
             ("last_seen_at", "TIMESTAMP"), ("active", "BOOLEAN"), ("run_id", "STRING")),
            key=("src", "rel", "dst"),
            description="one relationship (declared by a source or inferred by a rule)",
        ),
        Table(
            "graph.impact",
            (("src", "STRING"), ("dst", "STRING"), ("min_depth", "INT"),
             ("relations", "ARRAY<STRING>"), ("run_id", "STRING")),
            key=("src", "dst"),
            description="dst transitively depends on src (a change to src impacts dst)",
        ),
        Table(
            "ops.hydration_failures",
            (("id", "STRING"), ("source", "STRING"), ("entity_type", "STRING"),
             ("status", "STRING"), ("attempts", "INT"), ("last_error", "STRING"),
             ("first_failed_at", "TIMESTAMP"), ("last_attempt_at", "TIMESTAMP"),
             ("next_attempt_at", "TIMESTAMP"), ("resolved", "BOOLEAN"), ("run_id", "STRING")),
            key=("id",),
            description="one entity whose hydration failed, with its retry schedule",
        ),
        Table(
            "ops.runs",
            (("run_id", "STRING"), ("stage", "STRING"), ("status", "STRING"),
             ("started_at", "TIMESTAMP"), ("ended_at", "TIMESTAMP"),
             ("landing_version", "BIGINT"), ("metrics", "STRING")),
            key=("run_id", "stage"),
            description="one stage of one build run; the landing watermark lives here",
        ),
        Table(
            "quality.results",
            (("run_id", "STRING"), ("suite", "STRING"), ("expectation", "STRING"),
             ("target", "STRING"), ("success", "BOOLEAN"), ("observed_value", "STRING"),
             ("severity", "STRING"), ("table_versions", "MAP<STRING, BIGINT>"),
             ("checked_at", "TIMESTAMP")),
            key=("run_id", "suite", "expectation", "target"),
            description="one expectation's outcome in one quality run",
        ),
        Table(
            "quality.run_summaries",
            (("run_id", "STRING"), ("checked_at", "TIMESTAMP"), ("table_versions", "MAP<STRING, BIGINT>"),
             ("checks", "BIGINT"), ("passed", "BIGINT"), ("failed_critical", "BIGINT"),
             ("failed_warning", "BIGINT"), ("description_share", "DOUBLE"), ("owner_share", "DOUBLE"),
             ("tag_share", "DOUBLE")),
            key=("run_id",),
            description="one quality run's outcome in one row: its checks, failures by severity, coverage shares",
        ),
        Table(
            "quality.entity_scores",
            (("run_id", "STRING"), ("scored_at", "TIMESTAMP"), ("entities_version", "BIGINT"),
             ("id", "STRING"), ("entity_type", "STRING"), ("name", "STRING"), ("domain", "STRING"),
             ("teams", "ARRAY<STRING>"), ("has_description", "BOOLEAN"), ("description_placeholder", "BOOLEAN"),
             ("has_active_owner", "BOOLEAN"), ("owners_known", "BOOLEAN"), ("has_tags", "BOOLEAN"),
             ("is_fresh", "BOOLEAN"), ("age_days", "INT"), ("has_lineage", "BOOLEAN"),
             ("check_failures", "INT"), ("failed_checks", "ARRAY<STRING>"), ("score", "DOUBLE"),
             ("missing", "ARRAY<STRING>")),
            key=("run_id", "id"),
            description="one live asset's metadata quality score in one quality run, with its parts",
        ),
        Table(
            "quality.score_rollups",
            (("run_id", "STRING"), ("scored_at", "TIMESTAMP"), ("scope", "STRING"), ("name", "STRING"),
             ("assets", "BIGINT"), ("score", "DOUBLE"), ("assets_missing_something", "BIGINT")),
            key=("run_id", "scope", "name"),
            description="one quality run's mean score: as a whole (scope 'all'), per domain and per team",
        ),
        Table(
            "search.snapshots",
            (("snapshot_id", "STRING"), ("entities_version", "BIGINT"), ("backend", "STRING"),
             ("index_names", "ARRAY<STRING>"), ("doc_counts", "MAP<STRING, BIGINT>"),
             ("errors", "BIGINT"), ("status", "STRING"), ("published_at", "TIMESTAMP")),
            # one row per backend per attempt (README): a rebuild of an unchanged graph republishes
            # the same snapshot id, and every backend of an attempt shares it
            key=("snapshot_id", "backend", "published_at"),
            description="one publish attempt of a search snapshot to one backend",
        ),
        Table(
            "graph.similarity",
            (("src", "STRING"), ("dst", "STRING"), ("score", "DOUBLE"), ("shared", "INT"),
             ("run_id", "STRING")),
            key=("src", "dst"),
            description="models sharing features: Jaccard score of their feature sets (both directions)",
        ),
        Table(
            "graph.deprecation_candidates",
            (("id", "STRING"), ("entity_type", "STRING"), ("name", "STRING"),
             ("owners", "ARRAY<STRING>"), ("reason", "STRING"), ("run_id", "STRING")),
            key=("id",),
            description="live asset that nothing active depends on or uses, with the reason",
        ),
    )
}


# Stage modules that declare their own tables with `add_table` (staging, search documents).
# Loaded on first use of the registry so `mlg tables`, `mlg sql` and maintenance see every table.
EXTENSION_MODULES: tuple[str, ...] = ("spark_jobs.hydration.staging", "spark_jobs.search.documents")


def all_tables() -> dict[str, Table]:
    import importlib

    for module in EXTENSION_MODULES:
        importlib.import_module(module)
    return TABLES


def table(name: str) -> Table:
    if name not in TABLES:
        all_tables()
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known: {', '.join(TABLES)}") from None


def add_table(new: Table) -> Table:
    """Register a table declared by a stage module (e.g. `search.documents`)."""
    TABLES.setdefault(new.name, new)
    return TABLES[new.name]


def storage_options() -> dict[str, str] | None:
    """delta-rs storage options for object-store lakehouses, from the standard AWS env vars."""
    opts = {k.lower(): v for k, v in os.environ.items()
            if k in ("AWS_REGION", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
                     "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ALLOW_HTTP",
                     # how concurrent commits stay safe on S3 (README, "The lakehouse on S3")
                     "AWS_CONDITIONAL_PUT", "AWS_S3_LOCKING_PROVIDER", "DELTA_DYNAMO_TABLE_NAME")}
    return opts or None


def exists(settings: Settings, name: str) -> bool:
    from deltalake import DeltaTable

    return DeltaTable.is_deltatable(table(name).path(settings), storage_options())


def version(settings: Settings, name: str) -> int | None:
    """Current Delta version of a table, or None when it does not exist yet."""
    from deltalake import DeltaTable

    if not exists(settings, name):
        return None
    return DeltaTable(table(name).path(settings), storage_options=storage_options()).version()


def row_count(settings: Settings, name: str, version: int) -> int:
    """Rows of a table version, from its Delta log (no scan)."""
    from deltalake import DeltaTable

    dt = DeltaTable(table(name).path(settings), version=version, storage_options=storage_options())
    return sum(int(n or 0) for n in dt.get_add_actions(flatten=True).column("num_records").to_pylist())


def register(spark: SparkSession, settings: Settings, names: Iterable[str] | None = None) -> None:
    """Create missing tables and register all of them in this session's catalog.

    Once per table, location and session: every SQL script registers all tables first, and each
    registration is two engine round trips that change nothing the second time."""
    require_delta(spark)
    from spark_jobs.session import repoint_shared_catalog, sql_idempotent

    registered: dict[str, str] = spark.__dict__.setdefault("_mlg_registered", {})
    chosen = list(names or all_tables())
    repoint_shared_catalog(spark, {name: table(name).path(settings) for name in chosen})
    for name in chosen:
        t = table(name)
        path = t.path(settings)
        if registered.get(name) == path:
            continue
        sql_idempotent(spark, f"CREATE DATABASE IF NOT EXISTS {t.schema_name}")
        location = path.replace("'", "\\'")
        if exists(settings, name):
            sql_idempotent(spark, f"CREATE TABLE IF NOT EXISTS {t.name} USING delta LOCATION '{location}'")
        else:
            partition = f" PARTITIONED BY ({', '.join(t.partition_by)})" if t.partition_by else ""
            sql_idempotent(
                spark, f"CREATE TABLE IF NOT EXISTS {t.name} ({t.ddl}) USING delta{partition} LOCATION '{location}'")
        registered[name] = path


def read(spark: SparkSession, settings: Settings, name: str, *, at_version: int | None = None) -> DataFrame:
    """A table as a DataFrame, optionally as of a Delta version (time travel). A version older
    than the table's latest checkpoint (written every 10 commits) is read from its data files as
    the Delta log lists them (delta-rs): pysail's time travel fails there ("Missing commit file")."""
    require_delta(spark)
    if at_version is not None and at_version < (_last_checkpoint(settings, name) or 0):
        files = _version_files(settings, name, at_version)
        if files is not None:
            return spark.read.schema(table(name).ddl).parquet(*files) if files else \
                spark.createDataFrame([], table(name).ddl)
    reader = spark.read.format("delta")
    if at_version is not None:
        reader = reader.option("versionAsOf", at_version)
    return reader.load(table(name).path(settings))


def _last_checkpoint(settings: Settings, name: str) -> int | None:
    """The version of a table's latest checkpoint (None: none yet)."""
    import json

    path = f"{table(name).path(settings)}/_delta_log/_last_checkpoint"
    try:
        if "://" not in path:
            with open(path, encoding="utf-8") as f:
                return int(json.load(f)["version"])
        from pyarrow import fs

        filesystem, inner = fs.FileSystem.from_uri(path)
        with filesystem.open_input_stream(inner) as f:
            return int(json.loads(f.read())["version"])
    except (FileNotFoundError, KeyError, ValueError, OSError):
        return None


def _version_files(settings: Settings, name: str, version: int) -> list[str] | None:
    """The data files of a table version, or None when they alone do not give its rows (deletion
    vectors, column mapping, partition values kept in paths: the engine's time travel applies those)."""
    from deltalake import DeltaTable

    t = table(name)
    dt = DeltaTable(t.path(settings), version=version, storage_options=storage_options())
    if set(dt.protocol().reader_features or ()) & {"deletionVectors", "columnMapping"} or t.partition_by:
        return None
    return dt.file_uris()


def append(df: DataFrame, settings: Settings, name: str) -> None:
    """Append rows in one Delta commit (columns selected in the table's order)."""
    t = table(name)
    df.select(*t.column_names).write.format("delta").mode("append").save(t.path(settings))


def overwrite(df: DataFrame, settings: Settings, name: str) -> None:
    """Replace a table's rows in one Delta commit (earlier versions stay readable by time travel)."""
    t = table(name)
    df.select(*t.column_names).write.format("delta").mode("overwrite").save(t.path(settings))


def overwrite_where(df: DataFrame, settings: Settings, name: str, predicate: str) -> None:
    """Replace the rows `predicate` selects (a filter on partition columns: their files alone are
    rewritten) with `df`, whose rows all match it, in one Delta commit."""
    t = table(name)
    df.select(*t.column_names).write.format("delta").mode("overwrite").option("replaceWhere", predicate) \
        .save(t.path(settings))


def replace_rows(current: DataFrame, replaced: DataFrame, rows: DataFrame, settings: Settings, name: str) -> None:
    """One overwrite commit: `current`'s rows whose key is not among `replaced`'s, plus `rows`.
    What the incremental writers use instead of MERGE: pysail's copy-on-write MERGE scans and
    joins the whole target several times and, with changed keys spread over every file, rewrites
    every file anyway (BENCHMARKS.md, issue 16)."""
    t = table(name)
    key = list(t.key)
    kept = current.join(replaced.select(*key), key, "left_anti")
    overwrite(kept.select(*t.column_names).unionByName(rows.select(*t.column_names)), settings, name)


def overwrite_if_changed(spark: SparkSession, settings: Settings, name: str, rows: DataFrame, *, run_id: str,
                         sort_arrays: Sequence[str] = ()) -> bool:
    """Replace `name`'s rows with `rows` (its columns but run_id) stamped with `run_id`, in one
    commit, unless they equal the stored rows (as multisets; `sort_arrays` columns compared as
    sets): an unchanged list writes no version and keeps the run that last changed it. `rows` is
    read up to three times: pass a materialised frame."""
    from pyspark.sql import functions as F

    t = table(name)
    compared = [c for c in t.column_names if c != "run_id"]
    rows = rows.select(*compared)
    if version(settings, name) is not None:
        current = read(spark, settings, name).select(*compared)
        if sort_arrays:
            order = {c: F.array_sort(c) for c in sort_arrays}
            a, b = rows.withColumns(order), current.withColumns(order)
        else:
            a, b = rows, current
        if current.count() == rows.count() and a.exceptAll(b).limit(1).count() == 0:
            return False
    overwrite(rows.withColumn("run_id", F.lit(run_id)), settings, name)
    return True


def rebuild_when_uncounted(spark: SparkSession, settings: Settings, *, detail: str, summary: str, counted: str,
                           summarize: Callable[[DataFrame], DataFrame], where: str | None = None) -> bool:
    """Keep a summary table in step with the detail table it is written after (a second commit):
    when the rows `summary` counts (its column `counted`, summed over the rows `where` selects)
    differ from `detail`'s rows, a run stopped between the two commits (or the summary is new), so
    rebuild `summary` from all of `detail` with `summarize` (one overwrite). True when it rebuilt."""
    from pyspark.sql import functions as F

    rows = read(spark, settings, summary)
    total = (rows.where(where) if where else rows).agg(F.sum(counted).alias("n")).collect()[0]["n"] or 0
    if read(spark, settings, detail).count() == total:
        return False
    overwrite(summarize(read(spark, settings, detail, at_version=version(settings, detail))), settings, summary)
    return True


def empty(spark: SparkSession, name: str) -> DataFrame:
    return spark.createDataFrame([], table(name).ddl)


def sql_literal(value: str) -> str:
    """Quote a string as a Spark SQL literal (for identifiers we build, never user SQL)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def columns_except(name: str, excluded: Sequence[str]) -> list[str]:
    return [c for c in table(name).column_names if c not in set(excluded)]
