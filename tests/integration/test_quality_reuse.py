"""A GE suite over a table version an earlier run validated with the same suite is not run again:
its results are written again as this run's rows, equal to what running it gives; a changed table
(or a changed suite) runs it again."""

from __future__ import annotations

import json

import pytest

from quality.config import QualityConfig
from quality.runner import ENTITIES, EDGES, _snapshot, reusable_ge_results, run_quality, suite_digests, validate_with_ge
from spark_jobs import tables
from tests.integration import test_quality_lakehouse as lh

pytestmark = pytest.mark.integration


def ge_rows(results):
    return sorted((r.suite, r.expectation, r.target, r.success, r.severity, json.dumps(dict(r.observed), sort_keys=True),
                   r.description) for r in results if "ge" in r.observed)


def reusable(spark, settings, config):
    versions = {n: tables.version(settings, n) for n in (ENTITIES, EDGES)}
    from datetime import datetime, timezone

    return reusable_ge_results(spark, settings, suite_digests(config), versions, now=datetime.now(timezone.utc))


def test_suites_over_unchanged_tables_reuse_their_results_until_a_table_or_suite_changes(spark, settings):
    config = QualityConfig.load()
    lh.write(spark, settings, *lh.people())
    lh.write(spark, settings, *lh.assets())
    first = run_quality(spark, settings, run_id="q1", config=config, data_docs=False)
    assert set(reusable(spark, settings, config)) == {"entities", "coverage", "edges"}

    second = run_quality(spark, settings, run_id="q2", config=config, data_docs=False)
    assert ge_rows(second.results) == ge_rows(first.results)
    written = tables.read(spark, settings, "quality.results").where("run_id = 'q2'").count()
    assert written == len(second.results)  # the run still writes every row, reused ones too

    # a suite with another threshold is another suite: not reused
    stricter = QualityConfig.load({"min_tag_share": 0.99})
    assert set(reusable(spark, settings, stricter)) == {"entities", "edges"}

    # one more edge: the edges suite runs again, the entities ones are still reused
    lh.write(spark, settings, [], [lh.edge(lh.CTR, "DERIVED_FROM", lh.IMPRESSIONS)])
    assert set(reusable(spark, settings, config)) == {"entities", "coverage"}
    third = run_quality(spark, settings, run_id="q3", config=config, data_docs=False)
    # what was reused and what ran are what running every suite now gives
    versions = {n: tables.version(settings, n) for n in (ENTITIES, EDGES)}
    fresh = validate_with_ge(_snapshot(spark, settings, versions), config, run_id="fresh", now=third_now(spark, settings),
                             docs_dir=None, digests=suite_digests(config))
    assert ge_rows(third.results) == ge_rows(fresh)


def third_now(spark, settings):
    return tables.read(spark, settings, "quality.results").where("run_id = 'q3'").first()["checked_at"]
