"""Dataset platform: datasets, each naming the pipeline that produces it."""

from __future__ import annotations

from spark_jobs.model import EntityType as E
from spark_jobs.providers.base import Kind, Normalised, Provider, Resolver, entity, events, owned_by, properties


def normalise_dataset(p, resolve: Resolver) -> Normalised:
    out = Normalised()
    uri = E.DATASET.uri(p["name"])
    owners = resolve.owners(p.get("owner_emails") or ())
    out.entities.append(entity(E.DATASET, p["name"], name=p["name"], description=p.get("description"),
                               owners=owners, updated_at=p.get("updated_at"),
                               properties=properties([("latest_version", p.get("latest_version"))])))
    if p.get("produced_by"):
        out.declare(uri, "PRODUCED_BY", E.PIPELINE.uri(p["produced_by"]))
    owned_by(out, uri, owners)
    return out


PROVIDER = Provider(
    platform="datasets",
    kinds=(Kind("datasets", E.DATASET, "name", normalise_dataset),),
    events=tuple(events("datasets", E.DATASET, "dataset", "dataset_created", "dataset_version_created")),
)
