"""The tables each mlg task reports to Airflow's hook-lineage collector (`orchestration.lineage`):
the OpenLineage provider turns their run-time locations (local path or s3://) into datasets, and
nothing is collected when lineage is off. That every DAG task is in the map is checked on the
parsed DAGs (test_dag_integrity.py); the events themselves end to end (tests/e2e/test_main_job.py)."""

from __future__ import annotations

import pytest

from spark_jobs.orchestration.lineage import report, table_uri


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
