"""Incremental search documents: a publish after a small graph change rewrites only the
documents whose content changed (the entity's own row, its owners' names, its related names),
deletes the gone ones, and re-indexes only those in the embedded index; what it maintains equals
a build from scratch."""

from __future__ import annotations

import pytest

from spark_jobs import tables
from spark_jobs.graph.synthetic import Graph, write_graph
from spark_jobs.model import EntityType as E
from spark_jobs.search.documents import VERSION_COLUMNS, build_documents
from spark_jobs.search.embedded import EmbeddedSearcher, search_root
from spark_jobs.search.publish import publish
from spark_jobs.search.ranking import SearchQuery

pytestmark = pytest.mark.integration

MODEL, INSTANCE = E.MODEL.uri("ranking-v5"), E.MODEL_INSTANCE.uri("ranking-v5-1")
FEATURE, ALICE, BOB = E.FEATURE.uri("title_embedding"), E.USER.uri("alice"), E.USER.uri("bob")
DATASET = E.DATASET.uri("clicks")


def graph() -> Graph:
    return (Graph().add(MODEL, "OWNED_BY", ALICE).add(INSTANCE, "INSTANCE_OF", MODEL)
            .add(INSTANCE, "USES_FEATURE", FEATURE).add(FEATURE, "DERIVED_FROM", DATASET)
            .entity(MODEL, owners=[ALICE]).entity(ALICE, name="Alice Liddell").entity(BOB, name="Bob"))


def documents(spark, settings, name="search.documents"):
    return {r["id"]: r for r in tables.read(spark, settings, name).collect()}


def content(rows):
    return {i: {k: v for k, v in r.asDict().items() if k not in VERSION_COLUMNS} for i, r in rows.items()}


def ids_found(settings, text):
    return {h.doc["id"] for h in EmbeddedSearcher(settings).search(SearchQuery(text=text, limit=50))}


def test_a_small_change_rewrites_and_reindexes_only_the_documents_it_touches(spark, settings):
    write_graph(spark, settings, graph())
    first = publish(spark, settings)
    assert first.built.changes is None  # the first build writes the tables whole
    before = documents(spark, settings)

    # Alice is renamed: her own document and the model she owns (owner_names) change, nothing else
    spark.sql("UPDATE graph.entities SET name = 'Alice Pleasance' WHERE id = " + tables.sql_literal(ALICE)).collect()
    second = publish(spark, settings)
    changes = second.built.changes
    assert (changes["entities"].upserted, changes["entities"].deleted) == (2, 0)  # Alice (a live entity) and the model
    assert changes["owners"].upserted == 1
    after = documents(spark, settings)
    rewritten = {i for i in after if after[i]["entities_version"] != before[i]["entities_version"]}
    assert rewritten == {ALICE, MODEL}
    assert after[MODEL]["owner_names"] == ["Alice Pleasance"]
    meta = (search_root(settings) / "snapshots" / second.snapshot_id / "snapshot.json").read_text()
    assert first.snapshot_id in meta  # updated from the previous snapshot, not re-indexed whole
    assert ids_found(settings, "pleasance") >= {MODEL}
    assert ids_found(settings, "liddell") == set()

    # the dataset is deleted at its source: its document goes
    spark.sql("UPDATE graph.entities SET state = 'deleted' WHERE id = " + tables.sql_literal(DATASET)).collect()
    third = publish(spark, settings)
    assert third.built.changes["entities"].deleted == 1
    assert DATASET not in documents(spark, settings) and DATASET not in ids_found(settings, "clicks")
    assert third.metrics["documents"] == len(documents(spark, settings))

    # nothing changed: no documents commit
    version = tables.version(settings, "search.documents")
    fourth = publish(spark, settings)
    assert fourth.built.changes["entities"].upserted == 0 and tables.version(settings, "search.documents") == version

    # what was maintained is what a build from scratch gives
    maintained = content(documents(spark, settings))
    maintained_owners = content(documents(spark, settings, "search.owner_documents"))
    build_documents(spark, settings)  # no scratch: both tables overwritten
    assert content(documents(spark, settings)) == maintained
    assert content(documents(spark, settings, "search.owner_documents")) == maintained_owners


def test_documents_rebuilt_for_the_affected_ids_only_equal_a_build_from_scratch(spark, settings):
    """Renames, new and removed dependency edges (the impact closure moving), ownership changes and
    deletions: after each, only the documents the change can touch are rebuilt, and the tables
    equal a build from scratch."""
    from spark_jobs.graph.synthetic import set_edge_active, write_edges, Edge
    from spark_jobs.stages import RunContext, run_stage

    pipeline, run, other = E.PIPELINE.uri("etl"), E.PIPELINE_RUN.uri("etl-1"), E.MODEL_INSTANCE.uri("ranking-v5-2")
    g = graph().add(DATASET, "PRODUCED_BY", run).add(run, "RUN_OF", pipeline).add(other, "INSTANCE_OF", MODEL)
    for i in range(8):  # bystanders the changes must not rebuild
        g.add(E.FEATURE.uri(f"f{i}"), "DERIVED_FROM", E.DATASET.uri(f"d{i}"))
    write_graph(spark, settings, g)

    def step(change):
        change()
        run_stage("closure", spark, settings, RunContext.new())
        built = publish(spark, settings).built
        maintained = content(documents(spark, settings))
        owners = content(documents(spark, settings, "search.owner_documents"))
        build_documents(spark, settings)  # from scratch (also the next step's base)
        assert content(documents(spark, settings)) == maintained
        assert content(documents(spark, settings, "search.owner_documents")) == owners
        return built

    step(lambda: None)  # the first build: whole
    lit = tables.sql_literal
    renamed = step(lambda: spark.sql(f"UPDATE graph.entities SET name = 'Clicks v2' WHERE id = {lit(DATASET)}")
                   .collect())
    assert renamed.considered is not None and renamed.considered < renamed.documents  # not every document
    step(lambda: write_edges(spark, settings, [Edge(other, "USES_FEATURE", FEATURE)]))  # new impact pairs
    step(lambda: set_edge_active(spark, settings, FEATURE, "DERIVED_FROM", DATASET, False))  # pairs gone
    step(lambda: spark.sql(f"UPDATE graph.entities SET owners = array({lit(BOB)}) WHERE id = {lit(MODEL)}")
         .collect())
    step(lambda: spark.sql(f"UPDATE graph.entities SET name = 'Robert' WHERE id = {lit(BOB)}").collect())
    step(lambda: spark.sql(f"UPDATE graph.entities SET state = 'deleted' WHERE id = {lit(INSTANCE)}").collect())
    step(lambda: set_edge_active(spark, settings, FEATURE, "DERIVED_FROM", DATASET, True))
