"""The session factory's three engine modes, each against a real engine."""

import pytest

from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.session import capabilities, engine_mode, spark_session

pytestmark = pytest.mark.integration


@pytest.fixture
def connect_server():
    """A separate Spark Connect server (pysail) standing in for a remote cluster."""
    from pysail.spark import SparkConnectServer

    server = SparkConnectServer(ip="127.0.0.1", port=0)
    server.start(background=True)
    host, port = server.listening_address
    yield f"sc://{host}:{port}"
    server.stop()


def test_embedded_is_the_default(spark, settings):
    assert engine_mode(settings) == "embedded"
    caps = capabilities(spark)
    assert caps.mode == "embedded" and caps.native_delta
    assert spark.sql("select 1 + 1 as two").collect()[0].two == 2


def test_each_session_is_new_and_survives_the_previous_ones_stop(settings):
    with spark_session(settings) as first:
        first.sql("create or replace temp view only_in_first as select 1 as x")
    with spark_session(settings) as second:
        assert second is not first
        assert [r.tableName for r in second.sql("show tables").collect()] == []
        assert second.range(3).count() == 3


def test_remote_mode_reads_and_writes_delta(connect_server, tmp_path):
    settings = Settings.load(env={"MLG_SPARK_REMOTE": connect_server}, lakehouse=str(tmp_path / "lh"))
    assert engine_mode(settings) == "remote"
    with spark_session(settings) as spark:
        assert capabilities(spark).url == connect_server
        tables.register(spark, settings, ["ops.runs"])
        spark.sql("INSERT INTO ops.runs VALUES ('r1', 'hydrate', 'success', NULL, NULL, 3, '{}')")
        assert tables.read(spark, settings, "ops.runs").count() == 1
    assert tables.version(settings, "ops.runs") == 1


NO_JARS_SCRIPT = """
import sys
from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.session import DeltaUnavailableError, capabilities, spark_session

settings = Settings.load(env={"MLG_SPARK_MASTER": "local[1]"}, lakehouse=sys.argv[1])
with spark_session(settings) as spark:
    caps = capabilities(spark)
    print("mode", caps.mode, "sum", spark.range(10).selectExpr("sum(id) as s").collect()[0].s)
    print("delta", caps.native_delta, "graphframes", caps.graphframes)
    try:
        tables.register(spark, settings)
    except DeltaUnavailableError as exc:
        print("error", str(exc).replace(chr(10), "<NL>"))
"""


@pytest.mark.slow
def test_classic_mode_runs_a_query_and_delta_needs_jars(tmp_path):
    """In a fresh process (a classic driver's classpath is fixed when its JVM starts) on a
    machine that never ran `make jars`."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "MLG_JARS_DIR": str(tmp_path / "no-jars")}
    done = subprocess.run([sys.executable, "-c", NO_JARS_SCRIPT, str(tmp_path / "lh")], env=env,
                          capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stdout.splitlines() if line.split(" ", 1)[0] in ("mode", "delta", "error")]
    assert done.returncode == 0, done.stderr[-2000:]
    assert lines[:2] == ["mode classic sum 45", "delta False graphframes False"]
    assert lines[2].startswith("error ") and "MLG_SPARK_JARS" in lines[2] and "<NL>" not in lines[2]


@pytest.mark.slow
def test_classic_mode_defaults_to_the_fetched_delta_jars(tmp_path):
    from spark_jobs import maintenance

    settings = Settings.load(env={"MLG_SPARK_MASTER": "local[1]"}, lakehouse=str(tmp_path / "lh"))
    with spark_session(settings) as spark:
        caps = capabilities(spark)
        assert (caps.mode, caps.jvm, caps.native_delta, caps.delta_sql) == ("classic", True, True, True)
        # a local driver listens on this machine only and replays Delta's log in 2 tasks, not 50
        conf = spark.sparkContext.getConf()
        assert conf.get("spark.driver.bindAddress") == conf.get("spark.driver.host") == "127.0.0.1"
        assert conf.get("spark.databricks.delta.snapshotPartitions") == "2"
        tables.register(spark, settings, ["ops.runs"])
        spark.sql("INSERT INTO ops.runs VALUES ('r1', 'hydrate', 'success', NULL, NULL, 3, '{}')")
        assert tables.read(spark, settings, "ops.runs").count() == 1
    assert tables.version(settings, "ops.runs") == 1
    assert maintenance.backend_name(settings) == "delta-sql"



BROKEN_SERVER_SCRIPT = """
import sys
from spark_jobs import session, tables
from spark_jobs.config import Settings

settings = Settings.load(env={}, lakehouse=sys.argv[1])
with session.spark_session(settings) as spark:
    spark.sql("select 1").collect()
broken = session.embedded_url()
session._embedded._server.stop()  # the server goes away; the process still points at it
with session.spark_session(settings) as spark:
    tables.register(spark, settings, ["ops.runs"])
    print("rows", spark.range(4).count(), tables.read(spark, settings, "ops.runs").count())
print("replaced", session.embedded_url() != broken)
"""


def test_a_broken_embedded_engine_is_replaced_for_the_next_session(tmp_path):
    """An Airflow worker runs many tasks in one process: one broken pysail must not fail them all.
    In a fresh process: the tests' shared session must keep its server."""
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", BROKEN_SERVER_SCRIPT, str(tmp_path / "lh")], env=os.environ,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert [line for line in done.stdout.splitlines() if line.startswith(("rows", "replaced"))] == \
        ["rows 4 0", "replaced True"]
    assert "failed a trivial query" in done.stderr
