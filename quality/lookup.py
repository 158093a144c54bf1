"""`mlg quality --for URI|team`: one entity's or one team's newest metadata score and what to fix first.

Reads quality.entity_scores through the analyst views (latest_scores, team_scores, owner_assets), so
it answers what the newest quality run recorded without running the suites again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from quality.config import QualityConfig
from spark_jobs.config import Settings
from spark_jobs.errors import MlgError
from spark_jobs.sqlrun import run_sql

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# (part, column saying it is present, label) in the order parts are printed.
PARTS: tuple[tuple[str, str, str], ...] = (
    ("description", "has_description", "description"),
    ("owner", "has_active_owner", "active owner"),
    ("owners_known", "owners_known", "owners known to identity"),
    ("fresh", "is_fresh", "fresh metadata"),
    ("lineage", "has_lineage", "lineage"),
    ("tags", "has_tags", "tags"),
    ("checks", "check_failures", "no failed checks"),
)
TOP_ASSETS = 10


class NoScores(MlgError):
    """Nothing scored yet, or the entity / team is not among the scored assets."""


@dataclass(frozen=True)
class Answer:
    lines: list[str]


def _rows(spark: SparkSession, settings: Settings, sql: str, **params: Any) -> list[dict[str, Any]]:
    df = run_sql(spark, settings, sql, params)
    assert df is not None
    return [r.asDict(recursive=True) for r in df.collect()]


def _latest_run(spark: SparkSession, settings: Settings) -> dict[str, Any]:
    runs = _rows(spark, settings, "SELECT run_id, scored_at FROM score_runs ORDER BY scored_at DESC, run_id DESC LIMIT 1")
    if not runs:
        raise NoScores("no quality run has scored any asset yet: run `mlg build` or `mlg quality` first")
    return runs[0]


def explain(spark: SparkSession, settings: Settings, target: str, config: QualityConfig | None = None) -> Answer:
    """The answer for an AIP URI (an entity) or a team (name, team id or team URI)."""
    config = config or QualityConfig.load()
    run = _latest_run(spark, settings)
    if target.startswith("aip://") and not target.startswith("aip://team/"):
        return _entity(spark, settings, target, run, config)
    return _team(spark, settings, target, run)


def _entity(spark: SparkSession, settings: Settings, uri: str, run: dict[str, Any], config: QualityConfig) -> Answer:
    from spark_jobs.graph.queries import check_uri

    check_uri(uri)
    found = _rows(spark, settings, "SELECT * FROM latest_scores WHERE id = :uri", uri=uri)
    if not found:
        raise NoScores(f"{uri} was not scored in run {run['run_id']}: only live models, model instances, "
                       "pipelines, features, datasets and A/B tests are")
    row = found[0]
    owners = _rows(spark, settings, "SELECT owner_id, owner_status, owner_active FROM owner_assets "
                                    "WHERE asset_id = :uri ORDER BY owner_id", uri=uri)
    window = config.score_freshness_days.get(row["entity_type"], config.score_freshness_days.get("*", 180.0))
    detail = {
        "owner": ("no owner at all" if not owners else
                  "no owner is active: " + ", ".join(f"{o['owner_id']} ({o['owner_status'] or 'inactive'})"
                                                     for o in owners if not o["owner_active"])),
        "owners_known": "identity does not know " + ", ".join(
            o["owner_id"] for o in owners if o["owner_status"] in ("unknown to identity", "deleted in identity")),
        "fresh": f"last changed {row['age_days']} days ago (window {window:g} days)" if row["age_days"] is not None
                 else "never changed at the source",
        "checks": ", ".join(row["failed_checks"] or []),
        "description": "a placeholder" if row["description_placeholder"] else "none",
    }
    lines = [f"{uri}  {row['entity_type']} {row['name']!r}, team {', '.join(row['teams'])}",
             f"score {row['score']:g} / 100 (quality run {run['run_id']}, {run['scored_at']:%Y-%m-%d %H:%M} UTC)",
             "fix first: " + (", ".join(row["missing"]) if row["missing"] else "nothing, every part is present")]
    for part, column, label in PARTS:
        present = row[column] == 0 if column == "check_failures" else bool(row[column])
        weight = config.score_weights.get(part, 0.0)
        note = "" if present or part not in detail else f"  {detail[part]}"
        lines.append(f"  {'ok     ' if present else 'MISSING'} {label:<26} weight {weight:>4g}{note}")
    return Answer(lines)


def _team(spark: SparkSession, settings: Settings, target: str, run: dict[str, Any]) -> Answer:
    key = target.strip().lower()
    # a team named by display name, team id or team URI: resolve to the spelling the scores use
    names = _rows(spark, settings, """
        SELECT DISTINCT coalesce(name, url_decode(regexp_extract(id, '^aip://team/[^/]+/(.*)$', 1))) AS team
        FROM graph.entities
        WHERE entity_type = 'Team' AND state <> 'deleted'
          AND (lower(id) = :key OR lower(name) = :key
               OR lower(url_decode(regexp_extract(id, '^aip://team/[^/]+/(.*)$', 1))) = :key)""", key=key)
    team = names[0]["team"] if names else target.strip()
    trend = _rows(spark, settings, "SELECT s.run_id, s.score, s.assets FROM team_scores s JOIN score_runs r "
                                   "ON r.run_id = s.run_id WHERE lower(s.team) = lower(:team) "
                                   "ORDER BY r.scored_at, s.run_id", team=team)
    if not trend or trend[-1]["run_id"] != run["run_id"]:
        raise NoScores(f"no team {target!r} among the teams scored in run {run['run_id']} "
                       "(see `mlg sql \"SELECT DISTINCT team FROM team_scores\"`)")
    latest, previous = trend[-1], trend[-2] if len(trend) > 1 else None
    change = "" if previous is None else f", previous run {previous['score']:g} ({latest['score'] - previous['score']:+.1f})"
    mine = ("WITH teamed AS (SELECT id, score, missing, explode(teams) AS team FROM latest_scores), "
            "mine AS (SELECT id, score, missing FROM teamed WHERE lower(team) = lower(:team)) ")
    missing = _rows(spark, settings, mine + "SELECT part, count(*) AS assets FROM "
                    "(SELECT explode(missing) AS part FROM mine) GROUP BY part ORDER BY assets DESC, part", team=team)
    worst = _rows(spark, settings, mine + "SELECT id, score, missing FROM mine WHERE score < 100 "
                  "ORDER BY score, id LIMIT :top", team=team, top=TOP_ASSETS)
    lines = [f"team {team}: score {latest['score']:g} / 100 over {latest['assets']} assets "
             f"(quality run {run['run_id']}{change})",
             "trend: " + " -> ".join(f"{t['score']:g}" for t in trend[-12:]),
             "most often missing: " + (", ".join(f"{m['part']} ({m['assets']})" for m in missing) or "nothing")]
    if worst:
        lines.append(f"fix first (the {len(worst)} lowest scores):")
        lines += [f"  {w['score']:>5g}  {w['id']}  {', '.join(w['missing'])}" for w in worst]
    return Answer(lines)
