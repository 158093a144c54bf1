"""The governance report: one self-contained HTML file plus one CSV per section.

Every number comes from SQL in `sql/reports/` (or the shared `sql/queries/deprecation_candidates.sql`)
run through `spark_jobs.sqlrun.run_sql`; this module only orders the sections, streams each
section's rows to its CSV, and draws the aggregates. The sections other queries aggregate are
registered as temp views `report_<section>` so those queries run in Spark.

A report costs what changed: tables are registered once, each section is queried once, the views
several sections join through are computed once, the deprecation candidates are the closure's
persisted list when the graph is as that closure left it, and a section whose input tables kept
their versions since the last report is reused with its files (quality/report_store.py).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quality import charts
from quality.html import cards, esc, jsonable, page, table
from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.sqlrun import run_sql

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
REPORTS_SQL = SQL_DIR / "reports"
DEPRECATION_QUERY = SQL_DIR / "queries" / "deprecation_candidates.sql"
GRAPH_VERSIONS_VIEW = "report_graph_versions"
GRAPH_SIZE_TABLES = ("graph.entities", "graph.edges")
HTML_NAME = "governance.html"


@dataclass(frozen=True, kw_only=True)
class ReportOptions:
    # Delta versions of graph.entities / graph.edges shown in "graph size over versions".
    max_versions: int = 30
    # Rows of each section shown in the HTML (the CSV has them all).
    html_rows: int = 50


@dataclass
class Section:
    key: str
    title: str
    intro: str
    query: Path
    params: Mapping[str, Any] = field(default_factory=dict)
    # Draws the section's aggregates (spark, settings, the section's rows in order) -> HTML.
    chart: Callable[[SparkSession, Settings, list[Any]], str] | None = None
    # What an empty section means, said instead of an empty table.
    empty: str = "No rows."
    # Renders the shown rows instead of the plain table (columns, rows) -> HTML.
    render: Callable[[list[str], list[tuple]], str] | None = None


@dataclass(frozen=True)
class ReportOutcome:
    html: Path
    csvs: dict[str, Path]
    rows: dict[str, int]
    overview: dict[str, Any]
    #: sections reused from the previous report (their inputs had not changed)
    reused: list[str] = field(default_factory=list)

    def metrics(self) -> dict[str, Any]:
        return {"html": str(self.html), "sections": len(self.csvs), "reused_sections": len(self.reused), **{f"rows_{k}": v for k, v in self.rows.items()},
                **{k: v for k, v in self.overview.items() if isinstance(v, (int, float))}}


def report_sql(name: str) -> str:
    return (REPORTS_SQL / f"{name}.sql").read_text(encoding="utf-8")


def _query(spark: SparkSession, settings: Settings, name: str, params: Mapping[str, Any] | None = None,
           *, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows of a small aggregate from sql/reports/<name>.sql."""
    df = _sql(spark, report_sql(name), params)
    df = df.limit(limit) if limit else df
    return [r.asDict(recursive=True) for r in df.collect()]


def graph_history(settings: Settings, *, max_versions: int) -> list[tuple[str, int, datetime]]:
    """(table, version, committed_at) of the newest `max_versions` Delta versions of graph.entities
    and graph.edges (delta-rs: pysail has no DESCRIBE HISTORY)."""
    from deltalake import DeltaTable

    out = []
    for name in GRAPH_SIZE_TABLES:
        if not tables.exists(settings, name):
            continue
        history = DeltaTable(tables.table(name).path(settings), storage_options=tables.storage_options()) \
            .history(max_versions)
        out.extend((name, int(c["version"]), datetime.fromtimestamp(c["timestamp"] / 1000, tz=timezone.utc))
                   for c in history)
    return out


