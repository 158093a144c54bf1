"""Experimentation platform: A/B tests, whose payload also carries their cells."""

from __future__ import annotations

from spark_jobs.model import EntityType as E
from spark_jobs.providers.base import Kind, Normalised, Provider, Resolver, entity, events, owned_by, properties, source_key


def normalise_test(p, resolve: Resolver) -> Normalised:
    out = Normalised()
    test_id = source_key(p["test_id"])
    uri = E.AB_TEST.uri(test_id)
    owners = resolve.owners([p.get("owner_email")])
    out.entities.append(entity(E.AB_TEST, test_id, name=p.get("name"), owners=owners,
                               source_status=p.get("status"), updated_at=p.get("updated_at"),
                               properties=properties([("start_date", p.get("start_date")),
                                                      ("end_date", p.get("end_date"))])))
    owned_by(out, uri, owners)
    for cell in p.get("cells") or ():
        cell_id = f"{test_id}:{cell['cell_number']}"
        out.entities.append(entity(E.AB_TEST_CELL, cell_id, name=cell.get("name")))
        out.declare(E.AB_TEST_CELL.uri(cell_id), "CELL_OF", uri, declared_by=uri)
    return out


PROVIDER = Provider(
    platform="abtest",
    kinds=(Kind("tests", E.AB_TEST, "test_id", normalise_test,
                owner_emails=lambda p: [p["owner_email"]] if p.get("owner_email") else []),),
    events=tuple(events("abtest", E.AB_TEST, "test_id", "ab_test_created", "ab_test_updated")),
    # a cell is hydrated by hydrating its test: `12345:2` -> test `12345`
    parents={E.AB_TEST_CELL: ("tests", lambda key: key.rpartition(":")[0] or key)},
)
