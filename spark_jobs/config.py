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
    source_urls: Mapping[str, str] = field(default_factory=dict)
    sqs_endpoint_url: str | None = None
    sqs_queues: Mapping[str, str] = field(default_factory=dict)
    sqs_region: str = "us-east-1"
    es_url: str | None = None
    es_index_prefix: str = "mlg"
    state_dir: str = ".mlg"
    reports_dir: str = "reports"

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
        if values.get("spark_remote") and values.get("spark_master"):
            raise ConfigError("set only one of MLG_SPARK_REMOTE and MLG_SPARK_MASTER")
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

    @property
    def state_path(self) -> Path:
        return Path(self.state_dir)


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
        "state_dir": "MLG_STATE_DIR",
        "reports_dir": "MLG_REPORTS_DIR",
    }
    values: dict[str, Any] = {k: _env(v, env) for k, v in simple.items() if _env(v, env)}
    urls = {p: _env(f"MLG_SOURCE_{p.upper()}_URL", env) for p in PLATFORMS}
    queues = {p: _env(f"MLG_SQS_QUEUE_{p.upper()}", env) for p in PLATFORMS}
    if any(urls.values()):
        values["source_urls"] = {p: u for p, u in urls.items() if u}
    if any(queues.values()):
        values["sqs_queues"] = {p: q for p, q in queues.items() if q}
    return values


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
