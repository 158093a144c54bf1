"""Point lookups straight from Delta (`spark_jobs.graph.lookup`, no Spark client) give the same
answers as the analyst queries on the engine, and the query commands never import pyspark."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from spark_jobs import output
from spark_jobs.commands.tables import table_summary
from spark_jobs.graph import queries
from spark_jobs.graph.lookup import GraphLookup
from spark_jobs.graph.synthetic import SourcesExample as X
from tests.integration.test_graph_queries import BOB, DATA_TEAM, RAW_LOGS, UPSTREAM_PIPELINE, built  # noqa: F401

pytestmark = pytest.mark.integration

URIS = [X.RUN, X.INSTANCE, X.MODEL, X.CLICKS, RAW_LOGS, X.FEATURE, X.TEST, UPSTREAM_PIPELINE, BOB, DATA_TEAM]


def _plain(columns, rows):
    return [tuple(output.plain(v) for v in row) for row in rows]


def _engine(df):
    return df.columns, _plain(df.columns, [tuple(r) for r in df.collect()])


PATHS = [(RAW_LOGS, X.TEST, "dependency"), (X.INSTANCE, X.TEAM, "all"), (X.TEST, RAW_LOGS, "dependency"),
         (X.MODEL, X.CLICKS, "dependency"), (X.INSTANCE, X.TEAM, "dependency")]


def _path(steps):
    return None if steps is None else [(s.src, s.rel, s.dst, s.forward) for s in steps]


def test_lookup_answers_as_the_engine_does(built, spark):
    graph = GraphLookup(built)
    for uri in URIS:
        pairs = [
            (queries.lineage(spark, built, uri), graph.lineage(uri)),
            (queries.lineage(spark, built, uri, depth=2, rel="READS"), graph.lineage(uri, depth=2, rel="READS")),
            (queries.impact(spark, built, uri), graph.impact(uri)),
            (queries.related(spark, built, uri), graph.related(uri)),
        ]
        for df, (columns, rows) in pairs:
            assert _engine(df) == (columns, _plain(columns, rows)), uri
    assert any(graph.impact(uri)[1] for uri in URIS) and any(graph.lineage(uri)[1] for uri in URIS)
    for src, dst, relations in PATHS:
        assert _path(queries.shortest_path(spark, built, src, dst, relations=relations)) == \
            _path(graph.shortest_path(src, dst, relations=relations)), (src, dst, relations)
    assert GraphLookup(built).table_summary()[1] == table_summary(spark, built)


def test_shortest_path_is_the_same_when_a_frontier_outgrows_the_level_reads(built, monkeypatch):
    """Large frontiers read every walkable edge in one scan instead of per level: same paths."""
    from spark_jobs.graph import lookup

    by_level = [_path(GraphLookup(built).shortest_path(s, d, relations=r)) for s, d, r in PATHS]
    monkeypatch.setattr(lookup._Steps, "WHOLE_GRAPH_AT", 0)
    assert [_path(GraphLookup(built).shortest_path(s, d, relations=r)) for s, d, r in PATHS] == by_level
    assert any(p for p in by_level)


def _cli(settings, *argv):
    """`mlg ARGV` in a fresh interpreter; reports whether pyspark got imported."""
    code = ("import sys; from spark_jobs.cli import main; rc = main(sys.argv[1:]); "
            "print('PYSPARK' if 'pyspark' in sys.modules else 'NO-PYSPARK', file=sys.stderr); sys.exit(rc)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLG_")}
    env.update(MLG_LAKEHOUSE=settings.lakehouse, MLG_STATE_DIR=settings.state_dir)
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env, timeout=60)


def test_query_commands_never_start_a_spark_client(built):
    for argv in (["lineage", X.RUN], ["impact", RAW_LOGS], ["related", X.MODEL], ["explain", RAW_LOGS, X.TEST],
                 ["tables"]):
        done = _cli(built, *argv, "--format", "json")
        assert done.returncode == 0, done.stderr
        assert done.stderr.strip().endswith("NO-PYSPARK"), argv
        assert [json.loads(line) for line in done.stdout.splitlines()], argv


@pytest.mark.parametrize("argv, message", [
    (["lineage", X.RUN, "--depth", "0"], "mlg lineage: --depth must be at least 1"),
    (["lineage", X.RUN, "--rel", "reads"], "mlg lineage: unknown relationship 'reads'"),
    (["sql", "-f", str(queries.QUERIES_DIR / "impact.sql")], "mlg sql: the query needs :uri: pass --param uri="),
])
def test_bad_arguments_are_refused_before_any_engine_starts(settings, argv, message):
    done = _cli(settings, *argv)
    assert done.returncode == 2
    first, marker = done.stderr.strip().splitlines()
    assert first.startswith(message) and marker == "NO-PYSPARK"
