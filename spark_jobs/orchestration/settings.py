"""Settings inside Airflow: connections and variables first, then the `MLG_*` environment.

What an Airflow deployment can define (all optional; anything missing falls back to `MLG_*`,
then `mlg.toml`, then the defaults of `spark_jobs.config.Settings`):

- Variable `mlg_settings`: a JSON object of `Settings` fields, e.g.
  `{"lakehouse": "s3://bucket/mlg", "sqs_queues": {"registry": "https://sqs…/mlg-registry"}}`.
- Connection `mlg_sqs` (type aws): extra `endpoint_url` and `region_name`; login / password
  become `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` for this task process only when those are
  unset (otherwise the worker's own AWS chain is used).
- Connection `mlg_es` (type elasticsearch or http): host (+ port, schema) -> `es_url`.
- Connection `mlg_opensearch` (type opensearch or http): the same -> `opensearch_url`, with the
  login / password (e.g. an Amazon OpenSearch Service master user) put into the URL.
- Connection `mlg_source_<platform>` (type http), one per source system: its base URL.

Lookups happen only inside a running task (never at DAG parse time), so parsing needs no
network, database or secrets.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from typing import Any

from spark_jobs.config import Settings
from spark_jobs.model import PLATFORMS

log = logging.getLogger(__name__)

VARIABLE = "mlg_settings"
SQS_CONN = "mlg_sqs"
ES_CONN = "mlg_es"
OPENSEARCH_CONN = "mlg_opensearch"
SOURCE_CONN = "mlg_source_{platform}"


def in_airflow_task() -> bool:
    """True inside a running Airflow task (the task runner sets AIRFLOW_CTX_* for us)."""
    if os.environ.get("AIRFLOW_CTX_DAG_ID"):
        return True
    try:
        from airflow.sdk import get_current_context

        get_current_context()
        return True
    except Exception:  # noqa: BLE001 - not in a task, or Airflow not importable
        return False


def _variable(key: str) -> Any:
    from airflow.sdk import Variable

    try:
        return Variable.get(key, default=None, deserialize_json=True)
    except Exception as exc:  # noqa: BLE001 - a missing or unreadable variable means "not set"
        log.debug("variable %s unavailable: %s", key, exc)
        return None


def _connection(conn_id: str) -> Any | None:
    from airflow.sdk import Connection

    try:
        return Connection.get(conn_id)
    except Exception as exc:  # noqa: BLE001 - AirflowNotFoundException and friends: not defined
        log.debug("connection %s unavailable: %s", conn_id, exc)
        return None


def connection_url(conn: Any, *, default_scheme: str = "http") -> str | None:
    """Base URL of an http-like connection.

    Accepts every way Airflow users spell one: extra `{"url": ...}`; a host that already
    carries the scheme; HttpHook's convention (schema = "http"/"https"); or a connection URI
    such as `http://host:8080/registry`, which Airflow parses into host, port and schema
    (the path).
    """
    extra = getattr(conn, "extra_dejson", None) or {}
    if extra.get("url"):
        return str(extra["url"]).rstrip("/")
    host = (getattr(conn, "host", None) or "").strip()
    if not host:
        return None
    port = getattr(conn, "port", None)
    schema = (getattr(conn, "schema", None) or "").strip("/")
    conn_type = getattr(conn, "conn_type", None) or ""
    if "://" in host:
        scheme, _, rest = host.partition("://")
        hostpart, _, path = rest.partition("/")
    elif schema in ("http", "https"):
        scheme, hostpart, path = schema, host, ""
    else:
        scheme = conn_type if conn_type in ("http", "https") else default_scheme
        hostpart, _, path = host.partition("/")
        path = "/".join(p for p in (path.strip("/"), schema) if p)
    if port and ":" not in hostpart:
        hostpart = f"{hostpart}:{port}"
    return f"{scheme}://{hostpart}" + (f"/{path.strip('/')}" if path.strip("/") else "")


def airflow_overrides(base: Settings | None = None) -> dict[str, Any]:
    """Settings fields defined in Airflow (variable + connections), merged over `base`'s maps."""
    base = base or Settings.load()
    values: dict[str, Any] = {}
    raw = _variable(VARIABLE)
    if isinstance(raw, str):
        raw = json.loads(raw)
    if isinstance(raw, Mapping):
        values.update(raw)
    elif raw is not None:
        raise ValueError(f"Airflow variable {VARIABLE} must be a JSON object of settings")

    urls = {**base.source_urls, **dict(values.get("source_urls") or {})}
    for platform in PLATFORMS:
        conn = _connection(SOURCE_CONN.format(platform=platform))
        url = connection_url(conn) if conn is not None else None
        if url:
            urls[platform] = url
    if urls:
        values["source_urls"] = urls
    if values.get("sqs_queues"):
        values["sqs_queues"] = {**base.sqs_queues, **dict(values["sqs_queues"])}

    sqs = _connection(SQS_CONN)
    if sqs is not None:
        extra = getattr(sqs, "extra_dejson", None) or {}
        if extra.get("endpoint_url"):
            values["sqs_endpoint_url"] = extra["endpoint_url"]
        if extra.get("region_name"):
            values["sqs_region"] = extra["region_name"]
        if sqs.login and sqs.password and not os.environ.get("AWS_ACCESS_KEY_ID"):
            os.environ["AWS_ACCESS_KEY_ID"] = sqs.login
            os.environ["AWS_SECRET_ACCESS_KEY"] = sqs.password
    es = _connection(ES_CONN)
    if es is not None:
        url = connection_url(es)
        if url:
            values["es_url"] = url
    opensearch = _connection(OPENSEARCH_CONN)
    if opensearch is not None:
        url = connection_url(opensearch)
        if url:
            values["opensearch_url"] = _with_credentials(url, opensearch)
    return values


