"""OpenLineage in: `POST /api/v1/lineage` on the real app (in-process HTTP client, real Delta
landing tables), the `openlineage` Kafka topic, and the build turning the events into the graph."""

from __future__ import annotations

import dataclasses
import itertools
import json
import uuid

import pytest

from spark_jobs.providers import openlineage as ol
from tests.fixtures.sqs import landed

pytestmark = pytest.mark.integration

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


def run_event(event_type: str, run_id: str, at: str, *, job: str = "mlg_land.land", inputs=(), outputs=(),
              parent: str | None = None) -> dict:
    run: dict = {"runId": run_id}
    if parent:
        run["facets"] = {"parent": {"run": {"runId": parent}, "job": {"namespace": "airflow", "name": "mlg_land"}}}
    return {"eventType": event_type, "eventTime": at, "producer": "https://example.com/producer",
            "schemaURL": SCHEMA, "run": run, "job": {"namespace": "airflow", "name": job},
            "inputs": [{"namespace": "file", "name": n} for n in inputs],
            "outputs": [{"namespace": "file", "name": n} for n in outputs]}


def client_for(settings):
    from fastapi.testclient import TestClient

    from spark_jobs.portal import create_app

    return TestClient(create_app(settings, start_engine=False), raise_server_exceptions=False)


@pytest.fixture
def api(settings):
    with client_for(dataclasses.replace(settings, api_token=TOKEN)) as client:
        yield client


def test_a_valid_event_lands_once(api, settings):
    event = run_event("START", str(uuid.uuid4()), "2026-01-01T10:00:00.000Z", inputs=["/lake/landing/events"])

    first = api.post("/api/v1/lineage", json=event, headers=AUTH)
    again = api.post("/api/v1/lineage", json=event, headers=AUTH)  # a client retry

    assert first.status_code == 200, first.text
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    rows = landed(settings)
    assert len(rows) == 1
    assert (rows[0]["source"], rows[0]["entity_type"], rows[0]["entity_key"], rows[0]["event_type"]) == \
        ("openlineage", "PipelineRun", event["run"]["runId"], "openlineage_start")
    assert json.loads(rows[0]["body"]) == event


@pytest.mark.parametrize(("change", "reason"), [
    (lambda e: e.pop("producer"), "event.producer"),
    (lambda e: e.update(eventTime="2026-01-01"), "has to contain time"),
    (lambda e: e["run"].update(runId="not-a-uuid"), "run.runId must be a UUID"),
    (lambda e: e.update(eventType="EXPLODED"), "eventType 'EXPLODED'"),
    (lambda e: e["inputs"].append({"name": "no namespace"}), "inputs[0].namespace"),
])
def test_an_invalid_event_gets_400_with_the_reason_and_is_quarantined(api, settings, change, reason):
    event = run_event("START", str(uuid.uuid4()), "2026-01-01T10:00:00Z")
    change(event)

    response = api.post("/api/v1/lineage", json=event, headers=AUTH)

    assert response.status_code == 400
    assert reason in response.json()["detail"] and "not_openlineage" in response.json()["detail"]
    [kept] = landed(settings, "landing.quarantine")
    assert (kept["source"], kept["reason"]) == ("openlineage", "not_openlineage")
    assert json.loads(kept["body"]) == event
    assert landed(settings) == []


