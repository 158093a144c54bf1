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
