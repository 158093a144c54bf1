"""The JVM lane's configuration: what the Spark Connect server is started with, the S3A settings
derived from the AWS variables, and the SQL the Delta maintenance backend writes."""

from __future__ import annotations

import pytest

from spark_jobs.session import hadoop_s3_conf


def test_s3a_settings_follow_the_aws_variables_and_never_carry_secrets():
    conf = hadoop_s3_conf({"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_REGION": "eu-west-1",
                           "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s3cr3t"})
    assert conf["spark.hadoop.fs.s3.impl"] == "org.apache.hadoop.fs.s3a.S3AFileSystem"
    assert conf["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:5000"
    assert conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] == "false"
    assert conf["spark.hadoop.fs.s3a.endpoint.region"] == "eu-west-1"
    assert not any("AKIA" in v or "s3cr3t" in v for v in conf.values())
    assert hadoop_s3_conf({}) == {}


def test_the_server_command_binds_localhost_with_delta_and_the_fetched_jars(tmp_path):
    from infra import jars, spark_connect

    if not jars.is_fetched("spark"):
        pytest.fail("the spark jars are part of `make setup`: run `make jars`")
    cmd = spark_connect.command(port=15002, state_dir=tmp_path, env={})
    confs = dict(c.split("=", 1) for c in cmd[cmd.index("--class"):] if "=" in c and c.startswith("spark."))
    assert cmd[cmd.index("--class") + 1] == spark_connect.SERVER_CLASS and cmd[-1] == "spark-internal"
    assert cmd[cmd.index("--master") + 1] == "local[2]" and cmd[cmd.index("--driver-memory") + 1] == "1g"
    assert confs["spark.connect.grpc.binding.address"] == "127.0.0.1"
    assert confs["spark.connect.grpc.binding.port"] == "15002"
    assert confs["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    assert confs["spark.sql.catalog.spark_catalog"] == "org.apache.spark.sql.delta.catalog.DeltaCatalog"
    assert confs["spark.checkpoint.dir"] == str(tmp_path / "checkpoints")
    shipped = cmd[cmd.index("--jars") + 1].split(",")
    names = {p.rsplit("/", 1)[-1] for p in shipped}
    assert {"delta-spark_2.13-4.0.1.jar", "delta-storage-4.0.1.jar", "hadoop-aws-3.4.1.jar"} <= names
    # nothing pyspark already ships (Spark, Scala, Hadoop client, netty, httpclient)
    assert not any(n.startswith(("spark-", "scala-", "hadoop-client", "netty-", "httpclient")) for n in names)


def test_partition_filters_become_a_quoted_sql_predicate():
    from spark_jobs.maintenance import _where

    assert _where([("ingest_date", "<", "2026-12-01")]) == "ingest_date < '2026-12-01'"
    assert _where([("ingest_date", "<", "x' OR '1'='1")]) == "ingest_date < 'x\\' OR \\'1\\'=\\'1'"
    with pytest.raises(ValueError):
        _where([("ingest_date; DROP", "<", "x")])
    with pytest.raises(ValueError):
        _where([("ingest_date", "LIKE", "x")])


def test_engine_totals_sum_build_stages_and_give_jvm_over_embedded_ratios():
    from spark_jobs.bench.measure import Measurement
    from spark_jobs.bench.suite import BenchRun, engine_totals

    run = BenchRun(1, 7, steps=[Measurement(name, seconds) for name, seconds in (
        ("full.hydrate", 1.0), ("full.closure", 1.0), ("incremental.land", 9.0), ("incremental.merge", 2.0),
        ("spark.startup", 20.0), ("spark.full.hydrate", 3.0), ("spark.full.closure", 5.0),
        ("spark.incremental.land", 9.0), ("spark.incremental.merge", 4.0))])
    totals = engine_totals(run)
    assert totals["embedded"] == {"full_s": 2.0, "incremental_s": 2.0, "closure_s": 1.0}
    assert totals["spark"] == {"full_s": 8.0, "incremental_s": 4.0, "closure_s": 5.0}
    assert totals["spark_over_embedded"] == {"full_s": 4.0, "incremental_s": 2.0, "closure_s": 5.0}
    assert totals["spark_startup_s"] == 20.0


def test_the_server_drops_its_small_table_settings_when_told_and_a_classic_driver_never_has_them(tmp_path):
    from infra import spark_connect
    from spark_jobs.session import local_jvm_conf

    small = spark_connect.server_conf(port=15002, state_dir=tmp_path, env={})
    large = spark_connect.server_conf(port=15002, state_dir=tmp_path,
                                      env={"MLG_SPARK_SMALL_TABLES": "0", "MLG_SHUFFLE_PARTITIONS": "3"})
    assert small["spark.sql.codegen.factoryMode"] == "NO_CODEGEN"
    assert "-XX:TieredStopAtLevel=1" in small["spark.driver.extraJavaOptions"]
    assert "spark.sql.codegen.factoryMode" not in large and "spark.sql.codegen.wholeStage" not in large
    assert "TieredStopAtLevel" not in large["spark.driver.extraJavaOptions"]
    assert "-Dlog4j.configurationFile=" in large["spark.driver.extraJavaOptions"]
    assert (small["spark.sql.shuffle.partitions"], large["spark.sql.shuffle.partitions"]) == ("8", "3")
    classic = local_jvm_conf()
    assert classic["spark.driver.bindAddress"] == "127.0.0.1" and "spark.sql.codegen.factoryMode" not in classic