def register_graph_versions(spark: SparkSession, settings: Settings, *, max_versions: int,
                            versions: list[tuple[str, int, datetime]] | None = None) -> None:
    """`report_graph_versions`: rows of the newest Delta versions of graph.entities and graph.edges
    (or of just `versions`, (table, version, committed_at) triples).

    Each version is read by time travel, projected to (table, version, committed_at, live) for the
    SQL to count.
    """
    from pyspark.sql import functions as F

    live = {"graph.entities": F.col("state") != "deleted", "graph.edges": F.col("active")}
    frames: list[DataFrame] = []
    for name, version, committed in (graph_history(settings, max_versions=max_versions)
                                     if versions is None else versions):
        frames.append(
            tables.read(spark, settings, name, at_version=version).select(
                F.lit(name).alias("table_name"), F.lit(version).cast("bigint").alias("version"),
                F.lit(committed).alias("committed_at"),
                # not coalesce(): pysail mis-types its nullability across a union
                F.when(live[name], True).otherwise(False).alias("live"))
        )
    if not frames:
        frames.append(spark.createDataFrame([], "table_name STRING, version BIGINT, committed_at TIMESTAMP, "
                                                "live BOOLEAN"))
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    union.createOrReplaceTempView(GRAPH_VERSIONS_VIEW)


def sections(options: ReportOptions) -> list[Section]:
    return [
        Section("scorecard", "Metadata quality scorecard by team",
                "Mean metadata score (0-100) of each team's live assets in the newest quality run, the change "
                "since the previous run, the trend over the newest 12 runs, and the worst assets with what "
                "they miss. Parts and weights: quality.entity_scores (mlg quality --for <team> says more).",
                REPORTS_SQL / "scorecard.sql", chart=_scorecard_chart,
                empty="No quality run has scored any asset yet: run `mlg build` (its quality stage) or "
                      "`mlg quality` first.", render=_scorecard_table),
        Section("asset_scores", "Assets to fix first",
                "Live assets of the newest quality run that miss part of their metadata, lowest score first; "
                "missing parts are listed heaviest first.",
                REPORTS_SQL / "asset_scores.sql",
                empty="Every live asset scored 100 in the newest quality run (or no run has scored any yet)."),
        Section("ownership_coverage", "Ownership coverage by domain and team",
                "Live assets (hydrated models, instances, pipelines, features, datasets, A/B tests) with at "
                "least one owner. Team: the owning team, else the owners' teams, else the asset's team tag.",
                REPORTS_SQL / "ownership_coverage.sql", chart=_ownership_chart,
                empty="There are no live assets in the graph yet."),
        Section("inactive_owners", "Assets owned by inactive users",
                "Owners who are inactive in identity, unknown to it (never resolved, e.g. former employees) or "
                "deleted there; active_owners = 0 means nobody active is accountable for the asset any more.",
                REPORTS_SQL / "inactive_owners.sql", chart=_inactive_chart,
                empty="Every owner of a current asset is active in identity."),
        Section("stale_undocumented", "Stale and undocumented assets by team",
                f"Stale: metadata not changed within its type's window ({_stale_windows()}), as the newest "
                "quality run scored it (the score's freshness part). Undocumented: no description, "
                "or a placeholder (TODO, tbd, n/a, ...).",
                REPORTS_SQL / "stale_undocumented.sql", chart=_stale_chart,
                empty="No live asset has been scored by a quality run yet: run `mlg build` (its quality "
                      "stage) or `mlg quality` first."),
        Section("deprecation_candidates", "Deprecation candidates",
                "Live assets nothing active depends on or uses (sql/queries/deprecation_candidates.sql).",
                DEPRECATION_QUERY,
                chart=_deprecation_chart,
                empty="Every live asset is depended on or used by something active."),
        Section("quality_trend", "Quality trend across runs",
                "Each quality run: failed critical and warning expectations, the measured coverage shares and "
                "the mean metadata score.",
                REPORTS_SQL / "quality_trend.sql", chart=_quality_chart,
                empty="No quality run has been recorded yet: run `mlg build` or `mlg quality` first."),
        Section("graph_size", "Graph size over versions",
                "Rows of graph.entities (live: not deleted) and graph.edges (live: active) at each Delta "
                "version, read by time travel.",
                REPORTS_SQL / "graph_size.sql", chart=_graph_size_chart,
                empty="graph.entities and graph.edges do not exist yet: run `mlg build` first."),
    ]


