"""The JSON API on a built lakehouse: each endpoint answers what the graph says (the same rows
as the analyst SQL in sql/queries/), URIs by query or encoded path, hostile ids, bad input."""

from __future__ import annotations

from urllib.parse import quote

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
