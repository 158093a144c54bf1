"""Metadata quality scores: one row per live asset per quality run in quality.entity_scores, and
the score-drift gate (a domain's mean score falling by more than `score_drop_max` points between runs).

The score is sql/quality/entity_scores.sql over the analyst views (live_assets, owner_assets,
asset_teams, active_edges), so the report, `mlg quality --for` and SQL users see one definition of
"described", "owned by someone active", "team" and "stale". Roll-ups per team and per domain, with
the trend across runs, are the views team_scores and domain_scores (sql/views/07_quality_scores.sql).

Roll-ups: each run also writes its mean score as a whole, per domain and per team to
quality.score_rollups (a few rows per team, not per asset), which the views score_runs,
domain_scores and team_scores read, so the trend, the drift gate and "which run is newest" cost the
same after 50 runs as after one. It is a second commit after the scores' append: a run stopped
between the two (or a lakehouse from before the roll-ups) leaves runs the roll-ups do not count, and
the next run rebuilds them from quality.entity_scores before it reads them (`heal_rollups`).

Retention: the table grows by one row per live asset per run, so each run deletes the rows of runs
beyond the newest `score_keep_runs` or older than `score_keep_days` (quality settings, defaults 50
runs and 365 days; 0 turns a limit off) in one Delta commit, and their roll-ups with this run's;
vacuum (mlg_maintenance) frees the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quality.config import QualityConfig
from quality.results import CheckResult
from spark_jobs import killpoint, tables
from spark_jobs.config import Settings
from spark_jobs.model import EntityType
from spark_jobs.sqlrun import run_sql

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SCORES = "quality.entity_scores"
ROLLUPS = "quality.score_rollups"
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
    """Append this run's scores to quality.entity_scores (one commit), expire old runs, write the
    roll-ups (one commit) and judge the drift per domain against the newest earlier run."""
    from pyspark.sql import functions as F

    tables.register(spark, settings, [SCORES, ROLLUPS])
    heal_rollups(spark, settings)
    previous = _previous_domain_scores(spark, settings, run_id=run_id, before=now)
    frame = entity_scores(spark, settings, config, now=now).select(
        F.lit(run_id).alias("run_id"), F.lit(entities_version).cast("bigint").alias("entities_version"), "*")
    tables.append(frame, settings, SCORES)
    killpoint.reached("quality:after_scores")
    expired = expire_score_runs(spark, settings, config, current_run=run_id, now=now)
    fresh = score_rollups(tables.read(spark, settings, SCORES).where(F.col("run_id") == run_id))
    rollups = tables.read(spark, settings, ROLLUPS, at_version=tables.version(settings, ROLLUPS))
    tables.overwrite(rollups.where(~F.col("run_id").isin([run_id, *expired])).unionByName(fresh), settings, ROLLUPS)
    current = tables.read(spark, settings, ROLLUPS).where((F.col("run_id") == run_id) & (F.col("scope") != "team"))
    rows = current.select("scope", "name", "assets", "score").collect()
    by_domain = {r["name"]: float(r["score"]) for r in rows if r["scope"] == "domain"}
    whole = next((r for r in rows if r["scope"] == "all"), None)
    return ScoreOutcome(run_id, int(whole["assets"]) if whole else 0, whole["score"] if whole else None, by_domain,
                        score_drift(by_domain, previous, config))


def score_rollups(scores: DataFrame) -> DataFrame:
    """quality.score_rollups' rows of the runs in `scores` (rows of quality.entity_scores): each run
    as a whole (scope 'all', name ''), each domain and each team (an asset with several teams counts
    for each): assets, mean score (one decimal) and the assets that miss something."""
    from pyspark.sql import functions as F

    measures = [F.max("scored_at").alias("scored_at"), F.count(F.lit(1)).alias("assets"),
                F.round(F.avg("score"), 1).alias("score"),
                F.count(F.when(F.col("score") < 100, 1)).alias("assets_missing_something")]
    columns = tables.table(ROLLUPS).column_names
    whole = scores.groupBy("run_id").agg(*measures).select(
        "*", F.lit("all").alias("scope"), F.lit("").alias("name")).select(*columns)
    domains = scores.groupBy("run_id", F.col("domain").alias("name")).agg(*measures).select(
        "*", F.lit("domain").alias("scope")).select(*columns)
    teams = (scores.select("run_id", "scored_at", "score", F.explode("teams").alias("name"))
             .groupBy("run_id", "name").agg(*measures).select("*", F.lit("team").alias("scope")).select(*columns))
    return whole.unionByName(domains).unionByName(teams)


def heal_rollups(spark: SparkSession, settings: Settings) -> bool:
    """Rebuild quality.score_rollups from quality.entity_scores when the assets its runs count ('all'
    rows) differ from the scores' rows: a run stopped between its scores and its roll-ups, or after
    deleting expired scores, or a lakehouse from before the roll-ups. True when it rebuilt them."""
    return tables.rebuild_when_uncounted(spark, settings, detail=SCORES, summary=ROLLUPS, counted="assets",
                                         summarize=score_rollups, where="scope = 'all'")


def _scored_runs(spark: SparkSession, settings: Settings) -> DataFrame:
    """(run_id, scored_at) of every run in quality.score_rollups."""
    from pyspark.sql import functions as F

    return tables.read(spark, settings, ROLLUPS).where(F.col("scope") == "all").select("run_id", "scored_at")


def expired_score_runs(spark: SparkSession, settings: Settings, config: QualityConfig, *, current_run: str,
                       now: datetime) -> list[str]:
    """Runs in quality.score_rollups beyond the newest `score_keep_runs` (the current one included) or
    scored more than `score_keep_days` days before `now`; never `current_run`."""
    from pyspark.sql import functions as F

    cutoff = now - timedelta(days=config.score_keep_days)
    runs = (_scored_runs(spark, settings)
            .select("run_id", "scored_at", (F.col("scored_at") < F.lit(cutoff)).alias("old"))
            .orderBy(F.col("scored_at").desc(), F.col("run_id").desc()).collect())
    others = [r for r in runs if r["run_id"] != current_run]
    keep = config.score_keep_runs - 1 if config.score_keep_runs else len(others)
    return [r["run_id"] for i, r in enumerate(others) if i >= keep or (config.score_keep_days > 0 and r["old"])]


def expire_score_runs(spark: SparkSession, settings: Settings, config: QualityConfig, *, current_run: str,
                      now: datetime) -> list[str]:
    """Delete the scores of the runs the retention expires (one Delta commit, only when a run
    expired); the caller drops their roll-ups."""
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

    last = (_scored_runs(spark, settings).where((F.col("run_id") != run_id) & (F.col("scored_at") <= before))
            .orderBy(F.col("scored_at").desc(), F.col("run_id").desc()).limit(1).collect())
    if not last:
        return None
    prev_id = last[0]["run_id"]
    rows = tables.read(spark, settings, ROLLUPS).where((F.col("run_id") == prev_id) & (F.col("scope") == "domain"))
    return prev_id, {r["name"]: float(r["score"]) for r in rows.select("name", "score").collect()}


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

    newest = (_scored_runs(spark, settings).orderBy(F.col("scored_at").desc(), F.col("run_id").desc()).limit(1)
              .collect() if tables.exists(settings, ROLLUPS) else [])
    if not newest:
        return spark.createDataFrame([], "id STRING, quality_score DOUBLE")
    return (tables.read(spark, settings, SCORES).where(F.col("run_id") == newest[0]["run_id"])
            .select("id", F.col("score").alias("quality_score")))
