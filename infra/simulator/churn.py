"""A deterministic batch of plausible source changes ("a week of churn").

`plan(eco, count=, seed=)` returns mutation dicts (`{op, collection, id?, fields}`) that the
admin API applies like any other (`POST /_admin/churn`, `SimulatorClient.churn`), so every one
emits its thin event. Used by the incremental `mlg run`, convergence tests and benchmarks.

Mix: about 60% updates (descriptions, statuses, versions, schedules, a user leaving), 25%
creates (a new model instance produced by a new run, a new feature), 15% deletes (an archived
instance, a dataset). The article's example objects (index 0) are never touched, so they are
always present. Same (ecosystem seed, churn seed, count, prior state) -> same plan.
"""

from __future__ import annotations

from random import Random
from typing import Any

from infra.simulator.ecosystem import Ecosystem


def _pick(eco: Ecosystem, rng: Random, name: str, used: set[tuple[str, str]]) -> str | None:
    """A live generated object (never index 0, never one already changed in this plan)."""
    n = eco.base_count(name)
    for _ in range(20):
        obj_id = eco.base_id(name, 1 + rng.randrange(max(1, n - 1)))
        if (name, obj_id) not in used and eco.exists(name, obj_id):
            used.add((name, obj_id))
            return obj_id
    return None


def plan(eco: Ecosystem, *, count: int, seed: int = 0) -> list[dict[str, Any]]:
    if count < 0:
        raise ValueError("count must be >= 0")
    rng = Random(f"{eco.seed}:churn:{seed}")
    used: set[tuple[str, str]] = set()
    out: list[dict[str, Any]] = []
    serial = 0
    while len(out) < count:
        roll = rng.random()
        if roll < 0.6:
            out.extend(_update(eco, rng, used))
        elif roll < 0.85:
            serial += 1
            out.extend(_create(eco, rng, used, f"churn{seed}-{serial}", room=count - len(out)))
        else:
            out.extend(_delete(eco, rng, used))
    return out[:count]


def _update(eco: Ecosystem, rng: Random, used: set[tuple[str, str]]) -> list[dict[str, Any]]:
    name = rng.choice(("models", "instances", "pipelines", "tests", "features", "datasets", "users", "teams"))
    obj_id = _pick(eco, rng, name, used)
    if obj_id is None:
        return []
    obj = eco.get(name, obj_id) or {}
    fields: dict[str, Any]
    if name == "models":
        fields = {"description": f"Revised: {obj.get('description') or 'now documented'}"}
    elif name == "instances":
        fields = {"status": "ARCHIVED" if obj.get("status") != "ARCHIVED" else "DEPLOYED"}
    elif name == "pipelines":
        fields = {"schedule": "@daily" if obj.get("schedule") != "@daily" else "@hourly"}
    elif name == "tests":
        fields = {"status": {"DRAFT": "ACTIVE", "ACTIVE": "COMPLETED"}.get(obj.get("status"), "ACTIVE")}
    elif name in ("features", "datasets"):
        fields = {"latest_version": int(obj.get("latest_version") or 0) + 1}
    elif name == "users":
        fields = {"active": not obj.get("active", True)}
    else:
        fields = {"org": rng.choice(("ml", "data", "product", "research"))}
    return [{"op": "update", "collection": name, "id": obj_id, "fields": fields}]


def _create(eco: Ecosystem, rng: Random, used: set[tuple[str, str]], tag: str, *,
            room: int) -> list[dict[str, Any]]:
    model_id = _pick(eco, rng, "models", used)
    if model_id is None or room < 2:
        feature = f"churned_feature_{tag}"
        return [{"op": "create", "collection": "features",
                 "fields": {"name": feature, "description": "Added by churn.", "owner_team":
                            eco.base_id("teams", rng.randrange(eco.base_count("teams"))),
                            "latest_version": 1, "dtype": "float",
                            "source_datasets": [eco.base_id("datasets", rng.randrange(eco.base_count("datasets")))]}}]
    run_id = f"train-run-{tag}"
    instance = eco.get("instances", eco.base_id("instances", 5 * _model_index(eco, model_id))) or {}
    trainer = eco.base_id("pipelines", 2 * _model_index(eco, model_id))
    return [
        {"op": "create", "collection": "pipeline-runs",
         "fields": {"run_id": run_id, "pipeline": trainer, "status": "SUCCEEDED",
                    "started_at": "2025-06-09T03:00:00Z", "ended_at": "2025-06-09T05:00:00Z",
                    "ab_test_cells": []}},
        {"op": "create", "collection": "instances",
         "fields": {"id": f"{model_id}-{tag}", "model_id": model_id, "version": "9.9.0",
                    "pipeline_run_id": run_id, "owner_emails": instance.get("owner_emails", []),
                    "labels": instance.get("labels", []), "features": instance.get("features", []),
                    "status": "STAGING"}},
    ]


def _model_index(eco: Ecosystem, model_id: str) -> int:
    index = eco._index_of_base("models", model_id)  # noqa: SLF001 - same package
    return 0 if index is None else index


def _delete(eco: Ecosystem, rng: Random, used: set[tuple[str, str]]) -> list[dict[str, Any]]:
    name = rng.choice(("instances", "datasets"))
    obj_id = _pick(eco, rng, name, used)
    return [] if obj_id is None else [{"op": "delete", "collection": name, "id": obj_id}]
