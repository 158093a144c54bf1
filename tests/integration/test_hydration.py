"""Hydration end to end over a real simulator (HTTP), real Delta tables, the embedded engine.

Events are appended to landing.events through landing's own parser; the build runs the
hydrate, merge and enrich stages exactly as `mlg build` does (recorded in ops.runs).
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.integration.hydration_support import build, land_events, rows, start_sim, versions

NO_BOOTSTRAP = {"bootstrap": "never"}
MI = "aip://model-instance/registry/ranking-model-v5-20XX0101"
RUN = "aip://pipeline-run/orchestrator/train-weekly-ranking-20XX0101"


@pytest.fixture
def sim():
    s = start_sim(seed=7, scale=1)
    yield s
    s.close()


@pytest.fixture
def lake(settings, sim):
    return dataclasses.replace(settings, source_urls=sim.source_urls)


def entity(spark, uri):
    found = rows(spark, f"select * from graph.entities where id = '{uri}'")
    return found[0] if found else None


def edges_of(spark, uri, active=True):
    return {(r["rel"], r["dst"]) for r in rows(
        spark, f"select rel, dst from graph.edges where src = '{uri}' and active = {str(active).lower()}")}


def test_sources_example_end_to_end_and_idempotent(spark, lake):
    land_events(spark, lake, [("registry", {"event_type": "model_instance_created",
                                            "instance_id": "ranking-model-v5-20XX0101"}),
                              ("registry", {"event_type": "model_instance_updated",
                                            "instance_id": "ranking-model-v5-20XX0101"})])
    out = build(spark, lake, enrich_limit=0, **NO_BOOTSTRAP)
    assert out["hydrate"]["entities_from_events"] == 1  # two events, one fetch
    mi = entity(spark, MI)
    assert mi["entity_type"] == "ModelInstance" and mi["state"] == "hydrated"
    assert mi["owners"] == ["aip://user/identity/alice"]
    assert mi["tags"] == [{"tag": "team", "value": "personalization"}]
    assert edges_of(spark, MI) == {("INSTANCE_OF", "aip://model/registry/ranking-v5"), ("PRODUCED_BY", RUN),
                                   ("USES_FEATURE", "aip://feature/featurestore/title_embedding"),
                                   ("OWNED_BY", "aip://user/identity/alice")}
    assert entity(spark, "aip://model/registry/ranking-v5")["state"] == "reference"
    assert entity(spark, "aip://user/identity/alice")["state"] == "hydrated"  # resolved through identity

    land_events(spark, lake, [("orchestrator", {"event_type": "pipeline_run_succeeded",
                                                "run_id": "train-weekly-ranking-20XX0101"}),
                              ("abtest", {"event_type": "ab_test_updated", "test_id": 12345})])
    build(spark, lake, enrich_limit=0, **NO_BOOTSTRAP)
    assert ("RAN_FOR", "aip://ab-test-cell/abtest/12345:2") in edges_of(spark, RUN)
    cell = entity(spark, "aip://ab-test-cell/abtest/12345:2")
    assert cell["state"] == "hydrated" and cell["name"] == "treatment_ranking_v5"
    assert edges_of(spark, "aip://ab-test-cell/abtest/12345:2") == {("CELL_OF", "aip://ab-test/abtest/12345")}

    before = versions(lake)
    history = spark.sql("select count(*) c from graph.entity_history").collect()[0]["c"]
    again = build(spark, lake, enrich_limit=0, **NO_BOOTSTRAP)
    assert again["hydrate"]["entities"] == 0 and again["merge"]["merged"] is False
    assert versions(lake) == before
    assert spark.sql("select count(*) c from graph.entity_history").collect()[0]["c"] == history


def test_unchanged_payload_writes_nothing_and_enrich_completes_references(spark, lake):
    event = ("registry", {"event_type": "model_instance_updated", "instance_id": "ranking-model-v5-20XX0101"})
    land_events(spark, lake, [event])
    build(spark, lake, enrich_limit=0, **NO_BOOTSTRAP)
    first = entity(spark, MI)
    before = versions(lake)
    land_events(spark, lake, [event])  # a new event, but the source did not change
    out = build(spark, lake, enrich_limit=0, **NO_BOOTSTRAP)
    assert out["hydrate"]["entities"] == 1 and out["merge"]["entities_updated"] == 0
    assert versions(lake) == before  # no version of any graph table
    assert entity(spark, MI)["last_hydrated_at"] == first["last_hydrated_at"]

    out = build(spark, lake, enrich_limit=3, **NO_BOOTSTRAP)  # progressive: 3 references per run
    assert out["enrich"]["references"] == 3 and out["enrich"]["enriched"] == 3
    enriched = rows(spark, "select id from graph.entities where state = 'enriched'")
    assert len(enriched) == 3


def test_out_of_order_update_delete_404(spark, lake, sim):
    sim.admin("POST", "mutations", {"op": "create", "collection": "models", "id": "late/model",
                                    "fields": {"name": "Late", "owner_emails": ["alice@example.com"]}})
    sim.admin("POST", "mutations", {"op": "update", "collection": "models", "id": "late/model",
                                    "fields": {"name": "Later"}})
    uri = "aip://model/registry/late%2Fmodel"
    # updated arrives before created: hydration reads the source, so order does not matter
    land_events(spark, lake, [("registry", {"event_type": "model_updated", "model_id": "late/model"})])
    land_events(spark, lake, [("registry", {"event_type": "model_created", "model_id": "late/model"})])
    build(spark, lake, enrich_limit=0, **NO_BOOTSTRAP)
    assert entity(spark, uri)["name"] == "Later"
    assert edges_of(spark, uri) == {("OWNED_BY", "aip://user/identity/alice")}

    sim.admin("POST", "mutations", {"op": "delete", "collection": "models", "id": "late/model"})
    land_events(spark, lake, [("registry", {"event_type": "model_deleted", "model_id": "late/model"})])
    build(spark, lake, enrich_limit=0, **NO_BOOTSTRAP)
    assert entity(spark, uri)["state"] == "deleted"
    assert edges_of(spark, uri) == set()
    assert edges_of(spark, uri, active=False) == {("OWNED_BY", "aip://user/identity/alice")}
    history = rows(spark, f"select content_hash, valid_to from graph.entity_history where id = '{uri}' "
                          "order by valid_from")
    assert len(history) == 2 and history[0]["valid_to"] is not None and history[1]["valid_to"] is None


def test_failures_are_recorded_and_retried_by_a_later_run(spark, lake, sim):
    sim.faults({"registry": {"error_rate": 1.0, "error_statuses": [503]}})
    land_events(spark, lake, [("registry", {"event_type": "model_updated", "model_id": "ranking-v5"}),
                              ("datasets", {"event_type": "dataset_created",
                                            "dataset": "warehouse.title_catalog"})])
    opts = dict(enrich_limit=0, max_attempts=2, backoff_base=0.01, failure_backoff_s=0.0, **NO_BOOTSTRAP)
    out = build(spark, lake, **opts)
    assert out["hydrate"]["failed"] == 1 and out["merge"]["failed"] == 1  # the rest is not blocked
    assert entity(spark, "aip://dataset/datasets/warehouse.title_catalog")["state"] == "hydrated"
    (failure,) = rows(spark, "select * from ops.hydration_failures")
    assert failure["id"] == "aip://model/registry/ranking-v5" and failure["attempts"] == 1
    assert not failure["resolved"] and "503" in failure["last_error"] and failure["next_attempt_at"]

    out = build(spark, lake, **opts)  # still failing: attempts grow
    assert rows(spark, "select attempts from ops.hydration_failures")[0]["attempts"] == 2
    sim.faults({})
    out = build(spark, lake, **opts)  # no new events: the due retry alone hydrates it
    assert out["hydrate"]["retries_due"] == 1 and out["hydrate"]["entities_from_events"] == 0
    assert entity(spark, "aip://model/registry/ranking-v5")["state"] == "hydrated"
    assert rows(spark, "select resolved from ops.hydration_failures")[0]["resolved"] is True


def test_hostile_ids_never_change_a_request_path(spark, lake, sim):
    from infra.simulator.ecosystem import HOSTILE_IDS
    from spark_jobs.uris import url_path_segment as segment
    from spark_jobs.model import resource_id

    seq = sim.access_log()[-1]["seq"] if sim.access_log() else 0
    hostile = [h for h in HOSTILE_IDS]
    land_events(spark, lake, [("registry", {"event_type": "model_updated", "model_id": h}) for h in hostile]
                + [("datasets", {"event_type": "dataset_created", "dataset": h}) for h in hostile])
    out = build(spark, lake, enrich_limit=0, **NO_BOOTSTRAP)
    assert out["hydrate"]["failed"] == 0 and out["hydrate"]["deleted"] == 0
    paths = [e["path"] for e in sim.access_log(seq) if e["platform"] in ("registry", "datasets")]
    assert sorted(paths) == sorted([f"/registry/api/v1/models/{segment(h)}" for h in hostile]
                                   + [f"/datasets/api/v1/datasets/{segment(h)}" for h in hostile])
    assert all(e["query"] == "" and e["status"] == 200 for e in sim.access_log(seq)
               if e["platform"] in ("registry", "datasets"))
    ids = {r["id"] for r in rows(spark, "select id from graph.entities where state = 'hydrated' "
                                        "and entity_type in ('Model', 'Dataset')")}
    assert {resource_id(i) for i in ids} == set(hostile)


def test_sources_example_from_sqs_through_landing(spark, lake, sqs_queues):
    """The fixed example as thin events on real (moto) SQS queues, landed by `land`, then built."""
    import json

    from spark_jobs.landing import land

    settings = sqs_queues.settings(lake)
    envelope = {"Type": "Notification", "MessageId": "sns-1",
                "Message": json.dumps({"event_type": "ab_test_created", "test_id": 12345})}
    sqs_queues.send("registry", [json.dumps({"event_type": "model_instance_created",
                                             "instance_id": "ranking-model-v5-20XX0101"})] * 2)
    sqs_queues.send("orchestrator", [json.dumps({"event_type": "pipeline_run_started",
                                                 "run_id": "train-weekly-ranking-20XX0101"})])
    sqs_queues.send("abtest", [json.dumps(envelope)])
    report = land(settings, time_budget_s=20)
    assert report.landed == 4
    build(spark, settings, enrich_limit=0, **NO_BOOTSTRAP)
    mi = entity(spark, MI)
    assert mi["owners"] == ["aip://user/identity/alice"] and mi["state"] == "hydrated"
    assert ("RAN_FOR", "aip://ab-test-cell/abtest/12345:2") in edges_of(spark, RUN)
    assert entity(spark, "aip://ab-test/abtest/12345")["name"] == "Ranking Model v5 vs v4"
    assert edges_of(spark, "aip://ab-test-cell/abtest/12345:1") == {("CELL_OF", "aip://ab-test/abtest/12345")}


def test_compaction_and_vacuum_of_landing_never_replay_or_lose_events(spark, lake):
    from spark_jobs import maintenance

    land_events(spark, lake, [("registry", {"event_type": "model_updated", "model_id": "ranking-v5"})])
    land_events(spark, lake, [("datasets", {"event_type": "dataset_created", "dataset": "warehouse.title_catalog"})])
    assert build(spark, lake, enrich_limit=0, **NO_BOOTSTRAP)["hydrate"]["entities"] == 2
    land_events(spark, lake, [("registry", {"event_type": "model_instance_updated",
                                            "instance_id": "ranking-model-v5-20XX0101"})])
    land_events(spark, lake, [("abtest", {"event_type": "ab_test_updated", "test_id": "12345"})])
    # maintenance rewrites landing files between two builds (dataChange = false) ...
    opts = maintenance.MaintenanceOptions(include_open_partition=True, retention_hours=0)
    maintenance.compact_landing(lake, options=opts)
    out = build(spark, lake, enrich_limit=0, **NO_BOOTSTRAP)
    assert out["hydrate"]["entities"] == 2  # only the two new events, not the compacted history
    land_events(spark, lake, [("identity", {"event_type": "team_updated", "team": "personalization"})])
    maintenance.compact_landing(lake, options=opts)
    maintenance.vacuum(lake, ["landing.events"], options=opts)  # ... and even deletes the new file
    out = build(spark, lake, enrich_limit=0, **NO_BOOTSTRAP)
    assert entity(spark, "aip://team/identity/personalization")["state"] == "hydrated"


def test_renamed_user_moves_to_its_new_uri(spark, lake, sim):
    land_events(spark, lake, [("identity", {"event_type": "user_updated", "email": "alice@example.com"})])
    build(spark, lake, enrich_limit=0, **NO_BOOTSTRAP)
    assert edges_of(spark, "aip://user/identity/alice") == {("MEMBER_OF", "aip://team/identity/personalization")}
    sim.admin("POST", "mutations", {"op": "update", "collection": "users", "id": "alice@example.com",
                                    "fields": {"username": "alice2"}})
    land_events(spark, lake, [("identity", {"event_type": "user_updated", "email": "alice@example.com"})])
    build(spark, lake, enrich_limit=0, **NO_BOOTSTRAP)
    assert entity(spark, "aip://user/identity/alice2")["state"] == "hydrated"
    assert entity(spark, "aip://user/identity/alice")["state"] == "deleted"
    assert edges_of(spark, "aip://user/identity/alice") == set()
