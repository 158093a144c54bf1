"""Stage `infer`: rules materialise inferred edges into graph.edges (provenance 'inferred', the
rule name, no declarer) in one commit, and deactivate them when their path stops holding."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from spark_jobs import stages, tables
from spark_jobs.graph import queries
from spark_jobs.graph.rules import RULES, infer, rule
from spark_jobs.graph.synthetic import Edge, Graph, SourcesExample, set_edge_active, write_edges, write_graph
from spark_jobs.model import EntityType as E
from spark_jobs.stages import RunContext

pytestmark = pytest.mark.integration

X = SourcesExample
INSTANCE, MODEL, RUN, CELL, TEST = X.INSTANCE, X.MODEL, X.RUN, X.CELL, X.TEST
CLICKS, FEATURE = X.CLICKS, X.FEATURE
sources_md_graph = SourcesExample.graph


def run_infer(spark, settings, **options):
    ctx = RunContext("run-" + str(len(options)), datetime(2026, 2, 1, tzinfo=timezone.utc), options)
    return stages.run_stage("infer", spark, settings, ctx).metrics


def inferred_edges(spark, settings) -> dict[tuple[str, str, str], dict]:
    rows = tables.read(spark, settings, "graph.edges").where("provenance = 'inferred'").collect()
    return {(r.src, r.rel, r.dst): r.asDict() for r in rows}


def test_sources_md_example_infers_tested_in_both_ways(spark, settings):
    write_graph(spark, settings, sources_md_graph())
    metrics = run_infer(spark, settings)

    edges = inferred_edges(spark, settings)
    assert set(edges) == {
        (INSTANCE, "TESTED_IN", TEST), (MODEL, "TESTED_IN", TEST),
        (INSTANCE, "TRAINED_ON", CLICKS), (FEATURE, "USED_BY", MODEL),
    }
    tested = edges[(INSTANCE, "TESTED_IN", TEST)]
    assert tested["rule"] == "instance_tested_in_ab_test"
    assert tested["declared_by"] is None and tested["active"] is True
    assert (tested["src_type"], tested["dst_type"]) == ("ModelInstance", "AbTest")
    assert edges[(MODEL, "TESTED_IN", TEST)]["rule"] == "model_tested_in_ab_test"
    assert metrics["inferred_inserted"] == 4

    forward = {(r.relation, r.id) for r in queries.tested_in(spark, settings, INSTANCE).collect()}
    assert forward == {("tested in", TEST)}
    reverse = {(r.relation, r.id, r.entity_type) for r in queries.tested_in(spark, settings, TEST).collect()}
    assert reverse == {("tests", INSTANCE, "ModelInstance"), ("tests", MODEL, "Model")}


def test_removing_the_cell_at_the_source_deactivates_the_inferred_edges(spark, settings):
    write_graph(spark, settings, sources_md_graph())
    run_infer(spark, settings)
    # re-hydrating the run finds no ab_test_cells any more: its RAN_FOR edge goes inactive
    set_edge_active(spark, settings, RUN, "RAN_FOR", CELL, False)
    before = tables.version(settings, "graph.edges")

    metrics = run_infer(spark, settings)

    assert tables.version(settings, "graph.edges") == before + 1  # one commit
    assert metrics["inferred_deactivated"] == 2
    edges = inferred_edges(spark, settings)
    assert edges[(INSTANCE, "TESTED_IN", TEST)]["active"] is False  # kept, as history
    assert edges[(MODEL, "TESTED_IN", TEST)]["active"] is False
    assert edges[(INSTANCE, "TRAINED_ON", CLICKS)]["active"] is True
    assert queries.tested_in(spark, settings, TEST).count() == 0

    set_edge_active(spark, settings, RUN, "RAN_FOR", CELL, True)
    metrics = run_infer(spark, settings)
    assert metrics["inferred_reactivated"] == 2
    assert inferred_edges(spark, settings)[(INSTANCE, "TESTED_IN", TEST)]["active"] is True


def test_running_again_without_changes_writes_no_commit(spark, settings):
    write_graph(spark, settings, sources_md_graph())
    run_infer(spark, settings)
    version = tables.version(settings, "graph.edges")
    metrics = run_infer(spark, settings)
    assert tables.version(settings, "graph.edges") == version
    assert (metrics["inferred_inserted"], metrics["inferred_deactivated"], metrics["inferred_unchanged"]) == (0, 0, 4)


def test_edges_of_a_removed_rule_go_inactive(spark, settings):
    write_graph(spark, settings, sources_md_graph())
    stale = Edge(X.PIPELINE, "TRAINED_ON", CLICKS, provenance="inferred", rule="a_rule_since_deleted")
    write_edges(spark, settings, [stale])
    run_infer(spark, settings)
    assert inferred_edges(spark, settings)[(X.PIPELINE, "TRAINED_ON", CLICKS)]["active"] is False


def test_a_declared_edge_is_never_overwritten_by_a_rule(spark, settings):
    graph = sources_md_graph().add(INSTANCE, "TESTED_IN", TEST, provenance="declared")
    write_graph(spark, settings, graph)
    run_infer(spark, settings)
    rows = tables.read(spark, settings, "graph.edges").where(
        f"src = '{INSTANCE}' AND rel = 'TESTED_IN'").collect()
    assert [(r.provenance, r.rule, r.declared_by) for r in rows] == [("declared", None, INSTANCE)]


def test_an_added_rule_is_applied_without_new_code(spark, settings):
    write_graph(spark, settings, sources_md_graph())
    other = "aip://model-instance/registry/ranking-model-v5-20XX0201"
    write_edges(spark, settings, [Edge(other, "INSTANCE_OF", MODEL)])
    added = rule("instance_tested_via_model", E.MODEL_INSTANCE, ["INSTANCE_OF", "TESTED_IN"], "TESTED_IN", E.AB_TEST)
    edges = tables.read(spark, settings, "graph.edges").where("active")
    implied = {(r.src, r.dst, r.rule) for r in infer(edges, [*RULES, added]).where("rel = 'TESTED_IN'").collect()}
    # the first rule that implies an edge names it; the sibling instance is reached only by the new one
    assert implied == {(INSTANCE, TEST, "instance_tested_in_ab_test"), (MODEL, TEST, "model_tested_in_ab_test"),
                       (other, TEST, "instance_tested_via_model")}


def _model_using(model: str, *features: str) -> list[Edge]:
    instance = f"aip://model-instance/registry/{model}-v1"
    return [Edge(instance, "INSTANCE_OF", f"aip://model/registry/{model}")] + [
        Edge(instance, "USES_FEATURE", f"aip://feature/featurestore/{f}") for f in features]


def test_models_sharing_features_are_suggested_as_similar(spark, settings):
    edges = _model_using("m1", "a", "b", "c", "d") + _model_using("m2", "a", "b", "c") + _model_using("m3", "a", "x")
    write_graph(spark, settings, Graph(edges=edges))
    m1, m2, m3 = (f"aip://model/registry/{m}" for m in ("m1", "m2", "m3"))

    run_infer(spark, settings)
    scores = {(r.src, r.dst): (r.score, r.shared) for r in tables.read(spark, settings, "graph.similarity").collect()}
    assert scores == {(m1, m2): (0.75, 3), (m2, m1): (0.75, 3)}
    similar = {k: v for k, v in inferred_edges(spark, settings).items() if k[1] == "SIMILAR_TO"}
    assert set(similar) == {(m1, "SIMILAR_TO", m2)} and similar[(m1, "SIMILAR_TO", m2)]["rule"] == "jaccard_features"

    run_infer(spark, settings, similarity_threshold=0.2)
    scores = {(r.src, r.dst): r.score for r in tables.read(spark, settings, "graph.similarity").collect()}
    assert scores[(m1, m3)] == pytest.approx(1 / 5) and scores[(m2, m3)] == pytest.approx(1 / 4)
    assert len(scores) == 6


def test_an_unchanged_similarity_list_writes_no_version_and_a_changed_one_does(spark, settings):
    edges = _model_using("m1", "a", "b", "c", "d") + _model_using("m2", "a", "b", "c") + _model_using("m3", "a", "x")
    write_graph(spark, settings, Graph(edges=edges))
    assert run_infer(spark, settings)["similarity_written"] is True
    version = tables.version(settings, "graph.similarity")

    assert run_infer(spark, settings)["similarity_written"] is False
    assert tables.version(settings, "graph.similarity") == version

    metrics = run_infer(spark, settings, similarity_threshold=0.2)  # more pairs pass: a new list
    assert metrics["similarity_written"] is True and metrics["similar_pairs"] == 3
    assert tables.version(settings, "graph.similarity") == version + 1


def test_no_similar_models_writes_an_empty_list(spark, settings):
    write_graph(spark, settings, Graph(edges=_model_using("m1", "a") + _model_using("m2", "b")))
    metrics = run_infer(spark, settings)
    assert metrics["similar_pairs"] == 0 and tables.read(spark, settings, "graph.similarity").count() == 0
