"""Quality thresholds and severities: defaults, env and option overrides, clear errors."""

import pytest

from quality.config import DEFAULT_SEVERITIES, QualityConfig
from spark_jobs.errors import UsageError


def test_defaults_make_structural_checks_critical_and_governance_gaps_warnings():
    config = QualityConfig.load(env={})
    assert config.severity("edge_ends_exist") == "critical"
    assert config.severity("entity_count_drop") == "critical"
    assert config.severity("owners_active") == "warning"
    assert config.severity("share_with_description") == "warning"
    assert config.freshness_window("Model") == 168.0


def test_environment_overrides_defaults_and_options_override_the_environment():
    env = {"MLG_QUALITY_DRIFT_MAX_DROP_SHARE": "0.5", "MLG_QUALITY_FRESHNESS_HOURS": "PipelineRun=24,*=72",
           "MLG_QUALITY_SEVERITIES": "owners_present=critical"}
    config = QualityConfig.load(env=env)
    assert config.drift_max_drop_share == 0.5
    assert config.freshness_window("PipelineRun") == 24.0 and config.freshness_window("Model") == 72.0
    assert config.severity("owners_present") == "critical"
    assert config.severity("id_unique") == "critical"  # untouched checks keep their default
    assert QualityConfig.load({"drift_max_drop_share": "0.1"}, env=env).drift_max_drop_share == 0.1


@pytest.mark.parametrize("options, message", [
    ({"drift_max_drop_share": "1.5"}, "between 0 and 1"),
    ({"drift_min_baseline": "ten"}, "drift_min_baseline"),
    ({"no_such_threshold": 1}, "unknown quality setting"),
    ({"severities": "owners_present=fatal"}, "critical|warning"),
    ({"severities": "no_such_check=warning"}, "known check"),
    ({"freshness_hours": "Model"}, "key=value"),
    ({"score_keep_runs": "1"}, "score_keep_runs.*previous run"),
    ({"score_keep_days": "-1"}, "score_keep_days.*>= 0"),
    ({"docs_keep_runs": "-3"}, "docs_keep_runs.*>= 0"),
])
def test_bad_settings_are_usage_errors_naming_the_setting(options, message):
    with pytest.raises(UsageError, match=message):
        QualityConfig.load(options, env={})


def test_every_default_severity_is_critical_or_warning():
    assert set(DEFAULT_SEVERITIES.values()) <= {"critical", "warning"}
