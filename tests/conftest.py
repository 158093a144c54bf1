"""Shared fixtures: a real embedded Spark engine and real Delta tables in tmp_path."""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["tests.fixtures.simulator", "tests.fixtures.sqs", "tests.fixtures.kafka",
                  "tests.fixtures.opensearch", "tests.fixtures.spark_connect"]

os.environ.setdefault("RUST_LOG", "warn")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

# The files that build a whole lakehouse or run Airflow, longest first (`--durations` of a whole run).
# They start first, so that with `make test`'s two workers (xdist, a file per worker at a time) the
# quick files fill the gaps at the end instead of one worker waiting alone on a heavy file.
HEAVIEST_FILES = (
    "tests/e2e/test_main_job.py",
    "tests/integration/test_jvm_parity.py",
    "tests/integration/test_s3_lakehouse.py",
    "tests/readme/test_readme.py",
    "tests/chaos/test_lease_builds.py",
    "tests/integration/test_landing.py",
    "tests/integration/test_session.py",
    "tests/chaos/test_at_rest.py",
    "tests/integration/test_reconcile.py",
    "tests/portal/test_api.py",
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        # schemathesis names each API operation's item `test[GET /path]` but gives them all one node
        # id; pytest-xdist schedules by node id, so only the first operation would be fuzzed
        if item.name != item.nodeid.rpartition("::")[2] and hasattr(item, "_id"):
            item._id = item.parent.id.child(item.name)  # how pytest names any parametrized item
    rank = {path: i for i, path in enumerate(HEAVIEST_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))  # stable within a file


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
