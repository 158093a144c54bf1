"""The search-server publisher contract (spark_jobs.search.cluster), with the same tests on
every server: FakeElasticsearch (tests/fakes) through the official Elasticsearch client, a real
OpenSearch node (tests/fixtures/opensearch.py) through opensearch-py, and a real Elasticsearch
cluster when MLG_TEST_ES_URL names one (none can run here, so by default that server is not among
the parameters: the official client is tested against the fake, and the search DSL, which the fake
does not implement, against OpenSearch, which runs the same DSL).
Mapping and analysers, bulk item errors, 429 back-off (the fake, through both clients), the
atomic alias swap, retention, a republished snapshot not indexed again, and a partial bulk
failure that leaves the aliases on the old snapshot."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest

from spark_jobs.search import cluster, dsl, es, opensearch
from spark_jobs.search.ranking import RULES, SearchQuery
from tests.fakes.elasticsearch import FakeElasticsearch

pytestmark = pytest.mark.integration
FAST = dict(initial_backoff=0.01, max_backoff=0.05, max_retries=3)
CLIENTS = {"elasticsearch": es, "opensearch": opensearch}
REAL_ES_URL = os.environ.get("MLG_TEST_ES_URL")
REAL_ES = ["elasticsearch"] if REAL_ES_URL else []


@dataclass
class Target:
    client: object
    prefix: str
    fake: FakeElasticsearch | None
    cluster: cluster.Cluster

    def options(self, **kw) -> cluster.ClusterOptions:
        return cluster.ClusterOptions(prefix=self.prefix, **{**FAST, **kw})

    def aliases(self) -> dict[str, list[str]]:
        return {kind: [n for n in [cluster.current_indices(self.cluster, self.prefix)[kind]] if n]
                for kind in cluster.INDEX_KINDS}


def _target(module, url: str, fake: FakeElasticsearch | None = None) -> Target:
    client = module.connect(url)
    return Target(client, f"mlgtest-{uuid.uuid4().hex[:8]}", fake, module.wrap(client))


def _fake_target(client: str = "elasticsearch"):
    fake = FakeElasticsearch().start()
    try:
        yield _target(CLIENTS[client], fake.url, fake)
    finally:
        fake.stop()


def _opensearch_target(node):
    from tests.fixtures.opensearch import drop_prefix

    target = _target(opensearch, node.url)
    yield target
    drop_prefix(node.url, target.prefix)


def _real_es_target():
    target = _target(es, REAL_ES_URL)
    client = target.client
    yield target
    # by name: wildcard deletes are refused by default (action.destructive_requires_name)
    for name in client.indices.get(index=f"{target.prefix}-*", expand_wildcards="all").body:
        client.indices.delete(index=name)
    client.options(ignore_status=404).indices.delete_index_template(name=f"{target.prefix}-search")


def _server_target(request, name: str):
    if name == "fake":
        return _fake_target()
    if name == "opensearch":
        return _opensearch_target(request.getfixturevalue("opensearch_node"))
    return _real_es_target()


@pytest.fixture(params=["fake", "opensearch", *REAL_ES])
def target(request):
    """The publisher contract, against the fake and the real OpenSearch node always, and a real
    Elasticsearch cluster when one is configured."""
    yield from _server_target(request, request.param)


@pytest.fixture(params=["elasticsearch", "opensearch"])
def fake_target(request):
    """Only the fake can be told to answer 429 (through each backend's client)."""
    yield from _fake_target(request.param)


@pytest.fixture(params=["opensearch", *REAL_ES])
def real_target(request):
    """Only a real server runs the search DSL (the fake implements no _search)."""
    yield from _server_target(request, request.param)


def docs(n: int = 3, *, bad: str | None = None) -> dict[str, list[dict]]:
    entities = [{"id": f"aip://model/registry/m{i}", "entity_type": "Model", "name": f"model {i}",
                 "tags": ["team::x"], "owner_keys": ["alice"], "last_enriched_at": "2026-01-01T00:00:00+00:00"}
                for i in range(n)]
    if bad:
        entities.append({"id": bad, "entity_type": "Model", "name": "broken", "last_enriched_at": "not a date"})
    return {"entities": entities, "owners": [{"id": "aip://user/identity/alice", "entity_type": "User",
                                              "name": "Alice Liddell", "aliases": ["alice"], "owned_count": n}]}


def test_first_publish_creates_mapped_indices_and_aliases(target):
    result = cluster.publish_snapshot(target.cluster, "v0000000001-e0000000001", docs(), options=target.options())
    assert result.status == "published" and result.errors == 0
    assert result.doc_counts == {"entities": 3, "owners": 1}
    names = cluster.index_names(target.prefix, "v0000000001-e0000000001")
    assert target.aliases() == {"entities": [names["entities"]], "owners": [names["owners"]]}
    mapping = target.client.indices.get_mapping(index=names["entities"])[names["entities"]]["mappings"]
    name = mapping["properties"]["name"]
    assert name["type"] == "text" and name["fields"]["keyword"]["normalizer"] == "mlg_lower"
    assert name["fields"]["prefix"]["analyzer"] == "mlg_prefix"
    assert mapping["properties"]["tags"]["type"] == "keyword" and mapping["dynamic"] == "strict"
    assert int(target.client.count(index=f"{target.prefix}-entities")["count"]) == 3


def test_second_snapshot_swaps_both_aliases_in_one_request(target):
    cluster.publish_snapshot(target.cluster, "v0000000001-e0000000001", docs(2), options=target.options())
    result = cluster.publish_snapshot(target.cluster, "v0000000002-e0000000001", docs(4), options=target.options())
    assert result.status == "published" and result.previous["entities"].endswith("v0000000001-e0000000001")
    new = cluster.index_names(target.prefix, "v0000000002-e0000000001")
    assert target.aliases() == {"entities": [new["entities"]], "owners": [new["owners"]]}
    assert int(target.client.count(index=f"{target.prefix}-entities")["count"]) == 4
    if target.fake:
        last = target.fake.calls("POST", "/_aliases")[-1][2]["actions"]
        old = cluster.index_names(target.prefix, "v0000000001-e0000000001")
        assert last == [
            {"remove": {"index": old["entities"], "alias": f"{target.prefix}-entities"}},
            {"add": {"index": new["entities"], "alias": f"{target.prefix}-entities"}},
            {"remove": {"index": old["owners"], "alias": f"{target.prefix}-owners"}},
            {"add": {"index": new["owners"], "alias": f"{target.prefix}-owners"}},
        ]


def test_partial_bulk_failure_leaves_the_alias_on_the_old_snapshot(target):
    first = cluster.index_names(target.prefix, "v0000000001-e0000000001")
    cluster.publish_snapshot(target.cluster, "v0000000001-e0000000001", docs(2), options=target.options())
    result = cluster.publish_snapshot(target.cluster, "v0000000002-e0000000001", docs(5, bad="aip://model/registry/bad"),
                                 options=target.options())
    assert result.status == "failed" and result.errors == 1
    assert "aip://model/registry/bad" in result.error_samples[0] and "400" in result.error_samples[0]
    assert result.doc_counts["entities"] == 5  # the good ones went in, yet nothing moved
    assert target.aliases() == {"entities": [first["entities"]], "owners": [first["owners"]]}
    assert int(target.client.count(index=f"{target.prefix}-entities")["count"]) == 2
    failed = cluster.index_names(target.prefix, "v0000000002-e0000000001")
    assert not target.client.indices.exists(index=failed["entities"])  # dropped
    # and a later good snapshot publishes normally
    assert cluster.publish_snapshot(target.cluster, "v0000000003-e0000000001", docs(1),
                               options=target.options()).status == "published"


def test_failed_first_publish_creates_no_alias(target):
    result = cluster.publish_snapshot(target.cluster, "v0000000001-e0000000001", docs(1, bad="x"),
                                 options=target.options(delete_failed=False))
    assert result.status == "failed"
    assert target.aliases() == {"entities": [], "owners": []}
    # kept for inspection when asked; a retry of the same snapshot replaces the leftover index
    assert target.client.indices.exists(index=result.index_names["entities"])
    retry = cluster.publish_snapshot(target.cluster, "v0000000001-e0000000001", docs(1), options=target.options())
    assert retry.status == "published" and retry.doc_counts["entities"] == 1


def test_a_snapshot_published_twice_is_not_indexed_twice(target):
    cluster.publish_snapshot(target.cluster, "v0000000001-e0000000001", docs(2), options=target.options())
    read = []

    def watched(kind_docs):
        for doc in kind_docs:
            read.append(doc["id"])
            yield doc

    again = cluster.publish_snapshot(target.cluster, "v0000000001-e0000000001",
                                     {k: watched(v) for k, v in docs(2).items()}, options=target.options())
    assert again.status == "unchanged" and again.doc_counts == {"entities": 2, "owners": 1}
    assert read == []  # no document was even read, let alone sent


def test_keeps_the_last_n_snapshots(target):
    for n in range(1, 5):
        result = cluster.publish_snapshot(target.cluster, f"v{n:010d}-e0000000001", docs(1), options=target.options(keep=2))
    assert sorted(result.deleted) == sorted(cluster.index_names(target.prefix, "v0000000002-e0000000001").values())
    for kind in cluster.INDEX_KINDS:
        assert cluster.list_snapshot_indices(target.cluster, target.prefix, kind) == [
            f"{target.prefix}-{kind}-v{n:010d}-e0000000001" for n in (3, 4)]


def test_bulk_429_is_retried_with_backoff(fake_target):
    target = fake_target
    target.fake.throttle["aip://model/registry/m1"] = 2
    target.fake.reject_bulk_requests = 1
    result = cluster.publish_snapshot(target.cluster, "v0000000001-e0000000001", docs(3), options=target.options())
    assert result.status == "published" and result.doc_counts["entities"] == 3
    assert len([r for r in target.fake.requests if r[1].endswith("/_bulk")]) >= 4  # rejected request + 2 throttled retries + owners


def test_429_beyond_the_retries_is_a_failure(fake_target):
    target = fake_target
    target.fake.throttle["aip://model/registry/m0"] = 99
    result = cluster.publish_snapshot(target.cluster, "v0000000001-e0000000001", docs(2),
                                 options=target.options(max_retries=1))
    assert result.status == "failed" and "429" in result.error_samples[0]
    assert target.aliases() == {"entities": [], "owners": []}


def test_search_dsl_runs_on_a_real_cluster(real_target):
    target = real_target
    cluster.publish_snapshot(target.cluster, "v0000000001-e0000000001",
                        {"entities": [{"id": "a", "entity_type": "Model", "name": "ranking"},
                                      {"id": "b", "entity_type": "Model", "name": "ranking-v5"},
                                      {"id": "c", "entity_type": "Model", "name": "churn-predictor"}],
                         "owners": []}, options=target.options())
    hits = cluster.search(target.cluster, target.prefix, SearchQuery(text="ranking"))
    assert [h["_id"] for h in hits[:2]] == ["a", "b"] and "exact" in hits[0]["matched_queries"]
    hits = cluster.search(target.cluster, target.prefix, SearchQuery(text="churn-predictr"))
    assert hits[0]["_id"] == "c" and "fuzzy" in hits[0]["matched_queries"]
    assert {r.why for r in RULES} >= set(hits[0]["matched_queries"])


def test_index_template_covers_every_document_column():
    from spark_jobs.search.documents import DOC_COLUMNS

    assert set(dsl.mappings()["properties"]) == {c for c, _ in DOC_COLUMNS}


def test_url_from_an_airflow_connection():
    class Conn:
        host, port, login, password, extra_dejson = "es.internal", 9243, "mlg", "p@ss", {"scheme": "https"}

    assert es.url_from_connection(Conn()) == "https://mlg:p%40ss@es.internal:9243"
    Conn.login, Conn.extra_dejson = None, {}
    assert es.url_from_connection(Conn()) == "http://es.internal:9243"


def test_maintenance_expiry_covers_embedded_and_elasticsearch(tmp_path):
    from spark_jobs.config import Settings
    from spark_jobs.search import expire_snapshots
    from spark_jobs.search.embedded import current_snapshot, list_snapshots, write_snapshot

    fake = FakeElasticsearch().start()
    try:
        settings = Settings.load(env={}, lakehouse=str(tmp_path / "lh"), state_dir=str(tmp_path / "state"),
                                 es_url=fake.url, es_index_prefix="mx")
        client = es.connect(fake.url)
        for n in (1, 2, 3):
            sid = f"v{n:010d}-e0000000001"
            write_snapshot(settings, sid, docs(1))
            es.publish_snapshot(client, sid, docs(1), options=es.EsOptions(prefix="mx", keep=10, **FAST))
        removed = expire_snapshots(settings, keep=1)
        assert removed["embedded"] == ["v0000000001-e0000000001", "v0000000002-e0000000001"]
        assert len(removed["elasticsearch"]) == 4
        assert list_snapshots(settings) == [current_snapshot(settings)]
        assert sorted(fake.indices) == ["mx-entities-v0000000003-e0000000001", "mx-owners-v0000000003-e0000000001"]
    finally:
        fake.stop()
