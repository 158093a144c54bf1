"""The governance report: one self-contained HTML file plus one CSV per section.

Every number comes from SQL in `sql/reports/` (or the shared `sql/queries/deprecation_candidates.sql`)
run through `spark_jobs.sqlrun.run_sql`; this module only orders the sections, streams each
section's rows to its CSV, and draws the aggregates. Section results are registered as temp views
`report_<section>` so the chart queries aggregate them in Spark.
"""

from __future__ import annotations

import csv
import json
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

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
REPORTS_SQL = SQL_DIR / "reports"
DEPRECATION_QUERY = SQL_DIR / "queries" / "deprecation_candidates.sql"
GRAPH_VERSIONS_VIEW = "report_graph_versions"
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
    chart: Callable[[SparkSession, Settings], str] | None = None
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

    def metrics(self) -> dict[str, Any]:
        return {"html": str(self.html), "sections": len(self.csvs), **{f"rows_{k}": v for k, v in self.rows.items()},
                **{k: v for k, v in self.overview.items() if isinstance(v, (int, float))}}


def report_sql(name: str) -> str:
    return (REPORTS_SQL / f"{name}.sql").read_text(encoding="utf-8")


def _query(spark: SparkSession, settings: Settings, name: str, params: Mapping[str, Any] | None = None,
           *, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows of a small aggregate from sql/reports/<name>.sql."""
    df = run_sql(spark, settings, report_sql(name), params, with_views=False)
    df = df.limit(limit) if limit else df
    return [r.asDict(recursive=True) for r in df.collect()]


def register_graph_versions(spark: SparkSession, settings: Settings, *, max_versions: int) -> None:
    """`report_graph_versions`: rows of the newest Delta versions of graph.entities and graph.edges.

    pysail has no DESCRIBE HISTORY, so versions and commit times come from delta-rs; each version
    is read by time travel, projected to (table, version, committed_at, live) for the SQL to count.
    """
    from deltalake import DeltaTable
    from pyspark.sql import functions as F

    frames: list[DataFrame] = []
    for name, live in (("graph.entities", F.col("state") != "deleted"), ("graph.edges", F.col("active"))):
        if not tables.exists(settings, name):
            continue
        history = DeltaTable(tables.table(name).path(settings), storage_options=tables.storage_options()) \
            .history(max_versions)
        for commit in history:
            committed = datetime.fromtimestamp(commit["timestamp"] / 1000, tz=timezone.utc)
            frames.append(
                tables.read(spark, settings, name, at_version=int(commit["version"])).select(
                    F.lit(name).alias("table_name"), F.lit(int(commit["version"])).cast("bigint").alias("version"),
                    F.lit(committed).alias("committed_at"),
                    # not coalesce(): pysail mis-types its nullability across a union
                    F.when(live, True).otherwise(False).alias("live"))
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


def build_report(spark: SparkSession, settings: Settings, *, run_id: str,
                 options: ReportOptions | None = None, now: datetime | None = None) -> ReportOutcome:
    """Write `<reports_dir>/governance/governance.html` and one CSV per section."""
    options = options or ReportOptions()
    now = now or datetime.now(timezone.utc)
    out_dir = Path(settings.reports_dir) / "governance"
    out_dir.mkdir(parents=True, exist_ok=True)
    register_report_views(spark, settings, options)

    csvs: dict[str, Path] = {}
    rows: dict[str, int] = {}
    parts: list[str] = []
    for section in sections(options):
        view = spark.table(f"report_{section.key}")
        csvs[section.key] = out_dir / f"{section.key}.csv"
        rows[section.key] = _write_csv(view, csvs[section.key])
        shown = [tuple(r) for r in view.limit(options.html_rows).collect()]
        more = (f'<p class="note">Showing {len(shown)} of {rows[section.key]:,} rows; all are in '
                f'{esc(csvs[section.key].name)}.</p>' if rows[section.key] > len(shown) else "")
        if not shown:
            # never a silently empty section: say what no rows means here
            body = f'<p class="note empty">{esc(section.empty)}</p>'
        else:
            chart = section.chart(spark, settings) if section.chart else ""
            render = section.render or table
            body = f"{chart}{render(view.columns, shown)}{more}"
        parts.append(f'<section id="{esc(section.key)}"><h2>{esc(section.title)}</h2>'
                     f'<p class="note">{esc(section.intro)}</p>{body}</section>')

    overview = _query(spark, settings, "overview")[0]
    owned_share = overview["owned_assets"] / overview["live_assets"] if overview["live_assets"] else None
    head = cards([("mean metadata score", overview["mean_score"] if overview["mean_score"] is not None else "n/a"),
                  ("live assets", overview["live_assets"]),
                  ("owned", f"{owned_share:.0%}" if owned_share is not None else "n/a"),
                  ("with an inactive owner", overview["assets_with_inactive_owner"]),
                  ("undocumented", overview["undocumented_assets"]),
                  ("deprecation candidates", overview["deprecation_candidates"]),
                  ("active edges", overview["active_edges"])])
    nav = "<nav>" + "".join(f'<a href="#{esc(s.key)}">{esc(s.title)}</a>' for s in sections(options)) + "</nav>"
    versions = f"graph.entities v{tables.version(settings, 'graph.entities')}, " \
               f"graph.edges v{tables.version(settings, 'graph.edges')}"
    html_path = out_dir / HTML_NAME
    html_path.write_text(page("Governance report", f"Run {run_id} · {now:%Y-%m-%d %H:%M} UTC · {versions}",
                              head + nav + "".join(parts)), encoding="utf-8")
    (out_dir / "overview.json").write_text(json.dumps(jsonable(overview), indent=2) + "\n", encoding="utf-8")
    return ReportOutcome(html_path, csvs, rows, overview)


def _write_csv(df: DataFrame, path: Path) -> int:
    """Stream a section's rows to CSV (arrays and maps as JSON); returns the row count."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(df.columns)
        for row in df.toLocalIterator():
            writer.writerow([json.dumps(jsonable(v), ensure_ascii=False) if isinstance(v, (list, dict, tuple))
                             or hasattr(v, "asDict") else jsonable(v) for v in row])
            count += 1
    return count


def _ownership_chart(spark: SparkSession, settings: Settings) -> str:
    rows = _query(spark, settings, "ownership_by_domain")
    return charts.stacked_bars([r["domain"] for r in rows],
                               [("owned", [r["owned"] for r in rows]), ("unowned", [r["unowned"] for r in rows])],
                               title="Live assets by domain: owned vs unowned")


def _inactive_chart(spark: SparkSession, settings: Settings) -> str:
    rows = _query(spark, settings, "inactive_owners_by_owner", limit=20)
    return charts.stacked_bars(
        [r["owner"] for r in rows],
        [("no active owner left", [r["without_active_owner"] for r in rows]),
         ("still has an active owner", [r["assets"] - r["without_active_owner"] for r in rows])],
        title="Assets per inactive owner (top 20)")


def _stale_chart(spark: SparkSession, settings: Settings) -> str:
    rows = [r.asDict() for r in spark.table("report_stale_undocumented").limit(25).collect()]
    return charts.stacked_bars([r["team"] for r in rows],
                               [("stale and undocumented", [r["stale_and_undocumented"] for r in rows]),
                                ("stale only", [r["stale_only"] for r in rows]),
                                ("undocumented only", [r["undocumented_only"] for r in rows])],
                               title="Problem assets by team")


def _deprecation_chart(spark: SparkSession, settings: Settings) -> str:
    rows = _query(spark, settings, "deprecation_by_type")
    return charts.stacked_bars([r["entity_type"] for r in rows], [("candidates", [r["candidates"] for r in rows])],
                               title="Deprecation candidates by type")


def _quality_chart(spark: SparkSession, settings: Settings) -> str:
    rows = [r.asDict() for r in spark.table("report_quality_trend").collect()]  # at most 50 runs
    labels = [r["run_id"][-12:] for r in rows]
    return (charts.line_chart(labels, [("failed critical", [r["failed_critical"] for r in rows]),
                                       ("failed warning", [r["failed_warning"] for r in rows])],
                              title="Failed expectations per run")
            + charts.line_chart(labels, [("with description", [r["description_share"] for r in rows]),
                                         ("with owner", [r["owner_share"] for r in rows]),
                                         ("with tags", [r["tag_share"] for r in rows])],
                                title="Coverage shares per run"))


def _graph_size_chart(spark: SparkSession, settings: Settings) -> str:
    rows = [r.asDict() for r in spark.table("report_graph_size").collect()]  # at most 2 x max_versions
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


def _scorecard_chart(spark: SparkSession, settings: Settings) -> str:
    teams = [r.asDict() for r in spark.table("report_scorecard").limit(25).collect()]
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
