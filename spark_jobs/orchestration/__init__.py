"""Glue between Airflow and the stages: settings from Airflow, and the bodies of the DAG tasks.

The DAG files in `dags/` only wire tasks together; each task calls one function of
`spark_jobs.orchestration.tasks`, which opens its own Spark session and closes it, so a task
behaves the same under `airflow dags test`, a scheduler's worker, or a plain test.
"""

from spark_jobs.orchestration.settings import airflow_overrides, settings_env, task_settings

__all__ = ["airflow_overrides", "settings_env", "task_settings"]
