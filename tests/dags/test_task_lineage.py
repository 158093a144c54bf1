"""The tables each mlg task reports to Airflow's hook-lineage collector (`orchestration.lineage`):
every task of the three DAGs is in the map, every table it names exists, and the OpenLineage
provider turns the run-time locations (local path or s3://) into datasets. The events themselves
are checked end to end (tests/e2e/test_main_job.py)."""

from __future__ import annotations

import pytest

from spark_jobs.orchestration.lineage import TASK_TABLES, report, table_uri
from tests.dags.test_dag_integrity import dags, parsed  # noqa: F401 - the parsed DAGs, shared fixtures


def test_every_task_of_the_mlg_dags_declares_its_tables(dags):  # noqa: F811
    import spark_jobs.hydration.staging  # noqa: F401 - registers the staging tables
    from spark_jobs import tables

    tasks = {(dag_id, task_id) for dag_id, dag in dags.items() for task_id in dag.task_ids}
    declared = {key for key, t in TASK_TABLES.items() if t.reads or t.writes}
    assert tasks - {("mlg_build", "quality_gate")} == declared  # the gate only reads an XCom
    named = {name for t in TASK_TABLES.values() for name in (*t.reads, *t.writes)}
    assert named <= set(tables.TABLES), named - set(tables.TABLES)


@pytest.mark.parametrize(("lakehouse", "namespace", "name"), [
    ("/srv/lake", "file", "/srv/lake/graph/entities"),
    ("s3://mlg-bucket/lake", "s3://mlg-bucket", "lake/graph/entities"),
])
def test_the_provider_turns_the_run_time_locations_into_datasets(lakehouse, namespace, name):
    from airflow.providers.openlineage.utils.utils import translate_airflow_asset
    from airflow.sdk import Asset

    from spark_jobs.config import Settings

    settings = Settings.load(env={}, lakehouse=lakehouse)
    dataset = translate_airflow_asset(Asset(uri=table_uri(settings, "graph.entities")), None)
    assert (dataset.namespace, dataset.name) == (namespace, name)


def test_nothing_is_collected_when_lineage_is_off(monkeypatch):
    """No OpenLineage transport in this process: Airflow's collector is a no-op and so is report."""
    from airflow.sdk.lineage import NoOpCollector, get_hook_lineage_collector

    from spark_jobs.config import Settings

    monkeypatch.delenv("AIRFLOW__OPENLINEAGE__TRANSPORT", raising=False)
    assert isinstance(get_hook_lineage_collector(), NoOpCollector)
    assert report(Settings.load(env={}, lakehouse="/srv/lake"), dag_id="mlg_build", task_id="merge") == 0
