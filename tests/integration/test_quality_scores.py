"""Metadata quality scores from a real build: one row per live asset per run, parts equal to direct
SQL, roll-ups per team and domain, the score-drift gate, `mlg quality --for`, scores in search
documents, and one rule for owners identity does not know (inactive everywhere, impact included)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from quality.config import QualityConfig
from spark_jobs import tables
from tests.integration import test_quality_lakehouse as lh

pytestmark = pytest.mark.integration

E = lh.E
FORMER = E.USER.uri("former.employee9")            # identity does not know this owner: a reference
CHURN = E.MODEL.uri("churn-v1")                     # owned only by FORMER, team only from its tag
WEIGHTS = QualityConfig().score_weights
OWNABLE = "('Model', 'ModelInstance', 'Pipeline', 'Feature', 'Dataset', 'AbTest')"


def extra():
    return [
        lh.entity(FORMER, state="reference", name="former.employee9", description=None, tags=[], created_at=None,
                  updated_at=None, last_hydrated_at=None),
        lh.entity(CHURN, owners=[FORMER], description="tbd", tags=[{"tag": "team", "value": "GROWTH"}]),
    ], [lh.edge(CHURN, "OWNED_BY", FORMER)]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from spark_jobs.config import Settings
    from spark_jobs.session import spark_session

    root = tmp_path_factory.mktemp("scores")
    settings = Settings.load(env={}, lakehouse=str(root / "lakehouse"), state_dir=str(root / "state"),
                             reports_dir=str(root / "reports"))
    with spark_session(settings) as spark:
        lh.write(spark, settings, *extra())
        report = lh.build_lakehouse(spark, settings, run_id="score-1")
        assert report.gate_passed, report
        tables.register(spark, settings)  # the build ran in its own session
        yield spark, settings


def rows(spark, sql: str) -> list[dict]:
    return [r.asDict(recursive=True) for r in spark.sql(sql).collect()]


def test_every_live_asset_is_scored_once_from_its_parts(built):
    spark, settings = built
    scores = {r["id"]: r for r in rows(spark, "SELECT * FROM quality.entity_scores WHERE run_id = 'score-1'")}
    live = {r["id"] for r in rows(spark, f"SELECT id FROM graph.entities WHERE entity_type IN {OWNABLE} "
                                         "AND state IN ('hydrated', 'enriched')")}
    assert set(scores) == live
    total = sum(WEIGHTS.values())
    for row in scores.values():
        present = {"description": row["has_description"], "owner": row["has_active_owner"],
                   "owners_known": row["owners_known"], "fresh": row["is_fresh"], "lineage": row["has_lineage"],
                   "tags": row["has_tags"], "checks": row["check_failures"] == 0}
        assert row["score"] == round(100 * sum(WEIGHTS[p] for p, ok in present.items() if ok) / total, 1), row
        assert (row["score"] == 100) == (row["missing"] == [])
    # each part as a user would check it
    assert scores[lh.ORPHAN]["missing"] == ["description", "owner", "freshness", "lineage (no producer or reader)"]
    assert scores[lh.ORPHAN]["age_days"] == 400 and scores[lh.ORPHAN]["teams"] == ["(no team)"]
    assert scores[lh.IMPRESSIONS]["missing"] == ["owner inactive", "freshness"]   # carol left
    assert scores[lh.ARCHIVED]["missing"][-1] == "lineage (no pipeline run)"
    assert scores[lh.DWELL]["missing"] == ["description"]
    churn = scores[CHURN]
    assert churn["missing"] == ["description (placeholder)", "owner inactive", "owner unknown to identity"]
    assert churn["description_placeholder"] and churn["teams"] == ["Growth"]  # tag GROWTH -> the team entity
    assert scores[lh.TRAINER]["score"] == 100 and scores[lh.TRAINER]["teams"] == ["Ranking"]
    assert {r["entities_version"] for r in scores.values()} == {tables.version(settings, "graph.entities")}


def test_team_and_domain_roll_ups_equal_direct_sql(built):
    spark, _settings = built
    from spark_jobs.sqlrun import run_sql

    teams = {r.team: (r.assets, r.score) for r in run_sql(
        spark, _settings, "SELECT team, assets, score FROM team_scores WHERE run_id = 'score-1'").collect()}
    direct = {r["team"]: (r["n"], r["mean"]) for r in rows(
        spark, "SELECT team, count(*) AS n, round(avg(score), 1) AS mean FROM (SELECT explode(teams) AS team, "
               "score FROM quality.entity_scores WHERE run_id = 'score-1') GROUP BY team")}
    assert teams == direct and set(teams) == {"Ranking", "Growth", "(no team)"}
    domains = {r.domain: r.score for r in run_sql(
        spark, _settings, "SELECT domain, score FROM domain_scores WHERE run_id = 'score-1'").collect()}
    assert domains["data"] == rows(spark, "SELECT round(avg(score), 1) AS s FROM quality.entity_scores "
                                          "WHERE run_id = 'score-1' AND domain = 'data'")[0]["s"]


def test_unknown_owners_are_inactive_in_checks_report_and_impact(built):
    spark, settings = built
    from spark_jobs.graph import queries
    from spark_jobs.sqlrun import run_sql

    check = rows(spark, "SELECT observed_value FROM quality.results WHERE run_id = 'score-1' "
                        "AND expectation = 'owners_active'")[0]["observed_value"]
    assert '"unexpected": 3' in check and "former.employee9" in check  # carol's two assets, and churn
    inactive = {(r.asset_id, r.owner_status) for r in run_sql(
        spark, settings, "SELECT asset_id, owner_status FROM owner_assets WHERE NOT owner_active").collect()}
    assert inactive == {(lh.IMPRESSIONS, "inactive"), (lh.ARCHIVED, "inactive"), (CHURN, "unknown to identity")}
    # changing dwell_time impacts the archived instance; its only owner (carol) left: no team to notify
    impacted = {r.id: r for r in queries.impact(spark, settings, lh.DWELL).collect()}
    assert impacted[lh.ARCHIVED].owners == [lh.CAROL] and impacted[lh.ARCHIVED].teams == []
    assert impacted[lh.RANKING].teams == [lh.TEAM_RANKING]  # alice is active


def test_search_documents_carry_the_score(built):
    spark, settings = built
    docs = {r["id"]: r["quality_score"] for r in rows(spark, "SELECT id, quality_score FROM search.documents")}
    scores = {r["id"]: r["score"] for r in rows(spark, "SELECT id, score FROM quality.entity_scores "
                                                       "WHERE run_id = 'score-1'")}
    assert {k: v for k, v in docs.items() if v is not None} == scores
    assert docs[lh.RUN] is None  # a pipeline run is not scored


def test_mlg_search_filters_assets_on_their_score(built, monkeypatch, capsys):
    import json

    from spark_jobs.cli import main

    spark, settings = built
    monkeypatch.setenv("MLG_LAKEHOUSE", settings.lakehouse)
    monkeypatch.setenv("MLG_STATE_DIR", settings.state_dir)
    monkeypatch.setenv("MLG_SEARCH_BACKEND", "embedded")
    scores = {r["id"]: r["score"] for r in rows(spark, "SELECT id, score FROM quality.entity_scores "
                                                       "WHERE run_id = 'score-1'")}
    assert main(["search", "", "--max-quality", "70", "--limit", "1000", "--format", "json"]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {h["uri"]: h["quality"] for h in hits} == {k: v for k, v in scores.items() if v <= 70}
    assert CHURN in {h["uri"] for h in hits}
    assert main(["search", "", "--min-quality", "90", "--type", "model", "--limit", "1000", "--format", "json"]) == 0
    hits = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert hits and {h["uri"] for h in hits} == {k for k, v in scores.items()
                                                 if v >= 90 and k.startswith("aip://model/")}
    assert main(["search", "alice", "--owners", "--max-quality", "50"]) == 2
    assert "people and teams (--owners) have no score" in capsys.readouterr().err


def test_a_domain_score_drop_warns_or_fails_the_gate(spark, settings):
    """Its own lakehouse: it changes the graph between quality runs."""
    from quality.runner import run_quality

    lh.write(spark, settings, *lh.people())
    lh.write(spark, settings, *lh.assets())
    now = datetime.now(timezone.utc)

    def run(run_id: str, minutes: int, **options):
        return run_quality(spark, settings, run_id=run_id, config=QualityConfig.load(options, env={}),
                           now=now + timedelta(minutes=minutes), data_docs=False)

    first = run("score-1", 0, score_drop_max="data=5")
    assert [r.observed.get("note") for r in first.results if r.expectation == "score_drop"] == [
        "no earlier scored run to compare with"]
    spark.sql("UPDATE graph.entities SET description = 'TODO', owners = array() "
              "WHERE domain = 'data' AND state = 'hydrated'").collect()
    warn = run("score-2", 1, score_drop_max="data=5")
    drop = {r.target: r for r in warn.results if r.expectation == "score_drop"}
    assert not drop["data"].success and drop["data"].severity == "warning" and warn.gate == "pass"
    assert drop["data"].observed["previous_run"] == "score-1" and drop["data"].observed["drop"] > 5
    assert drop["models"].success and drop["models"].observed["drop"] == 0
    # judged against the run just before: data no longer drops; features now do, and block when critical
    spark.sql("UPDATE graph.entities SET description = NULL WHERE domain = 'features'").collect()
    fail = run("score-3", 2, score_drop_max="*=5", severities="score_drop=critical", score_keep_runs=2)
    assert fail.gate == "fail" and {r.target for r in fail.failed_critical} == {"features"}

    # retention: keeping 2 runs, score-3 deleted score-1's rows (after comparing with score-2)
    scored = {r["run_id"]: r["n"] for r in rows(spark, "SELECT run_id, count(*) AS n FROM quality.entity_scores "
                                                       "GROUP BY run_id")}
    assert set(scored) == {"score-2", "score-3"} and scored["score-3"] == fail.scores.assets
    assert {r["run_id"] for r in rows(spark, "SELECT run_id FROM quality.score_rollups")} == set(scored)
    from quality.scores import expired_score_runs

    def expired(days_later: float, **options) -> list[str]:
        return expired_score_runs(spark, settings, QualityConfig.load(options, env={}), current_run="score-3",
                                  now=now + timedelta(days=days_later))
    assert expired(0) == [] and expired(366) == ["score-2"] and expired(30, score_keep_days=29) == ["score-2"]
    assert expired(366, score_keep_days=0) == [] and expired(0, score_keep_runs=0) == []


def test_roll_ups_are_rebuilt_after_a_run_that_stopped_before_writing_them(spark, settings):
    """A run commits its scores, then its roll-ups: one stopped in between is found by the next run,
    which rebuilds the roll-ups of every run from the scores and compares with the right run."""
    from quality.runner import run_quality
    from quality.scores import ROLLUPS
    from spark_jobs.sqlrun import run_sql

    lh.write(spark, settings, *lh.people())
    lh.write(spark, settings, *lh.assets())
    now = datetime.now(timezone.utc)

    def run(run_id: str, minutes: int):
        return run_quality(spark, settings, run_id=run_id, config=QualityConfig.load({}, env={}),
                           now=now + timedelta(minutes=minutes), data_docs=False)

    run("r1", 0)
    spark.sql("UPDATE graph.entities SET description = NULL WHERE domain = 'data'").collect()
    run("r2", 1)
    kept = tables.read(spark, settings, ROLLUPS, at_version=tables.version(settings, ROLLUPS))
    tables.overwrite(kept.where("run_id = 'r1'"), settings, ROLLUPS)  # as if r2 stopped after its scores
    third = run("r3", 2)
    compared = {r.observed.get("previous_run") for r in third.results if r.expectation == "score_drop"}
    assert compared == {"r2"}

    def view(sql: str) -> set[tuple]:
        return {tuple(r) for r in run_sql(spark, settings, sql).collect()}

    base = ("SELECT run_id, {key} count(*), round(avg(score), 1), count_if(score < 100) FROM {rows} "
            "GROUP BY run_id {group}")
    whole = view("SELECT run_id, assets, score FROM score_runs")
    assert whole == {t[:3] for t in view(base.format(key="", rows="quality.entity_scores", group=""))}
    assert {r for r, *_ in whole} == {"r1", "r2", "r3"}
    assert view("SELECT run_id, domain, assets, score, assets_missing_something FROM domain_scores") == view(
        base.format(key="domain,", rows="quality.entity_scores", group=", domain"))
    assert view("SELECT run_id, team, assets, score, assets_missing_something FROM team_scores") == view(
        base.format(key="team,", rows="(SELECT run_id, score, explode(teams) AS team FROM quality.entity_scores)",
                    group=", team"))


def test_mlg_quality_for_names_what_an_entity_or_team_lacks(built, monkeypatch, capsys):
    from spark_jobs.cli import main

    _spark, settings = built
    monkeypatch.setenv("MLG_LAKEHOUSE", settings.lakehouse)
    assert main(["quality", "--for", CHURN]) == 0
    out = capsys.readouterr().out
    assert "fix first: description (placeholder), owner inactive, owner unknown to identity" in out
    assert f"identity does not know {FORMER}" in out and "MISSING" in out
    assert main(["quality", "--for", "growth"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("team Growth: score") and CHURN in out
    assert main(["quality", "--for", "no such team"]) == 1
    assert "no team 'no such team'" in capsys.readouterr().err
    assert main(["quality", "--for", lh.RUN]) == 1
    assert "was not scored" in capsys.readouterr().err
