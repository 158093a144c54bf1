"""The JSON API on a built lakehouse: each endpoint answers what the graph says (the same rows
as the analyst SQL in sql/queries/), URIs by query or encoded path, hostile ids, bad input."""

from __future__ import annotations

from urllib.parse import quote, unquote

import pytest

from tests.portal.conftest import (
    ALICE, DATASET, FEATURE, INSTANCE, MODEL, PIPELINE, RUN, SCRIPT_NAME, SCRIPT_URI, TEST,
)

pytestmark = pytest.mark.integration


def get(client, path, **params):
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_entity_by_query_and_by_encoded_path_segment(portal_client):
    by_query = get(portal_client, "/api/v1/entities", uri=INSTANCE)
    by_path = get(portal_client, "/api/v1/entities/" + quote(INSTANCE, safe=""))
    assert by_query == by_path
    assert by_query["entity_type"] == "ModelInstance" and by_query["source_status"] == "DEPLOYED"
    assert [o["id"] for o in by_query["owners"]] == [ALICE]
    assert by_query["freshness"]["status"] == "fresh"  # hydrated by the build moments ago
    assert by_query["view"]["runs"][0]["id"] == RUN and by_query["view"]["pipelines"][0]["id"] == PIPELINE
    assert TEST in [t["id"] for t in by_query["view"]["ab_tests"]]
    assert FEATURE in [f["id"] for f in by_query["view"]["features"]]


def test_openapi_document_lists_the_api(portal_client):
    paths = get(portal_client, "/openapi.json")["paths"]
    for path in ("/api/v1/search", "/api/v1/entities", "/api/v1/relationships", "/api/v1/lineage",
                 "/api/v1/impact", "/api/v1/explain", "/api/v1/history", "/api/v1/owners"):
        assert "get" in paths[path], path


@pytest.mark.parametrize("uri, status, reason", [
    ("not-a-uri", 400, "not an AIP URI"),
    ("aip://model/registry/a/b", 400, "exactly three"),
    ("aip://model/registry/%2e%2e", 400, "bad percent-encoding"),
    ("aip://model/registry/a%2Db", 400, "not canonical"),
    ("aip://model/registry/no-such-model", 404, "unknown entity"),
])
def test_bad_and_unknown_uris_say_why(portal_client, uri, status, reason):
    for path in ("/api/v1/entities", "/api/v1/relationships", "/api/v1/impact", "/api/v1/lineage", "/api/v1/history"):
        response = portal_client.get(path, params={"uri": uri})
        assert response.status_code == status, (path, response.text)
        assert reason in response.json()["detail"]


def test_search_says_why_and_counts_facets(portal_client):
    result = get(portal_client, "/api/v1/search", q="ranking-model-v5")
    top = result["hits"][0]
    assert top["id"] == INSTANCE and top["why"][0] == "prefix"
    types = {f["value"]: f["count"] for f in result["facets"]["type"]}
    assert types["ModelInstance"] >= 1 and sum(types.values()) == result["total_in_window"]
    narrowed = get(portal_client, "/api/v1/search", q="ranking", type="AbTest")
    assert narrowed["hits"] and {h["entity_type"] for h in narrowed["hits"]} == {"AbTest"}
    tagged = get(portal_client, "/api/v1/search", q="", tag="team::personalization")
    assert INSTANCE in [h["id"] for h in tagged["hits"]]
    assert {h["id"] for h in get(portal_client, "/api/v1/search", q="", owner="alice", limit=200)["hits"]} >= {INSTANCE, TEST}
    bad = portal_client.get("/api/v1/search", params={"q": "x", "tag": "no-separator"})
    assert bad.status_code == 400 and "key::value" in bad.json()["detail"]


