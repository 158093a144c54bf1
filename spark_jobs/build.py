"""Run build stages in order, record each in `ops.runs`, and enforce the quality gate."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from spark_jobs import killpoint, stages, tables
from spark_jobs.config import Settings
from spark_jobs.errors import MlgError
from spark_jobs.stages import BUILD_STAGES, RunContext, StageResult

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    run_id: str
    results: list[StageResult] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def gate_passed(self) -> bool:
        quality = next((r for r in self.results if r.stage == "quality"), None)
        return quality is None or quality.metrics.get("gate") != "fail"


Progress = Callable[[str, str, StageResult | None], None]


def run_build(
    settings: Settings,
    *,
    only: Sequence[str] | None = None,
    ctx: RunContext | None = None,
    progress: Progress | None = None,
    command: str | None = None,
) -> BuildReport:
    """Run every build stage (or `only` those), in the documented order, holding
    the build lease (refused at once with `LeaseHeld` while another build holds it)."""
    from spark_jobs import lease as build_lease
    from spark_jobs import preflight

    ctx = ctx or RunContext.new()
    with build_lease.hold(settings, ctx.run_id, command=command) as lease:
        preflight.check(settings)  # a torn log, an old staging table, a dead stack: one line, nothing written
        return _run_stages(settings, only=only, ctx=ctx, progress=progress, lease=lease)


def _run_stages(settings: Settings, *, only: Sequence[str] | None, ctx: RunContext,
                progress: Progress | None, lease) -> BuildReport:
    from spark_jobs.session import spark_session

    with spark_session(settings) as spark:
        tables.register(spark, settings)
        record_takeover(spark, settings, lease)
        return run_stages_in(spark, settings, only=only, ctx=ctx, progress=progress, lease=lease)


def run_stages_in(spark, settings: Settings, *, only: Sequence[str] | None, ctx: RunContext,
                  progress: Progress | None = None, lease) -> BuildReport:
    """The stages in order on an open session, under a lease the caller holds (gate enforced)."""
    report = BuildReport(ctx.run_id)
    names = [s for s in BUILD_STAGES if only is None or s in only]
    for name in names:
        if name == "publish" and not report.gate_passed:
            report.skipped[name] = "quality gate failed"
            if progress:
                progress(name, "skipped", None)
            continue
        if progress:
            progress(name, "running", None)
        started = datetime.now(timezone.utc)
        killpoint.reached(f"{name}:before")
        lease.check()  # a build frozen past its lease's expiry stops here, before writing again
        result = run_recorded_stage(spark, settings, ctx, name, started)
        report.results.append(result)
        if progress:
            progress(name, "done", result)
    return report


def run_recorded_stage(spark, settings: Settings, ctx: RunContext, name: str, started: datetime) -> StageResult:
    """Run one stage and record it in `ops.runs` (`started`: when its first attempt began); a
    failure is recorded and raised.

    An engine fault (`session.engine_fault`: the engine's own internal error, not the stage's)
    reruns the stage once on the same session, as a task retry would: a stage is rerunnable by
    design, its uncommitted work never visible. The failed attempt keeps its `failed` row
    (`engine_fault_retried`) and the result's metrics name the fault (`engine_fault`)."""
    from spark_jobs.session import engine_fault

    fault: str | None = None
    while True:
        try:
            result = stages.run_stage(name, spark, settings, ctx)
            break
        except Exception as exc:
            retry = engine_fault(exc) if fault is None else None  # once: a second fault fails the stage
            record_failure(spark, settings, ctx.run_id, name, started, exc, retried=retry is not None)
            if retry is None:
                raise
            log.warning("stage %s of run %s hit an engine fault (%s); running it again", name, ctx.run_id, retry)
            fault, started = retry, datetime.now(timezone.utc)
    if fault is not None:
        result.metrics["engine_fault"] = fault
    killpoint.reached(f"{name}:after")
    record_run(spark, settings, ctx.run_id, name, result.status, started, result.metrics)
    return result


# What a change outside the build's own hydration (reconcile, bootstrap) makes stale: the inferred
# edges, the impact closure (and deprecation candidates) and the search snapshot, behind the gate.
REFRESH_STAGES = ("infer", "closure", "quality", "publish")
GRAPH_TABLES = ("graph.entities", "graph.edges")


def graph_versions(settings: Settings) -> tuple[int | None, ...]:
    return tuple(tables.version(settings, name) for name in GRAPH_TABLES)


