"""Metadata quality scores: one row per live asset per quality run in quality.entity_scores, and
the score-drift gate (a domain's mean score falling by more than `score_drop_max` points between runs).

The score is sql/quality/entity_scores.sql over the analyst views (live_assets, owner_assets,
asset_teams, active_edges), so the report, `mlg quality --for` and SQL users see one definition of
"described", "owned by someone active", "team" and "stale". Roll-ups per team and per domain, with
the trend across runs, are the views team_scores and domain_scores (sql/views/07_quality_scores.sql).

Retention: the table grows by one row per live asset per run, so each run deletes the rows of runs
beyond the newest `score_keep_runs` or older than `score_keep_days` (quality settings, defaults 50
runs and 365 days; 0 turns a limit off) in one Delta commit; vacuum (mlg_maintenance) frees the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quality.config import QualityConfig
from quality.results import CheckResult
from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.model import EntityType
from spark_jobs.sqlrun import run_sql

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SCORES = "quality.entity_scores"
SCORE_SQL = Path(__file__).resolve().parent.parent / "sql" / "quality" / "entity_scores.sql"


def score_params(config: QualityConfig, *, now: datetime) -> dict[str, Any]:
    """The SQL's parameters from the settings (weights, windows per type, types that carry tags)."""
    windows = {t.value: config.score_freshness_days.get(t.value, config.score_freshness_days.get("*", 180.0))
               for t in EntityType}
    return {"now": now,
            "weights": ",".join(f"{k}={float(v)}" for k, v in config.score_weights.items()),
            "windows": ",".join(f"{k}={float(v)}" for k, v in
                                {**windows, "*": config.score_freshness_days.get("*", 180.0)}.items()),
            "description_types": ",".join(config.score_description_types),
            "tag_types": ",".join(config.score_tag_types)}


def entity_scores(spark: SparkSession, settings: Settings, config: QualityConfig, *, now: datetime) -> DataFrame:
    """Every live asset's score over the current graph (not written)."""
    frame = run_sql(spark, settings, SCORE_SQL.read_text(encoding="utf-8"), score_params(config, now=now))
    assert frame is not None
    return frame


@dataclass(frozen=True)
class ScoreOutcome:
    run_id: str
    assets: int
    mean: float | None
    by_domain: dict[str, float]
    results: list[CheckResult]


def score_run(spark: SparkSession, settings: Settings, config: QualityConfig, *, run_id: str, now: datetime,
              entities_version: int | None) -> ScoreOutcome:
    """Append this run's scores to quality.entity_scores (one commit) and judge the drift per domain."""
    from pyspark.sql import functions as F

    tables.register(spark, settings, [SCORES])
    previous = _previous_domain_scores(spark, settings, run_id=run_id, before=now)
    frame = entity_scores(spark, settings, config, now=now).select(
        F.lit(run_id).alias("run_id"), F.lit(entities_version).cast("bigint").alias("entities_version"), "*")
    tables.append(frame, settings, SCORES)
    expire_score_runs(spark, settings, config, current_run=run_id, now=now)
    current = tables.read(spark, settings, SCORES).where(F.col("run_id") == run_id)
    by_domain = {r["domain"]: float(r["score"]) for r in current.groupBy("domain").agg(
        F.round(F.avg("score"), 1).alias("score")).collect()}
    totals = current.agg(F.count("*").alias("n"), F.round(F.avg("score"), 1).alias("mean")).collect()[0]
    return ScoreOutcome(run_id, int(totals["n"]), totals["mean"], by_domain,
                        score_drift(by_domain, previous, config))