def _stale_windows() -> str:
    """The freshness windows the scores use (quality setting score_freshness_days), in words."""
    from quality.config import QualityConfig

    windows = QualityConfig.load().score_freshness_days
    named = [f"{t} {d:g} days" for t, d in sorted(windows.items()) if t != "*"]
    return "score_freshness_days: " + ", ".join([*named, f"others {windows.get('*', 180.0):g} days"])


def register_report_views(spark: SparkSession, settings: Settings, options: ReportOptions | None = None) -> None:
    """Register every `report_<section>` view (what the chart and overview queries read)."""
    options = options or ReportOptions()
    register_graph_versions(spark, settings, max_versions=options.max_versions)
    for section in sections(options):
        run_sql(spark, settings, section.query.read_text(encoding="utf-8"), section.params) \
            .createOrReplaceTempView(f"report_{section.key}")


#: What the report reads (registered once per report, not once per query).
REPORT_TABLES = ("graph.entities", "graph.edges", "graph.impact", "graph.deprecation_candidates",
                 "quality.entity_scores", "quality.score_rollups", "quality.results",
                 "quality.run_summaries", "ops.runs")
#: Views several sections join through: computed once per report (Parquet in a scratch directory)
#: instead of once per query that uses them.
SHARED_VIEWS = ("owner_assets", "asset_teams")
#: Sections whose rows other report queries aggregate (the overview, the charts), as views.
AGGREGATED_SECTIONS = ("inactive_owners", "deprecation_candidates")
#: The extra queries each section's chart runs (their inputs are the section's inputs too).
CHART_QUERIES = {"scorecard": ("domain_score_trend",), "ownership_coverage": ("ownership_by_domain",),
                 "inactive_owners": ("inactive_owners_by_owner",), "deprecation_candidates": ("deprecation_by_type",)}


def section_reads(section: Section) -> set[str]:
    """The lakehouse tables a section's rows and chart depend on."""
    from quality.report_store import tables_read

    text = section.query.read_text(encoding="utf-8") + "".join(
        report_sql(q) for q in CHART_QUERIES.get(section.key, ()))
    return tables_read(text, {GRAPH_VERSIONS_VIEW: GRAPH_SIZE_TABLES})


