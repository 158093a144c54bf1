"""The graph questions, through `mlg lineage|impact|explain|related` and the analyst SQL in
sql/queries/: which A/B tests use this instance (and the reverse), which models break if this
feature changes, what datasets a pipeline transitively depends on, who owns each link."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from spark_jobs import stages
from spark_jobs.cli import main
from spark_jobs.graph import queries
from spark_jobs.graph.synthetic import SourcesExample as X
from spark_jobs.graph.synthetic import write_graph
from spark_jobs.stages import RunContext

pytestmark = pytest.mark.integration

UPSTREAM_PIPELINE = "aip://pipeline/orchestrator/clicks-sessionizer"
RAW_LOGS = "aip://dataset/datasets/raw-logs"
BOB = "aip://user/identity/bob"
DATA_TEAM = "aip://team/identity/data-platform"


@pytest.fixture
def built(spark, settings, monkeypatch):
    """The SOURCES.md graph plus the pipeline that makes `clicks` from raw logs, inferred and closed."""
    graph = (X.graph()
             .add(X.CLICKS, "PRODUCED_BY", UPSTREAM_PIPELINE).add(UPSTREAM_PIPELINE, "READS", RAW_LOGS)
             .add(BOB, "MEMBER_OF", DATA_TEAM)
             .entity(X.CLICKS, owners=[BOB]).entity(RAW_LOGS, owners=[DATA_TEAM]))
    write_graph(spark, settings, graph)
    ctx = RunContext("r1", datetime(2026, 2, 1, tzinfo=timezone.utc), {})
    for stage in ("infer", "closure"):
        stages.run_stage(stage, spark, settings, ctx)
    monkeypatch.setenv("MLG_LAKEHOUSE", settings.lakehouse)
    return settings


def cli_json(capsys, *argv) -> list[dict]:
    assert main([*argv, "--format", "json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_lineage_goes_upstream_with_depth_and_relation_filters(built, capsys):
    rows = cli_json(capsys, "lineage", X.RUN)
    assert [(r["id"], r["depth"]) for r in rows] == [
        (X.PIPELINE, 1), (X.CLICKS, 2), (UPSTREAM_PIPELINE, 3), (RAW_LOGS, 4)]
    assert rows[1]["relations"] == ["READS", "RUN_OF"] and rows[1]["owners"] == [BOB]
    assert [r["id"] for r in cli_json(capsys, "lineage", X.RUN, "--depth", "2")] == [X.PIPELINE, X.CLICKS]
    assert {r["id"] for r in cli_json(capsys, "lineage", X.INSTANCE, "--rel", "USES_FEATURE")} == {X.FEATURE}


def test_impact_lists_owners_and_teams_to_notify(built, capsys):
    rows = {r["id"]: r for r in cli_json(capsys, "impact", RAW_LOGS)}
    assert {X.CLICKS, X.FEATURE, X.INSTANCE, X.MODEL, X.TEST, X.RUN} <= set(rows)
    assert RAW_LOGS not in rows
    assert rows[X.INSTANCE]["owners"] == [X.ALICE] and rows[X.INSTANCE]["teams"] == [X.TEAM]  # via MEMBER_OF
    assert rows[X.FEATURE]["teams"] == [X.TEAM]  # a team owner is notified directly
    assert rows[X.CLICKS]["teams"] == [DATA_TEAM]
    assert main(["impact", RAW_LOGS, "--format", "table"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"teams to notify: {DATA_TEAM}, {X.TEAM}"


def test_explain_prints_a_shortest_path_with_relations(built, capsys):
    assert main(["explain", RAW_LOGS, X.TEST, "--format", "table"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        RAW_LOGS,
        f"  <-[READS]- {UPSTREAM_PIPELINE}",
        f"  <-[PRODUCED_BY]- {X.CLICKS}",
        f"  <-[TRAINED_ON]- {X.INSTANCE}",
        f"  -[TESTED_IN]-> {X.TEST}",
        "(4 hops)",
    ]
    assert main(["explain", X.INSTANCE, X.TEAM]) == 1  # ownership is not walked by default
    assert "no path" in capsys.readouterr().err
    assert main(["explain", X.INSTANCE, X.TEAM, "--all-relations", "--format", "json"]) == 0
    hops = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(h["rel"], h["walked"]) for h in hops] == [("OWNED_BY", "forward"), ("MEMBER_OF", "forward")]


def test_related_is_one_hop_both_ways(built, capsys):
    rows = {(r["direction"], r["rel"], r["id"]) for r in cli_json(capsys, "related", X.RUN)}
    assert rows == {("out", "RUN_OF", X.PIPELINE), ("out", "RAN_FOR", X.CELL),
                    ("in", "PRODUCED_BY", X.INSTANCE), ("in", "PRODUCED_BY", X.SCORES)}


@pytest.mark.parametrize("argv, code, message", [
    (["lineage", "aip://model/registry"], 2, "mlg lineage: an AIP URI has exactly three non-empty parts"),
    (["impact", "model/registry/x"], 2, "mlg impact: not an AIP URI"),
    (["explain", X.MODEL, "aip://Model/registry/x"], 2, "mlg explain: component_type must match"),
    (["related", "aip://model/registry/nope"], 1, "mlg related: unknown entity aip://model/registry/nope"),
    (["lineage", X.MODEL, "--rel", "READZ"], 2, "mlg lineage: unknown relationship 'READZ'"),
])
def test_bad_input_is_one_clear_line(built, capsys, argv, code, message):
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


# -- the same questions as analyst SQL ---------------------------------------------------------------

def test_models_broken_by_a_feature(built, spark):
    rows = queries.run_query(spark, built, "models_broken_by_feature", feature=X.FEATURE).collect()
    assert [(r.entity_type, r.id) for r in rows] == [
        ("Model", X.MODEL), ("ModelInstance", X.INSTANCE), ("AbTest", X.TEST)]


def test_datasets_a_pipeline_transitively_depends_on(built, spark):
    rows = queries.run_query(spark, built, "pipeline_upstream_datasets", pipeline=X.PIPELINE).collect()
    assert [(r.id, r.depth) for r in rows] == [(X.CLICKS, 1), (RAW_LOGS, 3)]


def test_who_owns_each_link_of_the_chain(built, spark):
    rows = queries.run_query(spark, built, "explain", src=RAW_LOGS, dst=X.TEST).collect()
    assert [(r.depth, r.id, r.owners) for r in rows] == [
        (0, RAW_LOGS, [DATA_TEAM]), (1, UPSTREAM_PIPELINE, []), (2, X.CLICKS, [BOB]),
        (3, X.INSTANCE, [X.ALICE]), (4, X.TEST, [])]
    assert queries.run_query(spark, built, "explain", src=X.TEST, dst=RAW_LOGS).count() == 0


QUERIES = Path(__file__).resolve().parents[2] / "sql" / "queries"


@pytest.mark.parametrize("name, params, expected_id", [
    ("tested_in", {"uri": X.INSTANCE}, X.TEST),
    ("tested_in", {"uri": X.TEST}, X.MODEL),
    ("lineage", {"uri": X.RUN, "max_depth": "9", "rel": "READS"}, RAW_LOGS),
    ("impact", {"uri": X.CLICKS}, X.TEST),
    ("related", {"uri": X.MODEL}, X.INSTANCE),
    ("models_broken_by_feature", {"feature": X.FEATURE}, X.MODEL),
    ("pipeline_upstream_datasets", {"pipeline": X.PIPELINE}, RAW_LOGS),
])
def test_analysts_run_the_same_files_with_mlg_sql(built, capsys, name, params, expected_id):
    argv = ["sql", "-f", str(QUERIES / f"{name}.sql"), "--format", "json"]
    for key, value in params.items():
        argv += ["--param", f"{key}={value}"]
    assert main(argv) == 0
    ids = {json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()}
    assert expected_id in ids
