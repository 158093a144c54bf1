"""DAG integrity: the DAG files parse fast with no network or secrets, carry tags, docs,
retries and timeouts, and wire exactly the task graph their docs describe."""

from __future__ import annotations

import ast
import os
import socket
import sys
from datetime import timedelta
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"
DAG_FILES = sorted(DAGS.glob("*.py"))

# The documented graphs (dags/*.py doc_md and the README): upstream -> downstream.
EXPECTED_EDGES = {
    "mlg_land": set(),
    "mlg_build": {
        ("hydrate", "merge"), ("merge", "enrich"), ("enrich", "infer"), ("infer", "closure"),
        ("closure", "quality"), ("quality", "quality_gate"), ("quality_gate", "publish"),
        ("publish", "report"),
    },
    "mlg_maintenance": {
        ("reconcile", "optimize_tables"), ("optimize_tables", "vacuum_tables"),
        ("vacuum_tables", "checkpoint_tables"), ("compact_landing", "vacuum_tables"),
    },
}
EXPECTED_TASKS = {
    "mlg_land": {"land"},
    "mlg_build": {"hydrate", "merge", "enrich", "infer", "closure", "quality", "quality_gate", "publish", "report"},
    "mlg_maintenance": {"reconcile", "compact_landing", "optimize_tables", "vacuum_tables", "checkpoint_tables",
                        "expire_search_snapshots"},
}
# I/O tasks retry with exponential back-off; tasks a rerun cannot help never retry.
IO_TASKS = {"land", "hydrate", "enrich", "publish", "reconcile", "expire_search_snapshots"}
NO_RETRY_TASKS = {"merge", "infer", "closure", "quality", "quality_gate", "report"}
STDLIB = set(sys.stdlib_module_names) | {"__future__"}


class _NoNetwork(RuntimeError):
    pass


@pytest.fixture(scope="module")
def parsed(tmp_path_factory):
    """Each DAG file parsed on its own DagBag, with sockets forbidden and no MLG_/AWS_ secrets."""
    home = tmp_path_factory.mktemp("airflow_home")
    saved = dict(os.environ)
    for key in list(os.environ):
        if key.startswith(("MLG_", "AWS_", "AIRFLOW_CONN_", "AIRFLOW_VAR_")):
            del os.environ[key]
    os.environ.setdefault("AIRFLOW_HOME", str(home))
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    real_connect = socket.socket.connect

    def no_connect(self, address):  # noqa: ARG001 - parsing must not reach any service
        raise _NoNetwork(f"DAG parsing tried to connect to {address}")

    socket.socket.connect = no_connect
    try:
        from airflow.dag_processing.dagbag import DagBag

        bags = {path.name: DagBag(dag_folder=str(path)) for path in DAG_FILES}
    finally:
        socket.socket.connect = real_connect
        os.environ.clear()
        os.environ.update(saved)
    return bags


@pytest.fixture(scope="module")
def dags(parsed):
    out = {}
    for bag in parsed.values():
        out.update(bag.dags)
    return out


def test_every_file_imports_cleanly(parsed):
    assert [p.name for p in DAG_FILES] == ["mlg_build.py", "mlg_land.py", "mlg_maintenance.py"]
    for name, bag in parsed.items():
        assert bag.import_errors == {}, f"{name}: {bag.import_errors}"
        assert len(bag.dags) == 1, f"{name} should hold exactly one DAG"


def test_each_file_parses_under_two_seconds(parsed):
    # The issue asks for this bound explicitly; DagBag measures the file's own import time.
    for name, bag in parsed.items():
        (stat,) = bag.dagbag_stats
        assert stat.duration < timedelta(seconds=2), f"{name} took {stat.duration}"


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_top_level_imports_are_airflow_sdk_and_stdlib_only(path):
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        else:
            continue
        for module in modules:
            top = module.split(".")[0]
            assert module == "airflow.sdk" or module.startswith("airflow.sdk.") or top in STDLIB, \
                f"{path.name} imports {module} at top level; heavy imports belong inside tasks"


