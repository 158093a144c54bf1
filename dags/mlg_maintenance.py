"""
### mlg_maintenance: keep the lakehouse fast and converged

Daily. Events can be dropped, so the graph is also reconciled against every source's full
listing; then the Delta tables are compacted, vacuumed and checkpointed through delta-rs, and
old search snapshots are expired.

```
reconcile -> optimize_tables -> vacuum_tables -> checkpoint_tables
compact_landing -> vacuum_tables
expire_search_snapshots
```

| task | what | retries |
|---|---|---|
| reconcile | full listing of every source vs graph.entities; drifted entities are queued | 3, exponential back-off (I/O) |
| compact_landing | bin-pack closed `ingest_date` partitions of landing.events, and landing.quarantine | 2 (a concurrent commit can conflict) |
| optimize_tables | bin-pack every other table | 2 (a concurrent commit can conflict) |
| vacuum_tables | delete files older than `retention_hours` that no version references | 1 |
| checkpoint_tables | checkpoint each table's log, drop expired log files | 1 |
| expire_search_snapshots | keep the newest `keep_snapshots` search snapshots | 3, exponential back-off (I/O) |

Every task but expire_search_snapshots holds the build lease while it runs (`spark_jobs.lease`):
a step waits for a running build (it is refused and retried), and no build starts under a step.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import Param, dag, task

IO_RETRIES = {"retries": 3, "retry_delay": timedelta(minutes=1), "retry_exponential_backoff": 2.0,
              "max_retry_delay": timedelta(minutes=20)}

DEFAULT_ARGS = {
    "owner": "mlg",
    "retries": 1,
    "retry_delay": timedelta(minutes=2),
    "execution_timeout": timedelta(minutes=60),
}


def _maintain(step: str, params: dict, run_id: str | None, **extra) -> dict:
    from spark_jobs.orchestration.tasks import maintain

    return maintain(step, run_id=run_id, retention_hours=int(params["retention_hours"]), **extra)


@dag(
    dag_id="mlg_maintenance",
    schedule="@daily",
    start_date=datetime(2025, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=4),
    default_args=DEFAULT_ARGS,
    tags=["mlg", "maintenance"],
    doc_md=__doc__,
    params={
        "retention_hours": Param(168, type="integer", minimum=168,
                                 description="vacuum keeps files needed by versions this recent"),
        "keep_snapshots": Param(3, type="integer", minimum=1, description="search snapshots to keep"),
        "include_open_partition": Param(False, type="boolean",
                                        description="also compact today's landing partition"),
    },
)
def mlg_maintenance():
    @task(execution_timeout=timedelta(hours=2), **IO_RETRIES)
    def reconcile(run_id=None) -> dict:
        from spark_jobs.orchestration.tasks import build_run_id, reconcile as run_reconcile

        return run_reconcile(run_id=build_run_id(run_id))

    @task(retries=2, execution_timeout=timedelta(minutes=60))
    def compact_landing(params=None, run_id=None) -> dict:
        return _maintain("compact_landing", params, run_id, include_open_partition=bool(params["include_open_partition"]))

    @task(retries=2, execution_timeout=timedelta(minutes=60))
    def optimize_tables(params=None, run_id=None) -> dict:
        return _maintain("optimize", params, run_id)

    @task(retries=1, execution_timeout=timedelta(minutes=60))
    def vacuum_tables(params=None, run_id=None) -> dict:
        return _maintain("vacuum", params, run_id)

    @task(retries=1, execution_timeout=timedelta(minutes=30))
    def checkpoint_tables(params=None, run_id=None) -> dict:
        return _maintain("checkpoint", params, run_id)

    @task(execution_timeout=timedelta(minutes=30), **IO_RETRIES)
    def expire_search_snapshots(params=None) -> dict:
        from spark_jobs.orchestration.tasks import expire_search_snapshots as expire

        return expire(keep=int(params["keep_snapshots"]))

    vacuum = vacuum_tables()
    reconcile() >> optimize_tables() >> vacuum >> checkpoint_tables()
    compact_landing() >> vacuum
    expire_search_snapshots()


mlg_maintenance()
