"""The publish stage end to end: documents built in Spark as Delta tables (reproducible from the
recorded graph versions), the embedded snapshot and the Elasticsearch snapshot (FakeElasticsearch)
published together, every attempt recorded in search.snapshots, a failed Elasticsearch bulk
recorded and raised while the alias stays put, and `mlg search` on the result."""

from __future__ import annotations

import dataclasses
import json

import pytest

from spark_jobs import stages, tables
from spark_jobs.cli import main
from spark_jobs.graph.synthetic import Graph, write_graph
from spark_jobs.model import EntityType as E
from spark_jobs.search import es
from spark_jobs.search.documents import build_documents
from spark_jobs.search.publish import PublishError, publish
from tests.fakes.elasticsearch import FakeElasticsearch

pytestmark = pytest.mark.integration

MODEL, OTHER = E.MODEL.uri("ranking-v5"), E.MODEL.uri("ranking")
FEATURE, ALICE = E.FEATURE.uri("title_embedding"), E.USER.uri("alice")


def small_graph() -> Graph:
    return (Graph().add(MODEL, "OWNED_BY", ALICE).add(E.MODEL_INSTANCE.uri("ranking-v5-1"), "INSTANCE_OF", MODEL)
            .add(E.MODEL_INSTANCE.uri("ranking-v5-1"), "USES_FEATURE", FEATURE)
            .entity(MODEL, owners=[ALICE], tags=[{"tag": "team", "value": "ranking"}])
            .entity(ALICE, name="Alice Liddell"))


@pytest.fixture
def fake_es():
    fake = FakeElasticsearch().start()
    yield fake
    fake.stop()


def snapshot_rows(spark, settings):
    return sorted((r.backend, r.status, r.errors, r.snapshot_id, dict(r.doc_counts))
                  for r in tables.read(spark, settings, "search.snapshots").collect())


def test_stage_publishes_to_embedded_and_elasticsearch(spark, settings, fake_es):
    write_graph(spark, settings, small_graph())
    settings = dataclasses.replace(settings, es_url=fake_es.url, es_index_prefix="lh")
    metrics = stages.run_stage("publish", spark, settings, stages.RunContext.new()).metrics
    sid, rev = metrics["snapshot_id"], metrics["revision"]
    assert metrics["status"] == "success" and metrics["es_status"] == "published"
    counts = {"entities": 4, "owners": 1}
    assert snapshot_rows(spark, settings) == [("elasticsearch", "published", 0, sid, counts),
                                              ("embedded", "published", 0, sid, counts)]
    assert fake_es.aliases() == {"lh-entities": [f"lh-entities-{sid}-{rev}"], "lh-owners": [f"lh-owners-{sid}-{rev}"]}
    stored = fake_es.indices[f"lh-entities-{sid}-{rev}"]["docs"][MODEL]
    assert stored["tags"] == ["team::ranking"] and stored["owner_names"] == ["Alice Liddell"]
    assert stored["related"] == ["ranking-v5-1"]


def test_a_snapshot_is_indexed_once_per_content_revision(spark, settings, fake_es):
    """Publishing the same graph again indexes nothing on the server; documents that change while
    the graph versions do not (here: fewer related names) are a new revision, indexed and swapped."""
    from spark_jobs.search.documents import DocumentOptions

    write_graph(spark, settings, small_graph())
    settings = dataclasses.replace(settings, es_url=fake_es.url, es_index_prefix="lh")
    first = publish(spark, settings)
    bulks = len(fake_es.calls("POST", "_bulk"))
    again = publish(spark, settings)
    assert (again.snapshot_id, again.metrics["revision"]) == (first.snapshot_id, first.metrics["revision"])
    assert again.metrics["es_status"] == "unchanged" and len(fake_es.calls("POST", "_bulk")) == bulks
    changed = publish(spark, settings, doc_options=DocumentOptions(max_related=0))
    assert changed.snapshot_id == first.snapshot_id and changed.metrics["revision"] != first.metrics["revision"]
    assert changed.metrics["es_status"] == "published"
    live = fake_es.aliases()["lh-entities"]
    assert live == [f"lh-entities-{first.snapshot_id}-{changed.metrics['revision']}"]
    assert fake_es.indices[live[0]]["docs"][MODEL]["related"] == []


