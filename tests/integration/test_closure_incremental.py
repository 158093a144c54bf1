"""Incremental impact closure: after every random sequence of edge additions, deactivations and
re-activations in graph.edges, the maintained graph.impact equals a fresh full closure row for
row (src, dst, min_depth, relations); a run with no dependency change writes no impact version;
the closure stage falls back to the full computation when it must."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from spark_jobs import stages, tables
from spark_jobs.build import record_run
from spark_jobs.config import Settings
from spark_jobs.graph.closure import closure_dataframe, dependency_edges, impact_relations, write_impact
from spark_jobs.graph.incremental import update_impact
from spark_jobs.graph.synthetic import Edge, set_edge_active, write_edges
from spark_jobs.model import EntityType
from spark_jobs.stages import RunContext

pytestmark = pytest.mark.integration

FORWARD, BACKWARD = impact_relations()
RELS = [FORWARD[0], FORWARD[1], BACKWARD[0], BACKWARD[1], "OWNED_BY"]  # both arrow senses, and no impact
NODES = [EntityType.DATASET.uri(n) for n in "abcdef"]


def rows_of(df):
    return sorted((r.src, r.dst, r.min_depth, tuple(r.relations)) for r in df.collect())


def fresh_closure(spark, settings, scratch):
    deps = dependency_edges(tables.read(spark, settings, "graph.edges"))
    return rows_of(closure_dataframe(spark, deps, scratch=scratch).pairs)


edge = st.tuples(st.sampled_from(NODES), st.sampled_from(RELS), st.sampled_from(NODES))
# a step: edges to add (or re-activate) and indexes of known edges to deactivate
step = st.tuples(st.lists(edge, max_size=3), st.lists(st.integers(0, 40), max_size=3))


@pytest.mark.parametrize(("direction", "local_max_rows"), [("sources", None), ("destinations", None),
                                                         ("sources", 0), ("destinations", 0)],
                         ids=["sources-driver", "destinations-driver", "sources-engine", "destinations-engine"])
@hsettings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.lists(edge, min_size=1, max_size=10), cycle=st.lists(st.sampled_from(NODES), min_size=1,
                                                                     max_size=4, unique=True),
       steps=st.lists(step, min_size=1, max_size=4))
def test_maintained_closure_equals_a_fresh_one_after_every_step(tmp_path, direction, local_max_rows, start, cycle,
                                                                steps):
    from spark_jobs.session import spark_session

    settings = Settings.load(env={}, lakehouse=str(tmp_path / uuid.uuid4().hex))
    with spark_session(settings) as spark:  # its own catalog: graph.* names this example's lakehouse
        maintain_and_compare(spark, settings, tmp_path / uuid.uuid4().hex, start, cycle, steps, direction,
                             local_max_rows)


def maintain_and_compare(spark, settings, tmp_path, start, cycle, steps, direction, local_max_rows):
    # a cycle (a one-node one is a self loop) through a forward relation, among random edges
    start = start + [(a, FORWARD[0], b) for a, b in zip(cycle, cycle[1:] + cycle[:1])]
    known: dict[tuple[str, str, str], bool] = {}
    for e in start:
        known[e] = True
    write_edges(spark, settings, [Edge(*e) for e in known])
    tables.register(spark, settings, ["graph.impact"])
    write_impact(closure_dataframe(spark, dependency_edges(tables.read(spark, settings, "graph.edges")),
                                   scratch=str(tmp_path / "s0")).pairs, settings, run_id="full")
    base = tables.version(settings, "graph.edges")
    for n, (additions, removals) in enumerate(steps):
        order = list(known)
        for i in removals:
            e = order[i % len(order)]
            if known[e]:
                set_edge_active(spark, settings, *e, active=False)
                known[e] = False
        new = []
        for e in additions:
            if e not in known:
                new.append(Edge(*e))
            elif not known[e]:
                set_edge_active(spark, settings, *e, active=True)
            known[e] = True
        if new:
            write_edges(spark, settings, new)
        now = tables.version(settings, "graph.edges")
        impact_before = tables.version(settings, "graph.impact")
        update = update_impact(spark, settings, since_edges_version=base, edges_version=now, run_id=f"r{n}",
                               scratch=str(tmp_path / f"inc{n}"), max_fraction=float("inf"), direction=direction,
                               local_max_rows=local_max_rows)
        assert update is not None and update.direction in ("", direction)
        assert rows_of(tables.read(spark, settings, "graph.impact")) == \
            fresh_closure(spark, settings, str(tmp_path / f"full{n}"))
        # one commit when the closure changed, none when it did not
        assert tables.version(settings, "graph.impact") == impact_before + (1 if update.committed else 0)
        base = now


def switch_off_one_edge(spark, settings, tmp_path, pairs, *, off):
    """graph.impact as the full closure of `pairs` (one forward relation), then the update after
    the edge `off` goes inactive (run r1)."""
    rel = FORWARD[0]
    write_edges(spark, settings, [Edge(u, rel, v) for u, v in pairs])
    tables.register(spark, settings, ["graph.impact"])
    write_impact(closure_dataframe(spark, dependency_edges(tables.read(spark, settings, "graph.edges")),
                                   scratch=str(tmp_path / "s")).pairs, settings, run_id="full")
    base = tables.version(settings, "graph.edges")
    set_edge_active(spark, settings, off[0], rel, off[1], active=False)
    return update_impact(spark, settings, since_edges_version=base,
                         edges_version=tables.version(settings, "graph.edges"), run_id="r1",
                         scratch=str(tmp_path / "i"), max_fraction=float("inf"))


def test_removing_one_of_two_paths_keeps_the_pair_at_the_longer_depth(spark, settings, tmp_path):
    a, b, c, d = (EntityType.DATASET.uri(n) for n in "abcd")
    update = switch_off_one_edge(spark, settings, tmp_path, [(a, b), (b, c), (a, c), (c, d)], off=(a, c))
    rows = {(r.src, r.dst): r.min_depth for r in tables.read(spark, settings, "graph.impact").collect()}
    assert rows[(a, c)] == 2 and rows[(a, d)] == 3 and rows[(b, d)] == 2
    # a's rows (3) are fewer than those reaching c or d (5): re-derived by source
    assert update.direction == "sources" and update.affected_entities == 1
    assert update.upserted == 2 and update.deleted == 0
    assert {r.run_id for r in tables.read(spark, settings, "graph.impact").where(f"src = '{b}'").collect()} == {"full"}


def test_a_change_below_many_sources_re_derives_only_the_rows_reaching_it(spark, settings, tmp_path):
    a, b, c = (EntityType.DATASET.uri(n) for n in "abc")
    upstream = [EntityType.DATASET.uri(f"s{n}") for n in range(3)]
    update = switch_off_one_edge(spark, settings, tmp_path, [(s, a) for s in upstream] + [(a, b), (b, c), (a, c)],
                                 off=(a, c))
    # the rows reaching c (5) are fewer than those of a and everything upstream of it (11)
    assert update.direction == "destinations" and update.affected_entities == 1 and update.affected_rows == 5
    rows = {(r.src, r.dst): (r.min_depth, r.run_id) for r in tables.read(spark, settings, "graph.impact").collect()}
    assert rows[(a, c)] == (2, "r1") and all(rows[(s, c)] == (3, "r1") for s in upstream)
    assert rows[(b, c)] == (1, "full")  # re-derived, unchanged, not rewritten
    assert {run for (_, dst), (_, run) in rows.items() if dst != c} == {"full"}
    assert update.upserted == 4 and update.deleted == 0


# -- the stage: incremental when it can be, full when it must ---------------------------------------

def closure_stage(spark, settings, run_id, **options):
    ctx = RunContext(run_id, datetime(2026, 2, 1, tzinfo=timezone.utc), options)
    started = datetime.now(timezone.utc)
    result = stages.run_stage("closure", spark, settings, ctx)
    record_run(spark, settings, run_id, "closure", result.status, started, result.metrics)
    return result.metrics


def test_stage_updates_incrementally_and_writes_nothing_without_a_dependency_change(spark, settings):
    a, b, c = (EntityType.DATASET.uri(n) for n in "abc")
    team = EntityType.TEAM.uri("t")
    write_edges(spark, settings, [Edge(a, FORWARD[0], b)])
    first = closure_stage(spark, settings, "r1")
    assert first["mode"] == "full" and first["impact_pairs"] == 1

    write_edges(spark, settings, [Edge(a, "OWNED_BY", team)])  # graph.edges moves, dependencies do not
    second = closure_stage(spark, settings, "r2")
    assert second["mode"] == "unchanged" and second["impact_version"] == first["impact_version"]
    third = closure_stage(spark, settings, "r3")  # not even a graph.edges commit
    assert third["mode"] == "unchanged" and third["impact_version"] == first["impact_version"]

    for n in range(10):  # past a Delta checkpoint: the closure's input version is still read right
        write_edges(spark, settings, [Edge(EntityType.DATASET.uri(f"x{n}"), "OWNED_BY", team)])
    write_edges(spark, settings, [Edge(b, FORWARD[0], c)])
    fourth = closure_stage(spark, settings, "r4", closure_incremental_max_fraction=1.0)  # 1 of 2 edges
    assert fourth["mode"] == "incremental" and fourth["impact_version"] == first["impact_version"] + 1
    assert fourth["impact_pairs"] == 3 and fourth["upserted"] == 2

    # graph.impact written by something else: the stage cannot trust it and recomputes it whole
    write_impact(spark.createDataFrame([], "src string, dst string, min_depth int, relations array<string>"),
                 settings, run_id="other")
    fifth = closure_stage(spark, settings, "r5")
    assert fifth["mode"] == "full" and fifth["impact_pairs"] == 3

    # a change larger than the threshold: full
    set_edge_active(spark, settings, a, FORWARD[0], b, active=False)
    sixth = closure_stage(spark, settings, "r6", closure_incremental_max_fraction=0.1)
    assert sixth["mode"] == "full" and sixth["impact_pairs"] == 1
    assert sixth["incremental_fallback"] == "1 of 1 dependency edges changed"