def test_relationships_both_directions_with_the_path_implying_an_inferred_edge(portal_client):
    rows = get(portal_client, "/api/v1/relationships", uri=INSTANCE)["relationships"]
    tested = next(r for r in rows if r["rel"] == "TESTED_IN" and r["id"] == TEST)
    assert tested["direction"] == "out" and tested["provenance"] == "inferred"
    assert tested["rule"] == "instance_tested_in_ab_test"
    path = [(e["src"], e["rel"], e["dst"]) for e in tested["path"]]
    assert path[0] == (INSTANCE, "PRODUCED_BY", RUN) and [p[1] for p in path] == ["PRODUCED_BY", "RAN_FOR", "CELL_OF"]
    assert path[-1][2] == TEST
    incoming = get(portal_client, "/api/v1/relationships", uri=TEST)["relationships"]
    assert any(r["direction"] == "in" and r["rel"] == "TESTED_IN" and r["id"] == INSTANCE for r in incoming)


@pytest.fixture(scope="module")
def sql_answers(portal_lakehouse):
    """The analyst SQL's answers (sql/queries/impact.sql, lineage.sql) through Spark, to compare."""
    from spark_jobs.graph import queries
    from spark_jobs.session import spark_session

    settings = portal_lakehouse
    with spark_session(settings) as spark:
        impact = [r.asDict() for r in queries.impact(spark, settings, DATASET).collect()]
        lineage = [r.asDict() for r in queries.lineage(spark, settings, INSTANCE, depth=2).collect()]
    return impact, lineage


def _rows(answer):
    return [(r["id"], r["depth"], sorted(r["relations"]), sorted(r["owners"]), sorted(r.get("teams", []))) for r in answer]


def test_impact_and_lineage_are_the_analyst_queries_rows(portal_client, sql_answers):
    impact, lineage = sql_answers
    api = get(portal_client, "/api/v1/impact", uri=DATASET, limit=5000)
    assert api["total"] == len(impact) > 20
    assert _rows(api["rows"]) == _rows(impact)
    up = get(portal_client, "/api/v1/lineage", uri=INSTANCE, depth=2, limit=5000)
    assert [(r["id"], r["depth"]) for r in up["rows"]] == [(r["id"], r["depth"]) for r in lineage]


def test_impact_filters_paging_csv_and_owners_to_notify(portal_client):
    everything = get(portal_client, "/api/v1/impact", uri=DATASET, limit=5000)["rows"]
    tests = get(portal_client, "/api/v1/impact", uri=DATASET, type="AbTest", limit=5000)["rows"]
    assert tests and all(r["entity_type"] == "AbTest" for r in tests) and TEST in [r["id"] for r in tests]
    near = get(portal_client, "/api/v1/impact", uri=DATASET, depth=1, limit=5000)["rows"]
    assert near and all(r["depth"] == 1 for r in near) and len(near) < len(everything)
    via = get(portal_client, "/api/v1/impact", uri=DATASET, rel="TRAINED_ON", limit=5000)["rows"]
    assert INSTANCE in [r["id"] for r in via] and all("TRAINED_ON" in r["relations"] for r in via)
    team = next(t for r in everything for t in r["teams"])
    by_team = get(portal_client, "/api/v1/impact", uri=DATASET, team=team, limit=5000)["rows"]
    assert by_team and all(team in r["teams"] for r in by_team)
    page2 = get(portal_client, "/api/v1/impact", uri=DATASET, offset=10, limit=10)
    assert page2["rows"] == everything[10:20] and page2["total"] == len(everything)
    csv = portal_client.get("/api/v1/impact", params={"uri": DATASET, "format": "csv", "type": "AbTest"})
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0] == "id,entity_type,name,depth,relations,owners,teams" and len(lines) == len(tests) + 1
    owners = get(portal_client, "/api/v1/owners", uri=FEATURE)
    alice = next(o for o in owners["owners"] if o["id"] == ALICE)
    assert alice["assets"] >= 2 and alice["name"]  # the instance and the A/B test at least
    assert owners["teams"]
    for bad, reason in (({"depth": 0}, "depth"), ({"rel": "LIKES"}, "unknown relation"),
                        ({"type": "Spaceship"}, "unknown type"), ({"team": "growth"}, "AIP URI"),
                        ({"limit": 0}, "limit"), ({"as_of": "yesterday"}, "as_of")):
        response = portal_client.get("/api/v1/impact", params={"uri": DATASET, **bad})
        assert response.status_code == 400 and reason in response.json()["detail"], (bad, response.text)


