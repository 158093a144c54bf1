"""Data Docs retention: the validation pages of old runs go, the newest runs' and the current one stay."""

from __future__ import annotations

from pathlib import Path

from quality.runner import prune_data_docs


def _page(site: Path, suite: str, run: str, at: str) -> Path:
    page = site / "validations" / suite / run / at / "lakehouse-entities.html"
    page.parent.mkdir(parents=True)
    page.write_text("<html/>")
    return page


def test_runs_beyond_the_newest_are_removed_in_every_suite(tmp_path):
    times = {f"run-{i}": f"2026120{i}T100000.000000Z" for i in range(1, 6)}  # run-5 is the newest
    pages = {(suite, run): _page(tmp_path, suite, run, at) for run, at in times.items()
             for suite in ("entities", "edges")}
    current = _page(tmp_path, "entities", "current", "20261201T000000.000000Z")  # its clock may lag

    removed = prune_data_docs(tmp_path, keep_runs=3, current_run="current")

    assert sorted(removed) == ["run-1", "run-2", "run-3"]
    assert current.is_file()
    assert {key for key, page in pages.items() if page.is_file()} == {
        (suite, run) for suite in ("entities", "edges") for run in ("run-4", "run-5")}
    assert not (tmp_path / "validations" / "edges" / "run-1").exists()


def test_zero_keeps_every_page_and_an_empty_site_is_fine(tmp_path):
    page = _page(tmp_path, "entities", "old", "20200101T000000.000000Z")
    assert prune_data_docs(tmp_path, keep_runs=0, current_run="new") == []
    assert page.is_file()
    assert prune_data_docs(tmp_path / "missing", keep_runs=5, current_run="new") == []
