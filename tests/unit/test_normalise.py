"""Normalisers against SOURCES.md's fixed example and docs/normalisation.md."""

from __future__ import annotations

from spark_jobs.providers import PROVIDERS, Resolver

INSTANCE = {"id": "ranking-model-v5-20XX0101", "model_id": "ranking-v5", "version": "5.0.3",
            "pipeline_run_id": "train-weekly-ranking-20XX0101", "owner_emails": ["alice@example.com"],
            "labels": [{"key": "team", "value": "personalization"}],
            "features": [{"name": "title_embedding", "version": 3}], "status": "DEPLOYED",
            "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-02T00:00:00Z"}
RUN = {"run_id": "train-weekly-ranking-20XX0101", "pipeline": "weekly-ranking-trainer", "status": "SUCCEEDED",
       "started_at": "2025-01-01T02:00:00Z", "ended_at": None,
       "ab_test_cells": [{"test_id": "12345", "cell_number": 2, "cell_name": "treatment_ranking_v5"}]}
TEST = {"test_id": 12345, "name": "Ranking Model v5 vs v4", "status": "ACTIVE", "owner_email": "alice@example.com",
        "cells": [{"cell_number": 1, "name": "control_ranking_v4"}, {"cell_number": 2, "name": "treatment_ranking_v5"}],
        "start_date": "2025-05-20", "end_date": None, "updated_at": "2025-05-20T00:00:00Z"}


def norm(collection: str, payload: dict, usernames: dict | None = None):
    for p in PROVIDERS.values():
        for k in p.kinds:
            if k.collection == collection:
                return k.normalise(payload, Resolver(usernames))
    raise KeyError(collection)


def test_sources_example_instance_normalises_exactly():
    out = norm("instances", INSTANCE, {"alice@example.com": "alice"})
    (row,) = out.entities
    assert row["id"] == "aip://model-instance/registry/ranking-model-v5-20XX0101"
    assert row["entity_type"] == "ModelInstance" and row["provider"] == "registry" and row["domain"] == "models"
    assert row["owners"] == ["aip://user/identity/alice"]
    assert row["tags"] == [{"tag": "team", "value": "personalization"}]
    assert row["source_status"] == "DEPLOYED" and row["name"] == INSTANCE["id"]
    assert row["properties"] == {"version": "5.0.3", "model_id": "ranking-v5",
                                 "pipeline_run_id": "train-weekly-ranking-20XX0101"}
    src = row["id"]
    assert sorted(out.edges) == sorted([
        (src, "INSTANCE_OF", "aip://model/registry/ranking-v5", src),
        (src, "PRODUCED_BY", "aip://pipeline-run/orchestrator/train-weekly-ranking-20XX0101", src),
        (src, "USES_FEATURE", "aip://feature/featurestore/title_embedding", src),
        (src, "OWNED_BY", "aip://user/identity/alice", src),
    ])


def test_run_declares_ran_for_cell_and_test_declares_cells():
    run = norm("pipeline-runs", RUN)
    run_uri = "aip://pipeline-run/orchestrator/train-weekly-ranking-20XX0101"
    assert (run_uri, "RAN_FOR", "aip://ab-test-cell/abtest/12345:2", run_uri) in run.edges
    assert (run_uri, "RUN_OF", "aip://pipeline/orchestrator/weekly-ranking-trainer", run_uri) in run.edges
    assert run.entities[0]["properties"] == {"started_at": "2025-01-01T02:00:00Z"}  # null left out

    test = norm("tests", TEST, {"alice@example.com": "alice"})
    ids = [e["id"] for e in test.entities]
    assert ids == ["aip://ab-test/abtest/12345", "aip://ab-test-cell/abtest/12345:1",
                   "aip://ab-test-cell/abtest/12345:2"]
    assert test.entities[2]["name"] == "treatment_ranking_v5"
    test_uri = "aip://ab-test/abtest/12345"
    assert ("aip://ab-test-cell/abtest/12345:2", "CELL_OF", test_uri, test_uri) in test.edges
    assert (test_uri, "OWNED_BY", "aip://user/identity/alice", test_uri) in test.edges


def test_owner_resolves_through_identity_else_local_part():
    model = {"id": "m", "name": "M", "description": "", "owner_emails": ["bob@example.com", "x.y@corp.com"],
             "labels": [{"key": "tier", "value": "2"}, {"key": "a", "value": "b"}]}
    (row,) = norm("models", model, {"bob@example.com": "bsmith"}).entities
    assert row["owners"] == ["aip://user/identity/bsmith", "aip://user/identity/x.y"]
    assert row["description"] is None  # empty -> null
    assert row["tags"] == [{"tag": "a", "value": "b"}, {"tag": "tier", "value": "2"}]  # sorted


def test_identity_feature_dataset_pipeline_payloads():
    user = norm("users", {"username": "alice", "email": "alice@example.com", "display_name": "Alice Example",
                          "team": "personalization", "active": False})
    assert user.entities[0]["id"] == "aip://user/identity/alice"
    assert user.entities[0]["source_status"] == "inactive"
    assert user.edges == [("aip://user/identity/alice", "MEMBER_OF", "aip://team/identity/personalization",
                           "aip://user/identity/alice")]
    team = norm("teams", {"team": "personalization", "display_name": "P", "members": ["a", "b"], "org": "ml"})
    assert team.entities[0]["properties"] == {"org": "ml", "member_count": "2"} and team.edges == []
    feature = norm("features", {"name": "title_embedding", "owner_team": "personalization", "latest_version": 3,
                                "source_datasets": ["warehouse.title_catalog"], "dtype": "vector<float>"})
    f = "aip://feature/featurestore/title_embedding"
    assert feature.entities[0]["owners"] == ["aip://team/identity/personalization"]
    assert feature.entities[0]["properties"] == {"dtype": "vector<float>", "latest_version": "3"}
    assert set(feature.edges) == {(f, "DERIVED_FROM", "aip://dataset/datasets/warehouse.title_catalog", f),
                                  (f, "OWNED_BY", "aip://team/identity/personalization", f)}
    pipeline = norm("pipelines", {"name": "p", "owner_emails": [], "schedule": "@weekly",
                                  "inputs": [{"dataset": "d1"}], "outputs": [{"dataset": "d2"}]})
    assert pipeline.entities[0]["properties"] == {"schedule": "@weekly", "outputs": '["d2"]'}
    assert [e[1] for e in pipeline.edges] == ["READS"]  # outputs make no edge
    dataset = norm("datasets", {"name": "d2", "owner_emails": [], "produced_by": None, "latest_version": 4})
    assert dataset.edges == [] and dataset.entities[0]["properties"] == {"latest_version": "4"}


def test_hostile_ids_round_trip_into_uris():
    from spark_jobs.model import resource_id

    for hostile in ("../../admin", "a/b", "%2e%2e", "?x=1", "ünïcødé-名前", "long-" + "x" * 400, ".."):
        (row,) = norm("models", {"id": hostile, "name": "n"}).entities
        assert row["id"].count("/") == 4  # aip://model/registry/<one segment>
        assert resource_id(row["id"]) == hostile
