"""An engine fault (the engine's own internal error, not the stage's) reruns the stage once, and
the failed attempt stays in `ops.runs`; any other error fails the build at once."""

from __future__ import annotations

import json

import pytest
from pyspark.errors.exceptions.connect import SparkConnectGrpcException

from spark_jobs import stages, tables
from spark_jobs.build import run_build
from spark_jobs.stages import RunContext

pytestmark = pytest.mark.integration

# What pysail 0.7.2 raised once in CI, mid-stage, on a `CREATE TABLE IF NOT EXISTS`.
TASK_CONTEXT_LOST = SparkConnectGrpcException(
    "<_MultiThreadedRendezvous of RPC that terminated with:\n\tstatus = StatusCode.INTERNAL\n"
    '\tdetails = "internal error: task context not found for operation"\n>')


@pytest.fixture
def failing_infer(monkeypatch):
    """The real `infer` stage, made to raise the queued errors first (one per attempt)."""
    real_load, errors, attempts = stages.load_stage, [], []

    def load(name):
        real = real_load(name)
        if name != "infer":
            return real

        def run(spark, settings, ctx):
            attempts.append(ctx.run_id)
            if errors:
                raise errors.pop(0)
            return real(spark, settings, ctx)
        return run

    monkeypatch.setattr(stages, "load_stage", load)
    return errors, attempts


def infer_rows(spark, settings, run_id):
    rows = (tables.read(spark, settings, "ops.runs").where(f"run_id = '{run_id}' AND stage = 'infer'")
            .orderBy("started_at").collect())
    return [(r.status, json.loads(r.metrics)) for r in rows]


def test_an_engine_fault_reruns_the_stage_once(spark, settings, failing_infer):
    errors, attempts = failing_infer
    errors.append(TASK_CONTEXT_LOST)
    report = run_build(settings, only=["infer"], ctx=RunContext.new("fault-once"))
    assert [r.stage for r in report.results] == ["infer"] and len(attempts) == 2
    assert report.results[0].metrics["engine_fault"] == "task context not found for operation"
    (first, first_metrics), (second, _) = infer_rows(spark, settings, "fault-once")
    assert (first, second) == ("failed", "success")
    assert first_metrics["engine_fault_retried"] is True
    assert "task context not found for operation" in first_metrics["error"]


def test_a_second_engine_fault_fails_the_build(spark, settings, failing_infer):
    errors, attempts = failing_infer
    errors.extend([TASK_CONTEXT_LOST, TASK_CONTEXT_LOST])
    with pytest.raises(SparkConnectGrpcException, match="task context not found"):
        run_build(settings, only=["infer"], ctx=RunContext.new("fault-twice"))
    assert len(attempts) == 2
    rows = infer_rows(spark, settings, "fault-twice")
    assert [status for status, _ in rows] == ["failed", "failed"]
    assert [m.get("engine_fault_retried", False) for _, m in rows] == [True, False]


def test_an_error_of_the_stage_is_not_retried(spark, settings, failing_infer):
    errors, attempts = failing_infer
    errors.append(SparkConnectGrpcException("[TABLE_OR_VIEW_NOT_FOUND] The table `graph.nope` cannot be found"))
    with pytest.raises(SparkConnectGrpcException, match="TABLE_OR_VIEW_NOT_FOUND"):
        run_build(settings, only=["infer"], ctx=RunContext.new("stage-error"))
    assert len(attempts) == 1
    assert [status for status, _ in infer_rows(spark, settings, "stage-error")] == ["failed"]


def test_registering_a_table_survives_an_engine_fault(spark, settings, monkeypatch):
    real_sql, calls = spark.sql, []

    def sql(statement, *args, **kwargs):
        calls.append(statement)
        if statement.startswith("CREATE TABLE") and sum(c.startswith("CREATE TABLE") for c in calls) == 1:
            raise TASK_CONTEXT_LOST
        return real_sql(statement, *args, **kwargs)

    monkeypatch.setattr(spark, "sql", sql)
    tables.register(spark, settings, ["ops.runs"])
    assert [c.split(" (")[0] for c in calls if c.startswith("CREATE TABLE")] == ["CREATE TABLE IF NOT EXISTS ops.runs"] * 2
    assert real_sql("SELECT count(*) AS n FROM ops.runs").collect()[0].n == 0


def test_an_error_of_the_statement_is_not_retried_when_registering(spark, settings, monkeypatch):
    calls = []

    def sql(statement, *args, **kwargs):
        calls.append(statement)
        raise SparkConnectGrpcException("[PARSE_SYNTAX_ERROR] Syntax error at or near 'TABLE'")

    monkeypatch.setattr(spark, "sql", sql)
    with pytest.raises(SparkConnectGrpcException, match="PARSE_SYNTAX_ERROR"):
        tables.register(spark, settings, ["ops.runs"])
    assert len(calls) == 1
