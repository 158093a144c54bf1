"""Ground truth: the entities and declared edges the graph must hold for the simulator's state.

An independent implementation of docs/normalisation.md, written from the simulator's own
objects (not from the providers' code), so the convergence tests compare two implementations.

- Entities: one dict per live source object (plus one AbTestCell per test cell) with the
  graph.entities columns id, entity_type, domain, provider, name, description, owners, tags,
  properties, source_status, created_at, updated_at (ISO 8601 text as served), state='hydrated'.
  Edge targets that no source serves (a former employee, a deleted model) are not included:
  in the graph they are `reference` (or `deleted`) entities, not hydrated ones.
- Edges: active declared edges as `(src, rel, dst)`; `edge_records` adds `declared_by`.

Everything streams object by object, so a million-entity ecosystem never sits in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

from infra.simulator.collections import COLLECTIONS
from infra.simulator.ecosystem import Ecosystem
from spark_jobs.model import EntityType

E = EntityType
Edge = tuple[str, str, str]
TruthKind = Literal["entities", "edges", "deleted"]


def json_text(value: Any) -> str:
    """A property value as text: strings as is, numbers, booleans and lists as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _properties(pairs: Iterable[tuple[str, Any]]) -> dict[str, str]:
    return {k: json_text(v) for k, v in pairs if v is not None}


