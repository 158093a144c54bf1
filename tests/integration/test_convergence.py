"""Convergence: after faults on both sides (30% of events dropped, duplicates, reordering, 10%
5xx, a 429 storm), build + reconcile leave graph.entities / graph.edges equal to the simulator's
ground truth (GET /_admin/truth), compared row by row."""

from __future__ import annotations

import dataclasses
import random

from spark_jobs.stages import RunContext
from tests.integration.hydration_support import build, land_events, rows, start_sim

FAST = dict(rate=400, backoff_base=0.05, max_attempts=8, enrich_limit=200)


def _mutations(eco) -> list[dict]:
    b = eco.base_id
    muts: list[dict] = []
    for i in range(4):
        muts.append({"op": "create", "collection": "models", "id": f"new/model-{i}",
                     "fields": {"name": f"New {i}", "owner_emails": [b("users", 10 + i)],
                                "labels": [{"key": "tier", "value": "1"}]}})
        muts.append({"op": "create", "collection": "instances", "id": f"new-instance-{i}",
                     "fields": {"model_id": f"new/model-{i}", "version": "1.0.0", "status": "STAGING",
                                "pipeline_run_id": b("pipeline-runs", 12 + i), "owner_emails": [b("users", 20)],
                                "features": [{"name": b("features", 30 + i), "version": 1}], "labels": []}})
    for i in range(15, 25):
        muts.append({"op": "update", "collection": "instances", "id": b("instances", i),
                     "fields": {"owner_emails": [b("users", i)], "labels": [{"key": "team", "value": f"t{i}"}],
                                "features": [{"name": b("features", i), "version": 2}]}})
    for i in (13, 14, 20):
        muts.append({"op": "update", "collection": "datasets", "id": b("datasets", i),
                     "fields": {"produced_by": b("pipelines", 3), "description": ""}})
    muts.append({"op": "update", "collection": "tests", "id": b("tests", 12),
                 "fields": {"cells": [{"cell_number": 1, "name": "only_cell"}], "owner_email": "nobody@else.org"}})
    muts.append({"op": "update", "collection": "users", "id": b("users", 20),
                 "fields": {"username": "renamed-user", "team": b("teams", 3)}})
    muts.append({"op": "create", "collection": "users", "id": "new.person@example.com",
                 "fields": {"username": "newperson", "display_name": "New Person", "team": None, "active": True}})
    muts.append({"op": "create", "collection": "teams", "id": "fresh-team",
                 "fields": {"display_name": "Fresh", "org": "ml"}})
    for name, indices in {"instances": (40, 41, 42, 43), "models": (11,), "tests": (13, 14),
                          "pipeline-runs": (50, 51, 52), "datasets": (30,), "users": (33,)}.items():
        muts.extend({"op": "delete", "collection": name, "id": b(name, i)} for i in indices)
    return muts


def _graph_entities(spark) -> dict[str, dict]:
    out = {}
    for r in rows(spark, """
            select id, entity_type, domain, provider, name, description, owners, tags, properties,
                   source_status, date_format(created_at, "yyyy-MM-dd'T'HH:mm:ss'Z'") as created_at,
                   date_format(updated_at, "yyyy-MM-dd'T'HH:mm:ss'Z'") as updated_at,
                   state from graph.entities where state in ('hydrated', 'enriched')"""):
        r["state"] = "hydrated"
        r["properties"] = dict(r["properties"] or {})
        out[r["id"]] = r
    return out


def test_build_and_reconcile_converge_to_ground_truth(spark, settings):
    from spark_jobs.hydration.reconcile import reconcile

    sim = start_sim(seed=11, scale=1)
    try:
        lake = dataclasses.replace(settings, source_urls=sim.source_urls)
        first = build(spark, lake, **FAST)  # fresh lakehouse: bootstrap through the listings
        assert first["hydrate"]["mode"] == "bootstrap"

        sim.admin("POST", "events", {"drop_rate": 0.3, "duplicate_rate": 0.2, "sns_rate": 0.3})
        sim.new_events()
        sim.faults({"*": {"error_rate": 0.1},
                    "registry": {"error_rate": 0.1, "rate_limit_rps": 40, "rate_limit_burst": 3}})
        for m in _mutations(sim.state.eco):
            sim.admin("POST", "mutations", m)
        events = sim.new_events()
        random.Random(3).shuffle(events)  # reordering
        land_events(spark, lake, events[: len(events) // 2])
        land_events(spark, lake, events[len(events) // 2:])
        out = build(spark, lake, **FAST)
        assert out["hydrate"]["mode"] == "events" and out["hydrate"]["failed"] == 0
        rec = reconcile(spark, lake, RunContext.new(**FAST))
        assert rec["errors"] == {} and rec["vanished"] > 0  # dropped delete events were caught
        log = sim.access_log()
        assert any(e["status"] == 429 for e in log) and any(e["status"] == 503 or e["status"] == 500 for e in log)

        dropped = sim.admin("GET", "health")["events"]["dropped"]
        assert dropped > 0 and len(events) > 30
        truth = {e["id"]: e for e in sim.truth("entities")}
        assert len(truth) > 800
        graph = _graph_entities(spark)
        assert sorted(set(graph) - set(truth)) == [] and sorted(set(truth) - set(graph)) == []
        for uri, expected in truth.items():
            assert graph[uri] == expected, uri

        truth_edges = {(e["src"], e["rel"], e["dst"], e["declared_by"]) for e in sim.truth("edges")}
        graph_edges = {(r["src"], r["rel"], r["dst"], r["declared_by"]) for r in rows(
            spark, "select src, rel, dst, declared_by from graph.edges where active and provenance = 'declared'")}
        assert len(truth_edges) > 1500 and graph_edges == truth_edges

        states = {r["id"]: r["state"] for r in rows(spark, "select id, state from graph.entities")}
        for gone in sim.truth("deleted"):
            assert states.get(gone["id"], "deleted") == "deleted", gone
    finally:
        sim.close()
