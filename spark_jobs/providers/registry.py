"""Model registry: models and model instances (instances have a batch endpoint)."""

from __future__ import annotations

from spark_jobs.model import EntityType as E
from spark_jobs.providers.base import (Kind, Normalised, Provider, Resolver, entity, events, owned_by,
                                       properties, tags)


def normalise_model(p, resolve: Resolver) -> Normalised:
    out = Normalised()
    uri = E.MODEL.uri(p["id"])
    owners = resolve.owners(p.get("owner_emails") or ())
    out.entities.append(entity(E.MODEL, p["id"], name=p.get("name"), description=p.get("description"),
                               owners=owners, tags=tags(p.get("labels")),
                               created_at=p.get("created_at"), updated_at=p.get("updated_at")))
    owned_by(out, uri, owners)
    return out


def normalise_instance(p, resolve: Resolver) -> Normalised:
    out = Normalised()
    uri = E.MODEL_INSTANCE.uri(p["id"])
    owners = resolve.owners(p.get("owner_emails") or ())
    out.entities.append(entity(
        E.MODEL_INSTANCE, p["id"], name=p["id"], description=p.get("description"), owners=owners,
        tags=tags(p.get("labels")), source_status=p.get("status"),
        properties=properties([("version", p.get("version")), ("model_id", p.get("model_id")),
                               ("pipeline_run_id", p.get("pipeline_run_id"))]),
        created_at=p.get("created_at"), updated_at=p.get("updated_at")))
    if p.get("model_id"):
        out.declare(uri, "INSTANCE_OF", E.MODEL.uri(p["model_id"]))
    if p.get("pipeline_run_id"):
        out.declare(uri, "PRODUCED_BY", E.PIPELINE_RUN.uri(p["pipeline_run_id"]))
    for feature in p.get("features") or ():
        out.declare(uri, "USES_FEATURE", E.FEATURE.uri(feature["name"]))
    owned_by(out, uri, owners)
    return out


PROVIDER = Provider(
    platform="registry",
    kinds=(
        Kind("models", E.MODEL, "id", normalise_model),
        Kind("instances", E.MODEL_INSTANCE, "id", normalise_instance,
             batch_path="instances:batchGet", batch_field="ids", batch_response="instances"),
    ),
    events=(*events("registry", E.MODEL, "model_id", "model_created", "model_updated", "model_deleted"),
            *events("registry", E.MODEL_INSTANCE, "instance_id", "model_instance_created",
                    "model_instance_updated", "model_instance_deleted")),
)
