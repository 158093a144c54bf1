"""Convergence: after faults on both sides (30% of events dropped, duplicates, reordering, 10%
5xx, a 429 storm), build + reconcile leave graph.entities / graph.edges equal to the simulator's
ground truth (GET /_admin/truth), compared row by row."""

from __future__ import annotations

import dataclasses
import random

from spark_jobs.stages import RunContext
from tests.integration.hydration_support import assert_matches_truth, build, land_events, mutations, start_sim

FAST = dict(rate=400, backoff_base=0.05, max_attempts=8, enrich_limit=200)


def test_build_and_reconcile_converge_to_ground_truth(spark, settings):
    from spark_jobs.hydration.reconcile import reconcile

    sim = start_sim(seed=11, scale=1)
    try:
        lake = dataclasses.replace(settings, source_urls=sim.source_urls)
        first = build(spark, lake, **FAST)  # fresh lakehouse: bootstrap through the listings
        assert first["hydrate"]["mode"] == "bootstrap"

        sim.admin("POST", "events", {"drop_rate": 0.3, "duplicate_rate": 0.2, "sns_rate": 0.3})
        sim.new_events()
        faults_from = sim.access_log()[-1]["seq"]
        # a bucket of one token at 5/s: any two registry calls within 200 ms meet a 429, so the
        # storm happens however fast the machine is; 5xx rolls are seeded per source
        sim.faults({"*": {"error_rate": 0.15},
                    "registry": {"error_rate": 0.15, "rate_limit_rps": 5, "rate_limit_burst": 1}})
        for m in mutations(sim.state.eco):
            sim.admin("POST", "mutations", m)
        events = sim.new_events()
        random.Random(3).shuffle(events)  # reordering
        land_events(spark, lake, events[: len(events) // 2])
        land_events(spark, lake, events[len(events) // 2:])
        out = build(spark, lake, **FAST)
        assert out["hydrate"]["mode"] == "events" and out["hydrate"]["failed"] == 0
        rec = reconcile(spark, lake, RunContext.new(**FAST))
        assert rec["errors"] == {} and rec["vanished"] > 0  # dropped delete events were caught
        log = sim.access_log(since=faults_from)
        assert any(e["status"] == 429 for e in log) and any(e["status"] >= 500 for e in log)

        dropped = sim.admin("GET", "health")["events"]["dropped"]
        assert dropped > 0 and len(events) > 30
        assert_matches_truth(spark, sim)
    finally:
        sim.close()
