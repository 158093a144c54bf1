"""Landing benchmark: throughput (events/s) and where the time goes.

Two parts, because the local SQS endpoint (moto) is itself slow and gets slower with depth
(it recounts the whole queue for every message it returns):

- `endpoint`: the real path against a moto server: a producer keeps each of the six queues at a
  fixed depth (after each round it sends what the round took) while `land` drains N events.
  The report's timings split the run into endpoint time (receive + delete calls) and our own
  time (parse + dedupe lookup + Delta commit).
- `own`: our work alone, no SQS: N synthetic received messages go through the same round
  commit (parse, dedupe lookup, one Delta append per round), once with the delta-rs writer and
  once through the embedded Spark session; then the dedupe lookup of one 500-message round
  against a table that already holds N rows in today's partition, both as a partition-pruned
  filtered scan (a run's first round) and through the run's in-memory index (later rounds).

- `transports`: the same N events landed once through the local SQS endpoint (moto, the
  `endpoint` part's way: each queue kept `--depth` deep) and once through a local Kafka broker
  (all N produced up front, one topic per source), in one run: events/s of `land` for each.
- `lineage`: N OpenLineage run events POSTed to a real `mlg serve` (`/api/v1/lineage`, Bearer
  token) by `--lineage-clients` concurrent clients: events accepted per second (each answered
  after its Delta commit; concurrent requests share a commit).

    .venv/bin/python bench/bench_landing.py --endpoint-sizes 1000 5000 --own-sizes 10000 100000
    .venv/bin/python bench/bench_landing.py --endpoint-sizes --own-sizes --transport-sizes 10000 --lineage-sizes 2000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("RUST_LOG", "error")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

import pyarrow.dataset  # noqa: E402,F401 - imported before any clock starts (about 1 s, once per process)

from spark_jobs.config import Settings  # noqa: E402
from spark_jobs.landing import drain, store  # noqa: E402
from spark_jobs.landing.sqs import ReceivedMessage  # noqa: E402
from spark_jobs.landing.report import LandingReport, SourceMetrics  # noqa: E402
from spark_jobs.model import PLATFORMS  # noqa: E402
from spark_jobs.providers.events import events_of  # noqa: E402


def bodies(platform: str, n: int, prefix: str) -> list[str]:
    specs = events_of(platform)
    return [json.dumps({"event_type": specs[i % len(specs)].event_type,
                        specs[i % len(specs)].id_field: f"{prefix}-{platform}-{i}"}) for i in range(n)]


def summarise(reports: list[LandingReport]) -> tuple[int, Counter, float, float]:
    """Events landed by a series of runs, their summed timings, endpoint and own seconds."""
    timings: Counter = Counter()
    for r in reports:
        timings.update(r.timings)
    endpoint = timings["receive_s"] + timings["delete_s"]
    own = timings["parse_s"] + timings["dedup_s"] + timings["write_s"]
    return sum(r.landed for r in reports), timings, endpoint, own


def bench_endpoint(n: int, depth: int, commit_size: int, work: Path) -> dict[str, Any]:
    from infra.sqs import create_landing_queues, local_client, start_moto, stop_process

    server = start_moto(work / f"moto-{n}.log")
    try:
        client = local_client(server.endpoint_url)
        queues = create_landing_queues(client, {p: f"b-{p}" for p in PLATFORMS})
        pending = {p: bodies(p, n // len(PLATFORMS) + (i < n % len(PLATFORMS)), "b")
                   for i, p in enumerate(PLATFORMS)}
        send_s = [0.0]

        def send(platform: str, count: int) -> None:
            start = time.perf_counter()
            chunk, pending[platform] = pending[platform][:count], pending[platform][count:]
            for i in range(0, len(chunk), 10):
                client.send_message_batch(QueueUrl=queues[platform].url, Entries=[
                    {"Id": str(j), "MessageBody": b} for j, b in enumerate(chunk[i:i + 10])])
            send_s[0] += time.perf_counter() - start

        def replenish(point, messages) -> None:
            if point == "after_delete":
                for platform, count in Counter(m.platform for m in messages).items():
                    send(platform, count)

        for p in PLATFORMS:
            send(p, depth)
        settings = Settings.load(env={}, lakehouse=str(work / f"lh-endpoint-{n}"),
                                 sqs_endpoint_url=server.endpoint_url,
                                 sqs_queues={p: q.url for p, q in queues.items()})
        reports = []
        start = time.perf_counter()
        while any(pending.values()) or not reports or reports[-1].received:
            reports.append(drain.land(settings, time_budget_s=600, commit_size=commit_size,
                                      commit_interval_s=60, crash_hook=replenish))
        total = time.perf_counter() - start - send_s[0]
    finally:
        stop_process(server.process)
    landed, timings, endpoint, own = summarise(reports)
    return {"events": n, "landed": landed, "depth_per_queue": depth, "commit_size": commit_size,
            "commits": sum(r.commits for r in reports), "seconds": round(total, 2),
            "events_per_s": round(landed / total, 1), "endpoint_s": round(endpoint, 2),
            "own_s": round(own, 2), "own_events_per_s": round(landed / own, 1) if own else None,
            "producer_send_s": round(send_s[0], 2),
            "timings": {k: round(v, 3) for k, v in timings.items()}}


def bench_kafka(n: int, commit_size: int, work: Path) -> dict[str, Any]:
    """The same events as `bench_endpoint`, through a local Kafka broker."""
    from confluent_kafka import Producer

    from infra.kafka import create_topics, start_broker, stop_broker

    broker = start_broker(work / f"kafka-{n}")
    try:
        settings = Settings.load(env={}, lakehouse=str(work / f"lh-kafka-{n}"), kafka_bootstrap=broker.bootstrap,
                                 landing_transports=("kafka",), state_dir=str(work / f"state-kafka-{n}"))
        from spark_jobs.landing.kafka import landing_topics

        create_topics(broker.bootstrap, landing_topics(settings))
        producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5, "enable.idempotence": True})
        start = time.perf_counter()
        for i, p in enumerate(PLATFORMS):
            for body in bodies(p, n // len(PLATFORMS) + (i < n % len(PLATFORMS)), "b"):
                producer.produce(settings.kafka_topic(p), value=body.encode())
                producer.poll(0)
        assert producer.flush(60) == 0
        send_s = time.perf_counter() - start
        reports = []
        start = time.perf_counter()
        while not reports or reports[-1].received:
            reports.append(drain.land(settings, time_budget_s=600, commit_size=commit_size, commit_interval_s=60))
        total = time.perf_counter() - start
    finally:
        stop_broker(broker.process)
    landed, timings, endpoint, own = summarise(reports)
    return {"transport": "kafka", "events": n, "landed": landed, "commit_size": commit_size,
            "commits": sum(r.commits for r in reports), "seconds": round(total, 2),
            "events_per_s": round(landed / total, 1), "endpoint_s": round(endpoint, 2), "own_s": round(own, 2),
            "producer_send_s": round(send_s, 2), "broker_start_s": round(broker.started_s, 2),
            "storage_format_s": round(broker.format_s, 2), "timings": {k: round(v, 3) for k, v in timings.items()}}


def bench_lineage(n: int, clients: int, work: Path) -> dict[str, Any]:
    """N OpenLineage events POSTed to a real `mlg serve` by `clients` concurrent clients."""
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from infra.sqs import stop_process, wait_http

    token = uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLG_")}
    env.update(MLG_API_TOKEN=token, MLG_LAKEHOUSE=str(work / f"lh-lineage-{n}"), MLG_STATE_DIR=str(work / "st-ol"),
               RUST_LOG="error")
    server = subprocess.Popen([sys.executable, "-m", "spark_jobs.cli", "serve", "--port", "0"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        line = server.stdout.readline()
        url = line.split("http://", 1)[1].split("/", 1)[0]
        wait_http(f"http://{url}/openapi.json", process=server, timeout_s=120)  # the line comes before it serves
        events = []
        for i in range(n):
            run_id = str(uuid.uuid4())
            events.append({"eventType": ("START", "COMPLETE")[i % 2], "eventTime": datetime.now(timezone.utc).isoformat(),
                           "producer": "https://example.com/bench", "run": {"runId": run_id},
                           "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                           "job": {"namespace": "bench", "name": f"job-{i % 50}"},
                           "inputs": [{"namespace": "file", "name": f"/in/{i % 20}"}],
                           "outputs": [{"namespace": "file", "name": f"/out/{i % 20}"}]})
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"http://{url}", timeout=60, limits=httpx.Limits(max_connections=clients)) as http:
            http.post("/api/v1/lineage", json=events[0], headers=headers).raise_for_status()  # warm: tables created
            start = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                codes = Counter(pool.map(lambda e: http.post("/api/v1/lineage", json=e, headers=headers).status_code,
                                         events[1:]))
            total = time.perf_counter() - start
    finally:
        stop_process(server)
    accepted = codes.get(200, 0)
    return {"events": n - 1, "accepted": accepted, "clients": clients, "seconds": round(total, 2),
            "events_per_s": round(accepted / total, 1), "status_codes": dict(codes)}


def synthetic_round(n: int, offset: int) -> list[ReceivedMessage]:
    now = datetime.now(timezone.utc)
    out = []
    for i in range(offset, offset + n):
        platform = PLATFORMS[i % len(PLATFORMS)]
        spec = events_of(platform)[0]
        body = json.dumps({"event_type": spec.event_type, spec.id_field: f"own-{i}"})
        out.append(ReceivedMessage(platform, str(uuid.uuid4()), "rh", body, now, now, 1))
    return out


def bench_own(n: int, writer: str, commit_size: int, work: Path, spark=None) -> dict[str, Any]:
    settings = Settings.load(env={}, lakehouse=str(work / f"lh-own-{writer}-{n}"))
    report = LandingReport({p: SourceMetrics() for p in PLATFORMS})
    if writer == "spark":
        from spark_jobs import tables

        tables.register(spark, settings, store.LANDING_TABLES)
    else:
        store.ensure_tables(settings)
    index = store.KnownIds(settings)  # as `land` does: one load per run, then in memory
    open_tables: dict[str, Any] = {}
    start = time.perf_counter()
    for offset in range(0, n, commit_size):
        drain._commit_round(settings, synthetic_round(min(commit_size, n - offset), offset), report,
                            writer=writer, spark=spark, known=index, open_tables=open_tables)
    seconds = time.perf_counter() - start
    # the dedupe lookup of one more round against a table holding n rows in today's partition:
    # a filtered scan (what a new run's first round costs) and the run's in-memory index
    probe = synthetic_round(commit_size, 0)  # new SQS ids: all must come back as unknown
    ids, since = [m.message_id for m in probe], probe[0].received_at - drain.CLOCK_SKEW
    t0 = time.perf_counter()
    known = store.known_ids(settings, store.EVENTS, "dedup_id", ids, since=since, date_column="ingest_date")
    lookup = time.perf_counter() - t0
    t0 = time.perf_counter()
    known |= index.lookup(ids, since=since)
    cached = time.perf_counter() - t0
    assert not known and report.landed == n, (len(known), report.landed)
    return {"events": n, "writer": writer, "commit_size": commit_size, "commits": report.commits,
            "seconds": round(seconds, 2), "events_per_s": round(n / seconds, 1),
            "ms_per_commit": round(1000 * seconds / report.commits, 1),
            "parse_s": round(report.timings["parse_s"], 3), "dedup_s": round(report.timings["dedup_s"], 3),
            "write_s": round(report.timings["write_s"], 3),
            "dedup_scan_ms_at_size": round(1000 * lookup, 1),
            "dedup_index_ms_at_size": round(1000 * cached, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-sizes", type=int, nargs="*", default=[1000, 5000])
    parser.add_argument("--own-sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--writers", nargs="+", choices=["delta-rs", "spark"], default=["delta-rs", "spark"])
    parser.add_argument("--depth", type=int, default=100, help="messages kept in each queue (endpoint part)")
    parser.add_argument("--commit-size", type=int, default=drain.DEFAULT_COMMIT_SIZE)
    parser.add_argument("--transport-sizes", type=int, nargs="*", default=[],
                        help="events landed through SQS (moto) and through Kafka, the same ones, in one run")
    parser.add_argument("--lineage-sizes", type=int, nargs="*", default=[],
                        help="OpenLineage events POSTed to a real `mlg serve`")
    parser.add_argument("--lineage-clients", type=int, default=16)
    parser.add_argument("--no-record", action="store_true", help="do not append to bench/results.jsonl")
    args = parser.parse_args(argv)

    results: dict[str, list[dict[str, Any]]] = {"endpoint": [], "own": [], "transports": [], "lineage": []}
    with tempfile.TemporaryDirectory(prefix="mlg-bench-landing-") as tmp:
        work = Path(tmp)
        for n in args.transport_sizes:
            sqs = {"transport": "sqs", **bench_endpoint(n, args.depth, args.commit_size, work)}
            kafka = bench_kafka(n, args.commit_size, work)
            results["transports"] += [sqs, kafka]
            for r in (sqs, kafka):
                print(f"transport {r['transport']:<5} {n:>7} events: {r['events_per_s']:>8} ev/s "
                      f"({r['seconds']}s: endpoint {r['endpoint_s']}s, ours {r['own_s']}s, {r['commits']} commits)",
                      flush=True)
            print(f"kafka broker: storage format {kafka['storage_format_s']}s, start {kafka['broker_start_s']}s",
                  flush=True)
        for n in args.lineage_sizes:
            r = bench_lineage(n, args.lineage_clients, work)
            results["lineage"].append(r)
            print(f"lineage  {r['events']:>7} events, {r['clients']} clients: {r['events_per_s']:>8} accepted/s "
                  f"({r['seconds']}s, {r['status_codes']})", flush=True)
        for n in args.endpoint_sizes:
            r = bench_endpoint(n, args.depth, args.commit_size, work)
            results["endpoint"].append(r)
            print(f"endpoint {n:>7} events: {r['events_per_s']:>8} ev/s end to end "
                  f"(moto {r['endpoint_s']}s, ours {r['own_s']}s = {r['own_events_per_s']} ev/s, "
                  f"{r['commits']} commits)", flush=True)
        session_cm = None
        spark = None
        if "spark" in args.writers and args.own_sizes:
            from spark_jobs.session import spark_session

            session_cm = spark_session(Settings.load(env={}, lakehouse=str(work / "lh-spark")))
            spark = session_cm.__enter__()
        try:
            for n in args.own_sizes:
                for writer in args.writers:
                    r = bench_own(n, writer, args.commit_size, work, spark)
                    results["own"].append(r)
                    print(f"own      {n:>7} events, {writer:<8}: {r['events_per_s']:>9} ev/s, "
                          f"{r['ms_per_commit']} ms/commit (parse {r['parse_s']}s, dedupe {r['dedup_s']}s, "
                          f"write {r['write_s']}s); one dedupe lookup at {n} rows: scan "
                          f"{r['dedup_scan_ms_at_size']} ms, run index {r['dedup_index_ms_at_size']} ms",
                          flush=True)
        finally:
            if session_cm is not None:
                session_cm.__exit__(None, None, None)
    if not args.no_record:
        from spark_jobs.bench.results import append

        append({"bench": "landing", "depth": args.depth, **results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
