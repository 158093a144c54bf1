"""Each critical expectation fails on a crafted bad table, and a failed gate blocks publish."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from quality.config import DEFAULT_SEVERITIES
from spark_jobs import tables
from spark_jobs.build import run_build
from spark_jobs.stages import RunContext
from tests.integration import test_quality_lakehouse as lh

pytestmark = pytest.mark.integration

Rows = list[dict]


def _duplicate_entity(ents: Rows, edges: Rows) -> None:
    ents.append(copy.deepcopy(ents[0]))


def _null_id(ents: Rows, edges: Rows) -> None:
    ents.append({**ents[0], "id": None})


def _unencoded_id(ents: Rows, edges: Rows) -> None:
    ents.append(lh.entity(lh.CLICKS, id="aip://dataset/datasets/raw clicks"))


def _id_of_another_type(ents: Rows, edges: Rows) -> None:
    ents.append({**lh.entity(lh.E.MODEL.uri("looks-like-a-model")), "entity_type": "Dataset", "domain": "data"})


def _unknown_type(ents: Rows, edges: Rows) -> None:
    ents.append({**lh.entity(lh.CLICKS), "id": "aip://notebook/jupyter/eda", "entity_type": "Notebook"})


def _unknown_state(ents: Rows, edges: Rows) -> None:
    ents[-1]["state"] = "archived"


def _blank_name(ents: Rows, edges: Rows) -> None:
    ents[-1]["name"] = "   "


def _future_timestamp(ents: Rows, edges: Rows) -> None:
    ents[-1]["updated_at"] = lh.NOW + timedelta(days=30)


def _duplicate_edge(ents: Rows, edges: Rows) -> None:
    edges.append(copy.deepcopy(edges[-1]))


def _edge_end_not_a_uri(ents: Rows, edges: Rows) -> None:
    edges.append({**lh.edge(lh.ETL, "READS", lh.CLICKS), "dst": "s3://bucket/clicks"})


def _unknown_relation(ents: Rows, edges: Rows) -> None:
    edges.append({**lh.edge(lh.ETL, "READS", lh.CLICKS), "rel": "LIKES"})


def _unknown_provenance(ents: Rows, edges: Rows) -> None:
    edges.append({**lh.edge(lh.ETL, "READS", lh.CLICKS), "provenance": "guessed"})


def _edge_to_missing_entity(ents: Rows, edges: Rows) -> None:
    edges.append(lh.edge(lh.ETL, "READS", lh.E.DATASET.uri("ghost")))


def _relation_illegal_for_types(ents: Rows, edges: Rows) -> None:
    edges.append(lh.edge(lh.CLICKS, "READS", lh.ETL))  # a dataset does not read a pipeline


# check -> (defect, other critical checks the same defect may also trip)
CASES: dict[str, tuple[Callable[[Rows, Rows], None], set[str]]] = {
    "id_unique": (_duplicate_entity, set()),
    "id_not_null": (_null_id, set()),
    "id_is_aip_uri": (_unencoded_id, set()),
    "id_matches_type": (_id_of_another_type, set()),
    "entity_type_in_vocabulary": (_unknown_type, set()),
    "state_in_vocabulary": (_unknown_state, set()),
    "name_present": (_blank_name, set()),
    "timestamp_not_in_future": (_future_timestamp, set()),
    "edge_key_unique": (_duplicate_edge, set()),
    "edge_ends_are_aip_uris": (_edge_end_not_a_uri, {"edge_ends_exist", "relation_legal_for_types"}),
    "relation_in_vocabulary": (_unknown_relation, {"relation_legal_for_types"}),
    "provenance_in_vocabulary": (_unknown_provenance, set()),
    "edge_ends_exist": (_edge_to_missing_entity, set()),
    "relation_legal_for_types": (_relation_illegal_for_types, set()),
}


def base() -> tuple[Rows, Rows]:
    people, member_edges = lh.people()
    assets, asset_edges = lh.assets()
    return people + assets, member_edges + asset_edges


def quality_then_publish(settings, run_id: str):
    return run_build(settings, only=["quality", "publish"], ctx=RunContext.new(run_id, quality_data_docs=False))


def failed(spark, settings, run_id: str, severity: str = "critical") -> set[str]:
    errors = tables.read(spark, settings, "quality.results") \
        .where(f"run_id = '{run_id}' AND observed_value LIKE '%\"error\"%'").count()
    assert errors == 0  # a check that raised is a failure of the runner, not of the data
    rows = tables.read(spark, settings, "quality.results") \
        .where(f"run_id = '{run_id}' AND NOT success AND severity = '{severity}'").collect()
    return {r.expectation for r in rows}


def test_every_critical_default_has_a_crafted_failure():
    drift = {"entity_count_drop", "inferred_edge_count_drop"}  # tests/integration/test_quality_drift.py
    assert {c for c, s in DEFAULT_SEVERITIES.items() if s == "critical"} == set(CASES) | drift


@pytest.mark.parametrize("check", sorted(CASES))
def test_critical_expectation_fails_on_a_bad_table_and_blocks_publish(spark, settings, check):
    defect, also = CASES[check]
    ents, edges = base()
    defect(ents, edges)
    lh.write(spark, settings, ents, edges)

    report = quality_then_publish(settings, f"bad-{check}")

    assert not report.gate_passed
    assert report.skipped == {"publish": "quality gate failed"}
    assert check in failed(spark, settings, f"bad-{check}")
    assert failed(spark, settings, f"bad-{check}") <= {check} | also


def test_clean_tables_pass_and_publish_is_not_blocked(spark, settings):
    lh.write(spark, settings, *base())
    report = quality_then_publish(settings, "clean")
    assert report.gate_passed and "publish" not in report.skipped
    assert failed(spark, settings, "clean") == set()
    # an edge to a `reference` entity is fine; the fixture's governance gaps are warnings
    ok = tables.read(spark, settings, "quality.results") \
        .where("run_id = 'clean' AND expectation = 'edge_ends_exist' AND target = 'dst'").first()
    assert ok.success
    assert failed(spark, settings, "clean", "warning") == {"owners_present", "owners_active"}


def test_an_edge_to_a_deleted_entity_warns_without_blocking(spark, settings):
    ents, edges = base()
    next(e for e in ents if e["id"] == lh.IMPRESSIONS)["state"] = "deleted"
    lh.write(spark, settings, ents, edges)
    report = quality_then_publish(settings, "deleted-target")
    assert report.gate_passed
    assert "edge_ends_not_deleted" in failed(spark, settings, "deleted-target", "warning")


def test_severity_is_a_parameter(spark, settings):
    lh.write(spark, settings, *base())
    report = run_build(settings, only=["quality", "publish"], ctx=RunContext.new(
        "strict", quality_data_docs=False, quality={"severities": {"owners_present": "critical"}}))
    assert not report.gate_passed
    assert failed(spark, settings, "strict") == {"owners_present"}


def test_mlg_quality_exits_3_when_the_gate_fails(spark, settings, monkeypatch, capsys):
    from spark_jobs.cli import main

    ents, edges = base()
    _edge_to_missing_entity(ents, edges)
    lh.write(spark, settings, ents, edges)
    monkeypatch.setenv("MLG_LAKEHOUSE", settings.lakehouse)
    monkeypatch.setenv("MLG_REPORTS_DIR", settings.reports_dir)
    assert main(["quality", "--run-id", "cli-fail"]) == 3
    out = capsys.readouterr()
    assert "edge_ends_exist[dst]" in out.out and "gate FAIL" in out.out and "ghost" in out.out
    # the same tables pass once the check is only a warning; the summary page and GE Data Docs render
    assert main(["quality", "--run-id", "cli-pass", "--set", "severities=edge_ends_exist=warning"]) == 0
    index = Path(settings.reports_dir) / "quality"
    assert "cli-pass" in (index / "index.html").read_text()
    assert (index / "data_docs" / "index.html").is_file()
    assert main(["quality", "--set", "drift_max_drop_share=2"]) == 2  # a share above 1 is a usage error


def test_a_failed_expectation_names_its_rows_and_a_passed_one_reads_none(spark, settings):
    """GE validates counts first and fetches examples only for expectations with unexpected rows:
    those still name the offending rows by id (with Data Docs rendered), the others carry none."""
    import json

    ents, edges = base()
    _unencoded_id(ents, edges)
    lh.write(spark, settings, ents, edges)
    run_build(settings, only=["quality"], ctx=RunContext.new("examples"))

    rows = {(r.expectation, r.target): r for r in tables.read(spark, settings, "quality.results")
            .where("run_id = 'examples' AND suite IN ('entities', 'edges', 'coverage')").collect()}
    bad_id = json.loads(rows[("id_is_aip_uri", "id")].observed_value)
    assert bad_id["unexpected"] == 1 and bad_id["examples"] == ["aip://dataset/datasets/raw clicks"]
    unowned = json.loads(rows[("owners_present", "owners")].observed_value)
    assert unowned["unexpected"] >= 1 and len(unowned["examples"]) == unowned["unexpected"]
    assert all(e.startswith("aip://") for e in unowned["examples"])
    clean = json.loads(rows[("id_not_null", "id")].observed_value)
    assert clean["unexpected"] == 0 and "examples" not in clean
    pages = list((Path(settings.reports_dir) / "quality" / "data_docs" / "validations").rglob("*.html"))
    assert {p.parents[2].name for p in pages} == {"entities", "coverage", "edges"}  # no ".examples" pages
