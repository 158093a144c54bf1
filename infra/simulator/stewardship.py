"""A round of metadata stewardship across teams: what moves metadata quality between two builds.

`plan(eco, seed=)` returns mutation dicts (`{op, collection, id, fields, why}`) that the admin API
applies like any other (`POST /_admin/stewardship`, `SimulatorClient.stewardship`), each emitting its
thin event. The incremental `mlg run` applies one round, so the governance report's score trend
moves for several teams, some up and some down, the way a real organisation's does:

- improving: an owner comes back (identity re-activates a user, whose assets have an active owner
  again), and an owner documents an asset that had no description or a placeholder;
- degrading: an owner leaves (identity marks a user inactive, the only active owner of several
  assets), and an asset's description is reset to a template placeholder (`TODO: describe this`).

Each change goes to a different team other than the example's (teams drawn in a seeded order; a team with nothing to change
for an action is passed over), every target is a live generated object picked from the current
state (so later rounds pick other objects), and the SOURCES.md examples (index 0) are never touched.
Same (ecosystem seed, round seed, prior state) -> same plan; the admin route numbers rounds 0, 1, ... An action with no target anywhere is
left out, so a round has at most four changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from random import Random
from typing import Any

from infra.simulator.ecosystem import PLACEHOLDER_DESCRIPTIONS, Ecosystem

# Asset collections and their id fields; which carry owner emails, which a description a steward edits.
_ASSETS = {"models": "id", "instances": "id", "pipelines": "name", "datasets": "name", "features": "name"}
_OWNED = ("models", "instances", "pipelines", "datasets")
_DESCRIBED = ("models", "pipelines", "datasets", "features")
Assets = list[tuple[str, dict[str, Any]]]
TEMPLATE_DESCRIPTION = "TODO: describe this"
assert TEMPLATE_DESCRIPTION in PLACEHOLDER_DESCRIPTIONS


def plan(eco: Ecosystem, *, seed: int | str = 0) -> list[dict[str, Any]]:
    rng = Random(f"{eco.seed}:stewardship:{seed}")
    # the example team (index 0, personalization) is left to the example changes of `mlg run`
    teams = sorted(t for t in eco.ids("teams") if t != eco.base_id("teams", 0))
    rng.shuffle(teams)
    users = {u["email"]: u for u in eco.objects("users")}
    movable = {e: u for e, u in users.items() if e != eco.base_id("users", 0)}  # alice stays as she is
    assets = [(name, obj) for name in _ASSETS for obj in _generated(eco, name)]  # one scan per round
    stranded, sole_owned = _stranded_owners(assets, users), _sole_active_owner_counts(assets, users)
    actions: list[Callable[[str], dict[str, Any] | None]] = [
        lambda team: _owner_returns(stranded, movable, team, rng),
        lambda team: _documented(assets, users, team, rng),
        lambda team: _owner_leaves(sole_owned, users, movable, team),
        lambda team: _template_reset(assets, users, team, rng),
    ]
    out: list[dict[str, Any]] = []
    for action in actions:
        for team in teams:
            change = action(team)
            if change is not None:
                teams.remove(team)  # one change per team: the trend moves for as many teams as changes
                out.append({**change, "why": f"{team}: {change['why']}"})
                break
    return out


def _generated(eco: Ecosystem, name: str) -> Iterator[dict[str, Any]]:
    """Live generated objects of a collection, index 0 (the SOURCES.md example) left out."""
    for index in range(1, eco.base_count(name)):
        obj = eco.get(name, eco.base_id(name, index))
        if obj is not None:
            yield obj


def _owners(obj: dict[str, Any]) -> list[str]:
    return [e for e in obj.get("owner_emails") or () if e]


def _teams_of(obj: dict[str, Any], users: dict[str, dict[str, Any]]) -> set[str]:
    """The teams accountable for an asset as the graph sees them: its owning team (features) or the
    teams of its owners."""
    if obj.get("owner_team"):
        return {obj["owner_team"]}
    return {users[e]["team"] for e in _owners(obj) if e in users and users[e].get("team")}


def _sole_active_owner_counts(assets: Assets, users: dict[str, dict[str, Any]]) -> Counter[str]:
    """Per active user: how many assets have them as their only active owner."""
    counts: Counter[str] = Counter()
    for _name, obj in assets:
        active = [e for e in _owners(obj) if e in users and users[e]["active"]]
        if len(active) == 1:
            counts[active[0]] += 1
    return counts


def _update(collection: str, obj_id: str, fields: dict[str, Any], why: str) -> dict[str, Any]:
    return {"op": "update", "collection": collection, "id": obj_id, "fields": fields, "why": why}


def _stranded_owners(assets: Assets, users: dict[str, dict[str, Any]]) -> set[str]:
    """Owners of assets nobody active owns now: their return gives an asset an accountable owner again."""
    return {e for _name, obj in assets
            if not any(users.get(o, {}).get("active") for o in _owners(obj)) for e in _owners(obj)}


def _owner_returns(stranded: set[str], users: dict[str, dict[str, Any]], team: str,
                   rng: Random) -> dict[str, Any] | None:
    back = sorted(e for e, u in users.items() if u.get("team") == team and not u["active"] and e in stranded)
    if not back:
        return None
    return _update("users", rng.choice(back), {"active": True}, "an owner is back: identity re-activates them")


def _documented(assets: Assets, users: dict[str, dict[str, Any]], team: str,
                rng: Random) -> dict[str, Any] | None:
    lacking = [(name, obj) for name, obj in assets if name in _DESCRIBED
               and team in _teams_of(obj, users) and _undocumented(obj.get("description"))]
    if not lacking:
        return None
    name, obj = rng.choice(lacking)
    text = f"Kept by {team}: what it holds, who relies on it and how often it is refreshed."
    return _update(name, obj[_ASSETS[name]], {"description": text},
                   "an owner documents an asset that had no description")


def _owner_leaves(sole_owned: Counter[str], users: dict[str, dict[str, Any]],
                  movable: dict[str, dict[str, Any]], team: str) -> dict[str, Any] | None:
    """The active member of `team` who is the only active owner of the most assets leaves."""
    candidates = [(n, e) for e, n in sole_owned.items() if e in movable and users[e].get("team") == team]
    if not candidates:
        return None
    assets, email = max(candidates, key=lambda c: (c[0], c[1]))
    return _update("users", email, {"active": False},
                   f"an owner leaves: identity marks them inactive ({assets} assets lose their only active owner)")


def _template_reset(assets: Assets, users: dict[str, dict[str, Any]], team: str,
                    rng: Random) -> dict[str, Any] | None:
    described = [(name, obj) for name, obj in assets if name in ("models", "pipelines", "datasets")
                 and team in _teams_of(obj, users) and not _undocumented(obj.get("description"))]
    if not described:
        return None
    name, obj = rng.choice(described)
    return _update(name, obj[_ASSETS[name]], {"description": TEMPLATE_DESCRIPTION},
                   "re-registered from a template: the description is a placeholder again")


def _undocumented(description: Any) -> bool:
    return not (isinstance(description, str) and description.strip()) or description in PLACEHOLDER_DESCRIPTIONS


def changed_uri(result: dict[str, Any]) -> str:
    """The graph URI of an applied mutation's object (a user's is their identity username)."""
    from infra.simulator.collections import COLLECTIONS

    entity_type = COLLECTIONS[result["collection"]].entity_type
    if result["collection"] == "users":
        return entity_type.uri((result.get("object") or {}).get("username") or result["id"].rpartition("@")[0])
    return entity_type.uri(result["id"])
