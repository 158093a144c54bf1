"""Version promises: a run that changes nothing writes no version; lists whose order means nothing
are compared as sets; every stage records the table versions it left, so "the graph as of run N"
is one query over the `run_versions` view."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from spark_jobs import tables
from spark_jobs.build import record_run
from spark_jobs.graph.deprecation import write_deprecation_candidates
from spark_jobs.graph.synthetic import SourcesExample as X
from spark_jobs.graph.synthetic import write_graph
from spark_jobs.providers.base import Resolver
from spark_jobs.providers.orchestrator import normalise_pipeline
from spark_jobs.sqlrun import run_sql
from tests.integration.test_merge import A, T1, T2, _upsert

pytestmark = pytest.mark.integration

NOW = datetime(2026, 2, 1, tzinfo=timezone.utc)


def test_owners_in_another_order_are_not_a_change(spark, settings):
    first = _upsert(spark, settings, [{**A, "owners": ["aip://user/identity/a", "aip://user/identity/b"],
                                       "tags": [{"tag": "t", "value": "1"}, {"tag": "s", "value": "2"}]}], T1)
    again = _upsert(spark, settings, [{**A, "owners": ["aip://user/identity/b", "aip://user/identity/a"],
                                       "tags": [{"tag": "s", "value": "2"}, {"tag": "t", "value": "1"}]}], T2)
    assert again.changed == 0 and again.version == first.version
    assert tables.read(spark, settings, "graph.entity_history").count() == 1


def test_a_pipelines_outputs_are_a_set():
    pipeline = {"name": "p", "outputs": [{"dataset": "b"}, {"dataset": "a"}]}
    reordered = {**pipeline, "outputs": list(reversed(pipeline["outputs"]))}
    assert normalise_pipeline(pipeline, Resolver()).entities == normalise_pipeline(reordered, Resolver()).entities


def test_unchanged_deprecation_candidates_write_no_version_and_runs_map_to_versions(spark, settings):
    write_graph(spark, settings, X.graph())
    from spark_jobs import stages
    from spark_jobs.stages import RunContext

    stages.run_stage("closure", spark, settings, RunContext("r1", NOW, {}))
    record_run(spark, settings, "r1", "closure", "success", NOW, {})
    version = tables.version(settings, "graph.deprecation_candidates")
    impact_version = tables.version(settings, "graph.impact")
    assert write_deprecation_candidates(spark, settings, run_id="r2") > 0
    assert tables.version(settings, "graph.deprecation_candidates") == version  # nothing changed
    record_run(spark, settings, "r2", "closure", "success", NOW, {})

    rows = run_sql(spark, settings, "SELECT table_name, version FROM run_versions WHERE run_id = :run", {"run": "r1"})
    versions = dict(rows.collect())
    assert versions["graph.deprecation_candidates"] == version and versions["graph.impact"] == impact_version
    entities_v = versions["graph.entities"]
    as_of = run_sql(spark, settings, f"SELECT count(*) FROM graph.entities VERSION AS OF {int(entities_v)}")
    assert as_of.collect()[0][0] == tables.read(spark, settings, "graph.entities").count()
