"""
### mlg_build: turn landed events into the graph

Runs when `mlg_land` lands new events (asset `x-mlg://landing/events`) and at least hourly,
so progressive enrichment and failed-hydration retries go on without new events.
One run at a time (`max_active_runs=1`): each stage reads what the previous committed. The run
holds the build lease from its first task to `report` (`spark_jobs.lease`): a CLI build, bench
or maintenance beside it is refused, and a hydrate task started while one of those runs is
refused and retried. A failed run releases the lease (failure callback); a killed one's lease
expires after MLG_LEASE_DAG_GAP_S (default 20 min).

```
hydrate -> merge -> enrich -> infer -> closure -> quality -> quality_gate -> publish -> report
```

| task | what | retries |
|---|---|---|
| hydrate | coalesce pending events per entity, fetch current state from the sources | 3, exponential back-off (I/O) |
| merge | MERGE into graph.entities / graph.edges (+ history) | 0 (same input, same result) |
| enrich | hydrate reference-only entities, bounded per run | 3, exponential back-off (I/O) |
| infer | materialise inferred edges | 0 |
| closure | impact / lineage closure | 0 |
| quality | Great Expectations suites -> quality.results | 0 (a rerun sees the same data) |
| quality_gate | short-circuits publish when a critical suite failed | 0 |
| publish | search snapshot (new index, alias swap) | 3, exponential back-off (I/O) |
| report | governance report; runs even when publish was skipped | 0 |

An engine fault (the engine's own internal error, not the stage's: `session.ENGINE_FAULTS`) reruns
the stage once inside its task, whatever its retries. Every task has an `execution_timeout`. Each
opens its own Spark session and records itself in `ops.runs` under the run id
`af-<airflow run id>`. Trigger with config `{"options": {...}}` to pass stage options (e.g.
quality thresholds) to every stage of that run.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import Asset, AssetOrTimeSchedule, CronTriggerTimetable, Param, chain, dag, task

LANDING_EVENTS = Asset(name="mlg_landing_events", uri="x-mlg://landing/events", group="mlg")

IO_RETRIES = {"retries": 3, "retry_delay": timedelta(seconds=30), "retry_exponential_backoff": 2.0,
              "max_retry_delay": timedelta(minutes=10)}
NO_RETRIES = {"retries": 0}

DEFAULT_ARGS = {
    "owner": "mlg",
    "retries": 0,
    "execution_timeout": timedelta(minutes=30),
}


def _release_lease(context) -> None:
    from spark_jobs.orchestration.tasks import release_build_lease

    release_build_lease(context)


def _stage(name: str, run_id: str | None, params: dict | None) -> dict:
    from spark_jobs.orchestration.tasks import build_run_id, build_stage

    return build_stage(name, run_id=build_run_id(run_id), options=dict((params or {}).get("options") or {}))


@dag(
    dag_id="mlg_build",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 * * * *", timezone="UTC"), assets=[LANDING_EVENTS]),
    start_date=datetime(2025, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=3),
    default_args=DEFAULT_ARGS,
    tags=["mlg", "build"],
    on_failure_callback=_release_lease,
    doc_md=__doc__,
    params={
        "options": Param({}, type="object",
                         description='stage options (RunContext.options), e.g. {"quality": {"min_owner_share": 0.8}}'),
    },
)
def mlg_build():
    @task(execution_timeout=timedelta(minutes=45), **IO_RETRIES)
    def hydrate(run_id=None, params=None) -> dict:
        return _stage("hydrate", run_id, params)

    @task(execution_timeout=timedelta(minutes=30), **NO_RETRIES)
    def merge(run_id=None, params=None) -> dict:
        return _stage("merge", run_id, params)

    @task(execution_timeout=timedelta(minutes=30), **IO_RETRIES)
    def enrich(run_id=None, params=None) -> dict:
        return _stage("enrich", run_id, params)

    @task(execution_timeout=timedelta(minutes=20), **NO_RETRIES)
    def infer(run_id=None, params=None) -> dict:
        return _stage("infer", run_id, params)

    @task(execution_timeout=timedelta(minutes=30), **NO_RETRIES)
    def closure(run_id=None, params=None) -> dict:
        return _stage("closure", run_id, params)

    @task(execution_timeout=timedelta(minutes=20), **NO_RETRIES)
    def quality(run_id=None, params=None) -> dict:
        return _stage("quality", run_id, params)

    @task.short_circuit(ignore_downstream_trigger_rules=False, execution_timeout=timedelta(minutes=1),
                        **NO_RETRIES)
    def quality_gate(quality_metrics: dict) -> bool:
        """False (publish skipped, report still runs) when a critical suite failed."""
        from spark_jobs.orchestration.tasks import gate_open

        return gate_open(quality_metrics)

    @task(execution_timeout=timedelta(minutes=30), **IO_RETRIES)
    def publish(run_id=None, params=None) -> dict:
        return _stage("publish", run_id, params)

    @task(trigger_rule="none_failed", execution_timeout=timedelta(minutes=15), **NO_RETRIES)
    def report(run_id=None, params=None) -> dict:
        return _stage("report", run_id, params)

    checked = quality()
    chain(hydrate(), merge(), enrich(), infer(), closure(), checked)
    chain(quality_gate(checked), publish(), report())


mlg_build()
