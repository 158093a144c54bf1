"""Shared fixtures: a real embedded Spark engine and real Delta tables in tmp_path."""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["tests.fixtures.simulator", "tests.fixtures.sqs", "tests.fixtures.kafka",
                  "tests.fixtures.opensearch", "tests.fixtures.spark_connect"]

os.environ.setdefault("RUST_LOG", "warn")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")


@pytest.fixture
def settings(tmp_path):
    from spark_jobs.config import Settings

    return Settings.load(env={}, lakehouse=str(tmp_path / "lakehouse"),
                         state_dir=str(tmp_path / "state"), reports_dir=str(tmp_path / "reports"))


@pytest.fixture
def spark(settings):
    """A fresh session on this process's embedded pysail server."""
    from spark_jobs.session import spark_session

    with spark_session(settings) as session:
        yield session
