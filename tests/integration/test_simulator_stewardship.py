"""A stewardship round (what the incremental `mlg run` applies so score trends move): changes spread over
several teams, some improving metadata and some degrading it, numbered rounds, deterministic per stack."""

from __future__ import annotations

import pytest

from infra.simulator.collections import COLLECTIONS
from infra.simulator.ecosystem import PLACEHOLDER_DESCRIPTIONS, Ecosystem
from infra.simulator.stewardship import changed_uri, plan

pytestmark = pytest.mark.integration


def _team(why: str) -> str:
    return why.split(":", 1)[0]


def test_a_round_improves_some_teams_and_degrades_others():
    eco = Ecosystem(seed=7, scale=1)
    users = {u["email"]: u for u in eco.objects("users")}
    changes = plan(eco, seed="0")
    assert changes == plan(Ecosystem(seed=7, scale=1), seed="0")  # deterministic
    teams = [_team(c["why"]) for c in changes]
    assert len(changes) == 4 and len(set(teams)) == 4 and "personalization" not in teams
    back, documented, leaves, reset = changes
    assert back["collection"] == "users" and back["fields"] == {"active": True}
    assert not users[back["id"]]["active"] and users[back["id"]]["team"] == teams[0]
    before = eco.get(documented["collection"], documented["id"])
    assert (before.get("description") or "") in ("", *PLACEHOLDER_DESCRIPTIONS)
    assert documented["fields"]["description"] not in PLACEHOLDER_DESCRIPTIONS
    assert leaves["fields"] == {"active": False} and users[leaves["id"]]["active"]
    assert "lose their only active owner" in leaves["why"]
    assert reset["fields"] == {"description": "TODO: describe this"}
    assert eco.get(reset["collection"], reset["id"])["description"] not in PLACEHOLDER_DESCRIPTIONS
    # the examples of SOURCES.md are never touched
    assert not {(c["collection"], c["id"]) for c in changes} & {
        (n, eco.base_id(n, 0)) for n in ("users", "models", "pipelines", "datasets", "features")}


def test_the_admin_route_numbers_rounds_and_says_why(simulator_factory):
    sim = simulator_factory(in_process=True)
    planned = plan(Ecosystem(seed=7, scale=1), seed="0")
    first = sim.client.stewardship()
    assert [(r["collection"], r["id"], r["why"]) for r in first] == \
        [(c["collection"], c["id"], c["why"]) for c in planned]
    assert all(r["events"] for r in first)
    for r, change in zip(first, planned):  # the sources serve the changed objects
        id_field = COLLECTIONS[r["collection"]].id_field
        served = next(o for o in sim.client.objects(r["collection"]) if str(o[id_field]) == r["id"])
        assert all(served[k] == v for k, v in change["fields"].items())
    second = sim.client.stewardship()  # round 1, over the state round 0 left
    assert {(r["collection"], r["id"]) for r in second} != {(r["collection"], r["id"]) for r in first}
    truth = {e["id"] for e in sim.client.truth("entities")}
    assert {changed_uri(r) for r in first + second} <= truth