def _with_credentials(url: str, conn: Any) -> str:
    """`url` with the connection's login and password as basic auth (percent-encoded)."""
    from urllib.parse import quote

    login = getattr(conn, "login", None)
    if not login or "@" in url.partition("://")[2].partition("/")[0]:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{quote(login, safe='')}:{quote(getattr(conn, 'password', None) or '', safe='')}@{rest}"


def task_settings(*, use_airflow: bool | None = None) -> Settings:
    """The settings a task runs with: Airflow's when inside a task, else the environment's."""
    base = Settings.load()
    if use_airflow is None:
        use_airflow = in_airflow_task()
    if not use_airflow:
        return base
    return Settings.load(**airflow_overrides(base))


def settings_env(settings: Settings) -> dict[str, str]:
    """The `MLG_*` variables that reproduce `settings` in a child process (e.g. `airflow dags test`)."""
    env = {
        "MLG_LAKEHOUSE": settings.lakehouse if "://" in settings.lakehouse
        else os.path.abspath(settings.lakehouse),
        "MLG_STATE_DIR": os.path.abspath(settings.state_dir),
        "MLG_REPORTS_DIR": os.path.abspath(settings.reports_dir),
        "MLG_SQS_REGION": settings.sqs_region,
        "MLG_ES_INDEX_PREFIX": settings.es_index_prefix,
        "MLG_OPENSEARCH_INDEX_PREFIX": settings.opensearch_index_prefix,
    }
    optional = {"MLG_SPARK_REMOTE": settings.spark_remote, "MLG_SPARK_MASTER": settings.spark_master,
                "MLG_SPARK_JARS": settings.spark_jars, "MLG_SQS_ENDPOINT_URL": settings.sqs_endpoint_url,
                "MLG_ES_URL": settings.es_url, "MLG_OPENSEARCH_URL": settings.opensearch_url,
                "MLG_SEARCH_BACKEND": settings.search_backend}
    env.update({k: v for k, v in optional.items() if v})
    env.update({f"MLG_SOURCE_{p.upper()}_URL": u for p, u in settings.source_urls.items() if u})
    env.update({f"MLG_SQS_QUEUE_{p.upper()}": q for p, q in settings.sqs_queues.items() if q})
    return env
