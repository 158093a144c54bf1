"""Delta maintenance through delta-rs on real tables written by the embedded Spark engine."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone

import pytest

from spark_jobs import maintenance, tables
from spark_jobs.maintenance import MaintenanceOptions

pytestmark = pytest.mark.integration


def _file_count(settings, name):
    from deltalake import DeltaTable

    return len(DeltaTable(tables.table(name).path(settings)).file_uris())


def _append_runs(spark, settings, n):
    import json

    rows = [(f"r{i}", "merge", "success", datetime.now(timezone.utc), datetime.now(timezone.utc), i,
             json.dumps({"i": i})) for i in range(n)]
    for row in rows:  # one commit (and one small file) per row, like one stage per build
        tables.append(spark.createDataFrame([row], tables.table("ops.runs").ddl), settings, "ops.runs")


def _append_landing(spark, settings, day: date, n: int):
    import pyarrow as pa

    for i in range(n):
        t = datetime(day.year, day.month, day.day, 12, i, tzinfo=timezone.utc)
        rows = pa.table({
            "message_id": [f"{day}-{i}"], "dedup_id": [f"{day}-{i}"], "source": ["registry"],
            "event_type": ["model_created"], "entity_type": ["Model"], "entity_key": [f"m{i}"],
            "body": ["{}"], "received_at": pa.array([t], pa.timestamp("us", tz="UTC")),
            "ingest_date": pa.array([day], pa.date32()), "batch_id": [f"b{i}"]})
        tables.append(spark.createDataFrame(rows), settings, "landing.events")


def test_optimize_vacuum_checkpoint_keep_every_version_readable(spark, settings):
    tables.register(spark, settings, ["ops.runs"])
    _append_runs(spark, settings, 5)
    before_files = _file_count(settings, "ops.runs")
    counts = {v: tables.read(spark, settings, "ops.runs", at_version=v).count()
              for v in range(tables.version(settings, "ops.runs") + 1)}

    optimized = maintenance.optimize(settings, ["ops.runs"])
    assert optimized["ops.runs"]["files_removed"] == before_files
    assert _file_count(settings, "ops.runs") == 1
    after_optimize = tables.version(settings, "ops.runs")
    assert after_optimize == max(counts) + 1  # one commit for the rewrite

    # nothing to compact now: no new version
    again = maintenance.optimize(settings, ["ops.runs"])
    assert again["ops.runs"]["files_removed"] == 0
    assert tables.version(settings, "ops.runs") == after_optimize

    # vacuum within retention deletes nothing and writes no version
    vacuumed = maintenance.vacuum(settings, ["ops.runs"])
    assert vacuumed["ops.runs"] == {"candidates": 0, "deleted": 0, "version": after_optimize}

    maintenance.checkpoint(settings, ["ops.runs"])
    log_dir = tables.table("ops.runs").path(settings) + "/_delta_log"
    import os

    assert any(f.endswith(".checkpoint.parquet") for f in os.listdir(log_dir))
    _append_runs(spark, settings, 2)
    # time travel to every earlier version still works through the engine (see checkpoint's docstring)
    for version, count in counts.items():
        assert tables.read(spark, settings, "ops.runs", at_version=version).count() == count
    assert tables.read(spark, settings, "ops.runs").count() == 7


def test_vacuum_deletes_unreferenced_files_only_past_retention(spark, settings):
    tables.register(spark, settings, ["ops.runs"])
    _append_runs(spark, settings, 3)
    maintenance.optimize(settings, ["ops.runs"])
    zero = MaintenanceOptions(retention_hours=0)
    dry = maintenance.vacuum(settings, ["ops.runs"], options=dataclasses.replace(zero, dry_run=True))
    assert dry["ops.runs"]["candidates"] == 3 and dry["ops.runs"]["deleted"] == 0
    done = maintenance.vacuum(settings, ["ops.runs"], options=zero)
    assert done["ops.runs"]["deleted"] == 3
    assert tables.read(spark, settings, "ops.runs").count() == 3


def test_compact_landing_leaves_the_open_partition_alone(spark, settings):
    tables.register(spark, settings, ["landing.events", "landing.quarantine"])
    today, yesterday = date(2026, 3, 2), date(2026, 3, 1)
    _append_landing(spark, settings, yesterday, 3)
    _append_landing(spark, settings, today, 2)
    result = maintenance.compact_landing(settings, today=today)
    assert result["landing.events"]["files_removed"] == 3
    assert result["landing.events"]["files_added"] == 1
    assert _file_count(settings, "landing.events") == 1 + 2  # today's two files untouched
    everything = maintenance.compact_landing(
        settings, today=today, options=MaintenanceOptions(include_open_partition=True))
    assert everything["landing.events"]["files_removed"] == 2
    assert tables.read(spark, settings, "landing.events").count() == 5


def test_maintenance_skips_tables_that_do_not_exist_and_rejects_unknown_names(settings):
    assert maintenance.optimize(settings) == {}
    with pytest.raises(KeyError, match="unknown table"):
        maintenance.vacuum(settings, ["graph.nope"])
