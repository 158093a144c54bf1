"""Hydration benchmark against the simulator running in its own process (real HTTP):

1. rate: achieved requests/s of the bulk fetch vs the configured per-source limit, for a range
   of worker counts, with simulated source latency (goal: achieved / configured >= 0.9);
2. bootstrap: a fresh lakehouse loaded through the listing endpoints at each scale
   (entities/s, wall per phase: list+normalise+stage, merge; peak RSS of this process);
3. incremental: 1% of the entities mutated at the source (events landed), then one build of
   hydrate -> merge -> enrich (wall per stage).

    .venv/bin/python bench/bench_hydration.py --scales 10 100 [--rate 100] [--workers 1 4 16 32]
        [--mapinarrow 2 8 32]   # also the alternative design: fetch as Spark partitions
Results are appended to bench/results.jsonl (`"bench": "hydration"`).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("RUST_LOG", "error")

from spark_jobs.bench.measure import measure  # noqa: E402
from spark_jobs.bench.results import append  # noqa: E402


def _serve(seed: int, scale: int, faults: dict, conn) -> None:
    from infra.simulator.server import SimulatorState, make_server

    server = make_server(SimulatorState(seed=seed, scale=scale, faults=faults))
    conn.send(server.server_address[:2])
    server.serve_forever()


class SimProcess:
    def __init__(self, *, seed: int = 7, scale: int = 1, faults: dict | None = None) -> None:
        parent, child = mp.Pipe()
        self.proc = mp.get_context("spawn").Process(target=_serve, args=(seed, scale, faults or {}, child),
                                                    daemon=True)
        self.proc.start()
        host, port = parent.recv()
        self.url = f"http://{host}:{port}"

    @property
    def source_urls(self) -> dict[str, str]:
        from spark_jobs.model import PLATFORMS

        return {p: f"{self.url}/{p}" for p in PLATFORMS}

    def admin(self, method: str, route: str, body: Any = None, **params: Any) -> Any:
        import requests

        resp = requests.request(method, f"{self.url}/_admin/{route}", json=body, params=params, timeout=300)
        resp.raise_for_status()
        return resp.json()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.join(5)


def bench_rate(rate: float, workers_list: list[int], latency_ms: float, requests_n: int) -> list[dict]:
    """Single GETs (orchestrator runs) and batch POSTs (registry instances) at once, each source
    with its own configured limit; achieved rate measured over the whole fetch."""
    from infra.simulator.ecosystem import Ecosystem
    from spark_jobs.config import Settings
    from spark_jobs.hydration.config import HydrationConfig
    from spark_jobs.hydration.fetch import Clients, fetch_all
    from spark_jobs.providers import PROVIDERS

    scale = max(1, requests_n // 200 + 1)
    sim = SimProcess(scale=scale, faults={"*": {"latency_ms": latency_ms, "latency_jitter_ms": latency_ms / 2}})
    eco = Ecosystem(seed=7, scale=scale)
    runs = PROVIDERS["orchestrator"].kind("pipeline-runs")
    datasets = PROVIDERS["datasets"].kind("datasets")
    out = []
    try:
        for workers in workers_list:
            settings = Settings.load(env={}, source_urls=sim.source_urls)
            config = HydrationConfig.load({"rate": rate, "workers": workers}, env={})
            clients = Clients(settings, config)
            n = min(requests_n, eco.base_count("datasets"))
            work = [("orchestrator", runs, eco.base_id("pipeline-runs", i)) for i in range(n)] + \
                   [("datasets", datasets, eco.base_id("datasets", i)) for i in range(n)]
            start = time.perf_counter()
            results = list(fetch_all(clients, work, workers=workers))
            seconds = time.perf_counter() - start
            stats = clients.stats()
            ok = sum(r.status == "ok" for r in results)
            per_source = {p: round(s["requests"] / seconds, 1) for p, s in stats.items()}
            row = {"workers": workers, "configured_rps": rate, "latency_ms": latency_ms,
                   "requests": sum(s["requests"] for s in stats.values()), "ok": ok, "seconds": round(seconds, 2),
                   "achieved_rps": per_source,
                   "fraction": round(min(per_source.values()) / rate, 3)}
            print(json.dumps(row))
            out.append(row)
    finally:
        sim.stop()
    return out


def _fetch_partition(batches, urls: dict[str, str], rate: float, parts: int):
    """mapInArrow body: one client (session + limiter at rate/parts) per source per partition."""
    import pyarrow as pa

    from spark_jobs.hydration.client import SourceClient
    from spark_jobs.hydration.config import HydrationConfig

    cfg = HydrationConfig.load({"rate": rate / parts}, env={})
    clients: dict[str, SourceClient] = {}
    for b in batches:
        out = []
        for platform, coll, key in zip(*(b.column(i).to_pylist() for i in range(3))):
            client = clients.setdefault(platform, SourceClient(platform, urls[platform], cfg))
            out.append(client.get(coll, key).status)
        yield pa.record_batch([pa.array(out, pa.int32())], names=["status"])


def bench_mapinarrow(rate: float, partitions: list[int], latency_ms: float, requests_n: int) -> list[dict]:
    """The alternative design: the same single GETs fanned out as Spark partitions (mapInArrow),
    the per-source budget split statically across partitions."""
    import functools

    from infra.simulator.ecosystem import Ecosystem
    from spark_jobs.config import Settings
    from spark_jobs.session import spark_session

    scale = max(1, requests_n // 200 + 1)
    sim = SimProcess(scale=scale, faults={"*": {"latency_ms": latency_ms, "latency_jitter_ms": latency_ms / 2}})
    eco = Ecosystem(seed=7, scale=scale)
    n = min(requests_n, eco.base_count("datasets"))
    keys = [("orchestrator", "pipeline-runs", eco.base_id("pipeline-runs", i)) for i in range(n)] + \
           [("datasets", "datasets", eco.base_id("datasets", i)) for i in range(n)]
    out = []
    try:
        with spark_session(Settings.load(env={})) as spark:
            for parts in partitions:
                df = spark.createDataFrame(keys, "platform string, collection string, key string").repartition(parts)
                fn = functools.partial(_fetch_partition, urls=sim.source_urls, rate=rate, parts=parts)
                start = time.perf_counter()
                got = df.mapInArrow(fn, "status int").groupBy("status").count().collect()
                seconds = time.perf_counter() - start
                row = {"design": "mapInArrow", "partitions": parts, "configured_rps": rate,
                       "latency_ms": latency_ms, "seconds": round(seconds, 2),
                       "achieved_rps": round(n / seconds, 1), "fraction": round(n / seconds / rate, 3),
                       "statuses": {str(r["status"]): r["count"] for r in got}}
                print(json.dumps(row))
                out.append(row)
    finally:
        sim.stop()
    return out


def bench_bootstrap_and_incremental(scale: int, rate: float, mutate_fraction: float) -> dict:
    from infra.simulator.ecosystem import Ecosystem
    from spark_jobs import tables
    from spark_jobs.build import record_run
    from spark_jobs.config import Settings
    from spark_jobs.hydration.reconcile import bootstrap
    from spark_jobs.session import spark_session
    from spark_jobs.stages import RunContext, run_stage

    sim = SimProcess(scale=scale)
    steps = []
    try:
        with tempfile.TemporaryDirectory(prefix="mlg-bench-hyd-") as tmp:
            settings = Settings.load(env={}, lakehouse=f"{tmp}/lh", source_urls=sim.source_urls)
            with spark_session(settings) as spark:
                tables.register(spark, settings)
                ctx = RunContext.new(rate=rate)
                with measure(f"bootstrap@{scale}") as m:
                    metrics = bootstrap(spark, settings, ctx)
                staged = metrics["staged"]["entities"]
                m.rows_out = staged
                m.extra = {"list_s": metrics["list_s"], "merge_s": metrics["merge_s"],
                           "entities_inserted": metrics["entities_inserted"],
                           "edges_inserted": metrics["edges_inserted"],
                           "entities_per_s": round(staged / m.seconds, 1)}
                steps.append(m.as_dict())
                print(json.dumps(steps[-1]))

                # incremental: mutate a fraction of the entities at the source, land their events
                from tests.integration.hydration_support import land_events

                eco = Ecosystem(seed=7, scale=scale)
                rng = random.Random(1)
                n = max(1, int(staged * mutate_fraction))
                names = ["models", "instances", "pipelines", "features", "datasets", "tests"]
                muts = []
                for i in range(n):
                    name = rng.choice(names)
                    obj_id = eco.base_id(name, rng.randrange(eco.base_count(name)))
                    field = "name" if name == "tests" else "description"
                    muts.append({"op": "update", "collection": name, "id": obj_id,
                                 "fields": {field: f"bench change {i}"}})
                events = []
                for chunk in range(0, len(muts), 500):
                    for result in sim.admin("POST", "mutations", muts[chunk:chunk + 500]):
                        events.extend((_platform(e), e) for e in result["events"])
                land_events(spark, settings, events)
                ctx = RunContext.new(rate=rate, enrich_limit=1000, bootstrap="never")
                for stage in ("hydrate", "merge", "enrich"):
                    from datetime import datetime, timezone

                    started = datetime.now(timezone.utc)
                    with measure(f"incremental@{scale}:{stage}") as m:
                        result = run_stage(stage, spark, settings, ctx)
                    record_run(spark, settings, ctx.run_id, stage, result.status, started, result.metrics)
                    m.extra = {k: v for k, v in result.metrics.items() if not isinstance(v, (dict, list))}
                    m.extra["mutations"] = n
                    steps.append(m.as_dict())
                    print(json.dumps(steps[-1]))
    finally:
        sim.stop()
    return {"scale": scale, "steps": steps}


def _platform(event: dict) -> str:
    from spark_jobs.providers.events import EVENT_SPECS

    return EVENT_SPECS[event["event_type"]].platform


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scales", type=int, nargs="*", default=[10, 100])
    p.add_argument("--rate", type=float, default=200.0, help="configured requests/s per source")
    p.add_argument("--workers", type=int, nargs="*", default=[1, 4, 16, 32])
    p.add_argument("--latency-ms", type=float, default=20.0)
    p.add_argument("--requests", type=int, default=600, help="requests per source in the rate test")
    p.add_argument("--bootstrap-rate", type=float, default=2000.0)
    p.add_argument("--mutate", type=float, default=0.01)
    p.add_argument("--skip-rate", action="store_true")
    p.add_argument("--mapinarrow", type=int, nargs="*", default=[],
                   help="also measure the mapInArrow design with these partition counts")
    p.add_argument("--no-record", action="store_true")
    args = p.parse_args(argv)
    record: dict[str, Any] = {"bench": "hydration"}
    if not args.skip_rate:
        record["rate"] = bench_rate(args.rate, args.workers, args.latency_ms, args.requests)
    if args.mapinarrow:
        record["rate_mapinarrow"] = bench_mapinarrow(args.rate, args.mapinarrow, args.latency_ms, args.requests)
    record["scales"] = [bench_bootstrap_and_incremental(s, args.bootstrap_rate, args.mutate) for s in args.scales]
    if not args.no_record:
        append(record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
