"""`mlg run`: the main job. Start the local stack, run the three DAGs once with
`airflow dags test`, and print what the graph now answers.

First run on a lakehouse: the simulator announces every object (a backfill), and
mlg_land -> mlg_build -> mlg_maintenance build the whole graph. Any later run, while the
stack is still up, applies a small batch of mutations through the simulator's admin API
(which emits the matching thin events to SQS): a few changes at the article's example entities
and a round of metadata stewardship across other teams (an owner leaves, another comes back, an
asset is documented, another reset to a placeholder: infra/simulator/stewardship.py), so the
report's score trend moves. It then runs incrementally: only the mutated entities are
re-hydrated, and the summary lists them.
"""

from __future__ import annotations

import argparse
import sys
import time


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="main job: local stack + mlg_land, mlg_build, mlg_maintenance via Airflow",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=int, default=1, help="simulated ecosystem size (~1,000 entities per unit)")
    p.add_argument("--seed", type=int, default=7, help="ecosystem seed (default 7)")
    p.add_argument("--skip-maintenance", action="store_true", help="run only mlg_land and mlg_build")
    p.add_argument("--no-stack", action="store_true",
                   help="use the configured sources and queues (MLG_*) as they are: no local stack, no "
                        "backfill, no mutations")
    p.add_argument("--json", metavar="PATH", help="also write the summary as JSON to PATH")
    p.add_argument("--retries", action="store_true",
                   help="let failed tasks retry as the DAGs declare (a scheduler's behaviour); by default "
                        "the first failed task stops the run with its error")
    p.set_defaults(handler=handle)


def mutation_batch(tag: str) -> list[dict]:
    """A few realistic changes at the article's example entities (unique per run via `tag`)."""
    return [
        {"op": "update", "collection": "models", "id": "ranking-v5",
         "fields": {"description": f"Ranks titles on the home page (revised {tag})."}},
        {"op": "update", "collection": "datasets", "id": "warehouse.title_catalog",
         "fields": {"description": f"Catalog of titles, refreshed {tag}."}},
        {"op": "update", "collection": "users", "id": "alice@example.com",
         "fields": {"display_name": f"Alice ({tag})"}},
        {"op": "create", "collection": "features",
         "fields": {"name": f"title_length_{tag}", "description": "Length of the title in characters.",
                    "owner_team": "personalization", "latest_version": 1,
                    "source_datasets": ["warehouse.title_catalog"], "dtype": "int"}},
    ]


MUTATED_URIS = (
    "aip://model/registry/ranking-v5",
    "aip://dataset/datasets/warehouse.title_catalog",
    "aip://user/identity/alice",
    "aip://feature/featurestore/title_length_{tag}",
)


def _prepare_sources(args: argparse.Namespace, settings) -> tuple[bool, list[str]]:
    """Start the local stack if needed, then backfill (first run) or mutate (later runs)."""
    from spark_jobs import tables

    had_graph = tables.version(settings, "graph.entities") is not None
    if args.no_stack:
        _say("sources: as configured (no local stack)")
        return had_graph, []
    from infra import stack
    from infra.simulator.client import SimulatorClient

    state = stack.up(settings, seed=args.seed, scale=args.scale, emit_events=False)
    if state.already_running:
        _say(f"local stack: already running (seed {state.seed}, scale {state.scale})")
    else:
        _say(f"local stack: started (seed {state.seed}, scale {state.scale}) -> {state.simulator.url}")
    client = SimulatorClient(state.simulator.url)
    if had_graph and state.already_running:
        tag = time.strftime("%Y%m%d%H%M%S")
        from infra.simulator.stewardship import changed_uri

        results = client.mutate_many(mutation_batch(tag))
        # ... and a round of stewardship across other teams, so the score trend moves up and down
        stewardship = client.stewardship()
        events = sum(len(r.get("events", [])) for r in results + stewardship)
        _say(f"incremental run: applied {len(results) + len(stewardship)} simulator mutations "
             f"({events} events to SQS)")
        for r in results + stewardship:
            _say(f"  {r['op']:<6} {r['collection']}/{r['id']}" + (f"  ({r['why']})" if r.get("why") else ""))
        return True, [u.format(tag=tag) for u in MUTATED_URIS] + [changed_uri(r) for r in stewardship]
    emitted = client.emit_all()
    _say(f"full run: the simulator announced every object ({emitted.get('emitted')} events to SQS)")
    return False, []


