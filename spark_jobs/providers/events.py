"""Event declarations of every source system, gathered from the provider registry: which
event types exist, which entity each announces, and where its id is. Landing validates events
against this; hydration coalesces by (entity_type, entity_key)."""

from __future__ import annotations

from spark_jobs.model import EntityType
from spark_jobs.providers import PROVIDERS
from spark_jobs.providers.base import EventSpec

E = EntityType

EVENT_SPECS: dict[str, EventSpec] = {s.event_type: s for p in PROVIDERS.values() for s in p.events}


def events_of(platform: str) -> list[EventSpec]:
    return [s for s in EVENT_SPECS.values() if s.platform == platform]


def entity_key(value: object) -> str | None:
    """The id field's value as the entity's source key; None when unusable.

    JSON numbers are allowed (abtest `test_id`) and become their decimal text; floats only
    when integral. Empty strings, booleans, objects and lists are not ids.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else None
    if isinstance(value, str) and value.strip():
        return value
    return None


__all__ = ["EVENT_SPECS", "EventSpec", "events_of", "entity_key"]
