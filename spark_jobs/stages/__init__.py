"""Build stages. Each stage is a module here with one function:

    def run(spark: SparkSession, settings: Settings, ctx: RunContext) -> dict[str, Any]

returning its metrics (row counts, rates). The CLI, the tests and the Airflow tasks all
call stages through `run_stage`, so a stage behaves the same wherever it runs.
"""

from __future__ import annotations

import importlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from spark_jobs.config import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

BUILD_STAGES: tuple[str, ...] = (
    "hydrate", "merge", "enrich", "infer", "closure", "quality", "publish", "report",
)


@dataclass(frozen=True)
class RunContext:
    run_id: str
    started_at: datetime
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def new(cls, run_id: str | None = None, **options: Any) -> RunContext:
        now = datetime.now(timezone.utc)
        return cls(run_id or f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}", now, options)


@dataclass(frozen=True)
class StageResult:
    stage: str
    metrics: dict[str, Any]
    seconds: float
    status: str = "success"


StageFn = Callable[["SparkSession", Settings, RunContext], dict[str, Any]]


def load_stage(name: str) -> StageFn:
    """The stage's `run` (modules import lazily: a stage's heavy imports load only when it runs)."""
    if name not in BUILD_STAGES:
        raise ValueError(f"unknown stage {name!r} (stages: {', '.join(BUILD_STAGES)})")
    return importlib.import_module(f"spark_jobs.stages.{name}").run


def run_stage(name: str, spark: SparkSession, settings: Settings, ctx: RunContext) -> StageResult:
    fn = load_stage(name)
    start = time.perf_counter()
    metrics = fn(spark, settings, ctx) or {}
    return StageResult(name, metrics, time.perf_counter() - start, metrics.get("status", "success"))
