"""Identity platform: users (keyed by email, addressed by username) and teams."""

from __future__ import annotations

from spark_jobs.model import EntityType as E
from spark_jobs.providers.base import Kind, Normalised, Provider, Resolver, entity, events, properties


def normalise_user(p, resolve: Resolver) -> Normalised:
    out = Normalised()
    uri = E.USER.uri(p["username"])
    out.entities.append(entity(E.USER, p["username"], name=p.get("display_name"),
                               source_status="active" if p.get("active") else "inactive",
                               properties=properties([("email", p.get("email"))])))
    if p.get("team"):
        out.declare(uri, "MEMBER_OF", E.TEAM.uri(p["team"]))
    return out


def normalise_team(p, resolve: Resolver) -> Normalised:
    out = Normalised()
    out.entities.append(entity(E.TEAM, p["team"], name=p.get("display_name"),
                               properties=properties([("org", p.get("org")),
                                                      ("member_count", len(p.get("members") or ()))])))
    return out


PROVIDER = Provider(
    platform="identity",
    kinds=(
        Kind("users", E.USER, "email", normalise_user, batch_path="users:batchGet",
             batch_field="emails", batch_response="users", owner_emails=lambda p: []),
        Kind("teams", E.TEAM, "team", normalise_team, owner_emails=lambda p: []),
    ),
    events=(*events("identity", E.USER, "email", "user_updated"),
            *events("identity", E.TEAM, "team", "team_updated")),
)