def test_not_json_is_quarantined_too(api, settings):
    response = api.post("/api/v1/lineage", content=b"{not json", headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400 and "not_json" in response.json()["detail"]
    assert [r["body"] for r in landed(settings, "landing.quarantine")] == ["{not json"]


def test_writes_need_the_token(api, settings):
    event = run_event("START", str(uuid.uuid4()), "2026-01-01T10:00:00Z")
    assert api.post("/api/v1/lineage", json=event).status_code == 401
    wrong = api.post("/api/v1/lineage", json=event, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == "Bearer"
    assert api.post("/api/v1/lineage", json=event, headers={"Authorization": TOKEN}).status_code == 401
    with client_for(settings) as no_token:  # no MLG_API_TOKEN on the server: writes are off
        off = no_token.post("/api/v1/lineage", json=event, headers=AUTH)
    assert off.status_code == 403 and "MLG_API_TOKEN" in off.json()["detail"]
    assert landed(settings) == [] and landed(settings, "landing.quarantine") == []


RUN, PARENT = "3f1b1a56-2b7c-4d0e-9a55-0c1d2e3f4a5b", "0a0a0a0a-1b1b-4c4c-8d8d-2e2e2e2e2e2e"
LIFECYCLE = [
    run_event("START", RUN, "2026-01-01T10:00:00Z", inputs=["/lake/landing/events"], parent=PARENT),
    run_event("RUNNING", RUN, "2026-01-01T10:00:30Z"),
    run_event("COMPLETE", RUN, "2026-01-01T10:01:00Z", outputs=["/lake/graph/entities"]),
    run_event("OTHER", RUN, "2026-01-01T10:02:00Z"),
]


@pytest.mark.parametrize("order", list(itertools.permutations(range(len(LIFECYCLE))))[::5])
def test_a_runs_events_converge_in_any_order(order):
    """Pure: the subgraph of a run's events is the same whichever order they come in."""
    expected = ol.normalise(LIFECYCLE)
    got = ol.normalise([LIFECYCLE[i] for i in order])
    assert got.entities == expected.entities and sorted(got.edges) == sorted(expected.edges)
    [run] = [e for e in got.entities if e["entity_type"] == "PipelineRun"]
    assert run["source_status"] == "SUCCEEDED"
    assert (run["properties"]["started_at"], run["properties"]["ended_at"]) == \
        ("2026-01-01T10:00:00Z", "2026-01-01T10:01:00Z")
    assert run["properties"]["parent_run"] == ol.run_uri(PARENT)


def test_out_of_order_events_build_one_run_in_the_graph(api, settings, spark):
    """COMPLETE before START over HTTP, one event over the Kafka topic is covered elsewhere:
    the build turns them into one run with its job and datasets, all under `openlineage`."""
    from spark_jobs import tables
    from spark_jobs.build import run_build

    for event in (LIFECYCLE[2], LIFECYCLE[0], LIFECYCLE[3], LIFECYCLE[1]):
        assert api.post("/api/v1/lineage", json=event, headers=AUTH).status_code == 200
    report = run_build(settings, only=["hydrate", "merge"])
    assert [r.stage for r in report.results] == ["hydrate", "merge"], report

    tables.register(spark, settings, ["graph.entities", "graph.edges"])
    entities = {r["id"]: r for r in tables.read(spark, settings, "graph.entities").collect()}
    edges = {(r["src"], r["rel"], r["dst"]) for r in tables.read(spark, settings, "graph.edges")
             .where("active").collect()}
    run, job = ol.run_uri(RUN), ol.job_uri("airflow", "mlg_land.land")
    source, target = ol.dataset_uri("file", "/lake/landing/events"), ol.dataset_uri("file", "/lake/graph/entities")
    assert set(entities) == {run, job, source, target}
    assert all(uri.split("/")[3] == "openlineage" and e["provider"] == "openlineage" for uri, e in entities.items())
    assert entities[run]["source_status"] == "SUCCEEDED" and entities[run]["entity_type"] == "PipelineRun"
    assert entities[run]["properties"]["parent_run"] == ol.run_uri(PARENT)
    assert edges == {(run, "RUN_OF", job), (job, "READS", source), (target, "PRODUCED_BY", run),
                     (target, "PRODUCED_BY", job)}


def _hydrate_metrics(report) -> dict:
    return next(r.metrics for r in report.results if r.stage == "hydrate")


def test_a_build_stages_only_the_runs_its_new_events_touch(api, settings, spark):
    """Work follows the change: a build normalises and stages the runs its new events touch (each
    from all of its events) and no other; what untouched runs showed stays in the graph; a build
    with no new OpenLineage event stages none."""
    from pyspark.sql import functions as F

    from spark_jobs import tables
    from spark_jobs.build import run_build

    first, second, other = (str(uuid.uuid4()) for _ in range(3))
    documented = run_event("START", first, "2026-01-02T10:00:00Z", job="mlg_build.merge", inputs=["/lake/a"])
    documented["job"]["facets"] = {"documentation": {"description": "Merges the staged batch."}}
    for event in (documented, run_event("COMPLETE", first, "2026-01-02T10:01:00Z", job="mlg_build.merge"),
                  run_event("START", other, "2026-01-02T10:00:00Z", job="mlg_build.infer")):
        assert api.post("/api/v1/lineage", json=event, headers=AUTH).status_code == 200
    built = _hydrate_metrics(run_build(settings, only=["hydrate", "merge"]))
    assert (built["openlineage"]["runs"], built["openlineage"]["events"]) == (2, 3)

    # a new run of the same job (no documentation facet), and a late COMPLETE of `other`
    for event in (run_event("START", second, "2026-01-03T10:00:00Z", job="mlg_build.merge", inputs=["/lake/b"]),
                  run_event("COMPLETE", second, "2026-01-03T10:01:00Z", job="mlg_build.merge"),
                  run_event("COMPLETE", other, "2026-01-02T10:05:00Z", job="mlg_build.infer")):
        assert api.post("/api/v1/lineage", json=event, headers=AUTH).status_code == 200
    report = run_build(settings, only=["hydrate", "merge"])
    staged = _hydrate_metrics(report)["openlineage"]
    assert (staged["runs"], staged["events"]) == (2, 4)  # `second`'s 2, and `other` with its earlier START

    tables.register(spark, settings, ["graph.entities", "graph.edges"])
    entities = {r["id"]: r for r in tables.read(spark, settings, "graph.entities").collect()}
    job = ol.job_uri("airflow", "mlg_build.merge")
    assert entities[job]["description"] == "Merges the staged batch."  # kept: the new run carries none
    assert entities[ol.run_uri(other)]["source_status"] == "SUCCEEDED"
    assert entities[ol.run_uri(first)]["run_id"] != report.run_id  # not staged again
    reads = {r["dst"] for r in tables.read(spark, settings, "graph.edges")
             .where((F.col("src") == job) & (F.col("rel") == "READS") & F.col("active")).collect()}
    assert reads == {ol.dataset_uri("file", "/lake/a"), ol.dataset_uri("file", "/lake/b")}

    versions = {t: tables.version(settings, t) for t in ("graph.entities", "graph.edges")}
    idle = _hydrate_metrics(run_build(settings, only=["hydrate", "merge"]))
    assert "openlineage" not in idle and idle["entities"] == 0
    assert {t: tables.version(settings, t) for t in versions} == versions


def test_the_openlineage_kafka_topic_lands_like_http(kafka_topics, settings):
    from spark_jobs.landing import land

    settings = kafka_topics.settings(settings)
    good = json.dumps(LIFECYCLE[0])
    kafka_topics.send("openlineage", [good, good, json.dumps({"eventType": "START"})])

    report = land(settings, time_budget_s=20, sources=["openlineage"])

    assert (report.landed, report.duplicates, report.quarantined) == (1, 1, 1)
    [row] = landed(settings)
    assert (row["source"], row["dedup_id"]) == ("openlineage", ol.event_id(LIFECYCLE[0]))
    [kept] = landed(settings, "landing.quarantine")
    assert kept["reason"] == "not_openlineage" and kept["message_id"].endswith("/0/2")


def test_the_openlineage_clients_http_transport_posts_to_mlg_serve(settings):
    """The standard client (what the Airflow OpenLineage provider uses), configured like a
    deployment would (url, endpoint, api_key auth, gzip), against the app under a real server."""
    import socket
    import threading
    import time

    import uvicorn
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import InputDataset, Job, Run, RunEvent, RunState

    from spark_jobs.portal import create_app

    app = create_app(dataclasses.replace(settings, api_token=TOKEN), start_engine=False)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        client = OpenLineageClient(config={"transport": {
            "type": "http", "url": f"http://127.0.0.1:{sock.getsockname()[1]}", "endpoint": "api/v1/lineage",
            "auth": {"type": "api_key", "apiKey": TOKEN}, "compression": "gzip"}})
        run_id = str(uuid.uuid4())
        client.emit(RunEvent(eventType=RunState.START, eventTime="2026-01-01T10:00:00Z", run=Run(runId=run_id),
                             job=Job(namespace="airflow", name="mlg_build.merge"),
                             inputs=[InputDataset(namespace="file", name="/lake/staging/entities")],
                             producer="https://github.com/apache/airflow/tree/providers-openlineage"))
    finally:
        server.should_exit = True
        thread.join(10)
    [row] = landed(settings)
    assert (row["source"], row["entity_key"]) == ("openlineage", run_id)
    assert json.loads(row["body"])["job"]["name"] == "mlg_build.merge"
