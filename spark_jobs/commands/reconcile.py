"""`mlg reconcile`: page through every source's listing, hydrate what is missing or stale, and
tombstone what vanished (the maintenance DAG calls `spark_jobs.hydration.reconcile.reconcile`)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reconcile", help="re-list every source: hydrate missing/stale, tombstone vanished")
    add_options(p)
    p.set_defaults(handler=lambda args: run_listing(args, "reconcile"))


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rate", type=float, help="requests/s per source (default MLG_SOURCE_<P>_RATE or 50)")
    p.add_argument("--page-size", type=int, help="listing page size (default 1000)")
    p.add_argument("--run-id", help="use this run id (default: a new one)")


def run_listing(args: argparse.Namespace, what: str) -> int:
    import json
    import time
    from datetime import datetime, timezone

    from spark_jobs import lease, preflight, tables
    from spark_jobs.build import graph_versions, record_run, record_takeover, refresh_after
    from spark_jobs.config import Settings
    from spark_jobs.errors import MlgError
    from spark_jobs.hydration import reconcile as rec
    from spark_jobs.session import spark_session
    from spark_jobs.stages import RunContext

    options = {k: v for k, v in {"rate": args.rate, "page_size": args.page_size}.items() if v is not None}
    settings = Settings.load()
    ctx = RunContext.new(args.run_id, **options)
    started, t0 = datetime.now(timezone.utc), time.perf_counter()
    with lease.hold(settings, ctx.run_id, command=f"mlg {what}") as held:
        preflight.check(settings)  # before the engine starts: a refusal is immediate
        with spark_session(settings) as spark:
            tables.register(spark, settings)
            record_takeover(spark, settings, held)
            before = graph_versions(settings)
            metrics = getattr(rec, what)(spark, settings, ctx)
            record_run(spark, settings, ctx.run_id, what, metrics.get("status", "success"), started, metrics)
            if what == "reconcile":  # what it tombstoned reaches inferred edges, impact and search in this run
                refresh_after(spark, settings, ctx, before=before, lease=held, metrics=metrics)
    listed = sum(metrics["listed"].values())
    print(f"{what} {ctx.run_id}: listed {listed} in {time.perf_counter() - t0:.1f}s; "
          f"entities +{metrics.get('entities_inserted', 0)} ~{metrics.get('entities_updated', 0)}, "
          f"edges +{metrics.get('edges_inserted', 0)} ~{metrics.get('edges_updated', 0)}, "
          f"vanished {metrics.get('vanished', 0)}; refreshed {', '.join(metrics.get('refreshed') or []) or 'nothing'}"
          + (f" (skipped: {metrics['refresh_skipped']})" if metrics.get("refresh_skipped") else ""))
    if metrics["errors"]:
        raise MlgError(f"incomplete listing(s), nothing tombstoned for them: {json.dumps(metrics['errors'])[:300]}")
    return 0
