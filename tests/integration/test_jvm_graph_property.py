"""Rule inference and the impact closure give the same rows on the embedded engine and on the JVM
Spark Connect server, for random typed graphs (declared relationships between a few entities of
every type, so every rule's path and cycles occur)."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from spark_jobs import tables
from spark_jobs.graph.closure import closure_dataframe, dependency_edges
from spark_jobs.graph.rules import infer
from spark_jobs.graph.synthetic import Edge
from spark_jobs.model import RELATIONSHIPS

pytestmark = pytest.mark.integration

DECLARED = sorted(name for name, spec in RELATIONSHIPS.items() if not spec.inferred)


@st.composite
def typed_edges(draw) -> list[Edge]:
    edges = []
    for _ in range(draw(st.integers(min_value=1, max_value=24))):
        spec = RELATIONSHIPS[draw(st.sampled_from(DECLARED))]
        src_type = draw(st.sampled_from(sorted(spec.src_types, key=str)))
        dst_type = draw(st.sampled_from(sorted(spec.dst_types, key=str)))
        src = src_type.uri(f"n{draw(st.integers(0, 2))}")
        dst = dst_type.uri(f"n{draw(st.integers(0, 2))}")
        edges.append(Edge(src, spec.name, dst, active=draw(st.sampled_from([True, True, True, False]))))
    return edges


@pytest.fixture(scope="module")
def engines(jvm_spark):
    """One session on each engine, kept for all examples."""
    from spark_jobs.config import Settings
    from spark_jobs.session import spark_session

    with spark_session(Settings.load(env={})) as embedded, \
            spark_session(Settings.load(env={}, spark_remote=jvm_spark.url)) as jvm:
        yield {"embedded": embedded, "jvm": jvm}


def _infer_and_close(spark, rows, scratch) -> tuple[list, list]:
    edges = spark.createDataFrame(rows, tables.table("graph.edges").ddl)
    inferred = sorted(tuple(r) for r in infer(edges).collect())
    closure = closure_dataframe(spark, dependency_edges(edges), scratch=scratch)
    pairs = sorted((r.src, r.dst, r.min_depth, tuple(r.relations)) for r in closure.pairs.collect())
    return inferred, pairs


@hsettings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edges=typed_edges())
def test_infer_and_closure_match_between_embedded_and_jvm(engines, tmp_path, edges):
    rows = list({(e.src, e.rel, e.dst): e.row() for e in edges}.values())
    results = {name: _infer_and_close(spark, rows, str(tmp_path / f"{name}-{uuid.uuid4().hex}"))
               for name, spark in engines.items()}
    assert results["jvm"] == results["embedded"]
