"""The lakehouse on object storage: `MLG_LAKEHOUSE=s3://…` on moto's S3 (the session's moto
server, which serves SQS and S3 on one endpoint) gives the same rows as a local path.

One simulator (seed 7, scale 1) with real landing queues feeds two embedded-engine lakehouses,
one in a bucket and one in tmp_path: a full build each, then simulator mutations whose thin
events `mlg land` drains from SQS into the S3 lakehouse's landing.events (the same landed rows
are appended to the local one), and an incremental build each. graph.entities, graph.edges and
graph.impact (read with delta-rs), the article's questions and the report are compared;
maintenance (compaction, vacuum, checkpoint) then runs on the bucket and keeps every row. The
JVM Spark Connect server reads and maintains the same S3 tables through S3A.
"""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pytest

from spark_jobs import tables
from tests.integration.test_jvm_parity import RUN_DEPENDENT, _rows, search_ranking

pytestmark = [pytest.mark.integration, pytest.mark.timeout(2400)]


@pytest.fixture(scope="module")
def s3_env(sqs_server):
    """The standard AWS variables pointed at moto, for this module only, and a fresh bucket."""
    import boto3

    bucket = f"mlg-{uuid.uuid4().hex[:10]}"
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {"AWS_ENDPOINT_URL": sqs_server.endpoint_url, "AWS_ALLOW_HTTP": "true",
                           "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                           "AWS_SECRET_ACCESS_KEY": "testing"}.items():
            mp.setenv(key, value)
        boto3.client("s3", endpoint_url=sqs_server.endpoint_url, region_name="us-east-1").create_bucket(Bucket=bucket)
        yield bucket


@pytest.fixture(scope="module")
def lakes(s3_env, sqs_server, tmp_path_factory):
    """(s3 settings, local settings, simulator, incremental-build outputs) after both builds."""
    from infra.simulator.launch import start_simulator
    from infra.sqs import create_landing_queues, delete_queues
    from spark_jobs.commands.run import mutation_batch
    from spark_jobs.config import Settings
    from spark_jobs.landing import land
    from spark_jobs.model import PLATFORMS
    from tests.integration.test_jvm_parity import _full_build

    client = sqs_server.client()
    prefix = f"s3t{uuid.uuid4().hex[:8]}"
    queues = create_landing_queues(client, {p: f"{prefix}-{p}" for p in PLATFORMS}, visibility_timeout_s=5)
    urls = {p: q.url for p, q in queues.items()}
    sim = start_simulator(seed=7, scale=1, queues=urls, sqs_endpoint_url=sqs_server.endpoint_url)
    try:
        out = {}
        for where in ("s3", "local"):
            root = tmp_path_factory.mktemp(f"lake-{where}")
            lakehouse = f"s3://{s3_env}/mlg" if where == "s3" else str(root / "lakehouse")
            settings = sim.settings(Settings.load(env={}, lakehouse=lakehouse, state_dir=str(root / "state"),
                                                  reports_dir=str(root / "reports")))
            settings = dataclasses.replace(settings, sqs_endpoint_url=sqs_server.endpoint_url, sqs_queues=urls)
            out[where] = {"settings": settings, "full": _full_build(settings)}
        sim.client.mutate_many(mutation_batch("s3"))
        report = land(out["s3"]["settings"], time_budget_s=60)
        report.raise_for_errors()
        _copy_landing(out["s3"]["settings"], out["local"]["settings"])
        for where in ("s3", "local"):
            out[where]["incremental"] = _full_build(out[where]["settings"])
        out["landed"] = report.landed
        yield out
    finally:
        sim.stop()
        delete_queues(client, [u for q in queues.values() for u in (q.url, q.dlq_url)])


def _copy_landing(src, dst) -> None:
    """Append the rows landed in one lakehouse to the other's landing.events, unchanged."""
    from deltalake import DeltaTable, write_deltalake

    name = "landing.events"
    rows = DeltaTable(tables.table(name).path(src), storage_options=tables.storage_options()).to_pyarrow_table()
    write_deltalake(tables.table(name).path(dst), rows, mode="append",
                    partition_by=list(tables.table(name).partition_by))


def test_the_lakehouse_really_is_in_the_bucket(lakes, s3_env):
    import boto3

    from infra.sqs import LOCAL_AWS_ENV

    s3 = boto3.client("s3", endpoint_url=lakes["s3"]["settings"].sqs_endpoint_url, region_name="us-east-1",
                      aws_access_key_id=LOCAL_AWS_ENV["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=LOCAL_AWS_ENV["AWS_SECRET_ACCESS_KEY"])
    keys = {o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=s3_env, Prefix="mlg/")
            for o in page.get("Contents", [])}
    for name in ("landing/events", "graph/entities", "graph/edges", "graph/impact", "ops/runs"):
        assert f"mlg/{name}/_delta_log/00000000000000000000.json" in keys, name
    local = Path(tables.lakehouse_root(lakes["local"]["settings"]))
    assert local.is_dir() and not any(local.glob("*s3*"))


def test_landing_drained_the_mutation_events_into_s3(lakes):
    assert lakes["landed"] > 0
    landed = _rows_of(lakes["s3"]["settings"], "landing.events")
    assert len(landed) == lakes["landed"]


def _rows_of(settings, name):
    from deltalake import DeltaTable

    return DeltaTable(tables.table(name).path(settings), storage_options=tables.storage_options()) \
        .to_pyarrow_table().to_pylist()


@pytest.mark.parametrize("name", sorted(RUN_DEPENDENT))
def test_s3_and_local_lakehouses_hold_the_same_rows_after_full_and_incremental_builds(lakes, name):
    assert lakes["s3"]["incremental"][0].gate_passed
    s3 = _rows(lakes["s3"]["settings"], name)
    assert s3 and s3 == _rows(lakes["local"]["settings"], name)


def test_the_incremental_build_consumed_the_landed_events(lakes):
    for where in ("s3", "local"):
        report, _answers = lakes[where]["incremental"]
        hydrate = next(r for r in report.results if r.stage == "hydrate")
        assert hydrate.metrics["mode"] != "bootstrap" and hydrate.metrics["entities"] > 0, hydrate.metrics
    assert lakes["s3"]["incremental"][0].results[0].metrics["entities"] == \
        lakes["local"]["incremental"][0].results[0].metrics["entities"]


def test_queries_and_report_answer_the_same_on_s3(lakes):
    _, s3 = lakes["s3"]["incremental"]
    _, local = lakes["local"]["incremental"]
    assert not s3.notes, s3.notes
    for question in ("impact", "lineage"):
        mine = sorted(getattr(s3, question), key=lambda r: r["id"])
        assert mine and mine == sorted(getattr(local, question), key=lambda r: r["id"])
    ranking = search_ranking(lakes["s3"]["settings"])
    assert ranking and ranking == search_ranking(lakes["local"]["settings"])
    assert s3.report_path and Path(s3.report_path).is_file()
    assert Path(s3.report_path).read_text().count("<table") == Path(local.report_path).read_text().count("<table")


def test_maintenance_on_s3_compacts_vacuums_and_checkpoints_without_losing_rows(lakes):
    from spark_jobs import maintenance

    settings = lakes["s3"]["settings"]
    before = {n: _rows(settings, n) for n in RUN_DEPENDENT}
    opts = maintenance.MaintenanceOptions(retention_hours=0, include_open_partition=True)
    compacted = maintenance.optimize(settings, ["graph.edges", "graph.entities"], options=opts)
    assert compacted["graph.edges"]["files_removed"] >= 1, compacted
    landing = maintenance.compact_landing(settings, options=opts)
    assert landing["landing.events"]["version_after"] >= landing["landing.events"]["version_before"]
    vacuumed = maintenance.vacuum(settings, ["graph.edges"], options=opts)
    assert vacuumed["graph.edges"]["deleted"] >= 1, vacuumed
    maintenance.checkpoint(settings, ["graph.edges"], options=opts)
    assert {n: _rows(settings, n) for n in RUN_DEPENDENT} == before


def test_two_delta_rs_writers_on_s3_never_lose_a_commit(s3_env):
    """Both writers start from the same version; S3's conditional put makes the second one
    retry on top of the first instead of overwriting its commit."""
    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake

    path = f"s3://{s3_env}/concurrent"
    options = tables.storage_options()
    write_deltalake(path, pa.table({"n": [0]}), storage_options=options)
    first, second = DeltaTable(path, storage_options=options), DeltaTable(path, storage_options=options)
    write_deltalake(first, pa.table({"n": [1]}), mode="append")
    write_deltalake(second, pa.table({"n": [2]}), mode="append")
    table = DeltaTable(path, storage_options=options)
    assert table.version() == 2
    assert sorted(table.to_pyarrow_table().column("n").to_pylist()) == [0, 1, 2]


def test_the_jvm_lane_reads_and_maintains_the_s3_lakehouse(lakes, jvm_spark):
    from spark_jobs import maintenance
    from spark_jobs.session import spark_session

    settings = dataclasses.replace(lakes["s3"]["settings"], spark_remote=jvm_spark.url)
    expected = _rows(settings, "graph.impact")
    with spark_session(settings) as spark:
        tables.register(spark, settings, ["graph.impact", "ops.runs"])
        assert spark.table("graph.impact").count() == len(expected)
        runs = spark.table("ops.runs").count()
        tables.append(spark.table("ops.runs").limit(1), settings, "ops.runs")  # a JVM commit on S3
    assert len(_rows_of(settings, "ops.runs")) == runs + 1
    done = maintenance.optimize(settings, ["graph.impact"])["graph.impact"]
    assert done["engine"] == "delta-sql"
    assert _rows(settings, "graph.impact") == expected
