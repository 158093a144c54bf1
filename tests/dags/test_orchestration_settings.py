"""Settings inside Airflow: connections and variables over the MLG_* environment, and the
task helpers' plain behaviour (run ids, the quality gate)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from spark_jobs.orchestration import settings as af_settings
from spark_jobs.orchestration.tasks import build_run_id, gate_open


@pytest.mark.parametrize(("conn", "url"), [
    (dict(conn_type="http", host="reg.example", port=8080, schema="registry"), "http://reg.example:8080/registry"),
    (dict(conn_type="http", host="ab.example", schema="https", port=None), "https://ab.example"),
    (dict(conn_type="elasticsearch", host="https://es.example/base", port=9243, schema=None),
     "https://es.example:9243/base"),
    (dict(conn_type="http", host="x", extra_dejson={"url": "http://other:1/p/"}), "http://other:1/p"),
    (dict(conn_type="http", host="", schema=None), None),
])
def test_connection_url(conn, url):
    conn.setdefault("extra_dejson", {})
    assert af_settings.connection_url(SimpleNamespace(**conn)) == url


def test_airflow_variable_and_connections_override_the_environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no mlg.toml, no stack.json
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "af"))
    monkeypatch.setenv("MLG_LAKEHOUSE", str(tmp_path / "env-lh"))
    monkeypatch.setenv("MLG_SOURCE_IDENTITY_URL", "http://env-identity")
    monkeypatch.setenv("MLG_SOURCE_REGISTRY_URL", "http://env-registry")
    monkeypatch.setenv("AIRFLOW_VAR_MLG_SETTINGS", json.dumps(
        {"lakehouse": "s3://bucket/mlg", "sqs_queues": {"identity": "mlg-identity-prod"}}))
    monkeypatch.setenv("AIRFLOW_CONN_MLG_SOURCE_REGISTRY", "http://registry.internal:8080/api-root")
    monkeypatch.setenv("AIRFLOW_CONN_MLG_ES", json.dumps({"conn_type": "elasticsearch", "host": "es.internal",
                                                          "port": 9200}))
    monkeypatch.setenv("AIRFLOW_CONN_MLG_SQS", json.dumps({
        "conn_type": "aws", "login": "AKIAEXAMPLE", "password": "not-a-real-secret",
        "extra": {"endpoint_url": "http://sqs.internal:4566", "region_name": "eu-west-1"}}))

    s = af_settings.task_settings(use_airflow=True)
    assert s.lakehouse == "s3://bucket/mlg"
    assert s.source_url("registry") == "http://registry.internal:8080/api-root"
    assert s.source_url("identity") == "http://env-identity"  # not in Airflow: the environment's
    assert s.queue("identity") == "mlg-identity-prod" and s.queue("abtest") == "mlg-abtest"
    assert (s.sqs_endpoint_url, s.sqs_region, s.es_url) == \
        ("http://sqs.internal:4566", "eu-west-1", "http://es.internal:9200")
    import os

    assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAEXAMPLE"

    plain = af_settings.task_settings(use_airflow=False)  # outside a task: environment only
    assert plain.lakehouse == str(tmp_path / "env-lh") and plain.es_url is None


def test_opensearch_connection_gives_the_url_with_its_credentials(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "af"))
    monkeypatch.delenv("MLG_OPENSEARCH_URL", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_MLG_OPENSEARCH", json.dumps({
        "conn_type": "opensearch", "host": "search.example", "port": 443, "schema": "https",
        "login": "mlg", "password": "p@ss/word"}))
    s = af_settings.task_settings(use_airflow=True)
    assert s.opensearch_url == "https://mlg:p%40ss%2Fword@search.example:443"
    assert af_settings.task_settings(use_airflow=False).opensearch_url is None


def test_settings_env_round_trips_through_the_environment(settings):
    import dataclasses

    from spark_jobs.config import Settings

    s = dataclasses.replace(settings, source_urls={"registry": "http://r"}, sqs_queues={"abtest": "q"},
                            sqs_endpoint_url="http://sqs", es_url="http://es", opensearch_url="http://os:9200",
                            opensearch_index_prefix="osp", search_backend="opensearch")
    again = Settings.load(env=af_settings.settings_env(s))
    assert again == s


def test_run_ids_are_path_safe_and_stable():
    rid = build_run_id("manual__2026-11-23T11:50:28.615765+00:00")
    assert rid == build_run_id("manual__2026-11-23T11:50:28.615765+00:00")
    assert rid.startswith("af-manual__2026-11-23T11_50_28") and "/" not in rid and ":" not in rid


def test_gate():
    assert gate_open({"gate": "pass"}) is True
    assert gate_open({"gate": "fail", "failed_critical": 2}) is False


def test_mlg_run_and_maintain_reject_bad_arguments_with_one_line(capsys):
    from spark_jobs.cli import main

    assert main(["run", "--scale", "0"]) == 2
    assert main(["maintain", "--retention-hours", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["mlg run: --scale must be >= 1, got 0",
                   "mlg maintain: --retention-hours below 168 deletes files that time travel needs; "
                   "add --force if that is intended"]
