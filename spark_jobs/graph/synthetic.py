"""Hand-made and synthetic graphs as real graph.entities / graph.edges rows, for tests and the
closure benchmark. Entity types come from the URIs, so a graph is written as a list of edges."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.model import EntityType, resource_id

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

E = EntityType
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Edge:
    src: str
    rel: str
    dst: str
    active: bool = True
    provenance: str = "declared"
    rule: str | None = None

    def row(self, *, run_id: str = "test", seen_at: datetime = EPOCH) -> tuple:
        declared_by = self.src if self.provenance == "declared" else None
        return (self.src, self.rel, self.dst, EntityType.of_uri(self.src).value, EntityType.of_uri(self.dst).value,
                self.provenance, self.rule, declared_by, seen_at, seen_at, self.active, run_id)


@dataclass
class Graph:
    """Entities (id -> overrides of the defaults) and edges; edge ends not listed as entities
    are written as hydrated entities with no owners."""

    edges: list[Edge] = field(default_factory=list)
    entities: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, src: str, rel: str, dst: str, **kwargs: Any) -> Graph:
        self.edges.append(Edge(src, rel, dst, **kwargs))
        return self

    def entity(self, uri: str, **fields: Any) -> Graph:
        self.entities.setdefault(uri, {}).update(fields)
        return self

    def entity_rows(self, *, run_id: str = "test") -> list[tuple]:
        ids = dict.fromkeys([*self.entities, *(e.src for e in self.edges), *(e.dst for e in self.edges)])
        columns = tables.table("graph.entities").column_names
        rows = []
        for uri in ids:
            kind = EntityType.of_uri(uri)
            row = dict.fromkeys(columns)
            row.update(id=uri, entity_type=kind.value, domain=kind.domain, provider=kind.platform,
                       name=resource_id(uri), owners=[], tags=[], properties={}, state="hydrated",
                       first_seen_at=EPOCH, run_id=run_id)
            row.update(self.entities.get(uri, {}))
            rows.append(tuple(row[c] for c in columns))
        return rows


def write_graph(spark: SparkSession, settings: Settings, graph: Graph, *, run_id: str = "test") -> None:
    """Append the graph's entities and edges (one commit each) to the lakehouse of `settings`."""
    tables.register(spark, settings, ["graph.entities", "graph.edges"])
    entities = spark.createDataFrame(graph.entity_rows(run_id=run_id), tables.table("graph.entities").ddl)
    tables.append(entities, settings, "graph.entities")
    write_edges(spark, settings, graph.edges, run_id=run_id)


def write_edges(spark: SparkSession, settings: Settings, edges: Iterable[Edge], *, run_id: str = "test") -> None:
    rows = [e.row(run_id=run_id) for e in edges]
    tables.append(spark.createDataFrame(rows, tables.table("graph.edges").ddl), settings, "graph.edges")


def set_edge_active(spark: SparkSession, settings: Settings, src: str, rel: str, dst: str, active: bool) -> None:
    """What a re-hydration does when a source stops declaring an edge (or declares it again)."""
    tables.register(spark, settings, ["graph.edges"])
    lit = tables.sql_literal  # pysail binds no parameters in UPDATE
    spark.sql(
        f"UPDATE graph.edges SET active = {str(active).lower()} "
        f"WHERE src = {lit(src)} AND rel = {lit(rel)} AND dst = {lit(dst)}"
    ).collect()


