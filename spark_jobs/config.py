"""Typed settings. Precedence: explicit arguments > MLG_* environment > mlg.toml > the local
stack's state file (`<state_dir>/stack.json`, written by `mlg up`) > defaults."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spark_jobs.model import PLATFORMS


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the setting."""


def _env(name: str, env: Mapping[str, str]) -> str | None:
    value = env.get(name)
    return value if value not in (None, "") else None


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything a stage needs to find its engine, tables and sources."""

    lakehouse: str = "./lakehouse"
    spark_remote: str | None = None
    spark_master: str | None = None
    spark_jars: str | None = None
    spark_retry_s: float = 60.0
    """How long a command keeps retrying a Spark Connect server that stopped answering
    (MLG_SPARK_RETRY_S) before it fails, recording the failed stage; pyspark's own default
    is at least 10 minutes."""
    source_urls: Mapping[str, str] = field(default_factory=dict)
    sqs_endpoint_url: str | None = None
    sqs_queues: Mapping[str, str] = field(default_factory=dict)
    sqs_region: str = "us-east-1"
    es_url: str | None = None
    es_index_prefix: str = "mlg"
    opensearch_url: str | None = None
    opensearch_index_prefix: str = "mlg"
    search_backend: str | None = None
    """Where `mlg search` reads by default: embedded | opensearch | elasticsearch (unset: the
    configured server, else embedded)."""
    kafka_bootstrap: str | None = None
    kafka_topics: Mapping[str, str] = field(default_factory=dict)
    kafka_group: str = "mlg-landing"
    kafka_dead_letter_topic: str = "mlg-dead-letter"
    kafka_openlineage_topic: str = "openlineage"
    kafka_max_receive_count: int = 5
    """Deliveries without an offset commit before a Kafka message goes to the dead-letter topic."""
    landing_transports: tuple[str, ...] | None = None
    """Which landing zones `mlg land` drains; None: SQS, plus Kafka when a bootstrap is set."""
    api_token: str | None = field(default=None, repr=False)
    """Bearer token `mlg serve` requires for writes (MLG_API_TOKEN); unset: writes are off."""
    state_dir: str = ".mlg"
    reports_dir: str = "reports"
    #: the closure stage updates graph.impact incrementally unless the run changed more than this
    #: fraction of the dependency edges or of the closure's rows (then it recomputes it whole).
    #: Measured at scale 1000: re-deriving 18.7 % of the rows took 117.7 s, the full closure 77 s
    closure_incremental_max_fraction: float = 0.1
    #: an incremental closure walks its few edges in the driver (numpy) up to this many edges and
    #: rows, else on the engine (MLG_CLOSURE_LOCAL_WALK_MAX_ROWS; ~40 bytes a row)
    closure_local_walk_max_rows: int = 2_000_000
    #: the whole closure of a graph with few edges is walked in the driver (numpy) while it has at
    #: most this many rows, else on the engine (MLG_CLOSURE_LOCAL_FULL_MAX_ROWS; ~170 bytes a row
    #: at the walk's peak; 0: always on the engine)
    closure_local_full_max_rows: int = 6_000_000

    @classmethod
    def load(
        cls,
        *,
        env: Mapping[str, str] | None = None,
        config_file: str | os.PathLike[str] | None = None,
        **overrides: Any,
    ) -> Settings:
        """Build settings from the environment (and `mlg.toml` if present); `overrides` win."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        path = Path(config_file or _env("MLG_CONFIG", env) or "mlg.toml")
        if path.is_file():
            values.update(_read_toml(path))
        values.update(_from_env(env))
        unknown = set(overrides) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        values.update({k: v for k, v in overrides.items() if v is not None})
        _fall_back_to_stack(values)
        if values.get("landing_transports") is not None:
            values["landing_transports"] = _transports(values["landing_transports"], "landing_transports")
        if values.get("spark_remote") and values.get("spark_master"):
            raise ConfigError("set only one of MLG_SPARK_REMOTE and MLG_SPARK_MASTER")
        _make_paths_absolute(values)
        return cls(**values)

    def source_url(self, platform: str) -> str:
        """Base URL of a source system; a clear error names the variable to set."""
        url = self.source_urls.get(platform)
        if not url:
            raise ConfigError(
                f"no URL for source '{platform}': set MLG_SOURCE_{platform.upper()}_URL "
                "(or run `mlg up` for the local simulator)"
            )
        return url.rstrip("/")

    def queue(self, platform: str) -> str:
        """Queue URL or name for a source's landing zone (defaults to `mlg-<platform>`)."""
        return self.sqs_queues.get(platform) or f"mlg-{platform}"

    def kafka_topic(self, platform: str) -> str:
        """Kafka topic of a source's landing zone (defaults to `mlg-<platform>`)."""
        return self.kafka_topics.get(platform) or f"mlg-{platform}"

    def transports(self) -> tuple[str, ...]:
        """The landing transports to drain, in order (`landing_transports`, else derived)."""
        if self.landing_transports:
            return tuple(self.landing_transports)
        return ("sqs", "kafka") if self.kafka_bootstrap else ("sqs",)

    @property
    def state_path(self) -> Path:
        return Path(self.state_dir)

    @property
    def lakehouse_key(self) -> str:
        """A short, stable, file-name-safe key of the lakehouse root, so local state that belongs
        to one lakehouse (its embedded search index) is kept apart from another's."""
        import hashlib
        import re

        root = self.lakehouse.rstrip("/")
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", root.rsplit("/", 1)[-1])[:40] or "root"
        return f"{stem}-{hashlib.sha256(root.encode()).hexdigest()[:10]}"

    @property
    def lakehouse_state_path(self) -> Path:
        """`<state_dir>/lakehouses/<lakehouse_key>`: local state of this lakehouse alone."""
        return Path(self.state_dir) / "lakehouses" / self.lakehouse_key


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    simple = {
        "lakehouse": "MLG_LAKEHOUSE",
        "spark_remote": "MLG_SPARK_REMOTE",
        "spark_master": "MLG_SPARK_MASTER",
        "spark_jars": "MLG_SPARK_JARS",
        "sqs_endpoint_url": "MLG_SQS_ENDPOINT_URL",
        "sqs_region": "MLG_SQS_REGION",
        "es_url": "MLG_ES_URL",
        "es_index_prefix": "MLG_ES_INDEX_PREFIX",
        "opensearch_url": "MLG_OPENSEARCH_URL",
        "opensearch_index_prefix": "MLG_OPENSEARCH_INDEX_PREFIX",
        "search_backend": "MLG_SEARCH_BACKEND",
        "state_dir": "MLG_STATE_DIR",
        "reports_dir": "MLG_REPORTS_DIR",
        "kafka_bootstrap": "MLG_KAFKA_BOOTSTRAP",
        "kafka_group": "MLG_KAFKA_GROUP",
        "kafka_dead_letter_topic": "MLG_KAFKA_DEAD_LETTER_TOPIC",
        "kafka_openlineage_topic": "MLG_KAFKA_OPENLINEAGE_TOPIC",
        "api_token": "MLG_API_TOKEN",
    }
    values: dict[str, Any] = {k: _env(v, env) for k, v in simple.items() if _env(v, env)}
    for key, var, what in (("spark_retry_s", "MLG_SPARK_RETRY_S", "a number of seconds"),
                           ("closure_incremental_max_fraction", "MLG_CLOSURE_INCREMENTAL_MAX_FRACTION", "a number"),
                           ("closure_local_walk_max_rows", "MLG_CLOSURE_LOCAL_WALK_MAX_ROWS", "a whole number"),
                           ("closure_local_full_max_rows", "MLG_CLOSURE_LOCAL_FULL_MAX_ROWS", "a whole number")):
        raw = _env(var, env)
        if raw is not None:
            try:
                values[key] = int(raw) if what == "a whole number" else float(raw)
            except ValueError:
                raise ConfigError(f"{var} must be {what}, got {raw!r}") from None
    urls = {p: _env(f"MLG_SOURCE_{p.upper()}_URL", env) for p in PLATFORMS}
    queues = {p: _env(f"MLG_SQS_QUEUE_{p.upper()}", env) for p in PLATFORMS}
    if any(urls.values()):
        values["source_urls"] = {p: u for p, u in urls.items() if u}
    if any(queues.values()):
        values["sqs_queues"] = {p: q for p, q in queues.items() if q}
    topics = {p: _env(f"MLG_KAFKA_TOPIC_{p.upper()}", env) for p in PLATFORMS}
    if any(topics.values()):
        values["kafka_topics"] = {p: t for p, t in topics.items() if t}
    max_receive = _env("MLG_KAFKA_MAX_RECEIVE_COUNT", env)
    if max_receive:
        try:
            values["kafka_max_receive_count"] = int(max_receive)
        except ValueError:
            raise ConfigError(f"MLG_KAFKA_MAX_RECEIVE_COUNT must be an integer, got {max_receive!r}") from None
    transports = _env("MLG_LANDING_TRANSPORTS", env)
    if transports:
        values["landing_transports"] = _transports(transports, "MLG_LANDING_TRANSPORTS")
    return values