def test_impact_tab_names_the_teams_and_owners_with_most_assets_and_links_to_all(portal_lakehouse):
    """A dataset at the root of a domain impacts thousands of assets: the tab names the few teams
    and owners accountable for most of them, and how many more there are, with the list of all."""
    import re
    from html import unescape

    from fastapi.testclient import TestClient

    from spark_jobs.portal import create_app
    from spark_jobs.portal.config import PortalSettings

    app = create_app(portal_lakehouse, portal=PortalSettings.load(env={}, notify_shown=2), start_engine=False)
    with TestClient(app) as client:
        everyone = get(client, "/api/v1/owners", uri=DATASET)
        assert len(everyone["teams"]) > 2 and len(everyone["owners"]) > 2
        html = client.get("/impact", params={"uri": DATASET}).text
    busiest = sorted(everyone["owners"], key=lambda o: (-o["assets"], o["id"]))[:2]
    summary = unescape(html.split("Owners to notify", 1)[1].split("</section>", 1)[0])
    named = re.findall(r'href="/entity\?uri=([^"]+)"', summary)
    assert [unquote(u) for u in named] == [o["id"] for o in busiest]
    assert f"{len(everyone['owners']) - 2} more owners" in summary
    assert f"{len(everyone['teams']) - 2} more teams" in unescape(html)
    assert "/api/v1/owners?uri=" in summary


def test_explain_finds_the_path_between_two(portal_client):
    answer = get(portal_client, "/api/v1/explain", src=DATASET, dst=TEST)
    assert answer["found"] and answer["entities"][0]["id"] == DATASET and answer["entities"][-1]["id"] == TEST
    assert len(answer["hops"]) == len(answer["entities"]) - 1 >= 2


def test_history_and_time_travel(portal_client):
    versions = get(portal_client, "/api/v1/history", uri=INSTANCE)["versions"]
    assert versions and versions[0]["valid_to"] is None and versions[0]["payload"]["id"] == INSTANCE
    now = get(portal_client, "/api/v1/entities", uri=INSTANCE)
    latest = now["snapshot"]["versions"]["graph.entities"]
    assert now["snapshot"]["as_of"] is None
    then = get(portal_client, "/api/v1/entities", uri=INSTANCE, as_of=str(latest))
    assert then["snapshot"]["as_of"].startswith(f"graph.entities version {latest}") and then["name"] == now["name"]
    before = portal_client.get("/api/v1/entities", params={"uri": INSTANCE, "as_of": "0"})
    assert before.status_code == 404 and "as of graph.entities version 0" in before.json()["detail"]
    assert portal_client.get("/api/v1/entities", params={"uri": INSTANCE, "as_of": "999"}).status_code == 400
    early = portal_client.get("/api/v1/entities", params={"uri": INSTANCE, "as_of": "2001-01-01T00:00:00Z"})
    assert early.status_code == 400 and "before the first graph version" in early.json()["detail"]
    page = portal_client.get("/entity", params={"uri": INSTANCE, "as_of": str(latest)})
    assert page.status_code == 200 and "Time travel: showing the graph as of graph.entities version" in page.text


def test_pages_escape_hostile_names_and_forbid_inline_script(portal_client, portal_lakehouse):
    page = portal_client.get("/entity", params={"uri": SCRIPT_URI})
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and SCRIPT_NAME not in page.text
    assert "<script" not in page.text.lower()
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp  # no script source at all
    found = portal_client.get("/search", params={"q": SCRIPT_NAME})
    assert found.status_code == 200 and "&lt;script&gt;" in found.text and SCRIPT_NAME not in found.text
    # the simulator's hostile ids (slashes, dots, '#', '&', '%2E', quotes, unicode) all have pages
    from spark_jobs.portal.readmodel import SnapshotCache

    hostile = [u for u in SnapshotCache(portal_lakehouse).get().entities
               if any(c in u for c in ("%2F", "%23", "%26", "%25", "%27", "%2E", "%C3"))]
    assert len(hostile) > 10
    for uri in hostile:
        response = portal_client.get("/entity", params={"uri": uri})
        assert response.status_code == 200, uri
        assert "<script" not in response.text.lower()


