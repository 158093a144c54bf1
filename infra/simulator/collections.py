"""The simulated collections: which platform serves each, its id field and entity type."""

from __future__ import annotations

from dataclasses import dataclass

from spark_jobs.model import EntityType, PLATFORMS

E = EntityType


@dataclass(frozen=True)
class Collection:
    """One listable collection of a source system (`GET <base>/api/v1/<name>`)."""

    name: str
    platform: str
    id_field: str
    entity_type: EntityType
    per_scale: int
    """Objects per unit of scale (scale 1 is about 1,000 entities in all)."""
    batch_path: str | None = None
    """`<name>:batchGet` when the source has a batch endpoint."""
    batch_request_field: str | None = None


COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in (
        Collection("models", "registry", "id", E.MODEL, 20),
        Collection("instances", "registry", "id", E.MODEL_INSTANCE, 100,
                   "instances:batchGet", "ids"),
        Collection("pipelines", "orchestrator", "name", E.PIPELINE, 40),
        Collection("pipeline-runs", "orchestrator", "run_id", E.PIPELINE_RUN, 240),
        Collection("tests", "abtest", "test_id", E.AB_TEST, 30),
        Collection("features", "featurestore", "name", E.FEATURE, 150,
                   "features:batchGet", "names"),
        Collection("datasets", "datasets", "name", E.DATASET, 120),
        Collection("users", "identity", "email", E.USER, 60, "users:batchGet", "emails"),
        Collection("teams", "identity", "team", E.TEAM, 8),
    )
}

assert {c.platform for c in COLLECTIONS.values()} == set(PLATFORMS)


def collections_of(platform: str) -> list[Collection]:
    return [c for c in COLLECTIONS.values() if c.platform == platform]


def collection(name: str) -> Collection:
    try:
        return COLLECTIONS[name]
    except KeyError:
        raise KeyError(f"unknown collection {name!r}; known: {', '.join(COLLECTIONS)}") from None
