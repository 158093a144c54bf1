"""State that belongs to a lakehouse follows it: with `MLG_LAKEHOUSE` pointing at another (empty)
lakehouse, search does not answer from the first one's index, and publish and report from the
empty graph are refused by the quality gate, leaving the first lakehouse's index and report alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quality import suites
from spark_jobs.cli import main
from spark_jobs.config import Settings
from spark_jobs.graph import guard
from spark_jobs.graph.synthetic import write_graph
from spark_jobs.search.publish import publish
from tests.integration.test_search_publish import MODEL, small_graph

pytestmark = pytest.mark.integration


def _use(monkeypatch, lakehouse: Path, state: Path) -> Settings:
    for key in ("MLG_REPORTS_DIR", "MLG_ES_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MLG_LAKEHOUSE", str(lakehouse))
    monkeypatch.setenv("MLG_STATE_DIR", str(state))
    monkeypatch.setenv("MLG_CONFIG", "/nonexistent/mlg.toml")
    return Settings.load()


def test_an_empty_lakehouse_neither_sees_nor_replaces_another_ones_state(spark, tmp_path, monkeypatch, capsys):
    state = tmp_path / "state"
    first = _use(monkeypatch, tmp_path / "first", state)
    write_graph(spark, first, small_graph())
    publish(spark, first)
    assert main(["report"]) == 0
    report = Path(first.reports_dir) / "governance" / "governance.html"
    before = report.read_bytes()
    capsys.readouterr()
    assert main(["search", "ranking-v5", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["uri"] == MODEL

    empty = _use(monkeypatch, tmp_path / "empty", state)
    assert empty.reports_dir != first.reports_dir
    assert main(["search", "ranking-v5"]) == 1
    assert "no search snapshot" in capsys.readouterr().err
    assert main(["build", "--only", "publish"]) == guard.GATE_REFUSED_EXIT
    assert main(["report"]) == guard.GATE_REFUSED_EXIT
    err = capsys.readouterr().err
    assert "quality gate: refusing to publish an empty graph" in err
    assert "quality gate: refusing to report on an empty graph" in err

    _use(monkeypatch, tmp_path / "first", state)
    assert report.read_bytes() == before
    assert main(["search", "ranking-v5", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["uri"] == MODEL


def test_the_guard_counts_what_the_quality_suites_call_live():
    assert guard.LIVE_STATES == suites.LIVE_STATES
