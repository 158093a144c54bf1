"""Event declarations of every source system: which event types exist, which entity each
announces, and where its id is. Landing validates events against this; hydration coalesces
by (entity_type, entity_key)."""

from __future__ import annotations

from dataclasses import dataclass

from spark_jobs.model import EntityType

E = EntityType


@dataclass(frozen=True)
class EventSpec:
    event_type: str
    platform: str
    entity_type: EntityType
    id_field: str


def _specs(platform: str, entity_type: EntityType, id_field: str, *event_types: str) -> list[EventSpec]:
    return [EventSpec(t, platform, entity_type, id_field) for t in event_types]


EVENT_SPECS: dict[str, EventSpec] = {
    s.event_type: s
    for s in [
        *_specs("registry", E.MODEL, "model_id", "model_created", "model_updated", "model_deleted"),
        *_specs("registry", E.MODEL_INSTANCE, "instance_id", "model_instance_created",
                "model_instance_updated", "model_instance_deleted"),
        *_specs("orchestrator", E.PIPELINE, "pipeline", "pipeline_created", "pipeline_updated"),
        *_specs("orchestrator", E.PIPELINE_RUN, "run_id", "pipeline_run_started",
                "pipeline_run_succeeded", "pipeline_run_failed"),
        *_specs("abtest", E.AB_TEST, "test_id", "ab_test_created", "ab_test_updated"),
        *_specs("featurestore", E.FEATURE, "feature_name", "feature_created", "feature_version_created"),
        *_specs("datasets", E.DATASET, "dataset", "dataset_created", "dataset_version_created"),
        *_specs("identity", E.USER, "email", "user_updated"),
        *_specs("identity", E.TEAM, "team", "team_updated"),
    ]
}


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
