"""Drift: a per-type entity count or per-relation inferred edge count falling too far fails the gate."""

from __future__ import annotations

import json

import pytest

from quality.config import QualityConfig
from quality.runner import run_quality
from spark_jobs import tables
from tests.integration import test_quality_lakehouse as lh

pytestmark = pytest.mark.integration

MODELS = [lh.E.MODEL.uri(f"m{i:02d}") for i in range(20)]
INSTANCES = [lh.E.MODEL_INSTANCE.uri(f"m{i:02d}-v1") for i in range(20)]
TEST = lh.E.AB_TEST.uri("777")


def graph():
    ents = [lh.entity(u, owners=[lh.ALICE]) for u in [*MODELS, *INSTANCES, TEST]] + [lh.entity(lh.ALICE)]
    edges = [lh.edge(i, "INSTANCE_OF", m) for i, m in zip(INSTANCES, MODELS)]
    edges += [lh.edge(i, "TESTED_IN", TEST, provenance="inferred", rule="instance_tested_in") for i in INSTANCES]
    return ents, edges


def in_list(uris) -> str:
    return ", ".join(tables.sql_literal(u) for u in uris)


def drift_rows(outcome) -> dict[tuple[str, str], object]:
    return {(r.expectation, r.target): r for r in outcome.results if r.suite == "drift"}


def check(spark, settings, run_id, **overrides):
    outcome = run_quality(spark, settings, run_id=run_id, config=QualityConfig.load(overrides, env={}),
                          data_docs=False)
    assert not [r for r in outcome.results if "error" in r.observed]  # every check ran
    return outcome


def test_losing_half_of_a_type_fires_drift_until_accepted(spark, settings):
    lh.write(spark, settings, *graph())
    first = check(spark, settings, "r1")
    assert first.gate == "pass"
    accepted = first.table_versions["graph.entities"]

    # hydration marks half of the models deleted, a fifth of the instances, half of the TESTED_IN edges go
    spark.sql(f"UPDATE graph.entities SET state = 'deleted' WHERE id IN ({in_list(MODELS[:10])})").collect()
    spark.sql(f"UPDATE graph.entities SET state = 'deleted' WHERE id IN ({in_list(INSTANCES[:4])})").collect()
    spark.sql(f"UPDATE graph.edges SET active = false WHERE rel = 'TESTED_IN' "
              f"AND src IN ({in_list(INSTANCES[10:])})").collect()

    second = check(spark, settings, "r2")
    rows = drift_rows(second)
    model = rows[("entity_count_drop", "Model")]
    assert not model.success and model.severity == "critical"
    assert (model.observed["previous"], model.observed["current"], model.observed["drop_share"]) == (20, 10, 0.5)
    assert model.observed["baseline_version"] == accepted
    assert rows[("entity_count_drop", "ModelInstance")].success  # 20% < the 30% default
    assert not rows[("inferred_edge_count_drop", "TESTED_IN")].success
    assert second.gate == "fail"
    stored = tables.read(spark, settings, "quality.results").where(
        "run_id = 'r2' AND expectation = 'entity_count_drop' AND target = 'Model'").first()
    assert json.loads(stored.observed_value)["drop_share"] == 0.5
    assert stored.table_versions["graph.entities@baseline"] == accepted

    # a failed run is no new baseline: the drop keeps failing until someone accepts it
    assert check(spark, settings, "r3").gate == "fail"
    assert check(spark, settings, "r4", drift_max_drop_share=0.6).gate == "pass"
    after = drift_rows(check(spark, settings, "r5"))
    assert after[("entity_count_drop", "Model")].success  # r4 passed: its version is the new baseline


def test_without_history_the_previous_delta_version_is_the_baseline(spark, settings):
    lh.write(spark, settings, *graph())
    spark.sql(f"DELETE FROM graph.entities WHERE id IN ({in_list(MODELS[:12])})").collect()
    outcome = check(spark, settings, "first-run")
    model = drift_rows(outcome)[("entity_count_drop", "Model")]
    assert not model.success and model.observed["drop_share"] == 0.6
    assert model.observed["baseline_version"] == tables.version(settings, "graph.entities") - 1


def test_small_types_are_not_judged(spark, settings):
    lh.write(spark, settings, *graph())
    check(spark, settings, "before")
    spark.sql(f"UPDATE graph.entities SET state = 'deleted' WHERE id = {tables.sql_literal(TEST)}").collect()
    row = drift_rows(check(spark, settings, "after"))[("entity_count_drop", "AbTest")]
    assert row.success and row.observed["judged"] is False and row.observed["drop_share"] == 1.0
