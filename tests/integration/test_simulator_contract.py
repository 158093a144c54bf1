"""The simulator serves SOURCES.md exactly: fixed example payloads, every endpoint (single GET,
batch POST, paginated listing), hostile ids decoded per segment, never climbing a path."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest

from infra.simulator.collections import COLLECTIONS
from infra.simulator.ecosystem import HOSTILE_IDS
from spark_jobs.uris import url_path_segment as seg


def http(method: str, url: str, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null"), dict(exc.headers)


def get(simulator, platform: str, path: str):
    return http("GET", f"{simulator.source_urls[platform]}/api/v1/{path}")


def test_article_example_is_served_exactly(simulator):
    status, instance, _ = get(simulator, "registry", "instances/ranking-model-v5-20XX0101")
    assert status == 200
    fixed = {k: instance[k] for k in ("id", "model_id", "version", "pipeline_run_id", "owner_emails",
                                      "labels", "features", "status")}
    assert fixed == {"id": "ranking-model-v5-20XX0101", "model_id": "ranking-v5", "version": "5.0.3",
                     "pipeline_run_id": "train-weekly-ranking-20XX0101",
                     "owner_emails": ["alice@example.com"],
                     "labels": [{"key": "team", "value": "personalization"}],
                     "features": [{"name": "title_embedding", "version": 3}], "status": "DEPLOYED"}
    assert instance["created_at"] and instance["updated_at"]

    status, run, _ = get(simulator, "orchestrator", "pipeline-runs/train-weekly-ranking-20XX0101")
    assert status == 200
    assert {k: run[k] for k in ("run_id", "pipeline", "status", "ab_test_cells")} == {
        "run_id": "train-weekly-ranking-20XX0101", "pipeline": "weekly-ranking-trainer",
        "status": "SUCCEEDED",
        "ab_test_cells": [{"test_id": "12345", "cell_number": 2, "cell_name": "treatment_ranking_v5"}]}
    assert run["started_at"] < run["ended_at"]

    status, test, _ = get(simulator, "abtest", "tests/12345")
    assert status == 200
    assert {k: test[k] for k in ("test_id", "name", "status", "owner_email", "cells")} == {
        "test_id": "12345", "name": "Ranking Model v5 vs v4", "status": "ACTIVE",
        "owner_email": "alice@example.com",
        "cells": [{"cell_number": 1, "name": "control_ranking_v4"},
                  {"cell_number": 2, "name": "treatment_ranking_v5"}]}
    assert {"start_date", "end_date", "updated_at"} <= set(test)

    # the rest of the example's neighbourhood resolves too
    assert get(simulator, "registry", "models/ranking-v5")[0] == 200
    assert get(simulator, "featurestore", "features/title_embedding")[0] == 200
    assert get(simulator, "orchestrator", "pipelines/weekly-ranking-trainer")[0] == 200
    status, alice, _ = get(simulator, "identity", "users/alice@example.com")
    assert (status, alice["username"], alice["active"]) == (200, "alice", True)
    assert get(simulator, "identity", "teams/personalization")[1]["members"][0] == "alice@example.com"


FIELDS = {
    "models": {"id", "name", "description", "owner_emails", "labels", "created_at", "updated_at"},
    "instances": {"id", "model_id", "version", "pipeline_run_id", "owner_emails", "labels", "features",
                  "status", "created_at", "updated_at"},
    "pipelines": {"name", "description", "owner_emails", "schedule", "inputs", "outputs", "updated_at"},
    "pipeline-runs": {"run_id", "pipeline", "status", "started_at", "ended_at", "ab_test_cells"},
    "tests": {"test_id", "name", "status", "owner_email", "cells", "start_date", "end_date", "updated_at"},
    "features": {"name", "description", "owner_team", "latest_version", "source_datasets", "dtype",
                 "updated_at"},
    "datasets": {"name", "description", "owner_emails", "latest_version", "produced_by", "updated_at"},
    "users": {"username", "email", "display_name", "team", "active"},
    "teams": {"team", "display_name", "members", "org"},
}


@pytest.mark.parametrize("name", list(COLLECTIONS))
def test_listing_pages_through_every_object_and_single_get_agrees(simulator, name):
    spec = COLLECTIONS[name]
    expected = simulator.client.health()["counts"][name]
    seen, token, pages = [], None, 0
    while True:
        query = "page_size=37" + (f"&page_token={quote(token)}" if token else "")
        status, page, _ = get(simulator, spec.platform, f"{name}?{query}")
        assert status == 200, page
        assert len(page["items"]) <= 37
        seen.extend(page["items"])
        pages += 1
        token = page["next_page_token"]
        if token is None:
            break
    ids = [str(item[spec.id_field]) for item in seen]
    assert len(ids) == len(set(ids)) == expected
    assert pages == -(-expected // 37) or pages == -(-expected // 37) + 1
    assert all(set(item) == FIELDS[name] for item in seen)
    for item in seen[:3] + seen[-3:]:  # specials, hostile ids and ordinary ones
        obj_id = str(item[spec.id_field])
        status, single, _ = get(simulator, spec.platform, f"{name}/{seg(obj_id)}")
        assert (status, single) == (200, item)


def test_listing_rejects_bad_tokens_and_sizes(simulator):
    assert get(simulator, "registry", "models?page_token=not-a-token")[0] == 400
    assert get(simulator, "registry", "models?page_size=0")[0] == 400
    assert get(simulator, "registry", "models?page_size=abc")[0] == 400
    status, page, _ = get(simulator, "registry", "models")
    assert status == 200 and len(page["items"]) == 20 and page["next_page_token"] is None


@pytest.mark.parametrize("path,field,key", [
    ("registry/api/v1/instances:batchGet", "ids", "instances"),
    ("featurestore/api/v1/features:batchGet", "names", "features"),
    ("identity/api/v1/users:batchGet", "emails", "users"),
])
def test_batch_endpoints_report_missing_and_cap_at_100(simulator, path, field, key):
    name = {"instances": "instances", "features": "features", "users": "users"}[key]
    spec = COLLECTIONS[name]
    known = [str(o[spec.id_field]) for _, o in zip(range(99), simulator.client.objects(name))]
    url = f"{simulator.base_url}/{path}"
    status, body, _ = http("POST", url, {field: known + ["no such thing"]})
    assert status == 200
    assert [str(o[spec.id_field]) for o in body[key]] == known
    assert body["missing"] == ["no such thing"]
    assert http("POST", url, {field: [f"x{i}" for i in range(101)]})[0] == 400
    assert http("POST", url, {"wrong": ["x"]})[0] == 400
    assert http("GET", url)[0] == 405


def test_sources_without_batch_have_none_and_unknown_paths_404(simulator):
    assert get(simulator, "orchestrator", "pipeline-runs:batchGet")[0] == 404
    assert http("POST", f"{simulator.base_url}/datasets/api/v1/datasets:batchGet", {"names": []})[0] == 404
    assert get(simulator, "registry", "models/no-such-model")[0] == 404
    assert get(simulator, "registry", "nothing")[0] == 404
    assert http("GET", f"{simulator.base_url}/nowhere/api/v1/models")[0] == 404


@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_hostile_ids_are_one_percent_decoded_segment(simulator, hostile):
    since = simulator.client.last_seq()
    raw = f"/registry/api/v1/models/{seg(hostile)}"
    status, model, _ = http("GET", simulator.base_url + raw)
    assert status == 200 and model["id"] == hostile
    log = [e for e in simulator.client.access_log(since=since, platform="registry")]
    assert [e["path"] for e in log] == [raw]  # recorded raw, as sent


@pytest.mark.parametrize("raw", [
    "/registry/api/v1/models/../../_admin/health",
    "/registry/api/v1/models/..",
    "/registry/api/v1/models/%2e%2e/%2e%2e/_admin/health",
    "/registry/api/v1/models/..%2F..%2Fnot-a-model",
    "/registry/api/v1/models/%ff%fe",
])
def test_hostile_paths_never_climb(simulator, raw):
    # http.client sends the path as given: no client-side normalisation of `..`
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", simulator.port, timeout=10)
    connection.request("GET", raw)
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()
    assert response.status in (400, 404), body
    assert "status" not in body or body.get("status") != "ok"  # never the admin health page


def test_ids_with_dot_segments_are_data(simulator):
    status, model, _ = get(simulator, "registry", "models/" + seg("../../admin"))
    assert status == 200 and model["id"] == "../../admin"
    status, model, _ = get(simulator, "registry", "models/%2e%2e")
    assert status == 200 and model["id"] == ".."
    status, user, _ = get(simulator, "identity", "users/" + seg("../../admin@example.com"))
    assert status == 200 and user["email"] == "../../admin@example.com"
    status, test, _ = get(simulator, "abtest", "tests/" + seg("exp 7/β"))
    assert status == 200 and test["test_id"] == "exp 7/β"