LANDING_TRANSPORTS = ("sqs", "kafka")


def _transports(value: Any, name: str) -> tuple[str, ...]:
    items = [t.strip() for t in value.split(",")] if isinstance(value, str) else list(value)
    chosen = tuple(dict.fromkeys(t for t in items if t))
    unknown = sorted(set(chosen) - set(LANDING_TRANSPORTS))
    if unknown or not chosen:
        raise ConfigError(f"{name}: unknown landing transport(s) {', '.join(unknown) or '(none)'}; "
                          f"known: {', '.join(LANDING_TRANSPORTS)}")
    return chosen


STACK_FILE = "stack.json"


def _fall_back_to_stack(values: dict[str, Any]) -> None:
    """Source URLs, and the SQS endpoint with its queues, from `mlg up`'s state file, each group
    only when no higher layer set any of it (never a mix of a real endpoint and local queues)."""
    path = Path(values.get("state_dir") or Settings.state_dir) / STACK_FILE
    if not path.is_file():
        return
    try:
        import json

        stack = json.loads(path.read_text())
    except (OSError, ValueError):
        return  # a half-written or foreign file: `mlg up` / `mlg down` report it
    if not isinstance(stack, dict):
        return
    if not values.get("source_urls") and isinstance(stack.get("source_urls"), dict):
        values["source_urls"] = dict(stack["source_urls"])
    if not values.get("sqs_endpoint_url") and not values.get("sqs_queues") \
            and isinstance(stack.get("queues"), dict) and stack.get("sqs_endpoint_url"):
        values["sqs_endpoint_url"] = stack["sqs_endpoint_url"]
        values["sqs_queues"] = dict(stack["queues"])
    known = {f.name for f in dataclasses.fields(Settings)}
    for key, value in (stack.get("service_settings") or {}).items():
        if key in known and not values.get(key):  # a service `mlg up` started (JVM Spark, OpenSearch, Kafka)
            values[key] = value