def test_dags_have_docs_tags_and_single_active_run(dags):
    assert set(dags) == set(EXPECTED_TASKS)
    for dag_id, dag in dags.items():
        assert dag.tags and "mlg" in dag.tags, dag_id
        assert dag.doc_md and len(dag.doc_md) > 200, f"{dag_id} needs a doc_md"
        assert dag.max_active_runs == 1, dag_id
        assert dag.catchup is False, dag_id


def test_every_task_has_a_timeout_and_documented_retries(dags):
    for dag_id, dag in dags.items():
        for task in dag.tasks:
            assert task.execution_timeout is not None and task.execution_timeout > timedelta(0), \
                f"{dag_id}.{task.task_id} has no execution_timeout"
            if task.task_id in IO_TASKS:
                assert task.retries >= 3, f"{dag_id}.{task.task_id}: I/O task should retry"
                assert task.retry_exponential_backoff and task.retry_exponential_backoff > 1
                assert task.max_retry_delay is not None
            elif task.task_id in NO_RETRY_TASKS:
                assert task.retries == 0, f"{dag_id}.{task.task_id}: a rerun cannot help, so no retries"
            else:
                assert task.retries >= 1, f"{dag_id}.{task.task_id}: maintenance may hit a commit conflict"


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_TASKS))
def test_task_graph_is_the_documented_one(dags, dag_id):
    dag = dags[dag_id]
    assert set(dag.task_ids) == EXPECTED_TASKS[dag_id]
    edges = {(t.task_id, d) for t in dag.tasks for d in t.downstream_task_ids}
    assert edges == EXPECTED_EDGES[dag_id]
    for a, b in EXPECTED_EDGES[dag_id]:
        assert f"{a} -> {b}" in dag.doc_md or a in dag.doc_md and b in dag.doc_md


def test_gate_short_circuits_only_publish_and_report_still_runs(dags):
    dag = dags["mlg_build"]
    gate = dag.get_task("quality_gate")
    assert "ShortCircuit" in type(gate).__name__
    assert gate.ignore_downstream_trigger_rules is False  # report's own trigger rule decides
    assert dag.get_task("report").trigger_rule == "none_failed"


def test_land_produces_the_asset_build_is_scheduled_on(dags):
    land_task = dags["mlg_land"].get_task("land")
    (outlet,) = land_task.outlets
    assert outlet.uri == "x-mlg://landing/events"
    build = dags["mlg_build"]
    timetable = build.timetable
    assets = getattr(timetable, "asset_condition", None)
    assert assets is not None, "mlg_build must be scheduled on the landing asset"
    assert "x-mlg://landing/events" in {a.uri for a in assets.iter_assets().values()} \
        if hasattr(assets, "iter_assets") else "x-mlg://landing/events" in repr(assets)
    assert "Cron" in type(getattr(timetable, "timetable", None)).__name__  # and at least hourly


def test_build_takes_stage_options_and_land_takes_budgets(dags):
    assert dags["mlg_build"].params["options"] == {}
    assert {"max_messages", "time_budget_s"} <= set(dags["mlg_land"].params.keys())
    assert dags["mlg_maintenance"].params["retention_hours"] >= 168


def test_every_task_declares_the_tables_it_reads_and_writes(dags):
    """The one map of table lineage (`orchestration.lineage.TASK_TABLES`) covers every task, and
    names only tables that exist (a task added without its tables would report nothing)."""
    import spark_jobs.hydration.staging  # noqa: F401 - registers the staging tables
    from spark_jobs import tables
    from spark_jobs.orchestration.lineage import TASK_TABLES

    tasks = {(dag_id, task_id) for dag_id, dag in dags.items() for task_id in dag.task_ids}
    declared = {key for key, t in TASK_TABLES.items() if t.reads or t.writes}
    assert tasks - {("mlg_build", "quality_gate")} == declared  # the gate only reads an XCom
    named = {name for t in TASK_TABLES.values() for name in (*t.reads, *t.writes)}
    assert named <= set(tables.TABLES), named - set(tables.TABLES)