def expired_score_runs(spark: SparkSession, settings: Settings, config: QualityConfig, *, current_run: str,
                       now: datetime) -> list[str]:
    """Runs in quality.entity_scores beyond the newest `score_keep_runs` (the current one included) or
    scored more than `score_keep_days` days before `now`; never `current_run`."""
    from pyspark.sql import functions as F

    cutoff = now - timedelta(days=config.score_keep_days)
    runs = (tables.read(spark, settings, SCORES).groupBy("run_id").agg(F.max("scored_at").alias("at"))
            .select("run_id", "at", (F.col("at") < F.lit(cutoff)).alias("old"))
            .orderBy(F.col("at").desc(), F.col("run_id").desc()).collect())
    others = [r for r in runs if r["run_id"] != current_run]
    keep = config.score_keep_runs - 1 if config.score_keep_runs else len(others)
    return [r["run_id"] for i, r in enumerate(others) if i >= keep or (config.score_keep_days > 0 and r["old"])]


def expire_score_runs(spark: SparkSession, settings: Settings, config: QualityConfig, *, current_run: str,
                      now: datetime) -> list[str]:
    """Apply the retention of quality.entity_scores (one Delta commit, only when a run expired)."""
    expired = expired_score_runs(spark, settings, config, current_run=current_run, now=now)
    if expired:
        tables.register(spark, settings, [SCORES])
        spark.sql(f"DELETE FROM {SCORES} WHERE run_id IN ({', '.join(tables.sql_literal(r) for r in expired)})") \
            .collect()
    return expired


def _previous_domain_scores(spark: SparkSession, settings: Settings, *, run_id: str,
                            before: datetime) -> tuple[str, dict[str, float]] | None:
    """(run_id, domain -> mean score) of the newest earlier scored run, or None."""
    from pyspark.sql import functions as F

    scores = tables.read(spark, settings, SCORES).where((F.col("run_id") != run_id) & (F.col("scored_at") <= before))
    last = scores.groupBy("run_id").agg(F.max("scored_at").alias("at")).orderBy(
        F.col("at").desc(), F.col("run_id").desc()).limit(1).collect()
    if not last:
        return None
    prev_id = last[0]["run_id"]
    rows = scores.where(F.col("run_id") == prev_id).groupBy("domain").agg(F.round(F.avg("score"), 1).alias("score"))
    return prev_id, {r["domain"]: float(r["score"]) for r in rows.collect()}


def score_drift(current: dict[str, float], previous: tuple[str, dict[str, float]] | None,
                config: QualityConfig) -> list[CheckResult]:
    """One `score_drop` result per domain: fails when the mean fell by more than the domain's limit."""
    severity = config.severity("score_drop")
    description = "a domain's mean metadata score may fall by at most score_drop_max points between runs"
    if previous is None:
        return [CheckResult("scores", "score_drop", "*", True, severity,
                            {"note": "no earlier scored run to compare with", "domains": current}, description)]
    prev_id, before = previous
    results = []
    for domain in sorted(set(current) | set(before)):
        now_score, then_score = current.get(domain), before.get(domain)
        drop = None if now_score is None or then_score is None else round(then_score - now_score, 1)
        limit = config.score_drop_limit(domain)
        judged = limit is not None and drop is not None
        success = not judged or drop <= limit  # type: ignore[operator]
        results.append(CheckResult("scores", "score_drop", domain, success, severity,
                                   {"previous": then_score, "current": now_score, "drop": drop,
                                    "max_drop": limit, "previous_run": prev_id, "judged": judged},
                                   description))
    return results


def latest_score_column(spark: SparkSession, settings: Settings) -> DataFrame:
    """(id, quality_score) of every asset scored by the newest quality run (none before any run):
    what search documents carry so search can filter and sort on the score."""
    from pyspark.sql import functions as F

    if not tables.exists(settings, SCORES):
        return spark.createDataFrame([], "id STRING, quality_score DOUBLE")
    scores = tables.read(spark, settings, SCORES)
    newest = scores.groupBy("run_id").agg(F.max("scored_at").alias("at")).orderBy(
        F.col("at").desc(), F.col("run_id").desc()).limit(1)
    return scores.join(newest.select("run_id"), "run_id").select("id", F.col("score").alias("quality_score"))