def _is_uri(path: str) -> bool:
    return "://" in path


def _make_paths_absolute(values: dict[str, Any]) -> None:
    """Every local path absolute, resolved against the working directory at load time, so no
    later `chdir` (Airflow tasks) or library (Great Expectations' Data Docs) sees a relative
    one. The reports folder follows the lakehouse: unless set, it is `./reports` beside the
    default `./lakehouse`, and `<state_dir>/lakehouses/<key>/reports` for any other lakehouse,
    so one lakehouse's report never overwrites another's."""
    lakehouse = values.get("lakehouse") or Settings.lakehouse
    if not _is_uri(lakehouse):
        lakehouse = os.path.abspath(lakehouse)
    values["lakehouse"] = lakehouse
    values["state_dir"] = os.path.abspath(values.get("state_dir") or Settings.state_dir)
    if not values.get("reports_dir"):
        if lakehouse == os.path.abspath(Settings.lakehouse):
            values["reports_dir"] = Settings.reports_dir
        else:
            keyed = Settings(lakehouse=lakehouse, state_dir=values["state_dir"])
            values["reports_dir"] = str(keyed.lakehouse_state_path / "reports")
    if not _is_uri(values["reports_dir"]):
        values["reports_dir"] = os.path.abspath(values["reports_dir"])


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    section = data.get("mlg", data)
    allowed = {f.name for f in dataclasses.fields(Settings)}
    unknown = set(section) - allowed
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
    return dict(section)
