"""The governance report reuses what did not change: a section whose input tables kept their
versions is not queried again, a changed input recomputes exactly the sections that read it, and
either way the files are the ones a report from nothing writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from quality.governance import ReportOptions, build_report, sections
from quality.report_store import STORE_DIR
from spark_jobs import tables
from spark_jobs.graph.deprecation import deprecation_candidates
from tests.integration import test_quality_lakehouse as lh
from tests.integration.test_report import read_csv

pytestmark = pytest.mark.integration

KEYS = [s.key for s in sections(ReportOptions())]


def outputs(out: Path) -> dict[str, str]:
    """Every CSV and the overview, and the HTML without its run line."""
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(out.glob("*.csv"))}
    files["overview.json"] = (out / "overview.json").read_text(encoding="utf-8")
    html = (out / "governance.html").read_text(encoding="utf-8")
    files["body"] = html[html.index("</p>"):]  # after the "Run ... · versions" line
    return files


def test_sections_are_reused_until_an_input_changes_and_equal_a_fresh_report(spark, settings):
    from spark_jobs.build import run_build
    from spark_jobs.stages import RunContext

    lh.write(spark, settings, *lh.people())
    lh.write(spark, settings, *lh.assets())
    run_build(settings, only=["infer", "closure", "quality", "report"],
              ctx=RunContext.new("build-1", quality_data_docs=False))
    tables.register(spark, settings)
    out = Path(settings.reports_dir) / "governance"
    first = outputs(out)
    # the closure's persisted candidates stand for the live query while the graph is as it left it
    live = sorted((r.id, r.reason) for r in deprecation_candidates(spark, settings).collect())
    assert sorted((r["id"], r["reason"]) for r in read_csv(out / "deprecation_candidates.csv")) == live

    again = build_report(spark, settings, run_id="again")
    assert again.reused == KEYS  # nothing changed: nothing queried again
    assert outputs(out) == first

    # one entity's description changes (graph.entities moves; the quality tables do not)
    spark.sql("UPDATE graph.entities SET description = 'Seconds spent on a title page' "
              f"WHERE id = {tables.sql_literal(lh.DWELL)}").collect()
    changed = build_report(spark, settings, run_id="changed")
    assert changed.reused == ["scorecard", "asset_scores", "quality_trend"]  # read only quality tables
    kept = outputs(out)
    assert kept["stale_undocumented.csv"] != first["stale_undocumented.csv"]  # dwell_time is documented now
    assert kept["graph_size.csv"].count("\n") == first["graph_size.csv"].count("\n") + 1  # one more version

    shutil.rmtree(out / STORE_DIR)  # from nothing: every section and every version counted again
    fresh = build_report(spark, settings, run_id="fresh")
    assert fresh.reused == []
    assert outputs(out) == kept
