"""The governance report renders from a real build, and its numbers equal direct SQL counts."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from quality.config import QualityConfig
from spark_jobs import tables
from tests.integration import test_quality_lakehouse as lh

pytestmark = pytest.mark.integration

OWNABLE = "('Model', 'ModelInstance', 'Pipeline', 'Feature', 'Dataset', 'AbTest')"
LIVE = f"entity_type IN {OWNABLE} AND state IN ('hydrated', 'enriched')"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def one(spark, query: str):
    return spark.sql(query).collect()[0][0]


class _Tables(HTMLParser):
    """The text of every table cell and note, per section id (a sparkline cell gives its data-values,
    a list cell its items one per line)."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[list[str]]] = {}
        self.notes: dict[str, list[str]] = {}
        self._section: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._fixed = False
        self._note: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self._section = attrs.get("id")
            self.sections[self._section], self.notes[self._section] = [], []
        elif tag == "tr" and self._section:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._fixed = "data-values" in attrs
            self._cell = [attrs["data-values"]] if self._fixed else []
        elif tag == "li" and self._cell is not None:
            self._cell.append("\n")
        elif tag == "p" and self._section:
            self._note = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell, self._fixed = None, False
        elif tag == "tr" and self._row is not None:
            self.sections[self._section].append(self._row)
            self._row = None
        elif tag == "p" and self._note is not None:
            self.notes[self._section].append("".join(self._note))
            self._note = None

    def handle_data(self, data):
        if self._cell is not None and not self._fixed:
            self._cell.append(data)
        if self._note is not None:
            self._note.append(data)


def html_tables(html: str) -> _Tables:
    parser = _Tables()
    parser.feed(html)
    return parser


def same_value(shown: str, raw: str) -> bool:
    """An HTML cell (numbers with thousands separators, 3 decimals; arrays as JSON or a list) equals
    its CSV value."""
    shown, raw = shown.strip(), raw.strip()
    if shown == raw:
        return True
    try:
        return abs(float(shown.replace(",", "")) - float(raw)) < 0.0005
    except ValueError:
        pass
    try:  # timestamps: the HTML shows them to the second
        return datetime.fromisoformat(shown) == datetime.fromisoformat(raw).replace(microsecond=0)
    except ValueError:
        pass
    try:
        values = json.loads(raw)
    except ValueError:
        return False
    if isinstance(values, list):
        parts = [x.strip() for x in shown.split("\n") if x.strip()]
        return parts == [str(v) for v in values] or json.loads(shown) == values
    return False


def assert_html_equals_csv(html: str, out: Path, sections: list[str]) -> None:
    """Every section's HTML table shows exactly the first rows of its CSV, column by column."""
    parsed = html_tables(html)
    for key in sections:
        with (out / f"{key}.csv").open(newline="", encoding="utf-8") as handle:
            csv_rows = list(csv.reader(handle))
        shown = parsed.sections[key]
        if len(csv_rows) == 1:
            assert shown == [] and any("No " in n or "Every" in n or "no " in n for n in parsed.notes[key]), key
            continue
        assert shown[0] == csv_rows[0], key
        assert 0 < len(shown) - 1 <= len(csv_rows) - 1, key
        for got, want in zip(shown[1:], csv_rows[1:]):
            assert len(got) == len(want), (key, got, want)
            for g, w in zip(got, want):
                assert same_value(g, w), (key, g, w)


