"""Search relevance over a built lakehouse, on every engine with the same expectations: documents
built by the publish stage from real graph tables, published in one stage run to the embedded
tantivy index and to a real OpenSearch node (tests/fixtures/opensearch.py), queried with the
shared ranking rules (`built` is parametrised over the engines)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timezone

import pytest

from spark_jobs import stages, tables
from spark_jobs.config import Settings
from spark_jobs.graph.synthetic import Graph, write_graph
from spark_jobs.model import EntityType as E
from spark_jobs.search.embedded import current_snapshot, expire_snapshots, list_snapshots, write_snapshot
from spark_jobs.search.query import search
from spark_jobs.search.ranking import SearchQuery

pytestmark = pytest.mark.integration

RANKING = E.MODEL.uri("ranking")
RANKING_V5 = E.MODEL.uri("ranking-v5")
LEGACY = E.MODEL.uri("ranking-model-legacy")
CHURN = E.MODEL.uri("churn-predictor")
INSTANCE = E.MODEL_INSTANCE.uri("ranking-v5-20260101")
FEATURE = E.FEATURE.uri("title_embedding")
CLICKS = E.DATASET.uri("clicks")
TRAINER = E.PIPELINE.uri("weekly-ranking-trainer")
RUN = E.PIPELINE_RUN.uri("train-20260101")
TEST = E.AB_TEST.uri("12345")
ALICE, BOB = E.USER.uri("alice"), E.USER.uri("bob")
TEAM = E.TEAM.uri("personalization")
GONE = E.MODEL.uri("ranking-deleted")


def lakehouse_graph() -> Graph:
    return (
        Graph()
        .add(INSTANCE, "INSTANCE_OF", RANKING_V5).add(INSTANCE, "USES_FEATURE", FEATURE)
        .add(INSTANCE, "PRODUCED_BY", RUN).add(RUN, "RUN_OF", TRAINER).add(FEATURE, "DERIVED_FROM", CLICKS)
        .add(RANKING_V5, "TESTED_IN", TEST, provenance="inferred", rule="model_tested_in")
        .add(RANKING_V5, "OWNED_BY", ALICE).add(CHURN, "OWNED_BY", BOB).add(FEATURE, "OWNED_BY", TEAM)
        .add(ALICE, "MEMBER_OF", TEAM).add(LEGACY, "USES_FEATURE", CLICKS, active=False)
        .entity(RANKING, description="the original ranking model")
        .entity(RANKING_V5, owners=[ALICE], tags=[{"tag": "team", "value": "personalization"}],
                description="Ranks the home feed", last_enriched_at=datetime(2026, 2, 1, tzinfo=timezone.utc))
        .entity(LEGACY, description="replaced by ranking-v5")
        .entity(CHURN, owners=[BOB], tags=[{"tag": "team", "value": "growth"}], description="predicts churn")
        .entity(FEATURE, owners=[TEAM])
        .entity(TEST, name="Ranking Model v5 vs v4", source_status="ACTIVE")
        .entity(ALICE, name="Alice Liddell").entity(BOB, name="Bob Builder")
        .entity(TEAM, name="Personalization Team")
        .entity(GONE, state="deleted")
    )


ENGINES = ("embedded", "opensearch")


@pytest.fixture(scope="module")
def published(tmp_path_factory, opensearch_node):
    """A lakehouse with the graph above and one snapshot published by the publish stage to the
    embedded engine and to OpenSearch."""
    from spark_jobs.session import spark_session

    root = tmp_path_factory.mktemp("search")
    settings = Settings.load(env={}, lakehouse=str(root / "lakehouse"), state_dir=str(root / "state"),
                             opensearch_url=opensearch_node.url, opensearch_index_prefix=f"rel-{uuid.uuid4().hex[:8]}")
    with spark_session(settings) as spark:
        write_graph(spark, settings, lakehouse_graph())
        # graph.impact as the closure stage writes it: the model depends on the pipeline
        tables.register(spark, settings, ["graph.impact"])
        tables.append(spark.createDataFrame([(TRAINER, RANKING_V5, 3, ["RUN_OF", "PRODUCED_BY", "INSTANCE_OF"], "t")],
                                            tables.table("graph.impact").ddl), settings, "graph.impact")
        metrics = stages.run_stage("publish", spark, settings, stages.RunContext.new()).metrics
        snapshots = tables.read(spark, settings, "search.snapshots").collect()
    try:
        yield settings, metrics, snapshots
    finally:
        from tests.fixtures.opensearch import drop_prefix

        drop_prefix(opensearch_node.url, settings.opensearch_index_prefix)


@pytest.fixture(scope="module", params=ENGINES)
def built(request, published):
    """The published lakehouse, with searches going to one engine (the configured default)."""
    settings, metrics, snapshots = published
    return dataclasses.replace(settings, search_backend=request.param), metrics, snapshots


def find(settings, text, **kw):
    kind = kw.pop("kind", "entities")
    return search(settings, SearchQuery(text=text, **kw), kind=kind)  # settings.search_backend (embedded if unset)


def test_stage_records_one_snapshot_per_engine(published):
    from spark_jobs.search import backends, cluster

    settings, metrics, snapshots = published
    sid = metrics["snapshot_id"]
    assert metrics["status"] == "success" and metrics["documents"] == 13 and metrics["owner_documents"] == 3
    assert metrics["opensearch_status"] == "published" and metrics["failed_backends"] == []
    rows = sorted(snapshots, key=lambda r: r.backend)
    assert [(r.backend, r.status, r.errors, r.snapshot_id) for r in rows] == [
        ("embedded", "published", 0, sid), ("opensearch", "published", 0, sid)]
    assert all(dict(r.doc_counts) == {"entities": 13, "owners": 3} for r in rows)
    assert current_snapshot(settings) == sid
    live = cluster.current_indices(backends.server_backend(settings, "opensearch").cluster,
                                   settings.opensearch_index_prefix)
    assert live == cluster.index_names(settings.opensearch_index_prefix, sid, metrics["revision"])


def test_exact_name_beats_a_longer_name_containing_it(built):
    hits = find(built[0], "ranking")
    assert hits[0].id == RANKING and hits[0].why[0] == "exact"
    others = [h.id for h in hits[1:]]
    assert RANKING_V5 in others and LEGACY in others
    assert all("exact" not in h.why for h in hits[1:])
    assert hits[0].score > hits[1].score
    # the same with another case and with the longer name as the query
    assert find(built[0], "RANKING-V5")[0].id == RANKING_V5


def test_prefix_ranks_above_fuzzy(built):
    hits = find(built[0], "rank")
    assert hits[0].why[0] == "prefix"
    assert {h.id for h in hits if "prefix" in h.why} >= {RANKING, RANKING_V5, LEGACY, TEST}
    assert [h.id for h in find(built[0], "weekly rank")] == [TRAINER]  # tokens in order
    assert find(built[0], "rank weekly") == []


def test_whole_name_typo_beats_same_tokens_in_another_order(built):
    hits = find(built[0], "rnaking-v5-20260101")
    assert hits[0].id == INSTANCE and hits[0].why[0] == "fuzzy"


@pytest.mark.parametrize("typo", ["churn-predictr", "chrun-predictor", "clcks", "churnpredictor"])
def test_one_letter_typo_still_finds_it(built, typo):
    hits = find(built[0], typo)
    assert hits, typo
    assert hits[0].id in (CHURN, CLICKS) and hits[0].why[0] == "fuzzy"


def test_a_word_that_is_nowhere_finds_nothing(built):
    assert find(built[0], "zzyzx") == []


def test_type_filter(built):
    assert {h.entity_type for h in find(built[0], "ranking", entity_type="Model")} == {"Model"}
    hits = find(built[0], "ranking", entity_type="AbTest")
    assert [h.id for h in hits] == [TEST] and hits[0].why[0] == "prefix"


def test_tag_filter(built):
    assert [h.id for h in find(built[0], "ranking", tags=("team::personalization",))] == [RANKING_V5]
    assert [h.id for h in find(built[0], "", tags=("team::growth",))] == [CHURN]
    assert find(built[0], "ranking", tags=("team::personalization", "team::growth")) == []


def test_owner_filter_by_username_and_uri(built):
    assert [h.id for h in find(built[0], "", owner="bob")] == [CHURN]
    assert [h.id for h in find(built[0], "", owner=ALICE)] == [RANKING_V5]
    assert {h.id for h in find(built[0], "title", owner="personalization")} == {FEATURE}


def test_other_fields_rank_below_name_matches_and_say_why(built):
    hits = find(built[0], "alice")
    by_id = {h.id: h for h in hits}
    assert by_id[RANKING_V5].why == ("owner",) and by_id[RANKING_V5].owners == ("Alice Liddell",)
    hits = find(built[0], "feed")
    assert [h.id for h in hits] == [RANKING_V5] and hits[0].why == ("description",)
    assert [h.id for h in find(built[0], "team::growth")][0] == CHURN


def test_related_names_come_from_active_edges_and_impact(built):
    by_id = {h.id: h for h in find(built[0], "", entity_type="Model", limit=50)}
    related = by_id[RANKING_V5].doc["related"]
    # one hop (instance, inferred A/B test) and via graph.impact (the training pipeline, 3 hops away)
    assert {"ranking-v5-20260101", "Ranking Model v5 vs v4", "weekly-ranking-trainer"} <= set(related)
    assert by_id[LEGACY].doc["related"] == []  # its only edge is inactive
    assert GONE not in by_id  # deleted entities are not indexed
    hits = find(built[0], "weekly-ranking-trainer")
    assert hits[0].id == TRAINER and RANKING_V5 in {h.id for h in hits if h.why == ("related",)}


def test_documents_carry_tags_owners_state_and_dates(built):
    (hit,) = find(built[0], "ranking-v5", limit=1)
    doc = hit.doc
    assert doc["tags"] == ["team::personalization"] and doc["owners"] == [ALICE]
    assert doc["owner_keys"] == [ALICE, "alice"] and doc["state"] == "hydrated"
    assert doc["last_enriched_at"].startswith("2026-02-01")


def test_owners_index_finds_a_person_by_display_name(built):
    hits = find(built[0], "Liddell", kind="owners")
    assert hits[0].id == ALICE and hits[0].name == "Alice Liddell"
    assert hits[0].doc["owned_count"] == 1 and "ranking-v5" in hits[0].doc["related"]
    assert "Personalization Team" in hits[0].doc["related"]  # her team
    assert find(built[0], "alice", kind="owners")[0].why[0] == "exact"  # the username is an alias
    assert find(built[0], "Alise Liddell", kind="owners")[0].id == ALICE
    team = find(built[0], "personalization team", kind="owners")[0]
    assert team.id == TEAM and set(team.doc["related"]) >= {"Alice Liddell", "title_embedding"}


def test_pointer_switch_and_expiry(tmp_path):
    settings = Settings.load(env={}, lakehouse=str(tmp_path / "lh"), state_dir=str(tmp_path / "state"))
    doc = {"id": RANKING, "entity_type": "Model", "name": "ranking"}
    for n in range(1, 5):
        write_snapshot(settings, f"v{n:010d}-e0000000000", {"entities": [doc], "owners": []})
        assert current_snapshot(settings) == f"v{n:010d}-e0000000000"
        assert [h.id for h in find(settings, "ranking")] == [RANKING]
    assert expire_snapshots(settings, keep=2) == ["v0000000001-e0000000000", "v0000000002-e0000000000"]
    assert list_snapshots(settings) == ["v0000000003-e0000000000", "v0000000004-e0000000000"]
    assert [h.id for h in find(settings, "ranking")] == [RANKING]
    with pytest.raises(ValueError):
        expire_snapshots(settings, keep=0)


def test_no_snapshot_is_a_clear_error(tmp_path):
    settings = Settings.load(env={}, lakehouse=str(tmp_path / "lh"), state_dir=str(tmp_path / "state"))
    with pytest.raises(FileNotFoundError, match="no search snapshot"):
        find(settings, "x")


def test_mlg_search_reads_the_backend_asked_for(published, monkeypatch, capsys):
    import json

    from spark_jobs.cli import main

    settings, _, _ = published
    for key, value in {"MLG_LAKEHOUSE": settings.lakehouse, "MLG_STATE_DIR": settings.state_dir,
                       "MLG_OPENSEARCH_URL": settings.opensearch_url,
                       "MLG_OPENSEARCH_INDEX_PREFIX": settings.opensearch_index_prefix}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MLG_ES_URL", raising=False)
    monkeypatch.delenv("MLG_SEARCH_BACKEND", raising=False)
    firsts = {}
    for backend in (*ENGINES, "auto"):
        assert main(["search", "rankng-v5", "--backend", backend, "--format", "json"]) == 0
        hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        firsts[backend] = (hits[0]["uri"], tuple(hits[0]["why"]))
    assert set(firsts.values()) == {(RANKING_V5, ("fuzzy",))}
    assert main(["search", "x", "--backend", "elasticsearch"]) == 2
    assert "needs a URL: set MLG_ES_URL" in capsys.readouterr().err
