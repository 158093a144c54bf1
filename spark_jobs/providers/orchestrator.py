"""Pipeline orchestrator: pipelines and their runs (no batch endpoint: single GETs fan out)."""

from __future__ import annotations

from spark_jobs.model import EntityType as E
from spark_jobs.providers.base import Kind, Normalised, Provider, Resolver, entity, events, owned_by, properties, source_key


def normalise_pipeline(p, resolve: Resolver) -> Normalised:
    out = Normalised()
    uri = E.PIPELINE.uri(p["name"])
    owners = resolve.owners(p.get("owner_emails") or ())
    outputs = sorted({o["dataset"] for o in p.get("outputs") or ()})  # a set: its order means nothing
    out.entities.append(entity(E.PIPELINE, p["name"], name=p["name"], description=p.get("description"),
                               owners=owners, updated_at=p.get("updated_at"),
                               properties=properties([("schedule", p.get("schedule")), ("outputs", outputs)])))
    for read in p.get("inputs") or ():
        out.declare(uri, "READS", E.DATASET.uri(read["dataset"]))
    # outputs make no edge: each dataset declares PRODUCED_BY itself
    owned_by(out, uri, owners)
    return out


def normalise_run(p, resolve: Resolver) -> Normalised:
    out = Normalised()
    uri = E.PIPELINE_RUN.uri(p["run_id"])
    out.entities.append(entity(E.PIPELINE_RUN, p["run_id"], name=p["run_id"], source_status=p.get("status"),
                               properties=properties([("started_at", p.get("started_at")),
                                                      ("ended_at", p.get("ended_at"))])))
    if p.get("pipeline"):
        out.declare(uri, "RUN_OF", E.PIPELINE.uri(p["pipeline"]))
    for cell in p.get("ab_test_cells") or ():
        out.declare(uri, "RAN_FOR", E.AB_TEST_CELL.uri(f"{source_key(cell['test_id'])}:{cell['cell_number']}"))
    return out


PROVIDER = Provider(
    platform="orchestrator",
    kinds=(
        Kind("pipelines", E.PIPELINE, "name", normalise_pipeline),
        Kind("pipeline-runs", E.PIPELINE_RUN, "run_id", normalise_run, owner_emails=lambda p: []),
    ),
    events=(*events("orchestrator", E.PIPELINE, "pipeline", "pipeline_created", "pipeline_updated"),
            *events("orchestrator", E.PIPELINE_RUN, "run_id", "pipeline_run_started",
                    "pipeline_run_succeeded", "pipeline_run_failed")),
)
