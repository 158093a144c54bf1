"""Impact closure: known closures of hand-made graphs, the article's impact directions, an atomic
replace of graph.impact per run, a property test against networkx, and GraphFrames parity."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import networkx as nx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from spark_jobs import stages, tables
from spark_jobs.graph.closure import closure_dataframe, dependency_edges
from spark_jobs.graph import local_walk
from spark_jobs.graph.reference import networkx_closure
from spark_jobs.graph.synthetic import SourcesExample as X
from spark_jobs.graph.synthetic import set_edge_active, write_graph
from spark_jobs.session import capabilities
from spark_jobs.stages import RunContext

pytestmark = pytest.mark.integration
DEPS = "src string, dst string, rel string"


def closure_of(spark, tmp_path, edges, **kwargs):
    deps = spark.createDataFrame(edges, DEPS)
    result = closure_dataframe(spark, deps, scratch=str(tmp_path / f"scratch-{uuid.uuid4().hex}"), **kwargs)
    rows = {(r.src, r.dst): (r.min_depth, list(r.relations)) for r in result.pairs.collect()}
    return rows, result


def test_chain(spark, tmp_path):
    rows, result = closure_of(spark, tmp_path, [("a", "b", "R1"), ("b", "c", "R2"), ("c", "d", "R3")])
    assert rows == {
        ("a", "b"): (1, ["R1"]), ("b", "c"): (1, ["R2"]), ("c", "d"): (1, ["R3"]),
        ("a", "c"): (2, ["R1", "R2"]), ("b", "d"): (2, ["R2", "R3"]),
        ("a", "d"): (3, ["R1", "R2", "R3"]),
    }
    assert (result.converged, result.level_sizes) == (True, [3, 2, 1])


def test_diamond_collects_the_relations_of_every_shortest_path(spark, tmp_path):
    rows, _ = closure_of(spark, tmp_path, [("a", "b", "X"), ("a", "c", "Y"), ("b", "d", "Z"), ("c", "d", "W"),
                                           ("a", "b", "X2")])
    assert rows[("a", "d")] == (2, ["W", "X", "X2", "Y", "Z"])
    assert rows[("a", "b")] == (1, ["X", "X2"])
    assert len(rows) == 5


def test_shortest_depth_wins_over_a_longer_path(spark, tmp_path):
    rows, _ = closure_of(spark, tmp_path, [("a", "b", "L"), ("b", "c", "L"), ("a", "c", "S")])
    assert rows[("a", "c")] == (1, ["S"])


def test_cycle_terminates_and_every_member_depends_on_itself(spark, tmp_path):
    rows, result = closure_of(spark, tmp_path, [("a", "b", "R"), ("b", "c", "R"), ("c", "a", "R")])
    assert set(rows) == {(s, d) for s in "abc" for d in "abc"}
    assert rows[("a", "a")] == (3, ["R"]) and rows[("a", "c")] == (2, ["R"])
    assert result.converged


def test_disconnected_components_do_not_mix(spark, tmp_path):
    rows, _ = closure_of(spark, tmp_path, [("a", "b", "R"), ("c", "d", "R")])
    assert set(rows) == {("a", "b"), ("c", "d")}


def test_self_loop(spark, tmp_path):
    rows, _ = closure_of(spark, tmp_path, [("a", "a", "S"), ("a", "b", "T")])
    assert rows == {("a", "a"): (1, ["S"]), ("a", "b"): (1, ["T"])}


def test_max_depth_cuts_the_closure_and_says_so(spark, tmp_path):
    chain = [("a", "b", "R"), ("b", "c", "R"), ("c", "d", "R")]
    rows, result = closure_of(spark, tmp_path, chain, max_depth=2)
    assert max(depth for depth, _ in rows.values()) == 2 and not result.converged
    _, exact = closure_of(spark, tmp_path, chain, max_depth=3)
    assert exact.converged


def test_empty_graph(spark, tmp_path):
    rows, result = closure_of(spark, tmp_path, [])
    assert rows == {} and result.converged


# -- property: the closure equals networkx's on random graphs with cycles and self loops ------------

def reference_closure(edges):
    expected = networkx_closure(edges)
    graph = nx.DiGraph([(u, v) for u, v, _ in edges])
    assert set(expected) == set(nx.transitive_closure(graph, reflexive=False).edges)  # the oracle's own check
    return expected


random_edges = st.lists(
    st.tuples(st.sampled_from("abcdefg"), st.sampled_from("abcdefg"), st.sampled_from(["R1", "R2", "R3"])),
    min_size=1, max_size=14,
)


cycles = st.lists(st.sampled_from("abcdefg"), min_size=1, max_size=4, unique=True)


@hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edges=random_edges, cycle=cycles)
def test_closure_matches_networkx_on_random_graphs_with_cycles(spark, tmp_path, edges, cycle):
    # every example has at least one cycle (a one-node cycle is a self loop) among random edges
    edges = edges + [(a, b, "C") for a, b in zip(cycle, cycle[1:] + cycle[:1])]
    rows, result = closure_of(spark, tmp_path, edges)
    assert rows == reference_closure(edges)
    assert result.converged


@st.composite
def layered_graphs(draw):
    """A random DAG over ordered nodes (many diamonds: several paths of equal and unequal length
    between two nodes, so relations of several shortest paths merge), parallel edges with other
    relations, and a few edges pointing back (cycles, self loops); depths up to ~13."""
    n = draw(st.integers(4, 14))
    nodes = [f"n{i:02d}" for i in range(n)]
    rel = st.sampled_from(["R1", "R2", "R3", "R4"])
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), rel)
    forward = [(nodes[min(a, b)], nodes[max(a, b)], r) for a, b, r in draw(st.lists(pairs, max_size=30)) if a != b]
    a, b, c, d = sorted(draw(st.lists(st.integers(0, n - 1), min_size=4, max_size=4, unique=True)))
    diamond = [(nodes[a], nodes[b], "D1"), (nodes[a], nodes[c], "D2"), (nodes[b], nodes[d], "D3"),
               (nodes[c], nodes[d], "D4")]
    back = [(nodes[max(a, b)], nodes[min(a, b)], r) for a, b, r in draw(st.lists(pairs, max_size=3))]
    return forward + diamond + back


@hsettings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edges=layered_graphs(), max_depth=st.sampled_from([1, 2, 3, 64]), data=st.data())
def test_closure_and_source_walk_match_networkx_on_layered_graphs(spark, tmp_path, edges, max_depth, data):
    expected = reference_closure(edges)
    cut = {pair: row for pair, row in expected.items() if row[0] <= max_depth}
    depths = [depth for depth, _ in cut.values()]
    # the semi-naive walk on the engine and in the driver (and, past the driver's row budget, on the
    # engine again), and the bottom-up one of large graphs
    for method, budget in (("walk", 0), ("local", 10_000), ("local", 2), ("bottom_up", 0)):
        rows, result = closure_of(spark, tmp_path, edges, max_depth=max_depth, method=method, local_max_rows=budget)
        assert rows == cut, method
        assert result.converged == (len(cut) == len(expected)), method
        assert result.level_sizes == [depths.count(d) for d in range(1, max(depths, default=0) + 1)], method
    # the incremental update's walk from chosen sources gives exactly their rows of the whole
    sources = data.draw(st.lists(st.sampled_from(sorted({u for u, _, _ in edges})), max_size=4, unique=True))
    only = spark.createDataFrame([(s,) for s in sources], "src string")
    walked, _ = closure_of(spark, tmp_path, edges, max_depth=max_depth, sources=only)
    assert walked == {pair: row for pair, row in cut.items() if pair[0] in sources}
    # ... and the walk to chosen destinations (over the reversed edges) exactly the rows reaching them
    targets = data.draw(st.lists(st.sampled_from(sorted({v for _, v, _ in edges})), max_size=4, unique=True))
    into = spark.createDataFrame([(d,) for d in targets], "dst string")
    reached, _ = closure_of(spark, tmp_path, edges, max_depth=max_depth, destinations=into)
    assert reached == {pair: row for pair, row in cut.items() if pair[1] in targets}
    # the same two walks in the driver (numpy), levels included
    deps = spark.createDataFrame(edges, DEPS)
    for starts, reverse, end in ((sources, False, 0), (targets, True, 1)):
        pairs, sizes = local_walk.closure_rows(spark, deps, spark.createDataFrame([(n,) for n in starts], "node string"),
                                               reverse=reverse, bound=max_depth + 1, max_rows=10_000)
        want = {pair: row for pair, row in cut.items() if pair[end] in starts}
        assert {(r.src, r.dst): (r.min_depth, list(r.relations)) for r in pairs.collect()} == want
        beyond = sum(1 for pair, row in expected.items() if pair[end] in starts and row[0] == max_depth + 1)
        assert sizes[:max_depth] == [sum(1 for row in want.values() if row[0] == d) for d in range(1, len(sizes[:max_depth]) + 1)]
        assert (sizes[max_depth:] or [0])[0] == beyond  # what tells a cut walk from a converged one


# -- the stage over real Delta tables --------------------------------------------------------------

def run_closure(spark, settings, run_id="r1"):
    ctx = RunContext(run_id, datetime(2026, 2, 1, tzinfo=timezone.utc), {})
    stages.run_stage("infer", spark, settings, ctx)
    return stages.run_stage("closure", spark, settings, ctx).metrics


def impact_rows(spark, settings, **kwargs):
    return {(r.src, r.dst): (r.min_depth, list(r.relations))
            for r in tables.read(spark, settings, "graph.impact", **kwargs).collect()}


def test_impact_follows_dependency_meaning_not_the_arrow(spark, settings):
    write_graph(spark, settings, X.graph())
    metrics = run_closure(spark, settings)
    rows = impact_rows(spark, settings)

    downstream_of_clicks = {dst: depth for (src, dst), (depth, _) in rows.items() if src == X.CLICKS}
    # the dataset's change reaches the feature derived from it, the instance using it, the model,
    # the A/B test testing it, the pipeline reading it, its run and what that run produced
    # (the inferred TRAINED_ON makes the instance one hop from its training data)
    assert downstream_of_clicks == {X.FEATURE: 1, X.PIPELINE: 1, X.INSTANCE: 1, X.RUN: 2, X.MODEL: 2,
                                    X.TEST: 2, X.CELL: 3, X.SCORES: 3}
    assert rows[(X.CLICKS, X.INSTANCE)] == (1, ["TRAINED_ON"])
    assert rows[(X.FEATURE, X.TEST)] == (2, ["TESTED_IN", "USED_BY", "USES_FEATURE"])  # two shortest paths
    assert rows[(X.PIPELINE, X.TEST)] == (3, ["CELL_OF", "PRODUCED_BY", "RAN_FOR", "RUN_OF", "TESTED_IN"])
    assert rows[(X.INSTANCE, X.TEST)] == (1, ["TESTED_IN"])  # only through the inferred edge
    assert not any(X.ALICE in pair or X.TEAM in pair for pair in rows)  # ownership is not dependency
    assert not any(src == X.TEST for src, _ in rows)  # nothing depends on an A/B test
    assert metrics["impact_pairs"] == len(rows) and metrics["converged"] is True


def test_each_run_replaces_the_closure_in_one_commit(spark, settings):
    from deltalake import DeltaTable

    write_graph(spark, settings, X.graph())
    run_closure(spark, settings, "r1")
    first_version = tables.version(settings, "graph.impact")
    first = impact_rows(spark, settings)
    set_edge_active(spark, settings, X.FEATURE, "DERIVED_FROM", X.CLICKS, False)
    set_edge_active(spark, settings, X.INSTANCE, "TRAINED_ON", X.CLICKS, False)  # as if never inferred

    run_closure(spark, settings, "r2")

    assert tables.version(settings, "graph.impact") == first_version + 1
    now = impact_rows(spark, settings)
    assert (X.CLICKS, X.FEATURE) in first and (X.CLICKS, X.FEATURE) not in now
    # the infer stage of r2 re-inferred TRAINED_ON: the instance is still reached through its training data
    assert now[(X.CLICKS, X.INSTANCE)] == (1, ["TRAINED_ON"])
    assert impact_rows(spark, settings, at_version=first_version) == first  # readers of r1 see r1 whole
    assert {r.run_id for r in tables.read(spark, settings, "graph.impact").collect()} == {"r2"}
    history = DeltaTable(tables.table("graph.impact").path(settings)).history(1)
    assert history[0]["operationParameters"]["mode"] == "Overwrite"


def test_inactive_edges_leave_the_closure(spark, settings):
    write_graph(spark, settings, X.graph())
    set_edge_active(spark, settings, X.PIPELINE, "READS", X.CLICKS, False)
    run_closure(spark, settings)
    rows = impact_rows(spark, settings)
    assert (X.CLICKS, X.PIPELINE) not in rows
    assert (X.CLICKS, X.FEATURE) in rows


def test_graphframes_rules_and_closure_match_the_dataframe_rules_and_networkx(settings, tmp_path, monkeypatch):
    """On a classic local session with the GraphFrames jar `make jars` builds from the vendored
    sources (third_party/graphframes/): motif inference gives the DataFrame rules' rows, the
    message-passing closure networkx's (which the DataFrame closure matches, above), and the
    stages' `auto` engine picks GraphFrames there."""
    from infra.jars import fetch
    from spark_jobs.config import Settings
    from spark_jobs.graph.closure import select_engine
    from spark_jobs.graph.gf import closure_graphframes, infer_motifs
    from spark_jobs.graph.rules import RULES, infer
    from spark_jobs.graph.synthetic import scaled_lineage
    from spark_jobs.session import spark_session

    fetch("graphframes")  # a no-op after `make jars`; else it builds the jar (mvn) and fails if it cannot
    monkeypatch.setenv("MLG_SHUFFLE_PARTITIONS", "2")  # a few hundred rows: fewer, cheaper tasks
    classic = Settings.load(env={}, lakehouse=settings.lakehouse, spark_master="local[2]")  # make jars' jars
    with spark_session(classic, app_name="mlg-graphframes-parity") as spark:
        assert capabilities(spark).graphframes
        assert select_engine(spark, "auto") == "graphframes"
        rows = [e.row() for e in scaled_lineage(1)]
        edges = spark.createDataFrame(rows, tables.table("graph.edges").ddl)
        by_motifs = sorted(infer_motifs(edges).collect())
        assert {r.rule for r in by_motifs} == {r.name for r in RULES}  # every rule has something to find
        assert by_motifs == sorted(infer(edges).collect())
        deps = dependency_edges(edges)
        expected = reference_closure([(r.src, r.dst, r.rel) for r in deps.collect()])
        by_gf = closure_graphframes(spark, deps, scratch=str(tmp_path / "gf"))
        rows = {(r.src, r.dst): (r.min_depth, list(r.relations)) for r in by_gf.pairs.collect()}
        assert rows == expected
        depths = [depth for depth, _ in expected.values()]
        assert by_gf.level_sizes == [depths.count(d) for d in range(1, max(depths) + 1)]
        assert (by_gf.converged, by_gf.engine) == (True, "graphframes")


def test_stages_run_on_an_empty_lakehouse(spark, settings):
    metrics = run_closure(spark, settings)
    assert (metrics["impact_pairs"], metrics["converged"], metrics["deprecation_candidates"]) == (0, True, 0)
    assert tables.read(spark, settings, "graph.impact").count() == 0