def build_report(spark: SparkSession, settings: Settings, *, run_id: str,
                 options: ReportOptions | None = None, now: datetime | None = None) -> ReportOutcome:
    """Write `<reports_dir>/governance/governance.html` and one CSV per section.

    Each section is queried once (its rows stream to the CSV and the first ones to the HTML); a
    section whose inputs did not change since the last report is reused (quality/report_store.py)."""
    from pyspark.sql.types import StructType

    from quality.report_store import ReportStore, section_fingerprint
    from spark_jobs.graph.scratch import scratch_dir
    from spark_jobs.sqlrun import register_views

    options = options or ReportOptions()
    now = now or datetime.now(timezone.utc)
    out_dir = Path(settings.reports_dir) / "governance"
    out_dir.mkdir(parents=True, exist_ok=True)
    tables.register(spark, settings, REPORT_TABLES)
    versions = {name: tables.version(settings, name) for name in REPORT_TABLES}
    register_views(spark)
    store = ReportStore(out_dir)
    csvs: dict[str, Path] = {}
    rows: dict[str, int] = {}
    parts: list[str] = []
    reused: list[str] = []
    try:
        with scratch_dir(settings, "report") as scratch:
            shared = _SharedViews(spark, scratch)
            for section in sections(options):
                csvs[section.key] = out_dir / f"{section.key}.csv"
                reads = section_reads(section)
                fingerprint = section_fingerprint(section.key, reads, versions,
                                                  {"max_versions": options.max_versions,
                                                   "html_rows": options.html_rows})
                kept = store.kept(section.key, fingerprint, csvs[section.key])
                if kept is not None:
                    reused.append(section.key)
                    rows[section.key], body = int(kept["rows"]), kept["body"]
                    rows_path = Path(kept["rows_path"]) if kept["rows_path"] else None
                    if rows_path:
                        _register_rows(spark, section.key, rows_path, StructType.fromJson(kept["rows_schema"]))
                else:
                    shared.ensure(section)
                    rows[section.key], body, rows_path = _render_section(
                        spark, settings, section, options, store, csvs[section.key])
                store.keep(section.key, fingerprint, rows=rows[section.key], body=body, rows_path=rows_path,
                           rows_schema=spark.table(f"report_{section.key}").schema.jsonValue() if rows_path else None)
                parts.append(f'<section id="{esc(section.key)}"><h2>{esc(section.title)}</h2>'
                             f'<p class="note">{esc(section.intro)}</p>{body}</section>')
            overview = _query(spark, settings, "overview")[0]
    finally:
        register_views(spark)  # the shared views pointed into the scratch directory
    store.save()
    owned_share = overview["owned_assets"] / overview["live_assets"] if overview["live_assets"] else None
    head = cards([("mean metadata score", overview["mean_score"] if overview["mean_score"] is not None else "n/a"),
                  ("live assets", overview["live_assets"]),
                  ("owned", f"{owned_share:.0%}" if owned_share is not None else "n/a"),
                  ("with an inactive owner", overview["assets_with_inactive_owner"]),
                  ("undocumented", overview["undocumented_assets"]),
                  ("deprecation candidates", overview["deprecation_candidates"]),
                  ("active edges", overview["active_edges"])])
    nav = "<nav>" + "".join(f'<a href="#{esc(s.key)}">{esc(s.title)}</a>' for s in sections(options)) + "</nav>"
    shown_versions = f"graph.entities v{versions['graph.entities']}, graph.edges v{versions['graph.edges']}"
    html_path = out_dir / HTML_NAME
    html_path.write_text(page("Governance report", f"Run {run_id} · {now:%Y-%m-%d %H:%M} UTC · {shown_versions}",
                              head + nav + "".join(parts)), encoding="utf-8")
    (out_dir / "overview.json").write_text(json.dumps(jsonable(overview), indent=2) + "\n", encoding="utf-8")
    return ReportOutcome(html_path, csvs, rows, overview, reused)


class _SharedViews:
    """Materializes SHARED_VIEWS the first time a recomputed section (or the overview) reads them."""

    def __init__(self, spark: SparkSession, scratch: str) -> None:
        self.spark, self.scratch, self.done = spark, scratch, False

    def ensure(self, section: Section) -> None:
        from spark_jobs.sqlrun import _code_only

        text = _code_only(section.query.read_text(encoding="utf-8"))
        if not self.done and any(re.search(rf"\b{v}\b", text) for v in SHARED_VIEWS):
            self.ensure_all()

    def ensure_all(self) -> None:
        if self.done:
            return
        for view in SHARED_VIEWS:  # in order: asset_teams reads owner_assets
            path, frame = f"{self.scratch}/{view}", self.spark.table(view)
            frame.write.mode("overwrite").parquet(path)
            # the schema given: an empty result may leave no file to read it from
            self.spark.read.schema(frame.schema).parquet(path).createOrReplaceTempView(view)
        self.done = True


#: Rows of a section converted to Python rows for its HTML table and chart (the quality trend
#: chart reads up to 50 runs, the team charts 25); every row goes to the CSV.
_ROWS_SHOWN = 100