def _say(text: str = "", *, end: str = "\n") -> None:
    print(text, end=end, flush=True)


def handle(args: argparse.Namespace) -> int:
    from spark_jobs.config import Settings
    from spark_jobs.errors import UsageError
    from spark_jobs.orchestration import airflow_local
    from spark_jobs.orchestration.tasks import build_run_id

    if args.scale < 1:
        raise UsageError(f"--scale must be >= 1, got {args.scale}")
    wall = time.perf_counter()
    settings = Settings.load()
    incremental, mutated = _prepare_sources(args, settings)
    settings = Settings.load()  # now finds the stack's URLs and queues in stack.json

    _say("airflow: preparing home …", end="")
    t0 = time.perf_counter()
    home = airflow_local.prepare_home(settings)
    _say(f" {home.path} ({time.perf_counter() - t0:.1f}s)")

    dag_ids = [d for d in airflow_local.DAG_IDS if not (args.skip_maintenance and d == "mlg_maintenance")]
    results = {}
    for dag_id in dag_ids:
        _say(f"airflow dags test {dag_id}:", end="")
        result = airflow_local.dags_test(home, settings, dag_id, on_task=lambda t: _say(f" {t}", end=""),
                                         fail_fast=not args.retries)
        results[dag_id] = result
        _say(f"  -> {result.state or 'no run'} in {result.seconds:.1f}s")
        skipped = [t for t, s in result.tasks.items() if s["state"] == "skipped"]
        failed = [t for t, s in result.tasks.items() if s["state"] not in ("success", "skipped")]
        if skipped:
            _say(f"  skipped: {', '.join(sorted(skipped))}")
        if not result.ok:
            _say(f"  FAILED tasks: {', '.join(sorted(failed or {f.task for f in result.failures})) or '?'} "
                 f"(log: {result.log_path})")
            for failure in result.failures:
                _say(f"  {failure.render()}")
            if not result.failures:
                _say("  " + result.failure_excerpt().replace("\n", "\n  "))
            error = result.failures[-1].render() if result.failures else f"see {result.log_path}"
            print(f"mlg run: {dag_id} failed: {error}", file=sys.stderr)
            return 1  # the later DAGs would only fail the same way, and there is no graph to summarise
        if dag_id == "mlg_land":
            landed = result.xcom(home, "land")
            if landed:
                _say(f"  landed {landed.get('landed')} new event(s), {landed.get('duplicates')} duplicate(s), "
                     f"{landed.get('quarantined')} quarantined in {landed.get('seconds')}s")
        if dag_id == "mlg_maintenance":
            for task in ("reconcile", "compact_landing", "optimize_tables", "vacuum_tables", "expire_search_snapshots"):
                metrics = result.xcom(home, task)
                if isinstance(metrics, dict):
                    shown = {k: v for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
                    _say(f"  {task}: {shown}")

    from spark_jobs.orchestration import summary as summaries
    from spark_jobs.session import spark_session

    build = results.get("mlg_build")
    run_id = build_run_id(build.run_id) if build and build.run_id else None
    with spark_session(settings) as spark:
        summary = summaries.collect(spark, settings, build_run_id=run_id, incremental=incremental)
    for line in summaries.render(summary, mutated=mutated):
        _say(line)
    if args.json:
        import json
        from pathlib import Path

        payload = {**summary.as_json(), "mutated": mutated, "incremental": incremental,
                   "dags": {d: {"state": r.state, "seconds": round(r.seconds, 2), "run_id": r.run_id,
                                "tasks": r.tasks} for d, r in results.items()}}
        Path(args.json).write_text(json.dumps(payload, indent=2, default=str))
    _say(f"\nmlg run finished in {time.perf_counter() - wall:.1f}s "
         f"({', '.join(f'{d} {r.seconds:.1f}s' for d, r in results.items())})")
    if not args.no_stack:
        _say("the local stack keeps running: `make run` again applies mutations and builds incrementally; "
             "`mlg down` stops it")
    from spark_jobs.commands.serve import open_hint

    _say(open_hint())
    failed = [d for d, r in results.items() if not r.ok]
    if failed:
        print(f"mlg run: DAG run(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    if summary.gate == "fail":
        print("mlg run: quality gate FAILED: publish was skipped", file=sys.stderr)
        return 3  # as `mlg build`
    return 0