def test_report_renders_from_a_real_build_and_matches_direct_sql(spark, settings):
    from spark_jobs.build import run_build
    from spark_jobs.stages import RunContext

    report = lh.build_lakehouse(spark, settings, run_id="build-1")
    assert [r.stage for r in report.results] == lh.BUILD_STAGES
    # a second run after hydration marks a dataset deleted: one more version, one more quality run
    spark.sql(f"UPDATE graph.entities SET state = 'deleted' WHERE id = {tables.sql_literal(lh.ORPHAN)}").collect()
    # ... and growth documents dwell_time: its score rises between the runs
    spark.sql("UPDATE graph.entities SET description = 'Seconds spent on a title page' "
              f"WHERE id = {tables.sql_literal(lh.DWELL)}").collect()
    run_build(settings, only=["quality", "report"], ctx=RunContext.new("build-2", quality_data_docs=False))
    tables.register(spark, settings)

    out = Path(settings.reports_dir) / "governance"
    html = (out / "governance.html").read_text(encoding="utf-8")
    sections = ["scorecard", "asset_scores", "ownership_coverage", "inactive_owners", "stale_undocumented",
                "deprecation_candidates", "quality_trend", "graph_size"]
    for key in sections:
        assert f'id="{key}"' in html and (out / f"{key}.csv").is_file()
    # self-contained: inline CSS and SVG, nothing fetched, nothing executed
    assert "<style>" in html and html.count("<svg") >= 8
    # every number the HTML shows is its CSV's
    assert_html_equals_csv(html, out, sections)
    assert not re.search(r"<script|<link|<img|src=|url\(|href=\"https?:", html, re.I)

    # ownership: per domain, the CSV (one team per asset in this fixture) equals a direct count
    direct = {r.domain: (r.assets, r.owned) for r in spark.sql(
        f"SELECT domain, count(*) AS assets, count_if(size(owners) > 0) AS owned FROM graph.entities "
        f"WHERE {LIVE} GROUP BY domain").collect()}
    from_csv: dict[str, list[int]] = {}
    for row in read_csv(out / "ownership_coverage.csv"):
        totals = from_csv.setdefault(row["domain"], [0, 0])
        totals[0] += int(row["assets"])
        totals[1] += int(row["owned"])
    assert {k: tuple(v) for k, v in from_csv.items()} == direct
    assert direct["data"] == (2, 2)  # clicks, impressions (orphan-logs was deleted in build-2)

    # inactive owners: the (asset, owner) pairs whose owner is an inactive user or one identity does not know
    inactive = {(r.id, r.owner) for r in spark.sql(
        "SELECT a.id, a.owner FROM (SELECT id, state, explode(owners) AS owner FROM graph.entities) a "
        "LEFT JOIN graph.entities u ON u.id = a.owner WHERE a.state <> 'deleted' AND (u.id IS NULL "
        "OR u.state IN ('reference', 'deleted') OR (u.entity_type = 'User' AND u.source_status = 'inactive'))"
    ).collect()}
    assert {(r["asset_id"], r["owner_id"]) for r in read_csv(out / "inactive_owners.csv")} == inactive
    assert inactive == {(lh.IMPRESSIONS, lh.CAROL), (lh.ARCHIVED, lh.CAROL)}

    # stale and undocumented: totals over teams equal direct counts
    stale_rows = read_csv(out / "stale_undocumented.csv")
    undocumented = one(spark, f"SELECT count(*) FROM graph.entities WHERE {LIVE} AND (description IS NULL "
                              "OR trim(description) IN ('', 'TODO', 'tbd'))")
    # stale: outside the type's window of the one freshness setting the scores use (score_freshness_days)
    windows = QualityConfig().score_freshness_days
    window = "CASE entity_type " + " ".join(f"WHEN '{t}' THEN {d}" for t, d in windows.items() if t != "*") + \
        f" ELSE {windows['*']} END"
    stale = one(spark, f"SELECT count(*) FROM graph.entities WHERE {LIVE} AND "
                       f"datediff(current_timestamp(), coalesce(updated_at, last_hydrated_at)) > {window}")
    assert sum(int(r["undocumented"]) for r in stale_rows) == undocumented == 1  # the archived instance
    assert sum(int(r["stale"]) for r in stale_rows) == stale == one(
        spark, "SELECT count_if(NOT is_fresh) FROM quality.entity_scores WHERE run_id = 'build-2'") == 2
    assert "score_freshness_days: AbTest 120 days, Dataset 90 days" in html

    # deprecation candidates are the closure's own persisted list, re-derived by the shared query
    persisted = {r.id for r in tables.read(spark, settings, "graph.deprecation_candidates").collect()}
    assert {r["id"] for r in read_csv(out / "deprecation_candidates.csv")} <= persisted | {lh.ORPHAN}

    # quality trend: one row per run with the failure counts quality.results holds
    trend = {r["run_id"]: r for r in read_csv(out / "quality_trend.csv")}
    assert set(trend) == {"build-1", "build-2"}
    for run_id, row in trend.items():
        failed = one(spark, f"SELECT count(*) FROM quality.results WHERE run_id = '{run_id}' AND NOT success "
                            "AND severity = 'warning'")
        assert int(row["failed_warning"]) == failed and row["gate"] == "pass"
    assert int(trend["build-2"]["entities_version"]) == tables.version(settings, "graph.entities")

    # graph size: the newest version's counts are today's counts; every version is there
    size = read_csv(out / "graph_size.csv")
    entity_rows = [r for r in size if r["table_name"] == "graph.entities"]
    newest = max(entity_rows, key=lambda r: int(r["version"]))
    assert int(newest["version"]) == tables.version(settings, "graph.entities")
    assert int(newest["live_rows"]) == one(spark, "SELECT count(*) FROM graph.entities WHERE state <> 'deleted'")
    assert int(newest["total_rows"]) == one(spark, "SELECT count(*) FROM graph.entities")
    assert [int(r["version"]) for r in entity_rows] == list(range(1, int(newest["version"]) + 1))
    edges_newest = max((r for r in size if r["table_name"] == "graph.edges"), key=lambda r: int(r["version"]))
    assert int(edges_newest["live_rows"]) == one(spark, "SELECT count(*) FROM graph.edges WHERE active")

    # scorecard: per team, the newest run's mean score and the previous run's, equal to direct SQL
    team_means = {run: {r.team: (r.n, r.mean) for r in spark.sql(
        "SELECT team, count(*) AS n, round(avg(score), 1) AS mean FROM (SELECT explode(teams) AS team, score "
        f"FROM quality.entity_scores WHERE run_id = '{run}') GROUP BY team").collect()} for run in ("build-1", "build-2")}
    card = {r["team"]: r for r in read_csv(out / "scorecard.csv")}
    assert set(card) == set(team_means["build-2"]) == {"Ranking", "Growth"}  # orphan-logs had no team
    for team, row in card.items():
        assert (int(row["assets"]), float(row["score"])) == team_means["build-2"][team]
        assert float(row["previous_score"]) == team_means["build-1"][team][1]
        assert json.loads(row["trend"]) == [team_means["build-1"][team][1], team_means["build-2"][team][1]]
        assert float(row["change"]) == round(team_means["build-2"][team][1] - team_means["build-1"][team][1], 1)
    assert [float(r["score"]) for r in card.values()] == sorted((float(r["score"]) for r in card.values()),
                                                                 reverse=True)  # ranked
    assert float(card["Growth"]["change"]) > 0 and float(card["Ranking"]["change"]) == 0
    worst = json.loads(card["Ranking"]["worst_assets"])
    assert worst[0].startswith(f"{lh.ARCHIVED.rsplit('/', 1)[1]} (") and "owner inactive" in worst[0]
    fix_first = read_csv(out / "asset_scores.csv")
    assert len(fix_first) == one(spark, "SELECT count(*) FROM quality.entity_scores WHERE run_id = 'build-2' "
                                        "AND score < 100")
    assert [float(r["score"]) for r in fix_first] == sorted(float(r["score"]) for r in fix_first)

    # headline numbers
    overview = json.loads((out / "overview.json").read_text())
    assert overview["live_assets"] == one(spark, f"SELECT count(*) FROM graph.entities WHERE {LIVE}")
    assert overview["assets_with_inactive_owner"] == 2
    assert f"<b>{overview['live_assets']}</b>live assets" in html
    assert overview["mean_score"] == one(spark, "SELECT round(avg(score), 1) FROM quality.entity_scores "
                                                "WHERE run_id = 'build-2'")


