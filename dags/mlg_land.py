"""
### mlg_land: drain the landing zones

Every 5 minutes, receive the thin change events waiting in each source system's landing zone —
its SQS queue, and its Kafka topic (plus the `openlineage` topic) when `MLG_KAFKA_BOOTSTRAP` is
configured — and append them to `landing.events` (deduplicated by message or event id;
unreadable bodies go to `landing.quarantine` with the reason). Messages are acknowledged (SQS
delete, Kafka offset commit) only after the Delta commit, so a crash anywhere lands each event
exactly once.

When anything new landed, the task updates the asset `x-mlg://landing/events`, which
schedules `mlg_build`. A run that found nothing new ends *skipped* and triggers nothing.

Settings: Airflow variable `mlg_settings` and connections `mlg_sqs`, `mlg_source_<platform>`,
falling back to the `MLG_*` environment (see the README).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import Asset, Param, dag, task

LANDING_EVENTS = Asset(name="mlg_landing_events", uri="x-mlg://landing/events", group="mlg")

DEFAULT_ARGS = {
    "owner": "mlg",
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(minutes=10),
}


@dag(
    dag_id="mlg_land",
    schedule=timedelta(minutes=5),
    start_date=datetime(2025, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,  # two concurrent drains could each land what the other has not committed
    dagrun_timeout=timedelta(minutes=15),
    default_args=DEFAULT_ARGS,
    tags=["mlg", "landing"],
    doc_md=__doc__,
    params={
        "max_messages": Param(None, type=["null", "integer"], minimum=1,
                              description="stop after this many messages (null: no count limit)"),
        "time_budget_s": Param(240, type="number", exclusiveMinimum=0, description="receive for at most this long"),
    },
)
def mlg_land():
    @task(outlets=[LANDING_EVENTS], execution_timeout=timedelta(minutes=10))
    def land(params=None) -> dict:
        """Drain every queue once; skipped (no asset event) when nothing new landed."""
        from airflow.sdk.exceptions import AirflowSkipException

        from spark_jobs.orchestration.tasks import land as drain

        limit = params["max_messages"]
        metrics = drain(max_messages=None if limit is None else int(limit),
                        time_budget_s=float(params["time_budget_s"]))
        if not metrics.get("landed"):
            raise AirflowSkipException(f"nothing new landed: {metrics}")
        return metrics

    land()


mlg_land()
