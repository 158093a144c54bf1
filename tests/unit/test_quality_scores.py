"""Metadata score settings, placeholder descriptions and the score-drift rule (pure functions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from quality.charts import sparkline
from quality.config import QualityConfig
from quality.placeholders import PLACEHOLDER_PATTERNS, is_placeholder
from quality.scores import score_drift, score_params
from spark_jobs.errors import UsageError

VIEW = Path(__file__).resolve().parents[2] / "sql" / "views" / "01_current_entities.sql"


@pytest.mark.parametrize("text", ["TODO", "tbd", "TBD - ask the owner", "TODO: describe this", "n/a", "-", "...",
                                  "description", "  Placeholder. ", "to be documented"])
def test_placeholders_are_recognised(text):
    assert is_placeholder(text)


@pytest.mark.parametrize("text", [None, "", "   ", "Ranks titles on the home page.", "None of the clicks are bots",
                                  "todos per user", "wipe-out rate", "Description of churn by cohort", "名前の説明"])
def test_real_descriptions_are_not_placeholders(text):
    assert not is_placeholder(text)


def test_the_live_assets_view_uses_the_same_patterns():
    sql = VIEW.read_text()
    assert all(f"'{pattern}'" in sql for pattern in PLACEHOLDER_PATTERNS)


def test_score_settings_have_defaults_and_overrides():
    config = QualityConfig.load({"score_weights": "tags=0,description=40", "score_freshness_days": "Model=30",
                                 "score_drop_max": "data=5,*=10", "score_tag_types": "Model"}, env={})
    assert config.score_weights["tags"] == 0 and config.score_weights["description"] == 40
    assert config.score_weights["owner"] == 25  # untouched parts keep their default
    assert config.score_freshness_days["Model"] == 30 and config.score_freshness_days["*"] == 180
    assert config.score_drop_limit("data") == 5 and config.score_drop_limit("models") == 10
    assert QualityConfig.load(env={}).score_drop_limit("data") is None  # not judged unless set
    params = score_params(config, now=None)
    assert "tags=0.0" in params["weights"] and "Model=30.0" in params["windows"] and params["tag_types"] == "Model"


@pytest.mark.parametrize("options, message", [
    ({"score_weights": "looks=5"}, "parts from"),
    ({"score_weights": "description=-1"}, "parts from"),
    ({"score_weights": ",".join(f"{p}=0" for p in ("description", "owner", "owners_known", "fresh", "lineage",
                                                    "tags", "checks"))}, "at least one weight"),
    ({"score_drop_max": "data"}, "key=value"),
])
def test_bad_score_settings_are_usage_errors(options, message):
    with pytest.raises(UsageError, match=message):
        QualityConfig.load(options, env={})


def test_score_drift_fails_only_a_judged_domain_that_fell_too_far():
    config = QualityConfig.load({"score_drop_max": "data=5"}, env={})
    results = {r.target: r for r in score_drift({"data": 70.0, "models": 50.0},
                                                ("run-1", {"data": 80.0, "models": 90.0}), config)}
    assert not results["data"].success and results["data"].observed["drop"] == 10.0
    assert results["models"].success and not results["models"].observed["judged"]  # no limit for models
    assert all(r.severity == "warning" for r in results.values())
    critical = QualityConfig.load({"score_drop_max": "*=5", "severities": "score_drop=critical"}, env={})
    assert [r.blocking for r in score_drift({"data": 79.0}, ("run-1", {"data": 80.0}), critical)] == [False]
    assert [r.blocking for r in score_drift({"data": 74.0}, ("run-1", {"data": 80.0}), critical)] == [True]
    first = score_drift({"data": 74.0}, None, critical)
    assert [r.success for r in first] == [True] and first[0].observed["domains"] == {"data": 74.0}


def test_sparkline_draws_every_run_on_a_fixed_scale():
    svg = sparkline([50.0, None, 100.0], title="score per run")
    assert svg.startswith("<svg") and "score per run: 50, 100" in svg
    assert svg.count(",") >= 2 and "polyline" in svg
    assert "no runs" in sparkline([], title="x")
