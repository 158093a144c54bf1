"""OpenSearch faults, on the session's real node: the node killed during a publish (aliases stay,
the next publish succeeds), an unreachable node failing only its own backend while the embedded
snapshot advances and `mlg build` says which backend failed, and `mlg up --search opensearch`."""

from __future__ import annotations

import json

import pytest

from spark_jobs.search import cluster, opensearch
from spark_jobs.search.cluster import ClusterOptions

pytestmark = pytest.mark.integration
SID1, SID2 = "v0000000001-e0000000001", "v0000000002-e0000000001"


def doc(i: int) -> dict:
    return {"id": f"aip://model/registry/m{i}", "entity_type": "Model", "name": f"model {i}"}


def test_node_killed_during_publish_leaves_the_aliases_and_the_next_publish_succeeds(opensearch_node,
                                                                                     opensearch_prefix):
    from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError

    node = opensearch_node
    target = opensearch.wrap(opensearch.connect(node.url, request_timeout=10))
    options = ClusterOptions(prefix=opensearch_prefix, chunk_size=50, initial_backoff=0.01, max_backoff=0.05)
    first = cluster.publish_snapshot(target, SID1, {"entities": map(doc, range(5)), "owners": []}, options=options)
    assert first.status == "published"

    def dies_half_way():
        for i in range(200):
            if i == 120:  # two chunks are in, the third is being read
                node.kill()
            yield doc(i)

    try:
        with pytest.raises(OpenSearchConnectionError):
            cluster.publish_snapshot(target, SID2, {"entities": dies_half_way(), "owners": []}, options=options)
    finally:
        node.restart()  # same ports, same data: what an operator's restart does
    names = cluster.index_names(opensearch_prefix, SID1)
    assert cluster.current_indices(target, opensearch_prefix) == names
    assert target.count(f"{opensearch_prefix}-entities") == 5
    again = cluster.publish_snapshot(target, SID2, {"entities": map(doc, range(200)), "owners": []}, options=options)
    assert again.status == "published" and again.errors == 0  # the half-written index was replaced
    assert target.count(f"{opensearch_prefix}-entities") == 200


def test_unreachable_node_fails_only_its_backend_and_the_build_says_which(spark, settings, monkeypatch, capsys,
                                                                          opensearch_node, opensearch_prefix):
    from infra.sqs import free_port
    from spark_jobs import tables
    from spark_jobs.cli import main
    from spark_jobs.graph.synthetic import Graph, write_graph
    from spark_jobs.model import EntityType as E
    from spark_jobs.search.embedded import current_snapshot

    model = E.MODEL.uri("ranking-v5")
    write_graph(spark, settings, Graph().entity(model, description="ranks the feed"))
    for key, value in {"MLG_LAKEHOUSE": settings.lakehouse, "MLG_STATE_DIR": settings.state_dir,
                       "MLG_REPORTS_DIR": settings.reports_dir, "MLG_OPENSEARCH_INDEX_PREFIX": opensearch_prefix,
                       "MLG_OPENSEARCH_URL": f"http://127.0.0.1:{free_port()}"}.items():  # nothing listens
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MLG_ES_URL", raising=False)
    assert main(["build", "--only", "publish"]) == 4
    err = capsys.readouterr().err
    assert "not published to opensearch: opensearch: ConnectionError" in err
    rows = sorted((r.backend, r.status, r.snapshot_id) for r in tables.read(spark, settings, "search.snapshots").collect())
    sid = rows[0][2]
    assert rows == [("embedded", "published", sid), ("opensearch", "failed", sid)]
    assert current_snapshot(settings) == sid  # the embedded snapshot advanced regardless

    monkeypatch.setenv("MLG_OPENSEARCH_URL", opensearch_node.url)  # the node is back: the next build publishes
    assert main(["build", "--only", "publish"]) == 0
    capsys.readouterr()
    assert main(["search", "feed", "--backend", "opensearch", "--format", "json"]) == 0
    assert [json.loads(line)["uri"] for line in capsys.readouterr().out.splitlines()] == [model]
    statuses = [(r.backend, r.status) for r in tables.read(spark, settings, "search.snapshots").collect()]
    assert sorted(statuses).count(("opensearch", "published")) == 1 and len(statuses) == 4


def test_mlg_up_search_opensearch_starts_a_node_that_mlg_down_stops(tmp_path, monkeypatch, capsys):
    import urllib.request

    from infra.stack import pid_alive, read_state
    from spark_jobs.cli import main
    from spark_jobs.config import Settings

    monkeypatch.setenv("MLG_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("MLG_OPENSEARCH_URL", raising=False)
    try:
        assert main(["up", "--search", "opensearch"]) == 0
        assert "opensearch" in capsys.readouterr().out
        state = read_state(Settings.load())
        node = state.services["opensearch"]
        assert Settings.load().opensearch_url == node.url  # found through the state file
        with urllib.request.urlopen(node.url) as response:
            assert json.load(response)["version"]["distribution"] == "opensearch"
        assert (tmp_path / "state" / "opensearch" / "data").is_dir()
    finally:
        assert main(["down"]) == 0
    assert not pid_alive(node.pid)


def test_mlg_search_on_opensearch_says_what_is_wrong_in_one_line(opensearch_node, opensearch_prefix, monkeypatch,
                                                                 capsys, tmp_path):
    from infra.sqs import free_port
    from spark_jobs.cli import main

    monkeypatch.setenv("MLG_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("MLG_OPENSEARCH_INDEX_PREFIX", opensearch_prefix)
    monkeypatch.setenv("MLG_OPENSEARCH_URL", opensearch_node.url)  # reachable, nothing published yet
    assert main(["search", "ranking", "--backend", "opensearch"]) == 1
    err = capsys.readouterr().err.strip()
    assert f"no search snapshot in opensearch: alias {opensearch_prefix}-entities does not exist" in err
    assert "\n" not in err
    monkeypatch.setenv("MLG_OPENSEARCH_URL", f"http://user:secret@127.0.0.1:{free_port()}")  # nothing listens
    assert main(["search", "ranking"]) == 1  # the configured server is the default backend
    err = capsys.readouterr().err.strip()
    assert "search on opensearch failed: ConnectionError" in err and "secret" not in err and "\n" not in err
