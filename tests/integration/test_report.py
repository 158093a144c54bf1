"""The governance report renders from a real build, and its numbers equal direct SQL counts."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

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


def test_report_renders_from_a_real_build_and_matches_direct_sql(spark, settings):
    from spark_jobs.build import run_build
    from spark_jobs.stages import RunContext

    report = lh.build_lakehouse(spark, settings, run_id="build-1")
    assert [r.stage for r in report.results] == lh.BUILD_STAGES
    # a second run after hydration marks a dataset deleted: one more version, one more quality run
    spark.sql(f"UPDATE graph.entities SET state = 'deleted' WHERE id = {tables.sql_literal(lh.ORPHAN)}").collect()
    run_build(settings, only=["quality", "report"], ctx=RunContext.new("build-2", quality_data_docs=False))
    tables.register(spark, settings)

    out = Path(settings.reports_dir) / "governance"
    html = (out / "governance.html").read_text(encoding="utf-8")
    sections = ["ownership_coverage", "inactive_owners", "stale_undocumented", "deprecation_candidates",
                "quality_trend", "graph_size"]
    for key in sections:
        assert f'id="{key}"' in html and (out / f"{key}.csv").is_file()
    # self-contained: inline CSS and SVG, nothing fetched, nothing executed
    assert "<style>" in html and html.count("<svg") >= 6
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

    # inactive owners: the (asset, owner) pairs whose owner is an inactive user
    inactive = {(r.id, r.owner) for r in spark.sql(
        "SELECT a.id, a.owner FROM (SELECT id, state, explode(owners) AS owner FROM graph.entities) a "
        "JOIN graph.entities u ON u.id = a.owner "
        "WHERE a.state <> 'deleted' AND u.entity_type = 'User' AND u.source_status = 'inactive'").collect()}
    assert {(r["asset_id"], r["owner_id"]) for r in read_csv(out / "inactive_owners.csv")} == inactive
    assert inactive == {(lh.IMPRESSIONS, lh.CAROL), (lh.ARCHIVED, lh.CAROL)}

    # stale and undocumented: totals over teams equal direct counts
    stale_rows = read_csv(out / "stale_undocumented.csv")
    undocumented = one(spark, f"SELECT count(*) FROM graph.entities WHERE {LIVE} AND description IS NULL")
    stale = one(spark, f"SELECT count(*) FROM graph.entities WHERE {LIVE} "
                       "AND updated_at < current_timestamp() - INTERVAL 90 DAYS")
    assert sum(int(r["undocumented"]) for r in stale_rows) == undocumented == 2  # dwell_time, archived instance
    assert sum(int(r["stale"]) for r in stale_rows) == stale == 2                # impressions, archived instance

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

    # headline numbers
    overview = json.loads((out / "overview.json").read_text())
    assert overview["live_assets"] == one(spark, f"SELECT count(*) FROM graph.entities WHERE {LIVE}")
    assert overview["assets_with_inactive_owner"] == 2
    assert f"<b>{overview['live_assets']}</b>live assets" in html


def test_mlg_report_writes_the_files(spark, settings, monkeypatch, capsys):
    from spark_jobs.cli import main

    lh.write(spark, settings, *lh.people())
    monkeypatch.setenv("MLG_LAKEHOUSE", settings.lakehouse)
    monkeypatch.setenv("MLG_REPORTS_DIR", settings.reports_dir)
    assert main(["report", "--stale-days", "30"]) == 0
    out = capsys.readouterr().out
    assert "governance.html" in out
    html = (Path(settings.reports_dir) / "governance" / "governance.html").read_text()
    assert "not updated for more than 30 days" in html
    assert main(["report", "--max-versions", "0"]) == 2
