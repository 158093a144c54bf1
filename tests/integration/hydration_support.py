"""Helpers for the hydration tests: an in-process simulator over real HTTP, landing events
appended to landing.events through landing's own parser, the ground truth over HTTP."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import requests

from spark_jobs import tables


@dataclass
class Sim:
    state: Any
    server: Any
    url: str
    event_seq: int = 0

    @property
    def source_urls(self) -> dict[str, str]:
        from infra.simulator.server import base_urls

        host, port = self.server.server_address[:2]
        return base_urls(host, port)

    def admin(self, method: str, route: str, body: Any = None, **params: Any) -> Any:
        resp = requests.request(method, f"{self.url}/_admin/{route}", json=body, params=params, timeout=60)
        resp.raise_for_status()
        if resp.headers.get("Content-Type", "").startswith("application/x-ndjson"):
            return [json.loads(line) for line in resp.text.splitlines() if line]
        return resp.json()

    def faults(self, config: dict, replace: bool = True) -> None:
        self.admin("POST", "faults", {**config, "replace": replace})

    def truth(self, kind: str) -> list[dict]:
        return self.admin("GET", "truth", kind=kind)

    def access_log(self, since: int = 0) -> list[dict]:
        return self.admin("GET", "access-log", since=since)["entries"]

    def new_events(self) -> list[tuple[str, str]]:
        """(platform, body) of events sent since the last call (dropped ones are not sent)."""
        entries = self.admin("GET", "events", since=self.event_seq, limit=1_000_000)["log"]
        if entries:
            self.event_seq = entries[-1]["seq"]
        return [(e["platform"], e["body"]) for e in entries if not e["dropped"] and e["body"]]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_sim(*, seed: int = 7, scale: int = 1, faults: dict | None = None,
              event_faults: dict | None = None) -> Sim:
    from infra.simulator.server import SimulatorState, make_server

    state = SimulatorState(seed=seed, scale=scale, faults=faults, event_faults=event_faults)
    server = make_server(state)
    threading.Thread(target=server.serve_forever, daemon=True, name="simulator").start()
    host, port = server.server_address[:2]
    return Sim(state, server, f"http://{host}:{port}")


def land_events(spark, settings, events: list[tuple[str, str | dict]]) -> int | None:
    """Append (platform, body) events to landing.events (one commit) the way landing would."""
    from spark_jobs.landing.parse import ParsedEvent, parse_message

    now = datetime.now(timezone.utc)
    batch = uuid.uuid4().hex[:8]
    rows = []
    for platform, body in events:
        text = body if isinstance(body, str) else json.dumps(body)
        message_id = uuid.uuid4().hex
        parsed = parse_message(platform, message_id, text)
        assert isinstance(parsed, ParsedEvent), parsed
        rows.append((message_id, parsed.dedup_id, platform, parsed.event_type, parsed.entity_type,
                     parsed.entity_key, parsed.body, now, now.date(), batch))
    tables.register(spark, settings, ["landing.events"])
    if rows:
        tables.append(spark.createDataFrame(rows, tables.table("landing.events").ddl), settings, "landing.events")
    return tables.version(settings, "landing.events")


def build(spark, settings, *, stages=("hydrate", "merge", "enrich"), **options):
    """Run the hydration stages as `mlg build` does (recorded in ops.runs)."""
    from spark_jobs import stages as stage_mod
    from spark_jobs.build import record_run
    from spark_jobs.stages import RunContext

    ctx = RunContext.new(**options)
    results = {}
    tables.register(spark, settings)
    for name in stages:
        started = datetime.now(timezone.utc)
        result = stage_mod.run_stage(name, spark, settings, ctx)
        record_run(spark, settings, ctx.run_id, name, result.status, started, result.metrics)
        results[name] = result.metrics
    return results


def versions(settings, names=("graph.entities", "graph.entity_history", "graph.edges",
                              "ops.hydration_failures")) -> dict[str, int | None]:
    return {n: tables.version(settings, n) for n in names}


def rows(spark, sql: str) -> list[dict]:
    return [r.asDict(recursive=True) for r in spark.sql(sql).collect()]


# ---- ground truth ------------------------------------------------------------------------------

def mutations(eco) -> list[dict]:
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


def graph_entities(spark) -> dict[str, dict]:
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


def assert_matches_truth(spark, sim: Sim, *, min_entities: int = 800, min_edges: int = 1500) -> None:
    """graph.entities / graph.edges (registered in `spark`) equal the simulator's truth, row by row."""
    truth = {e["id"]: e for e in sim.truth("entities")}
    assert len(truth) > min_entities
    graph = graph_entities(spark)
    assert sorted(set(graph) - set(truth)) == [] and sorted(set(truth) - set(graph)) == []
    for uri, expected in truth.items():
        assert graph[uri] == expected, uri

    truth_edges = {(e["src"], e["rel"], e["dst"], e["declared_by"]) for e in sim.truth("edges")}
    graph_edges = {(r["src"], r["rel"], r["dst"], r["declared_by"]) for r in rows(
        spark, "select src, rel, dst, declared_by from graph.edges where active and provenance = 'declared'")}
    assert len(truth_edges) > min_edges and graph_edges == truth_edges

    states = {r["id"]: r["state"] for r in rows(spark, "select id, state from graph.entities")}
    for gone in sim.truth("deleted"):
        assert states.get(gone["id"], "deleted") == "deleted", gone
