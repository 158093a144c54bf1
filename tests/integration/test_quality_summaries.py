"""Each quality run's one-row summary (quality.run_summaries) equals what its quality.results rows
say, a run stopped between its results and its summary is summarised by the next one, and the
history's readers (the drift baseline, the report's trend) see every run."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from quality.config import QualityConfig
from quality.runner import EDGES, ENTITIES, baseline_version, run_quality
from quality.history import SUMMARIES
from spark_jobs import tables
from tests.integration import test_quality_lakehouse as lh

pytestmark = pytest.mark.integration

DIRECT = """
SELECT run_id, min(checked_at), count(*), count_if(success), count_if(NOT success AND severity = 'critical'),
       count_if(NOT success AND severity = 'warning'),
       max(CASE WHEN expectation = 'share_with_description'
                THEN CAST(get_json_object(observed_value, '$.coverage') AS DOUBLE) END),
       max(table_versions['graph.entities']), max(table_versions['graph.edges'])
FROM quality.results GROUP BY run_id
"""
SUMMARISED = """
SELECT run_id, checked_at, checks, passed, failed_critical, failed_warning, description_share,
       table_versions['graph.entities'], table_versions['graph.edges']
FROM quality.run_summaries
"""


def test_summaries_equal_the_results_and_are_rebuilt_after_a_stopped_run(spark, settings):
    lh.write(spark, settings, *lh.people())
    lh.write(spark, settings, *lh.assets())
    now = datetime.now(timezone.utc)

    def run(run_id: str, minutes: int, **options):
        return run_quality(spark, settings, run_id=run_id, config=QualityConfig.load(options, env={}),
                           now=now + timedelta(minutes=minutes), data_docs=False)

    run("q1", 0)
    lh.write(spark, settings, [], [lh.edge(lh.CTR, "DERIVED_FROM", lh.IMPRESSIONS)])
    failing = run("q2", 1, min_tag_share=0.99, severities="share_with_tags=critical")
    assert failing.gate == "fail"
    passing = run("q3", 2)
    assert passing.gate == "pass"
    kept = tables.read(spark, settings, SUMMARIES, at_version=tables.version(settings, SUMMARIES))
    tables.overwrite(kept.where("run_id <> 'q3'"), settings, SUMMARIES)  # as if q3 stopped after its results
    run("q4", 3)

    def rows(sql: str) -> set[tuple]:
        return {tuple(r) for r in spark.sql(sql).collect()}

    assert rows(SUMMARISED) == rows(DIRECT)
    assert {r[0] for r in rows(SUMMARISED)} == {"q1", "q2", "q3", "q4"}
    # the drift baseline is the version the latest passing run checked: q3's (q2 failed), which only
    # q3's results recorded when q4 started
    first = tables.read(spark, settings, "quality.results").where("run_id = 'q1'").first()["table_versions"]
    q4 = tables.read(spark, settings, "quality.results").where("run_id = 'q4'").first()["table_versions"]
    assert q4[f"{EDGES}@baseline"] == passing.table_versions[EDGES] != first[EDGES]
    assert baseline_version(spark, settings, EDGES, tables.version(settings, EDGES)) == passing.table_versions[EDGES]
