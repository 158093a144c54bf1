"""Reading an old table version: before the latest Delta checkpoint (written every 10 commits)
too, where pysail's own time travel fails, so the incremental closure's and the quality drift's
baselines stay readable however many commits a table has had since."""

from __future__ import annotations

import pytest

from spark_jobs import tables
from spark_jobs.graph.synthetic import Edge, write_edges
from spark_jobs.model import EntityType

pytestmark = pytest.mark.integration


def test_a_version_before_the_latest_checkpoint_reads_its_own_rows(spark, settings):
    team = EntityType.TEAM.uri("t")
    for n in range(12):  # 12 commits: a checkpoint at version 10
        write_edges(spark, settings, [Edge(EntityType.DATASET.uri(f"d{n}"), "OWNED_BY", team)])
    assert tables._last_checkpoint(settings, "graph.edges") == 10
    for version in (0, 3, 10, 11):
        rows = tables.read(spark, settings, "graph.edges", at_version=version).select("src").collect()
        assert sorted(r.src for r in rows) == sorted(EntityType.DATASET.uri(f"d{n}") for n in range(version + 1))