def _section_rows(spark: SparkSession, settings: Settings, section: Section, options: ReportOptions,
                  store) -> tuple[StructType, list[Any], Any]:
    """(schema, rows, the rows as an Arrow table) of one section, in its order, queried once. With
    an Arrow table, `rows` holds only its first `_ROWS_SHOWN` rows (what the HTML and the charts
    show): the CSV is written from the Arrow columns."""
    from pyspark.sql.conversion import ArrowTableToRowsConversion

    if section.key == "graph_size":
        return _graph_size_rows(spark, settings, options, store)
    df = _deprecation_frame(spark, settings) if section.key == "deprecation_candidates" else \
        _sql(spark, section.query.read_text(encoding="utf-8"), section.params)
    schema = df.schema
    arrow = df.toArrow()
    shown = max(options.html_rows, _ROWS_SHOWN)
    return schema, ArrowTableToRowsConversion.convert(arrow.slice(0, shown), schema), arrow


def _render_section(spark: SparkSession, settings: Settings, section: Section, options: ReportOptions, store,
                    csv_path: Path) -> tuple[int, str, Path | None]:
    """Query a section, write its CSV, register its view when others aggregate it; (rows, body, rows_path)."""
    schema, result, arrow = _section_rows(spark, settings, section, options, store)
    columns = schema.names
    count = _write_rows_csv(columns, result, csv_path) if arrow is None else _write_arrow_csv(arrow, schema, csv_path)
    rows_path = None
    if section.key in AGGREGATED_SECTIONS:
        rows_path = store.rows_path(section.key)
        frame = spark.createDataFrame(arrow) if arrow is not None and arrow.num_rows else \
            spark.createDataFrame(result, schema)
        frame.write.mode("overwrite").parquet(str(rows_path))
        _register_rows(spark, section.key, rows_path, schema)
    shown = [tuple(r) for r in result[:options.html_rows]]
    if not shown:
        # never a silently empty section: say what no rows means here
        return count, f'<p class="note empty">{esc(section.empty)}</p>', rows_path
    more = (f'<p class="note">Showing {len(shown)} of {count:,} rows; all are in {esc(csv_path.name)}.</p>'
            if count > len(shown) else "")
    chart = section.chart(spark, settings, result) if section.chart else ""
    render = section.render or table
    return count, f"{chart}{render(columns, shown)}{more}", rows_path


def _register_rows(spark: SparkSession, key: str, path: Path, schema: StructType) -> None:
    """`report_<key>` over a section's kept rows (schema given: no rows may leave no file)."""
    spark.read.schema(schema).parquet(str(path)).createOrReplaceTempView(f"report_{key}")


def _sql(spark: SparkSession, text: str, params: Mapping[str, Any] | None = None) -> DataFrame:
    """The last statement of a report script, on the tables and views the report registered."""
    from spark_jobs.sqlrun import split_statements

    result = None
    for statement in split_statements(text):
        result = spark.sql(statement, args=dict(params)) if params else spark.sql(statement)
    assert result is not None
    return result


def _deprecation_frame(spark: SparkSession, settings: Settings) -> DataFrame:
    """The deprecation candidates: graph.deprecation_candidates when the latest closure run wrote it
    from the graph as it is now (the same query over the same versions), else the query live."""
    from spark_jobs.stages.closure import last_closure

    inputs = ("graph.entities", "graph.edges", "graph.impact", "graph.deprecation_candidates")
    recorded = (last_closure(spark, settings) or {}).get("table_versions") or {}
    if recorded and all(recorded.get(name) == tables.version(settings, name) for name in inputs) \
            and recorded.get("graph.deprecation_candidates") is not None:
        return spark.sql("SELECT id, entity_type, name, owners, reason FROM graph.deprecation_candidates "
                         "ORDER BY entity_type, id")
    return _sql(spark, DEPRECATION_QUERY.read_text(encoding="utf-8"))