def test_error_pages_and_no_file_reads_outside_the_app(portal_client):
    missing = portal_client.get("/entity", params={"uri": "aip://model/registry/nope"})
    assert missing.status_code == 404 and "unknown entity aip://model/registry/nope" in missing.text
    malformed = portal_client.get("/entity", params={"uri": "aip://model/../../etc/passwd"})
    assert malformed.status_code == 400 and "three non-empty parts" in malformed.text
    assert malformed.headers["content-type"].startswith("text/html")
    for path in ("/static/../../pyproject.toml", "/static/%2e%2e/%2e%2e/config.py", "/static/..%2f..%2fapp.py",
                 "/../../../etc/passwd", "/static//etc/passwd"):
        response = portal_client.get(path)
        assert response.status_code == 404, path
        assert "[project]" not in response.text and "root:" not in response.text
    assert portal_client.get("/static/portal.css").status_code == 200


def test_every_entity_type_has_its_page_and_view(portal_client, portal_lakehouse):
    from spark_jobs.portal.readmodel import SnapshotCache

    snap = SnapshotCache(portal_lakehouse).get()
    by_type: dict[str, str] = {}
    for uri, row in sorted(snap.entities.items()):
        if row["state"] in ("hydrated", "enriched"):
            by_type.setdefault(row["entity_type"], uri)
    assert set(by_type) >= {"Model", "ModelInstance", "Pipeline", "PipelineRun", "Feature", "Dataset",
                            "AbTest", "AbTestCell", "User", "Team"}
    expected_panels = {"Model": "instances", "Dataset": "runs", "Pipeline": "schedule", "Feature": "models",
                       "AbTest": "cells", "User": "owned", "Team": "members", "ModelInstance": "features"}
    for kind, uri in by_type.items():
        assert portal_client.get("/entity", params={"uri": uri}).status_code == 200, uri
        if kind in expected_panels:
            assert expected_panels[kind] in get(portal_client, "/api/v1/entities", uri=uri)["view"], kind
    model = get(portal_client, "/api/v1/entities", uri=MODEL)["view"]
    assert INSTANCE in [i["id"] for i in model["instances"]] and TEST in [t["id"] for t in model["ab_tests"]]
    feature = get(portal_client, "/api/v1/entities", uri=FEATURE)["view"]
    assert DATASET in [d["id"] for d in feature["datasets"]] and MODEL in [m["id"] for m in feature["models"]]
    dataset = get(portal_client, "/api/v1/entities", uri=DATASET)["view"]
    assert FEATURE in [f["id"] for f in dataset["features"]] and INSTANCE in [i["id"] for i in dataset["trained_instances"]]


def test_deprecation_banner_and_inactive_owners(portal_client, portal_lakehouse):
    from spark_jobs.portal.readmodel import SnapshotCache

    snap = SnapshotCache(portal_lakehouse).get()
    candidate, reason = sorted(snap.deprecation.items())[0]
    assert get(portal_client, "/api/v1/entities", uri=candidate)["deprecation"] == {"reason": reason}
    page = portal_client.get("/entity", params={"uri": candidate})
    assert "Deprecation candidate:" in page.text
    assert "Deprecation candidate:" not in portal_client.get("/entity", params={"uri": INSTANCE}).text  # deployed
    team, member = next((t, m) for t, rows in sorted(snap.in_edges.items()) for e in rows
                        if e["rel"] == "MEMBER_OF" and snap.owner_inactive(m := e["src"]))
    members = get(portal_client, "/api/v1/entities", uri=team)["view"]["members"]
    assert next(m for m in members if m["id"] == member)["inactive"] is True