def refresh_after(spark, settings: Settings, ctx: RunContext, *, before: tuple[int | None, ...], lease,
                  metrics: dict) -> dict:
    """When `before` (graph_versions before the change) moved, run REFRESH_STAGES in the same run,
    so a reconcile's tombstones leave search and impact in the same run; note it in `metrics`."""
    if graph_versions(settings) == before:
        metrics["refreshed"] = []
        return metrics
    report = run_stages_in(spark, settings, only=REFRESH_STAGES, ctx=ctx, lease=lease)
    metrics["refreshed"] = [r.stage for r in report.results]
    if report.skipped:
        metrics["refresh_skipped"] = dict(report.skipped)
    return metrics


def record_takeover(spark, settings: Settings, lease) -> None:
    """An `ops.runs` row (stage `lease`, status `abandoned`) for the run whose lease was taken over."""
    from spark_jobs.lease import takeover_record

    metrics = takeover_record(lease)
    if metrics is not None:
        now = datetime.now(timezone.utc)
        record_run(spark, settings, lease.abandoned_run, "lease", "abandoned", now, metrics)


def record_run(spark, settings: Settings, run_id: str, stage: str, status: str,
               started: datetime, metrics: dict, landing_version: int | None = None) -> None:
    """Append one `ops.runs` row (a stage may pass the landing version it consumed).

    The metrics carry `table_versions`: the current Delta version of every graph and search table
    after the stage, so "the graph as of run N" is the versions of run N's last stage (the
    `run_versions` view, sql/views/07_run_versions.sql)."""
    landing_version = metrics.get("landing_version", landing_version)
    recorded = {**metrics, "table_versions": table_versions(settings)}
    row = (run_id, stage, status, started, datetime.now(timezone.utc),
           landing_version, json.dumps(recorded, default=str))
    tables.append(spark.createDataFrame([row], tables.table("ops.runs").ddl), settings, "ops.runs")


class EngineLost(MlgError):
    """The Spark Connect server stopped answering under a stage (killed, crashed, unreachable)."""


def record_failure(spark, settings: Settings, run_id: str, stage: str, started: datetime,
                   exc: Exception, *, retried: bool = False) -> None:
    """The failed stage's `ops.runs` row. When the engine itself is gone it cannot write that row:
    delta-rs appends it instead (the row says so), and the build fails with `EngineLost`, one
    line naming the server; nothing the stage had not committed is visible, and the next build
    hydrates the run's events again (its watermark did not move). `retried`: the stage runs again
    after this engine fault (the row says `engine_fault_retried`)."""
    from spark_jobs.session import engine_lost

    metrics = {"error": str(exc)[:2000]}
    if retried:
        metrics["engine_fault_retried"] = True
    if not engine_lost(exc):
        record_run(spark, settings, run_id, stage, "failed", started, metrics)
        return
    where = settings.spark_remote or "the embedded engine"
    metrics.update(engine_lost=where, recorded_by="delta-rs")
    _record_run_without_engine(settings, run_id, stage, "failed", started, metrics)
    raise EngineLost(f"the Spark Connect server {where} stopped answering during stage {stage} of run {run_id} "
                     f"(gave up after MLG_SPARK_RETRY_S={settings.spark_retry_s:g}s of retries); the failure is "
                     "in ops.runs; start the server again and rerun `mlg build`") from exc


def _record_run_without_engine(settings: Settings, run_id: str, stage: str, status: str, started: datetime,
                               metrics: dict) -> None:
    import pyarrow as pa

    from spark_jobs.landing.store import append

    recorded = {**metrics, "table_versions": table_versions(settings)}
    row = {"run_id": run_id, "stage": stage, "status": status, "started_at": started,
           "ended_at": datetime.now(timezone.utc), "landing_version": metrics.get("landing_version"),
           "metrics": json.dumps(recorded, default=str)}
    append(settings, "ops.runs", pa.Table.from_pylist([row]))


def table_versions(settings: Settings) -> dict[str, int]:
    """Current Delta version of every table a run publishes (delta-rs log reads); not ops.runs
    itself, nor the staging hand-off tables."""
    out = {}
    for name in tables.all_tables():
        if name != "ops.runs" and not name.startswith("staging."):
            version = tables.version(settings, name)
            if version is not None:
                out[name] = version
    return out
