"""Portal freshness badge and settings: thresholds from MLG_PORTAL_* with explicit values winning."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from spark_jobs.config import ConfigError
from spark_jobs.portal.config import PortalSettings
from spark_jobs.portal.views import freshness

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("hours_ago, status", [(1, "fresh"), (30, "aging"), (24 * 8, "stale")])
def test_freshness_from_the_newest_read(hours_ago, status):
    row = {"last_hydrated_at": NOW - timedelta(hours=hours_ago + 100), "last_enriched_at": NOW - timedelta(hours=hours_ago)}
    assert freshness(row, PortalSettings(), NOW)["status"] == status


def test_never_read_is_stale():
    assert freshness({"last_hydrated_at": None, "last_enriched_at": None}, PortalSettings(), NOW)["status"] == "stale"


def test_thresholds_from_the_environment_and_overrides():
    settings = PortalSettings.load(env={"MLG_PORTAL_FRESH_HOURS": "2", "MLG_PORTAL_STALE_HOURS": "4"})
    assert (settings.fresh_hours, settings.stale_hours) == (2.0, 4.0)
    assert freshness({"last_hydrated_at": NOW - timedelta(hours=3)}, settings, NOW)["status"] == "aging"
    assert PortalSettings.load(env={"MLG_PORTAL_FRESH_HOURS": "2"}, fresh_hours=5).fresh_hours == 5
    with pytest.raises(ConfigError, match="MLG_PORTAL_FRESH_HOURS"):
        PortalSettings.load(env={"MLG_PORTAL_FRESH_HOURS": "soon"})
    with pytest.raises(ConfigError, match="fresh_hours <= stale_hours"):
        PortalSettings.load(env={"MLG_PORTAL_FRESH_HOURS": "10", "MLG_PORTAL_STALE_HOURS": "5"})