def _description(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def _tags(labels: Any) -> list[dict[str, str]]:
    pairs = {(lab["key"], lab["value"]) for lab in labels or ()}
    return [{"tag": k, "value": v} for k, v in sorted(pairs)]


class _Resolver:
    """Owner email -> user URI through identity's current state (local part when unknown)."""

    def __init__(self, eco: Ecosystem) -> None:
        self._eco = eco

    def user_uri(self, email: str) -> str:
        user = self._eco.get("users", email)
        username = user["username"] if user else email.rpartition("@")[0]
        return E.USER.uri(username)

    def owners(self, emails: Iterable[str | None]) -> list[str]:
        return sorted({self.user_uri(e) for e in emails if e})


def _entity(entity_type: EntityType, source_id: str, *, name: Any, description: Any = None,
            owners: list[str] | None = None, tags: list[dict[str, str]] | None = None,
            properties: Mapping[str, str] | None = None, source_status: str | None = None,
            created_at: str | None = None, updated_at: str | None = None) -> dict[str, Any]:
    return {
        "id": entity_type.uri(source_id),
        "entity_type": entity_type.value,
        "domain": entity_type.domain,
        "provider": entity_type.platform,
        "name": name,
        "description": _description(description),
        "owners": owners or [],
        "tags": tags or [],
        "properties": dict(properties or {}),
        "source_status": source_status,
        "created_at": created_at,
        "updated_at": updated_at,
        "state": "hydrated",
    }


def normalise(collection_name: str, obj: Mapping[str, Any],
              resolver: _Resolver) -> tuple[list[dict[str, Any]], list[tuple[str, str, str, str]]]:
    """One source payload -> (entities, edges as (src, rel, dst, declared_by))."""
    edges: list[tuple[str, str, str, str]] = []
    entities: list[dict[str, Any]] = []

    def declare(src: str, rel: str, dst: str, declared_by: str) -> None:
        edges.append((src, rel, dst, declared_by))

    def owned_by(uri: str, owners: list[str]) -> None:
        for owner in owners:
            declare(uri, "OWNED_BY", owner, uri)

    if collection_name == "models":
        uri = E.MODEL.uri(obj["id"])
        owners = resolver.owners(obj.get("owner_emails") or ())
        entities.append(_entity(E.MODEL, obj["id"], name=obj.get("name"), description=obj.get("description"),
                                owners=owners, tags=_tags(obj.get("labels")),
                                created_at=obj.get("created_at"), updated_at=obj.get("updated_at")))
        owned_by(uri, owners)
    elif collection_name == "instances":
        uri = E.MODEL_INSTANCE.uri(obj["id"])
        owners = resolver.owners(obj.get("owner_emails") or ())
        entities.append(_entity(
            E.MODEL_INSTANCE, obj["id"], name=obj["id"], description=obj.get("description"),
            owners=owners, tags=_tags(obj.get("labels")), source_status=obj.get("status"),
            properties=_properties([("version", obj.get("version")), ("model_id", obj.get("model_id")),
                                    ("pipeline_run_id", obj.get("pipeline_run_id"))]),
            created_at=obj.get("created_at"), updated_at=obj.get("updated_at")))
        if obj.get("model_id"):
            declare(uri, "INSTANCE_OF", E.MODEL.uri(obj["model_id"]), uri)
        if obj.get("pipeline_run_id"):
            declare(uri, "PRODUCED_BY", E.PIPELINE_RUN.uri(obj["pipeline_run_id"]), uri)
        for feature in obj.get("features") or ():
            declare(uri, "USES_FEATURE", E.FEATURE.uri(feature["name"]), uri)
        owned_by(uri, owners)
    elif collection_name == "pipelines":
        uri = E.PIPELINE.uri(obj["name"])
        owners = resolver.owners(obj.get("owner_emails") or ())
        outputs = sorted({o["dataset"] for o in obj.get("outputs") or ()})  # a set, as the graph keeps it
        entities.append(_entity(E.PIPELINE, obj["name"], name=obj["name"], description=obj.get("description"),
                                owners=owners, updated_at=obj.get("updated_at"),
                                properties=_properties([("schedule", obj.get("schedule")),
                                                        ("outputs", outputs)])))
        for read in obj.get("inputs") or ():
            declare(uri, "READS", E.DATASET.uri(read["dataset"]), uri)
        owned_by(uri, owners)
    elif collection_name == "pipeline-runs":
        uri = E.PIPELINE_RUN.uri(obj["run_id"])
        entities.append(_entity(E.PIPELINE_RUN, obj["run_id"], name=obj["run_id"],
                                source_status=obj.get("status"),
                                properties=_properties([("started_at", obj.get("started_at")),
                                                        ("ended_at", obj.get("ended_at"))])))
        if obj.get("pipeline"):
            declare(uri, "RUN_OF", E.PIPELINE.uri(obj["pipeline"]), uri)
        for cell in obj.get("ab_test_cells") or ():
            cell_id = f"{_test_key(cell['test_id'])}:{cell['cell_number']}"
            declare(uri, "RAN_FOR", E.AB_TEST_CELL.uri(cell_id), uri)
    elif collection_name == "tests":
        test_id = _test_key(obj["test_id"])
        uri = E.AB_TEST.uri(test_id)
        owners = resolver.owners([obj.get("owner_email")])
        entities.append(_entity(E.AB_TEST, test_id, name=obj.get("name"), owners=owners,
                                source_status=obj.get("status"), updated_at=obj.get("updated_at"),
                                properties=_properties([("start_date", obj.get("start_date")),
                                                        ("end_date", obj.get("end_date"))])))
        owned_by(uri, owners)
        for cell in obj.get("cells") or ():
            cell_id = f"{test_id}:{cell['cell_number']}"
            entities.append(_entity(E.AB_TEST_CELL, cell_id, name=cell.get("name")))
            declare(E.AB_TEST_CELL.uri(cell_id), "CELL_OF", uri, uri)
    elif collection_name == "features":
        uri = E.FEATURE.uri(obj["name"])
        owners = [E.TEAM.uri(obj["owner_team"])] if obj.get("owner_team") else []
        entities.append(_entity(E.FEATURE, obj["name"], name=obj["name"], description=obj.get("description"),
                                owners=owners, updated_at=obj.get("updated_at"),
                                properties=_properties([("dtype", obj.get("dtype")),
                                                        ("latest_version", obj.get("latest_version"))])))
        for dataset in obj.get("source_datasets") or ():
            declare(uri, "DERIVED_FROM", E.DATASET.uri(dataset), uri)
        owned_by(uri, owners)
    elif collection_name == "datasets":
        uri = E.DATASET.uri(obj["name"])
        owners = resolver.owners(obj.get("owner_emails") or ())
        entities.append(_entity(E.DATASET, obj["name"], name=obj["name"], description=obj.get("description"),
                                owners=owners, updated_at=obj.get("updated_at"),
                                properties=_properties([("latest_version", obj.get("latest_version"))])))
        if obj.get("produced_by"):
            declare(uri, "PRODUCED_BY", E.PIPELINE.uri(obj["produced_by"]), uri)
        owned_by(uri, owners)
    elif collection_name == "users":
        uri = E.USER.uri(obj["username"])
        entities.append(_entity(E.USER, obj["username"], name=obj.get("display_name"),
                                source_status="active" if obj.get("active") else "inactive",
                                properties=_properties([("email", obj.get("email"))])))
        if obj.get("team"):
            declare(uri, "MEMBER_OF", E.TEAM.uri(obj["team"]), uri)
    elif collection_name == "teams":
        entities.append(_entity(E.TEAM, obj["team"], name=obj.get("display_name"),
                                properties=_properties([("org", obj.get("org")),
                                                        ("member_count", len(obj.get("members") or ()))])))
    else:
        raise KeyError(f"unknown collection {collection_name!r}")
    return entities, edges


def _test_key(value: Any) -> str:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def records(eco: Ecosystem) -> Iterator[tuple[list[dict[str, Any]], list[tuple[str, str, str, str]]]]:
    """(entities, edges) per live source object, collection by collection."""
    resolver = _Resolver(eco)
    for name in COLLECTIONS:
        for obj in eco.objects(name):
            yield normalise(name, obj, resolver)


def entities(eco: Ecosystem) -> Iterator[dict[str, Any]]:
    for entity_rows, _edges in records(eco):
        yield from entity_rows


def edge_records(eco: Ecosystem) -> Iterator[dict[str, str]]:
    """Active declared edges with the entity that declares them (unique by (src, rel, dst))."""
    for _entities, edge_rows in records(eco):
        seen: set[tuple[str, str, str]] = set()
        for src, rel, dst, declared_by in edge_rows:
            if (src, rel, dst) not in seen:
                seen.add((src, rel, dst))
                yield {"src": src, "rel": rel, "dst": dst, "declared_by": declared_by}


def edges(eco: Ecosystem) -> Iterator[Edge]:
    for record in edge_records(eco):
        yield record["src"], record["rel"], record["dst"]


def deleted(eco: Ecosystem) -> Iterator[dict[str, str]]:
    """Objects deleted through the mutation API: the graph should hold them as `deleted`."""
    for name, spec in COLLECTIONS.items():
        for obj_id, obj in eco.mutated(name).items():
            if obj is None and not eco.exists(name, obj_id):
                if name == "users":
                    continue  # a deleted user's URI (username) is no longer knowable from identity
                yield {"id": spec.entity_type.uri(obj_id), "entity_type": spec.entity_type.value}


def stream(eco: Ecosystem, kind: TruthKind) -> Iterator[dict[str, Any]]:
    if kind == "entities":
        return entities(eco)
    if kind == "edges":
        return edge_records(eco)
    if kind == "deleted":
        return deleted(eco)
    raise ValueError(f"kind must be entities, edges or deleted, got {kind!r}")
