"""The unified entity model: entity types, their URIs, and the relationship vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

from spark_jobs.uris import AipUri, format_uri

PLATFORMS: tuple[str, ...] = (
    "registry",
    "orchestrator",
    "abtest",
    "featurestore",
    "datasets",
    "identity",
)

SELF_DESCRIBING_PLATFORMS: tuple[str, ...] = ("openlineage",)
"""Platforms whose events describe their own entities (OpenLineage: jobs, runs, datasets); their
entities have the usual types under their own platform id, e.g. `aip://pipeline/openlineage/...`."""

EntityState = Literal["reference", "hydrated", "enriched", "deleted", "failed"]
ENTITY_STATES: tuple[str, ...] = ("reference", "hydrated", "enriched", "deleted", "failed")


class EntityType(str, Enum):
    """Entity types with the URI component, the platform and the domain they belong to."""

    def __new__(cls, value: str, component: str, platform: str, domain: str, ownable: bool):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.component = component
        obj.platform = platform
        obj.domain = domain
        obj.ownable = ownable
        return obj

    MODEL = ("Model", "model", "registry", "models", True)
    MODEL_INSTANCE = ("ModelInstance", "model-instance", "registry", "models", True)
    PIPELINE = ("Pipeline", "pipeline", "orchestrator", "pipelines", True)
    PIPELINE_RUN = ("PipelineRun", "pipeline-run", "orchestrator", "pipelines", False)
    FEATURE = ("Feature", "feature", "featurestore", "features", True)
    DATASET = ("Dataset", "dataset", "datasets", "data", True)
    AB_TEST = ("AbTest", "ab-test", "abtest", "experiments", True)
    AB_TEST_CELL = ("AbTestCell", "ab-test-cell", "abtest", "experiments", False)
    USER = ("User", "user", "identity", "people", False)
    TEAM = ("Team", "team", "identity", "people", False)

    def uri(self, resource_id: str) -> str:
        """The AIP URI of the entity of this type with the given source id."""
        return format_uri(self.component, self.platform, resource_id)

    @classmethod
    def of_uri(cls, uri: str) -> EntityType:
        parsed = AipUri.parse(uri)
        for entity_type in cls:
            if entity_type.component == parsed.component_type and entity_type.platform == parsed.platform_id:
                return entity_type
        for entity_type in cls:  # the same kind of entity from a self-describing source (openlineage)
            if entity_type.component == parsed.component_type and parsed.platform_id in SELF_DESCRIBING_PLATFORMS:
                return entity_type
        raise ValueError(f"no entity type for component {parsed.component_type!r}: {uri!r}")


def resource_id(uri: str) -> str:
    return AipUri.parse(uri).resource_id


Impact = Literal["src_depends_on_dst", "dst_depends_on_src", "none"]
"""How a change propagates along an edge: which end is impacted when the other changes."""


@dataclass(frozen=True)
class Relationship:
    name: str
    src_types: frozenset[EntityType]
    dst_types: frozenset[EntityType]
    impact: Impact
    inferred: bool = False
    description: str = ""

    def allows(self, src: EntityType, dst: EntityType) -> bool:
        return src in self.src_types and dst in self.dst_types


E = EntityType
_ALL = frozenset(E)
_OWNERS = frozenset({E.USER, E.TEAM})


def _rel(name, src, dst, impact: Impact, *, inferred=False, description=""):
    as_set = lambda x: frozenset(x) if isinstance(x, (set, frozenset)) else frozenset({x})  # noqa: E731
    return Relationship(name, as_set(src), as_set(dst), impact, inferred, description)


RELATIONSHIPS: dict[str, Relationship] = {
    r.name: r
    for r in (
        _rel("INSTANCE_OF", E.MODEL_INSTANCE, E.MODEL, "dst_depends_on_src",
             description="a trained instance (version) of a model"),
        _rel("PRODUCED_BY", {E.MODEL_INSTANCE, E.DATASET}, {E.PIPELINE_RUN, E.PIPELINE},
             "src_depends_on_dst", description="made by a pipeline or one of its runs"),
        _rel("RUN_OF", E.PIPELINE_RUN, E.PIPELINE, "src_depends_on_dst",
             description="one execution of a pipeline"),
        _rel("RAN_FOR", E.PIPELINE_RUN, E.AB_TEST_CELL, "dst_depends_on_src",
             description="a run whose output serves an A/B test cell"),
        _rel("CELL_OF", E.AB_TEST_CELL, E.AB_TEST, "dst_depends_on_src",
             description="a cell (arm) of an A/B test"),
        _rel("USES_FEATURE", E.MODEL_INSTANCE, E.FEATURE, "src_depends_on_dst",
             description="a model instance consumes a feature"),
        _rel("DERIVED_FROM", E.FEATURE, E.DATASET, "src_depends_on_dst",
             description="a feature computed from a dataset"),
        _rel("READS", E.PIPELINE, E.DATASET, "src_depends_on_dst",
             description="a pipeline reads a dataset"),
        _rel("OWNED_BY", _ALL - _OWNERS, _OWNERS, "none", description="accountable owner"),
        _rel("MEMBER_OF", E.USER, E.TEAM, "none", description="team membership"),
        _rel("TESTED_IN", {E.MODEL_INSTANCE, E.MODEL}, E.AB_TEST, "dst_depends_on_src",
             inferred=True, description="evaluated in an A/B test"),
        _rel("TRAINED_ON", E.MODEL_INSTANCE, E.DATASET, "src_depends_on_dst",
             inferred=True, description="its training run's pipeline read the dataset"),
        _rel("USED_BY", E.FEATURE, E.MODEL, "dst_depends_on_src",
             inferred=True, description="a feature consumed by some instance of the model"),
        _rel("SIMILAR_TO", _ALL, _ALL, "none", inferred=True,
             description="structural similarity suggestion (e.g. shared features)"),
    )
}


def relationship(name: str) -> Relationship:
    try:
        return RELATIONSHIPS[name]
    except KeyError:
        raise ValueError(f"unknown relationship {name!r}; known: {', '.join(RELATIONSHIPS)}") from None