def test_mlg_report_writes_the_files(spark, settings, monkeypatch, capsys):
    from spark_jobs.cli import main

    lh.write(spark, settings, *lh.people())
    monkeypatch.setenv("MLG_LAKEHOUSE", settings.lakehouse)
    monkeypatch.setenv("MLG_REPORTS_DIR", settings.reports_dir)
    monkeypatch.setenv("MLG_QUALITY_SCORE_FRESHNESS_DAYS", "Dataset=30")  # the scores' one stale setting
    assert main(["report"]) == 0
    out = capsys.readouterr().out
    assert "governance.html" in out
    html = (Path(settings.reports_dir) / "governance" / "governance.html").read_text()
    assert "Dataset 30 days" in html
    # only people, no assets, no quality run: every section says why it has no rows
    notes = html_tables(html).notes
    assert "No quality run has scored any asset yet" in " ".join(notes["scorecard"])
    assert "no live assets" in " ".join(notes["ownership_coverage"])
    shown = html_tables(html).sections
    assert [k for k, rows in shown.items() if rows] == ["graph_size"]  # only the people's versions
    assert main(["report", "--max-versions", "0"]) == 2


def test_a_sections_csv_from_arrow_columns_equals_the_one_from_rows(spark, tmp_path):
    """The report writes big sections' CSVs a column at a time from Arrow; the cells must be what
    the row-by-row writer gives: plain values as they are, timestamps ISO, arrays and maps as JSON,
    nulls empty, and quoting where a cell needs it."""
    from pyspark.sql.conversion import ArrowTableToRowsConversion

    from quality.governance import _write_arrow_csv, _write_rows_csv

    frame = spark.sql("""
        SELECT * FROM VALUES
          ('a, "quoted"', 1L, 0.5D, true, TIMESTAMP'2026-12-01 10:00:00', array('x', 'ü'), map('k', 1), 7),
          (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
          ('plain', -2L, 1.0E9D, false, TIMESTAMP'2026-01-02 03:04:05.678', array(), map(), 0),
          ('nulls', 0L, 0.0D, true, TIMESTAMP'2026-01-02 03:04:05', array(NULL, 'y'), map('k', NULL), 1)
        AS t(text, n, x, flag, at, owners, counts, small)""")
    arrow = frame.toArrow()
    rows = ArrowTableToRowsConversion.convert(arrow, frame.schema)
    by_rows, by_columns = tmp_path / "rows.csv", tmp_path / "columns.csv"

    assert _write_rows_csv(frame.schema.names, rows, by_rows) == 4
    assert _write_arrow_csv(arrow, frame.schema, by_columns) == 4
    assert by_columns.read_bytes() == by_rows.read_bytes()
    header, first, empty, _, with_nulls = list(csv.reader(by_columns.open(encoding="utf-8")))
    assert header[0] == "text" and first[0] == 'a, "quoted"' and json.loads(first[5]) == ["x", "ü"]
    assert empty == [""] * 8
    assert json.loads(with_nulls[5]) == [None, "y"]
