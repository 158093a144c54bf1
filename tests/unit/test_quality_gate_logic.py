"""Pure parts of the gate: drift judgement, the gate decision, result rows, charts."""

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from quality import charts
from quality.checks import _drift_results
from quality.config import QualityConfig
from quality.results import CheckResult, gate
from quality.suites import AIP_URI_REGEX
from spark_jobs.model import EntityType

CONFIG = QualityConfig.load(env={})


def test_drift_fires_when_a_judged_type_falls_more_than_the_share():
    results = {r.target: r for r in _drift_results("entity_count_drop", {"Model": 10, "Dataset": 90, "Team": 0},
                                                   {"Model": 20, "Dataset": 100, "Team": 3}, 7, CONFIG)}
    assert not results["Model"].success and results["Model"].observed["drop_share"] == 0.5
    assert results["Dataset"].success  # 10% drop
    assert results["Team"].success and results["Team"].observed["judged"] is False  # below drift_min_baseline
    assert {r.observed["baseline_version"] for r in results.values()} == {7}


def test_a_type_that_vanishes_entirely_is_a_full_drop():
    (row,) = _drift_results("entity_count_drop", {}, {"Feature": 50}, 3, CONFIG)
    assert not row.success and row.observed["current"] == 0 and row.observed["drop_share"] == 1.0


def test_no_baseline_passes_and_says_why():
    (row,) = _drift_results("entity_count_drop", {"Model": 1}, None, None, CONFIG)
    assert row.success and row.observed["baseline_version"] is None


def test_only_a_failed_critical_check_fails_the_gate():
    ok = CheckResult("s", "a", "t", True, "critical")
    warn = CheckResult("s", "b", "t", False, "warning")
    bad = CheckResult("s", "c", "t", False, "critical")
    assert gate([ok, warn]) == "pass"
    assert gate([ok, warn, bad]) == "fail"


def test_result_row_keeps_observed_as_json_and_the_versions():
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    row = CheckResult("drift", "entity_count_drop", "Model", False, "critical", {"drop_share": 0.5}) \
        .row(run_id="r1", table_versions={"graph.entities": 4}, checked_at=at)
    assert row == ("r1", "drift", "entity_count_drop", "Model", False, '{"drop_share": 0.5}', "critical",
                   {"graph.entities": 4}, at)
    assert json.loads(row[5]) == {"drop_share": 0.5}


def test_uri_regex_accepts_canonical_uris_and_rejects_unencoded_ones():
    import re

    assert re.match(AIP_URI_REGEX, EntityType.DATASET.uri("a b/c..%"))
    assert re.match(AIP_URI_REGEX, EntityType.AB_TEST_CELL.uri("12345:2"))
    for bad in ("aip://dataset/datasets/a b", "aip://dataset/datasets/", "aip://Dataset/datasets/x",
                "s3://bucket/x", "aip://dataset/datasets/a/b", "aip://dataset/datasets/%zz"):
        assert not re.match(AIP_URI_REGEX, bad), bad


def test_charts_are_well_formed_svg_with_escaped_labels():
    bars = charts.stacked_bars(["<script>alert(1)</script>", "data"], [("owned", [3, 5]), ("unowned", [1, 0])],
                               title="Ownership & coverage")
    lines = charts.line_chart(["r1", "r2", "r3"], [("failed", [0, 2, None]), ("share", [0.5, 0.75, 1.0])],
                              title="Trend")
    for svg in (bars, lines):
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg")
    assert "<script>" not in bars and "&lt;script&gt;" in bars
    assert ">4<" in bars and ">5<" in bars  # bar totals are printed
    assert charts.stacked_bars([], [], title="empty").startswith("<p")