def scaled_lineage(scale: int, *, seed: int = 7) -> list[Edge]:
    """Declared edges of a synthetic organisation of `scale` units (per unit: 4 datasets, an ETL
    and a training pipeline, 5 runs, 6 features, 2 models with 2 instances each, an A/B test with
    2 cells, a team of 3). Units feed each other: a unit's raw datasets come from an earlier
    unit's ETL, and its trainer and features read another unit's data, so dependency chains
    cross units as in a real organisation (depth grows like log(scale))."""
    rng = random.Random(seed)
    out: list[Edge] = []

    def add(src: str, rel: str, dst: str) -> None:
        out.append(Edge(src, rel, dst))

    for u in range(scale):
        team = E.TEAM.uri(f"team-{u}")
        users = [E.USER.uri(f"user-{u}-{k}") for k in range(3)]
        for user in users:
            add(user, "MEMBER_OF", team)
        raw = [E.DATASET.uri(f"raw-{u}-{k}") for k in range(2)]
        derived = [E.DATASET.uri(f"derived-{u}-{k}") for k in range(2)]
        etl, trainer = E.PIPELINE.uri(f"etl-{u}"), E.PIPELINE.uri(f"trainer-{u}")
        for d in raw:
            add(etl, "READS", d)
            if u:
                add(d, "PRODUCED_BY", E.PIPELINE.uri(f"etl-{rng.randrange(u)}"))
        for d in derived:
            add(d, "PRODUCED_BY", etl)
            add(trainer, "READS", d)
        if u:
            add(trainer, "READS", E.DATASET.uri(f"derived-{rng.randrange(u)}-{rng.randrange(2)}"))
        add(E.PIPELINE_RUN.uri(f"etl-{u}-run"), "RUN_OF", etl)
        features = [E.FEATURE.uri(f"feature-{u}-{k}") for k in range(6)]
        for k, f in enumerate(features):
            add(f, "DERIVED_FROM", derived[k % 2])
            add(f, "OWNED_BY", team)
        if u:
            add(features[0], "DERIVED_FROM", E.DATASET.uri(f"derived-{rng.randrange(u)}-0"))
        test = E.AB_TEST.uri(f"{1000 + u}")
        cells = [E.AB_TEST_CELL.uri(f"{1000 + u}:{c}") for c in (1, 2)]
        for c in cells:
            add(c, "CELL_OF", test)
        add(test, "OWNED_BY", users[0])
        for m in range(2):
            model = E.MODEL.uri(f"model-{u}-{m}")
            add(model, "OWNED_BY", users[m + 1])
            for i in range(2):
                instance = E.MODEL_INSTANCE.uri(f"model-{u}-{m}-v{i}")
                run = E.PIPELINE_RUN.uri(f"train-{u}-{m}-{i}")
                add(run, "RUN_OF", trainer)
                add(instance, "INSTANCE_OF", model)
                add(instance, "PRODUCED_BY", run)
                add(instance, "OWNED_BY", users[m + 1])
                for f in rng.sample(features, 3):
                    add(instance, "USES_FEATURE", f)
                if i == 1:
                    add(run, "RAN_FOR", cells[m])
        add(etl, "OWNED_BY", team)
        add(trainer, "OWNED_BY", team)
    return out


class SourcesExample:
    """URIs of the SOURCES.md example (instance -> run -> A/B cell -> test) and its neighbourhood."""

    INSTANCE = "aip://model-instance/registry/ranking-model-v5-20XX0101"
    MODEL = "aip://model/registry/ranking-v5"
    RUN = "aip://pipeline-run/orchestrator/train-weekly-ranking-20XX0101"
    CELL = "aip://ab-test-cell/abtest/12345:2"
    TEST = "aip://ab-test/abtest/12345"
    PIPELINE = "aip://pipeline/orchestrator/weekly-ranking-trainer"
    CLICKS = "aip://dataset/datasets/clicks"
    FEATURE = "aip://feature/featurestore/title_embedding"
    SCORES = "aip://dataset/datasets/ranking-scores"
    ALICE = "aip://user/identity/alice"
    TEAM = "aip://team/identity/personalization"

    @classmethod
    def graph(cls) -> Graph:
        return (
            Graph()
            .add(cls.INSTANCE, "INSTANCE_OF", cls.MODEL).add(cls.INSTANCE, "PRODUCED_BY", cls.RUN)
            .add(cls.INSTANCE, "USES_FEATURE", cls.FEATURE).add(cls.INSTANCE, "OWNED_BY", cls.ALICE)
            .add(cls.RUN, "RUN_OF", cls.PIPELINE).add(cls.RUN, "RAN_FOR", cls.CELL).add(cls.CELL, "CELL_OF", cls.TEST)
            .add(cls.PIPELINE, "READS", cls.CLICKS).add(cls.FEATURE, "DERIVED_FROM", cls.CLICKS)
            .add(cls.ALICE, "MEMBER_OF", cls.TEAM)
            # a dataset the same run wrote: PRODUCED_BY RAN_FOR CELL_OF holds, but a dataset is not tested
            .add(cls.SCORES, "PRODUCED_BY", cls.RUN)
            .entity(cls.INSTANCE, owners=[cls.ALICE], source_status="DEPLOYED")
            .entity(cls.FEATURE, owners=[cls.TEAM])
            .entity(cls.TEST, source_status="ACTIVE")
        )