def _graph_size_rows(spark: SparkSession, settings: Settings, options: ReportOptions,
                     store) -> tuple[StructType, list[Any], None]:
    """graph_size.sql over the versions not counted before, with the kept counts of the others."""
    from pyspark.sql import Row

    history = graph_history(settings, max_versions=options.max_versions)
    known, missing = {}, []
    for name, version, committed in history:
        key = store.size_key(name, version, committed)
        row = store.known_size(key)
        if row is None:
            missing.append((name, version, committed))
        else:
            known[(name, version)] = row
    register_graph_versions(spark, settings, max_versions=options.max_versions, versions=missing)
    df = _sql(spark, report_sql("graph_size"))
    for row in df.collect():
        d = row.asDict()
        committed = next(c for n, v, c in missing if n == d["table_name"] and v == d["version"])
        store.keep_size(store.size_key(d["table_name"], d["version"], committed), d)
        known[(d["table_name"], d["version"])] = d
    ordered = [known[k] for k in sorted(known)]
    return df.schema, [Row(**{c: r[c] for c in df.columns}) for r in ordered], None


def _write_rows_csv(columns: list[str], rows: list[Any], path: Path) -> int:
    """A section's rows as CSV (arrays and maps as JSON); returns the row count."""
    _write_csv(path, columns, ([_csv_value(v) for v in row] for row in rows))
    return len(rows)


def _write_arrow_csv(arrow: Any, schema: StructType, path: Path) -> int:
    """The same CSV from an Arrow table, a column at a time: a plain column's cells are its Arrow
    values as they are, an array<string> column's lists JSON-encoded as Arrow gives them; only the
    others (timestamps, other arrays, maps) go through pyspark's converter and `_csv_value`. Building a Row per row first took most of the report's time at 46 k rows."""
    from pyspark.sql.conversion import ArrowTableToRowsConversion
    from pyspark.sql.types import (ArrayType, BooleanType, DoubleType, FloatType, IntegerType, LongType, ShortType,
                                   StringType)

    plain = (StringType, LongType, IntegerType, ShortType, DoubleType, FloatType, BooleanType)
    cells = []
    for field, column in zip(schema.fields, arrow.columns):
        values = column.to_pylist()
        if isinstance(field.dataType, ArrayType) and isinstance(field.dataType.elementType, StringType):
            # the common array<string> (owners, teams): Arrow gives lists of str, JSON as they are
            values = [None if v is None else _to_json(v) for v in values]
        elif not isinstance(field.dataType, plain):
            convert = ArrowTableToRowsConversion._create_converter(field.dataType)
            values = [_csv_value(convert(v)) for v in values]
        cells.append(values)
    _write_csv(path, schema.names, zip(*cells))
    return arrow.num_rows


def _write_csv(path: Path, columns: list[str], rows: Any) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)


_PLAIN = (str, int, float, bool, type(None))
# json.dumps builds a new encoder for every call with a non-default argument: one, made once
_to_json = json.JSONEncoder(ensure_ascii=False).encode


