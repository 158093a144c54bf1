"""The provider contract: what one source system declares so the graph can hydrate from it.

A provider is data plus one pure function per payload kind: the event types it emits, where
the id is, its single / batch / listing endpoints, and a normaliser (payload -> entity rows +
declared edges). Hydration, bootstrap and reconcile are generic over these declarations, so a
new source system is one new module in `spark_jobs/providers/` (docs/normalisation.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from spark_jobs.model import EntityType


@dataclass(frozen=True)
class EventSpec:
    event_type: str
    platform: str
    entity_type: EntityType
    id_field: str


Edge = tuple[str, str, str, str]
"""(src, rel, dst, declared_by), all AIP URIs except rel."""


@dataclass
class Normalised:
    """What one payload contributes to the graph."""

    entities: list[dict[str, Any]] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    @property
    def references(self) -> list[str]:
        """Every edge target: entities this payload points at, hydrated or not."""
        return sorted({dst for _s, _r, dst, _d in self.edges})

    def declare(self, src: str, rel: str, dst: str, declared_by: str | None = None) -> None:
        self.edges.append((src, rel, dst, declared_by or src))


class Resolver:
    """Owner email -> user URI through identity; the email's local part when identity does not
    know it. `usernames` is filled by hydration (identity batch lookups, known User rows)."""

    def __init__(self, usernames: Mapping[str, str] | None = None) -> None:
        self.usernames: dict[str, str] = dict(usernames or {})

    def user_uri(self, email: str) -> str:
        username = self.usernames.get(email) or email.rpartition("@")[0] or email
        return EntityType.USER.uri(username)

    def owners(self, emails: Iterable[str | None]) -> list[str]:
        return sorted({self.user_uri(e) for e in emails if isinstance(e, str) and e})


Normaliser = Callable[[Mapping[str, Any], Resolver], Normalised]


@dataclass(frozen=True)
class Kind:
    """One hydratable collection of a source: `<base>/api/v1/<collection>[/<key>]`."""

    collection: str
    entity_type: EntityType
    id_field: str
    """Payload field holding the source key (the id the single endpoint takes)."""
    normalise: Normaliser
    batch_path: str | None = None
    """`<collection>:batchGet` when the source has one (POST, at most 100 ids)."""
    batch_field: str | None = None
    batch_response: str | None = None
    owner_emails: Callable[[Mapping[str, Any]], list[str]] = lambda p: list(p.get("owner_emails") or ())

    def key_of(self, payload: Mapping[str, Any]) -> str:
        return source_key(payload.get(self.id_field))


@dataclass(frozen=True)
class Provider:
    platform: str
    kinds: tuple[Kind, ...]
    events: tuple[EventSpec, ...]
    parents: Mapping[EntityType, tuple[str, Callable[[str], str]]] = field(default_factory=dict)
    """Entity types hydrated through another kind: AbTestCell `12345:2` -> test `12345`."""

    def kind(self, collection: str) -> Kind:
        for k in self.kinds:
            if k.collection == collection:
                return k
        raise KeyError(f"{self.platform} has no collection {collection!r}")

    def target(self, entity_type: EntityType, key: str) -> tuple[Kind, str] | None:
        """The kind and key to fetch to hydrate an entity of this type with this source key."""
        for k in self.kinds:
            if k.entity_type == entity_type:
                return k, key
        if entity_type in self.parents:
            collection, parent_key = self.parents[entity_type]
            return self.kind(collection), parent_key(key)
        return None


def events(platform: str, entity_type: EntityType, id_field: str, *event_types: str) -> list[EventSpec]:
    return [EventSpec(t, platform, entity_type, id_field) for t in event_types]


def source_key(value: object) -> str:
    """A payload id as text: JSON numbers (abtest `test_id`) become their decimal string."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not an id: {value!r}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and value:
        return value
    raise ValueError(f"not an id: {value!r}")


def text(value: Any) -> str:
    """A property value as text: strings as is, numbers, booleans and lists as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def properties(pairs: Iterable[tuple[str, Any]]) -> dict[str, str]:
    return {k: text(v) for k, v in pairs if v is not None}


def tags(labels: Any) -> list[dict[str, str]]:
    pairs = {(str(lab["key"]), str(lab["value"])) for lab in labels or () if isinstance(lab, Mapping)}
    return [{"tag": k, "value": v} for k, v in sorted(pairs)]


def entity(entity_type: EntityType, key: str, *, name: Any, description: Any = None,
           owners: list[str] | None = None, tags: list[dict[str, str]] | None = None,
           properties: Mapping[str, str] | None = None, source_status: Any = None,
           created_at: Any = None, updated_at: Any = None) -> dict[str, Any]:
    """One graph.entities row (without the bookkeeping columns the merge adds)."""
    return {
        "id": entity_type.uri(key),
        "entity_type": entity_type.value,
        "domain": entity_type.domain,
        "provider": entity_type.platform,
        "name": None if name is None else str(name),
        "description": description if isinstance(description, str) and description != "" else None,
        "owners": list(owners or []),
        "tags": list(tags or []),
        "properties": dict(properties or {}),
        "source_status": None if source_status is None else str(source_status),
        "created_at": created_at if isinstance(created_at, str) and created_at else None,
        "updated_at": updated_at if isinstance(updated_at, str) and updated_at else None,
        "state": "hydrated",
    }


def owned_by(out: Normalised, uri: str, owners: Iterable[str]) -> None:
    for owner in owners:
        out.declare(uri, "OWNED_BY", owner)
