"""What each governance report section depends on is read from its SQL (and the views it goes
through), so a kept section is invalidated by every table it reads."""

from __future__ import annotations

from quality.governance import ReportOptions, section_reads, sections
from quality.report_store import tables_read


def test_each_section_depends_on_the_tables_behind_its_sql_and_views():
    reads = {s.key: section_reads(s) for s in sections(ReportOptions())}
    assert reads["deprecation_candidates"] == {"graph.entities", "graph.edges", "graph.impact"}
    # live_assets, asset_teams -> owner_assets, active_edges; latest_scores -> quality.entity_scores and
    # (the newest run) score_runs -> quality.score_rollups
    scores = {"quality.entity_scores", "quality.score_rollups"}
    assert reads["stale_undocumented"] == {"graph.entities", "graph.edges", *scores}
    assert reads["ownership_coverage"] == {"graph.entities", "graph.edges"}
    assert reads["quality_trend"] == {"quality.run_summaries", "quality.score_rollups"}
    assert reads["scorecard"] == scores
    assert reads["graph_size"] == {"graph.entities", "graph.edges"}


def test_names_in_comments_and_strings_are_not_reads():
    assert tables_read("-- graph.impact\nSELECT 'graph.edges' AS x FROM quality.results") == {"quality.results"}