def _csv_value(value: Any) -> Any:
    """A CSV cell: arrays, maps and structs as JSON, timestamps in ISO form."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):  # the common array<string>
        return _to_json(value)
    if isinstance(value, (list, dict, tuple)) or hasattr(value, "asDict"):
        return _to_json(jsonable(value))
    return jsonable(value)


def _ownership_chart(spark: SparkSession, settings: Settings, section_rows: list[Any]) -> str:
    rows = _query(spark, settings, "ownership_by_domain")
    return charts.stacked_bars([r["domain"] for r in rows],
                               [("owned", [r["owned"] for r in rows]), ("unowned", [r["unowned"] for r in rows])],
                               title="Live assets by domain: owned vs unowned")


def _inactive_chart(spark: SparkSession, settings: Settings, section_rows: list[Any]) -> str:
    rows = _query(spark, settings, "inactive_owners_by_owner", limit=20)
    return charts.stacked_bars(
        [r["owner"] for r in rows],
        [("no active owner left", [r["without_active_owner"] for r in rows]),
         ("still has an active owner", [r["assets"] - r["without_active_owner"] for r in rows])],
        title="Assets per inactive owner (top 20)")


def _stale_chart(spark: SparkSession, settings: Settings, section_rows: list[Any]) -> str:
    rows = [r.asDict() for r in section_rows[:25]]
    return charts.stacked_bars([r["team"] for r in rows],
                               [("stale and undocumented", [r["stale_and_undocumented"] for r in rows]),
                                ("stale only", [r["stale_only"] for r in rows]),
                                ("undocumented only", [r["undocumented_only"] for r in rows])],
                               title="Problem assets by team")


def _deprecation_chart(spark: SparkSession, settings: Settings, section_rows: list[Any]) -> str:
    rows = _query(spark, settings, "deprecation_by_type")
    return charts.stacked_bars([r["entity_type"] for r in rows], [("candidates", [r["candidates"] for r in rows])],
                               title="Deprecation candidates by type")


def _quality_chart(spark: SparkSession, settings: Settings, section_rows: list[Any]) -> str:
    rows = [r.asDict() for r in section_rows]  # at most 50 runs
    labels = [r["run_id"][-12:] for r in rows]
    return (charts.line_chart(labels, [("failed critical", [r["failed_critical"] for r in rows]),
                                       ("failed warning", [r["failed_warning"] for r in rows])],
                              title="Failed expectations per run")
            + charts.line_chart(labels, [("with description", [r["description_share"] for r in rows]),
                                         ("with owner", [r["owner_share"] for r in rows]),
                                         ("with tags", [r["tag_share"] for r in rows])],
                                title="Coverage shares per run"))


def _graph_size_chart(spark: SparkSession, settings: Settings, section_rows: list[Any]) -> str:
    rows = [r.asDict() for r in section_rows]  # at most 2 x max_versions
    out = []
    for name, title in (("graph.entities", "Entities per version"), ("graph.edges", "Edges per version")):
        mine = [r for r in rows if r["table_name"] == name]
        out.append(charts.line_chart([f"v{r['version']}" for r in mine],
                                     [("live", [r["live_rows"] for r in mine]),
                                      ("all rows", [r["total_rows"] for r in mine])], title=title))
    return "".join(out)



def _scorecard_table(columns: list[str], rows: list[tuple]) -> str:
    """The scorecard table with the trend drawn as a sparkline and the worst assets as a list."""
    from quality.html import cell

    trend_at, worst_at = columns.index("trend"), columns.index("worst_assets")
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for row in rows:
        tds = []
        for i, value in enumerate(row):
            if i == trend_at:
                values = list(value or [])
                tds.append(f'<td data-values="{esc(cell(values))}">{charts.sparkline(values, title="score per run")}'
                           "</td>")
            elif i == worst_at:
                tds.append("<td><ul>" + "".join(f"<li>{esc(item)}</li>" for item in value or []) + "</ul></td>")
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                tds.append(f'<td class="num">{esc(cell(value))}</td>')
            else:
                tds.append(f"<td>{esc(cell(value))}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _scorecard_chart(spark: SparkSession, settings: Settings, section_rows: list[Any]) -> str:
    teams = [r.asDict() for r in section_rows[:25]]
    bars = charts.stacked_bars([r["team"] for r in teams], [("score", [r["score"] for r in teams])],
                               title="Mean metadata score by team (newest run)")
    trend = _query(spark, settings, "domain_score_trend")
    runs = list(dict.fromkeys((r["run_id"], r["scored_at"]) for r in trend))
    domains = sorted({r["domain"] for r in trend})
    by = {(r["run_id"], r["domain"]): r["score"] for r in trend}
    lines = charts.line_chart([f"{at:%m-%d %H:%M}" for _, at in runs],
                              [(d, [by.get((run, d)) for run, _ in runs]) for d in domains],
                              title="Mean metadata score per domain across runs")
    return bars + lines
