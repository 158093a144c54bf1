"""Deprecation candidates: live assets that no active entity depends on and nothing active uses,
with the reason, persisted by the closure stage as graph.deprecation_candidates for the report."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from spark_jobs import stages, tables
from spark_jobs.graph.deprecation import deprecation_candidates
from spark_jobs.graph.synthetic import SourcesExample as X
from spark_jobs.graph.synthetic import write_graph
from spark_jobs.stages import RunContext

pytestmark = pytest.mark.integration

ORPHAN_DATASET = "aip://dataset/datasets/old-export"
LEGACY_FEATURE = "aip://feature/featurestore/legacy_ctr"
RETIRED = "aip://model-instance/registry/ranking-model-v4-20XX0101"
CANDIDATE = "aip://model-instance/registry/ranking-model-v5-20XX0201"
OLD_MODEL = "aip://model/registry/ranking-v4"
GONE_DATASET = "aip://dataset/datasets/deleted-one"
BOB = "aip://user/identity/bob"


def test_candidates_with_reasons(spark, settings):
    graph = (
        X.graph()
        .entity(ORPHAN_DATASET, owners=[BOB])
        # a feature whose only user is a retired instance of a model with no deployed instance
        .add(RETIRED, "USES_FEATURE", LEGACY_FEATURE).add(RETIRED, "INSTANCE_OF", OLD_MODEL)
        .add(LEGACY_FEATURE, "DERIVED_FROM", X.CLICKS)
        .entity(RETIRED, source_status="RETIRED")
        # a trained, undeployed, untested sibling of the deployed instance
        .add(CANDIDATE, "INSTANCE_OF", X.MODEL).add(CANDIDATE, "USES_FEATURE", X.FEATURE)
        .entity(CANDIDATE, source_status="TRAINED")
        .entity(GONE_DATASET, state="deleted")
    )
    write_graph(spark, settings, graph)
    ctx = RunContext("r1", datetime(2026, 2, 1, tzinfo=timezone.utc), {})
    stages.run_stage("infer", spark, settings, ctx)
    metrics = stages.run_stage("closure", spark, settings, ctx).metrics

    rows = {r.id: r for r in tables.read(spark, settings, "graph.deprecation_candidates").collect()}
    assert {i: r.reason for i, r in rows.items()} == {
        ORPHAN_DATASET: "no active pipeline, feature, model instance or A/B test depends on it",
        LEGACY_FEATURE: "no active model instance or A/B test depends on it",
        OLD_MODEL: "no deployed instance and in no active A/B test",
        CANDIDATE: "not deployed and in no active A/B test",
        # the pipeline's run produced a dataset nothing reads and the instance only: the instance
        # depends on it, so the pipeline stays; the orphaned scores dataset goes
        X.SCORES: "no active pipeline, feature, model instance or A/B test depends on it",
    }
    assert rows[ORPHAN_DATASET].owners == [BOB] and rows[ORPHAN_DATASET].run_id == "r1"
    assert metrics["deprecation_candidates"] == 5
    # in use: the deployed instance, its model (deployed instance, active test), the data it needs
    assert not {X.INSTANCE, X.MODEL, X.FEATURE, X.CLICKS, X.PIPELINE} & set(rows)
    # already retired or deleted: nothing left to deprecate
    assert RETIRED not in rows and GONE_DATASET not in rows


def test_ending_the_ab_test_makes_its_model_a_candidate(spark, settings):
    graph = X.graph().entity(X.INSTANCE, source_status="TRAINED").entity(X.TEST, source_status="ACTIVE")
    write_graph(spark, settings, graph)
    ctx = RunContext("r1", datetime(2026, 2, 1, tzinfo=timezone.utc), {})
    stages.run_stage("infer", spark, settings, ctx)
    stages.run_stage("closure", spark, settings, ctx)
    assert X.MODEL not in {r.id for r in deprecation_candidates(spark, settings).collect()}

    spark.sql(f"UPDATE graph.entities SET source_status = 'ENDED' WHERE id = '{X.TEST}'").collect()
    candidates = {r.id: r.reason for r in deprecation_candidates(spark, settings).collect()}
    assert candidates[X.MODEL] == "no deployed instance and in no active A/B test"
    assert candidates[X.INSTANCE] == "not deployed and in no active A/B test"
