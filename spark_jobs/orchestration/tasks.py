"""Bodies of the Airflow tasks, as plain functions (the DAG files only call these).

Each function loads settings (Airflow connections / variables first, `MLG_*` after), opens
its own Spark session when it needs one and closes it before returning, and returns a small
JSON-safe metrics dict (it becomes the task's XCom). State between tasks lives in Delta.
Build tasks share the build lease of their DAG run (`spark_jobs.lease`, mode "dag"): each task
re-enters it, parks it for the next task when done, and the last one (`report`) releases it, so
no CLI build or maintenance runs between two tasks of a build; maintenance tasks hold it while
they run.
Each task tells Airflow the Delta tables it reads and writes (`orchestration.lineage`), which
the OpenLineage provider, when configured, sends as the inputs and outputs of its events.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from typing import Any

from spark_jobs.orchestration.lineage import report as report_tables
from spark_jobs.orchestration.settings import task_settings

log = logging.getLogger(__name__)

def _json_safe(metrics: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(metrics, default=str))


def build_run_id(airflow_run_id: str | None) -> str:
    """A stage run id from Airflow's run id: readable, and safe in paths and index names."""
    if not airflow_run_id:
        from spark_jobs.stages import RunContext

        return RunContext.new().run_id
    return "af-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", airflow_run_id).strip("_")[:120]


def land(*, max_messages: int | None = None, time_budget_s: float = 240) -> dict[str, Any]:
    """Drain every landing zone once; fail (so Airflow retries) if a queue could not be read.

    No count limit by default: one 5-minute run absorbs a backlog (a backfill, an outage) for up
    to `time_budget_s`, committing as it goes, instead of falling further behind every run.
    """
    from spark_jobs.landing import land as drain

    settings = task_settings()
    report_tables(settings)
    result = drain(settings, max_messages=max_messages, time_budget_s=time_budget_s)
    metrics = _json_safe(result.as_metrics())
    log.info("landed %s new event(s), %s duplicate(s), %s quarantined",
             result.landed, result.duplicates, result.quarantined)
    result.raise_for_errors()
    return metrics


LAST_BUILD_TASK = "report"


def build_stage(name: str, *, run_id: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run one build stage in its own Spark session and record it in `ops.runs`, under the
    DAG run's build lease (refused at once while a CLI build or maintenance holds it)."""
    from spark_jobs import killpoint, lease, preflight, tables
    from spark_jobs.build import record_takeover, run_recorded_stage
    from spark_jobs.session import spark_session
    from spark_jobs.stages import RunContext

    settings = task_settings()
    report_tables(settings)
    ctx = RunContext.new(run_id, **(options or {}))
    started = datetime.now(timezone.utc)
    with lease.hold(settings, run_id, command=f"airflow mlg_build.{name}", mode="dag",
                    final=name == LAST_BUILD_TASK) as held, \
            spark_session(settings, app_name=f"mlg-{name}") as spark:
        preflight.check(settings)
        tables.register(spark, settings)
        record_takeover(spark, settings, held)
        killpoint.reached(f"{name}:before")
        held.check()
        result = run_recorded_stage(spark, settings, ctx, name, started)  # a failure too, also without the engine
    metrics = _json_safe(result.metrics)
    metrics.setdefault("stage", name)
    metrics["seconds"] = round(result.seconds, 3)
    log.info("stage %s done in %.1fs: %s", name, result.seconds,
             {k: v for k, v in metrics.items() if not isinstance(v, (dict, list))})
    return metrics


def release_build_lease(context: dict[str, Any]) -> None:
    """DAG failure callback: a failed build run gives its lease up now instead of at expiry."""
    from spark_jobs import lease

    dag_run = context.get("dag_run")
    run_id = build_run_id(getattr(dag_run, "run_id", None) or context.get("run_id"))
    held = lease.Lease(task_settings(), run_id, command="airflow mlg_build (failed run)", mode="dag")
    holder = held.current()
    if holder is not None and holder.run_id == run_id and not holder.released:
        held.acquire()
        held.release()
        log.info("released the build lease of failed run %s", run_id)


def gate_open(quality_metrics: dict[str, Any] | None) -> bool:
    """Whether publish may run: the quality gate did not fail (as `BuildReport.gate_passed`)."""
    quality_metrics = quality_metrics or {}
    if quality_metrics.get("gate") == "fail":
        log.error("quality gate FAILED (%s): publish is skipped", quality_metrics.get("failed_critical")
                  or quality_metrics.get("failures") or "see quality.results")
        return False
    return True


def reconcile(*, run_id: str) -> dict[str, Any]:
    """Compare every source's full listing with the graph and queue what drifted."""
    from spark_jobs import lease, tables
    from spark_jobs.build import graph_versions, record_takeover, refresh_after
    from spark_jobs.hydration.reconcile import reconcile as do_reconcile
    from spark_jobs.session import spark_session
    from spark_jobs.stages import RunContext

    settings = task_settings()
    report_tables(settings)
    with lease.hold(settings, run_id, command="airflow mlg_maintenance.reconcile", mode="dag") as held, \
            spark_session(settings, app_name="mlg-reconcile") as spark:
        tables.register(spark, settings)
        record_takeover(spark, settings, held)
        before = graph_versions(settings)
        ctx = RunContext.new(run_id)
        metrics = do_reconcile(spark, settings, ctx) or {}
        # tombstones reach the closure and search in this same run (infer, closure, quality, publish)
        refresh_after(spark, settings, ctx, before=before, lease=held, metrics=metrics)
    return _json_safe(metrics)


def maintain(step: str, *, run_id: str | None = None, **options: Any) -> dict[str, Any]:
    """One maintenance step over the lakehouse: optimize, vacuum, checkpoint or compact_landing,
    under the build lease (maintenance never runs beside a build; tasks of one run share it)."""
    from spark_jobs import lease, maintenance

    steps = {"optimize": maintenance.optimize, "vacuum": maintenance.vacuum,
             "checkpoint": maintenance.checkpoint}
    opts = maintenance.MaintenanceOptions(**options)
    if step != "compact_landing" and step not in steps:
        raise ValueError(f"unknown maintenance step {step!r}")
    settings = task_settings()
    report_tables(settings)
    with lease.hold(settings, build_run_id(run_id), command=f"airflow mlg_maintenance.{step}", mode="dag"):
        if step == "compact_landing":
            per_table = maintenance.compact_landing(settings, options=opts)
        else:
            per_table = steps[step](settings, options=opts)
    log.info("%s: %s", step, per_table)
    return _json_safe({"step": step, **maintenance.summarize(per_table), "tables": per_table})


def expire_search_snapshots(*, keep: int = 3) -> dict[str, Any]:
    """Drop search snapshots (indexes) older than the newest `keep`."""
    from spark_jobs.search import expire_snapshots

    settings = task_settings()
    report_tables(settings)
    by_backend = {k: list(v or []) for k, v in expire_snapshots(settings, keep=keep).items()}
    return _json_safe({"expired": sum(len(v) for v in by_backend.values()),
                       "by_backend": {k: v[:50] for k, v in by_backend.items()}})
