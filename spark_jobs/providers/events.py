"""Event declarations of every source system, gathered from the provider registry: which
event types exist, which entity each announces, and where its id is. Landing validates events
against this; hydration coalesces by (entity_type, entity_key)."""

from __future__ import annotations

from spark_jobs.providers import PROVIDERS
from spark_jobs.providers.base import EventSpec, source_key

EVENT_SPECS: dict[str, EventSpec] = {s.event_type: s for p in PROVIDERS.values() for s in p.events}


def events_of(platform: str) -> list[EventSpec]:
    return [s for s in EVENT_SPECS.values() if s.platform == platform]


def entity_key(value: object) -> str | None:
    """The id field's value as the entity's source key (`source_key`), None when unusable.

    Landing is stricter than hydration only in refusing blank strings: an event cannot name
    an entity by whitespace.
    """
    try:
        key = source_key(value)
    except ValueError:
        return None
    return key if key.strip() else None


__all__ = ["EVENT_SPECS", "EventSpec", "events_of", "entity_key"]
