"""Feature store: features (batch endpoint by name); the owner is a team, not an email."""

from __future__ import annotations

from spark_jobs.model import EntityType as E
from spark_jobs.providers.base import Kind, Normalised, Provider, Resolver, entity, events, owned_by, properties


def normalise_feature(p, resolve: Resolver) -> Normalised:
    out = Normalised()
    uri = E.FEATURE.uri(p["name"])
    owners = [E.TEAM.uri(p["owner_team"])] if p.get("owner_team") else []
    out.entities.append(entity(E.FEATURE, p["name"], name=p["name"], description=p.get("description"),
                               owners=owners, updated_at=p.get("updated_at"),
                               properties=properties([("dtype", p.get("dtype")),
                                                      ("latest_version", p.get("latest_version"))])))
    for dataset in p.get("source_datasets") or ():
        out.declare(uri, "DERIVED_FROM", E.DATASET.uri(dataset))
    owned_by(out, uri, owners)
    return out


PROVIDER = Provider(
    platform="featurestore",
    kinds=(Kind("features", E.FEATURE, "name", normalise_feature, batch_path="features:batchGet",
                batch_field="names", batch_response="features", owner_emails=lambda p: []),),
    events=tuple(events("featurestore", E.FEATURE, "feature_name", "feature_created",
                        "feature_version_created")),
)