def test_documents_are_reproducible_from_the_recorded_versions(spark, settings):
    write_graph(spark, settings, small_graph())
    first = build_documents(spark, settings)
    before = tables.read(spark, settings, "search.documents", at_version=first.documents_version)
    rows_before = sorted(map(tuple, before.drop("impact_version").collect()))
    # the graph moves on
    write_graph(spark, settings, Graph().entity(OTHER, owners=[ALICE]))
    assert build_documents(spark, settings).documents == first.documents + 1
    again = build_documents(spark, settings, entities_version=first.entities_version,
                            edges_version=first.edges_version)
    rebuilt = tables.read(spark, settings, "search.documents", at_version=again.documents_version)
    assert sorted(map(tuple, rebuilt.drop("impact_version").collect())) == rows_before
    assert {r.entities_version for r in rebuilt.select("entities_version").collect()} == {first.entities_version}


def test_failed_bulk_is_recorded_raised_and_leaves_the_alias(spark, settings, fake_es):
    write_graph(spark, settings, small_graph())
    client = es.connect(fake_es.url)
    options = es.EsOptions(prefix="lh", initial_backoff=0.01, max_retries=1)
    ok = publish(spark, settings, es_client=client, es_options=options)
    write_graph(spark, settings, Graph().entity(OTHER, owners=[ALICE]))
    fake_es.throttle[OTHER] = 99  # rejected with 429 past every retry
    with pytest.raises(PublishError, match="alias left on lh-entities-" + ok.snapshot_id):
        publish(spark, settings, es_client=client, es_options=options)
    assert fake_es.aliases()["lh-entities"] == [f"lh-entities-{ok.snapshot_id}-{ok.metrics['revision']}"]
    rows = snapshot_rows(spark, settings)
    failed = [r for r in rows if r[1] == "failed"]
    assert len(rows) == 4 and len(failed) == 1 and failed[0][:3] == ("elasticsearch", "failed", 1)


def test_unreachable_elasticsearch_is_recorded_as_failed(spark, settings):
    write_graph(spark, settings, small_graph())
    settings = dataclasses.replace(settings, es_url="http://127.0.0.1:9")
    with pytest.raises(PublishError, match="elasticsearch: ConnectionError"):
        publish(spark, settings, es_options=es.EsOptions(request_timeout=2))
    assert [r[:3] for r in snapshot_rows(spark, settings)] == [("elasticsearch", "failed", 1),
                                                              ("embedded", "published", 0)]


def test_mlg_search_prints_type_name_uri_owners_and_why(spark, settings, monkeypatch, capsys):
    write_graph(spark, settings, small_graph())
    publish(spark, settings)
    monkeypatch.setenv("MLG_LAKEHOUSE", settings.lakehouse)
    monkeypatch.setenv("MLG_STATE_DIR", settings.state_dir)
    monkeypatch.delenv("MLG_ES_URL", raising=False)
    assert main(["search", "rankng-v5", "--format", "json"]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]  # JSON lines, as every command
    assert hits[0] == {"type": "Model", "name": "ranking-v5", "uri": MODEL, "owners": ["Alice Liddell"],
                       "why": ["fuzzy"], "score": hits[0]["score"], "quality": None}  # no quality run here
    assert main(["search", "ranking", "--type", "model", "--tag", "team::ranking", "--owner", "alice"]) == 0
    out = capsys.readouterr().out
    assert "ranking-v5" in out and "Alice Liddell" in out and "prefix" in out
    assert main(["search", "liddell", "--owners", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["uri"] == ALICE
    assert main(["search", "x", "--tag", "nocolon"]) == 2
    assert main(["search", "x", "--type", "Spaceship"]) == 2
    assert "key::value" in capsys.readouterr().err
