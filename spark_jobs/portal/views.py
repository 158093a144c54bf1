"""What the API and the pages show, computed from one `Snapshot`: plain dicts, so the JSON
models and the templates read the same answer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from spark_jobs.graph.rules import RULES
from spark_jobs.model import RELATIONSHIPS, EntityType
from spark_jobs.portal.config import PortalSettings
from spark_jobs.portal.readmodel import Snapshot

ENTITY_TYPES = tuple(t.value for t in EntityType)
FAILED_STATUSES = {"FAILED", "ERROR", "CANCELLED", "UPSTREAM_FAILED"}


def snapshot_info(snap: Snapshot) -> dict[str, Any]:
    """Which versions an answer was read from (`as_of` label and per-table Delta versions)."""
    return {"as_of": snap.as_of.label, "versions": dict(snap.as_of.versions)}


def ref(snap: Snapshot, uri: str) -> dict[str, Any]:
    """How a related entity is shown: its URI, type and name (None when only referenced)."""
    row = snap.entity(uri)
    try:
        kind = row["entity_type"] if row else EntityType.of_uri(uri).value
    except ValueError:
        kind = None
    return {"id": uri, "entity_type": kind, "name": row["name"] if row else None,
            "state": row["state"] if row else None}


def freshness(row: dict[str, Any], settings: PortalSettings, now: datetime | None = None) -> dict[str, Any]:
    """fresh / aging / stale from the newest of last_hydrated_at and last_enriched_at."""
    now = now or datetime.now(timezone.utc)
    seen = [t for t in (row.get("last_hydrated_at"), row.get("last_enriched_at")) if t is not None]
    if not seen:
        return {"status": "stale", "checked_at": None, "age_hours": None,
                "reason": "never hydrated from its source"}
    last = max(seen)
    age = (now - last).total_seconds() / 3600
    status = "fresh" if age <= settings.fresh_hours else "aging" if age <= settings.stale_hours else "stale"
    return {"status": status, "checked_at": last, "age_hours": round(age, 1),
            "reason": f"last read from its source {age:.1f} h ago (fresh ≤ {settings.fresh_hours:g} h, "
                      f"stale > {settings.stale_hours:g} h)"}


def findings(snap: Snapshot, row: dict[str, Any]) -> list[dict[str, str]]:
    """Open quality findings about one entity: failed hydration, governance gaps of an asset,
    and what its quality score says is missing."""
    out = []
    uri = row["id"]
    failure = snap.failures.get(uri)
    if failure:
        out.append({"kind": "hydration", "severity": "error",
                    "message": f"hydration failing ({failure.get('status')}, {failure.get('attempts')} attempts): "
                               f"{failure.get('last_error') or ''}".strip()})
    if row["state"] == "failed":
        out.append({"kind": "state", "severity": "error", "message": "its last hydration failed"})
    kind = EntityType(row["entity_type"]) if row["entity_type"] in ENTITY_TYPES else None
    if kind is not None and kind.ownable and row["state"] in ("hydrated", "enriched"):
        if not row["owners"]:
            out.append({"kind": "ownership", "severity": "warning", "message": "no owner"})
        for owner in row["owners"]:
            if snap.owner_inactive(owner):
                out.append({"kind": "ownership", "severity": "warning",
                            "message": f"owner {owner} is inactive, has left or is unknown to identity"})
        if not (row.get("description") or "").strip():
            out.append({"kind": "documentation", "severity": "info", "message": "no description"})
    score = (snap.scores or {}).get(uri)
    if score:
        missing = score.get("missing")
        if missing:
            text = ", ".join(missing) if isinstance(missing, list) else str(missing)
            out.append({"kind": "score", "severity": "info", "message": f"quality score: missing {text}"})
    return out


def owner_refs(snap: Snapshot, owners: Iterable[str]) -> list[dict[str, Any]]:
    return [{**ref(snap, o), "inactive": snap.owner_inactive(o)} for o in owners]


def entity_detail(snap: Snapshot, uri: str, settings: PortalSettings) -> dict[str, Any] | None:
    row = snap.entity(uri)
    if row is None:
        return None
    score = (snap.scores or {}).get(uri)
    return {
        "id": uri, "entity_type": row["entity_type"], "name": row["name"], "description": row.get("description"),
        "domain": row.get("domain"), "provider": row.get("provider"), "state": row["state"],
        "source_status": row.get("source_status"),
        "owners": owner_refs(snap, row["owners"]),
        "tags": [{"tag": t.get("tag"), "value": t.get("value")} for t in row["tags"]],
        "properties": dict(sorted(row["properties"].items())),
        "created_at": row.get("created_at"), "updated_at": row.get("updated_at"),
        "first_seen_at": row.get("first_seen_at"), "last_hydrated_at": row.get("last_hydrated_at"),
        "last_enriched_at": row.get("last_enriched_at"),
        "freshness": freshness(row, settings),
        "deprecation": {"reason": snap.deprecation[uri]} if uri in snap.deprecation else None,
        "findings": findings(snap, row),
        "quality_score": score.get("score") if score else None,
    }


# --- relationships ---------------------------------------------------------------------------

_RULES = {r.name: r for r in RULES}


def implying_path(snap: Snapshot, src: str, rule_name: str | None, dst: str) -> list[dict[str, Any]] | None:
    """One concrete path that makes an inferred edge hold: the rule's steps walked from `src`
    over the active edges until `dst` (None when the rule is unknown or no longer walks)."""
    rule = _RULES.get(rule_name or "")
    if rule is None:
        return None
    paths: dict[str, list[dict[str, Any]]] = {src: []}
    for step in rule.path:
        nxt: dict[str, list[dict[str, Any]]] = {}
        for node, walked in sorted(paths.items()):
            for other in snap.neighbours(node, step.rel, step.direction):
                if other not in nxt:
                    edge = ({"src": node, "rel": step.rel, "dst": other} if step.direction == "out"
                            else {"src": other, "rel": step.rel, "dst": node})
                    nxt[other] = [*walked, edge]
        paths = nxt
        if not paths:
            return None
    return paths.get(dst)


def relationships(snap: Snapshot, uri: str) -> list[dict[str, Any]]:
    """Every active edge of `uri`, both directions, declared and inferred; an inferred edge
    carries its rule, what the rule means and the path implying it."""
    rows = []
    for edge in snap.edges(uri):
        row = {**edge, **{k: v for k, v in ref(snap, edge["id"]).items() if k != "id"}}
        row["meaning"] = RELATIONSHIPS[edge["rel"]].description if edge["rel"] in RELATIONSHIPS else ""
        if edge["provenance"] == "inferred":
            src, dst = (uri, edge["id"]) if edge["direction"] == "out" else (edge["id"], uri)
            rule = _RULES.get(edge["rule"] or "")
            row["rule_description"] = rule.description if rule else None
            row["path"] = implying_path(snap, src, edge["rule"], dst)
        else:
            row["rule_description"] = None
            row["path"] = None
        rows.append(row)
    return rows


def grouped_relationships(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Relationship rows grouped by (relation, direction), in the rows' order."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["rel"], row["direction"])
        if key not in groups:
            groups[key] = {"rel": row["rel"], "direction": row["direction"], "meaning": row["meaning"], "rows": []}
        groups[key]["rows"].append(row)
    return list(groups.values())


# --- lineage and impact ----------------------------------------------------------------------


@dataclass(frozen=True)
class ClosureFilters:
    depth: int | None = None
    rel: str | None = None
    entity_type: str | None = None
    team: str | None = None
    offset: int = 0
    limit: int = 100


def closure_rows(snap: Snapshot, uri: str, direction: str, f: ClosureFilters) -> dict[str, Any]:
    """Impact (downstream) or lineage (upstream) of `uri` with owners and teams, filtered and
    paged: the rows of sql/queries/impact.sql / lineage.sql."""
    summary = closure_summary(snap, uri, direction, f)
    found = summary["found"]
    return {"total": len(found), "offset": f.offset, "limit": f.limit,
            "rows": closure_dicts(snap, found[f.offset:f.offset + f.limit]), "teams": summary["teams"]}


def all_closure_rows(snap: Snapshot, uri: str, direction: str, f: ClosureFilters) -> list[dict[str, Any]]:
    """Every filtered row, unpaged (the CSV, the lineage picture)."""
    return closure_dicts(snap, closure_summary(snap, uri, direction, f)["found"])


def closure_dicts(snap: Snapshot, found: list[tuple[str, int, tuple[str, ...]]]) -> list[dict[str, Any]]:
    rows = []
    for other, depth, relations in found:
        m = snap.member(other)
        rows.append({"id": other, "entity_type": m.entity_type, "name": m.name, "depth": depth,
                     "relations": list(relations), "owners": list(m.owners), "teams": list(m.teams)})
    return rows


def closure_summary(snap: Snapshot, uri: str, direction: str, f: ClosureFilters) -> dict[str, Any]:
    """The filtered rows of one closure question, as (id, depth, relations), and the teams to
    notify for them, kept per snapshot: the next page, the CSV and the owners of the same question
    reuse them. Row dicts are made only for the rows a page shows: a dataset at the root of a
    domain impacts ~12,000 assets and ~800 teams."""
    key = ("summary", uri, direction, f.depth, f.rel, f.entity_type, f.team)
    hit = snap.memo.get(key)
    if hit is not None:
        return hit
    found = _closure(snap, uri, direction)
    if f.depth is not None or f.rel or f.entity_type or f.team:
        member = snap.member
        found = [r for r in found
                 if (f.depth is None or r[1] <= f.depth) and (not f.rel or f.rel in r[2])
                 and (not f.entity_type or member(r[0]).entity_type == f.entity_type)
                 and (not f.team or f.team in member(r[0]).teams)]
    summary = {"found": found, "teams": teams_to_notify(snap, found)}
    _remember(snap, key, summary)
    return summary


def present_types(snap: Snapshot, uri: str, direction: str) -> list[str]:
    """The entity types in a closure (the type filter's choices)."""
    member = snap.member
    return sorted({t for t in (member(r[0]).entity_type for r in _closure(snap, uri, direction)) if t})


CLOSURES_KEPT = 256


def _remember(snap: Snapshot, key: tuple[Any, ...], value: Any) -> None:
    if len(snap.memo) >= CLOSURES_KEPT:
        snap.memo.clear()
    snap.memo[key] = value


def _closure(snap: Snapshot, uri: str, direction: str) -> list[tuple[str, int, tuple[str, ...]]]:
    """Every impact / lineage row of `uri` as (id, depth, relations), nearest first, then by id
    (the index keeps them in that order), kept per snapshot for the next request."""
    key = (uri, direction)
    hit = snap.memo.get(key)
    if hit is None:
        hit = snap.impact.downstream(uri) if direction == "impact" else snap.impact.upstream(uri)
        _remember(snap, key, hit)
    return hit


def teams_to_notify(snap: Snapshot, found: list[tuple[str, int, tuple[str, ...]]]) -> list[dict[str, Any]]:
    """Each team to tell about an impact set, with how many impacted assets it is accountable
    for and their owners (the owners to notify)."""
    assets: dict[str, int] = {}
    owners: dict[str, set[str]] = {}
    member = snap.member
    for row in found:
        m = member(row[0])
        for team in m.teams:
            if team in assets:
                assets[team] += 1
                owners[team].update(m.owners)
            else:
                assets[team], owners[team] = 1, set(m.owners)
    return [{"team": t, "name": snap.name(t), "assets": assets[t], "owners": sorted(owners[t])} for t in sorted(assets)]


def owners_to_notify(snap: Snapshot, uri: str, f: ClosureFilters) -> list[dict[str, Any]]:
    """Every owner of an asset in `uri`'s (filtered) impact set: name, whether inactive, their
    teams, how many assets; kept with the question's summary."""
    summary = closure_summary(snap, uri, "impact", f)
    if "owners" not in summary:
        assets: dict[str, int] = {}
        member = snap.member
        for row in summary["found"]:
            for owner in member(row[0]).owners:
                assets[owner] = assets.get(owner, 0) + 1
        summary["owners"] = [{**ref(snap, o), "inactive": snap.owner_inactive(o), "teams": snap.teams_of([o]),
                              "assets": assets[o]} for o in sorted(assets)]
    return summary["owners"]


def most_assets(entries: list[dict[str, Any]], shown: int, *, key: str) -> list[dict[str, Any]]:
    """The `shown` teams or owners (`key`: their URI field) accountable for the most impacted
    assets, most first."""
    return sorted(entries, key=lambda e: (-e["assets"], e[key]))[:shown]


# --- views by type ---------------------------------------------------------------------------


def _refs(snap: Snapshot, uris: Iterable[str]) -> list[dict[str, Any]]:
    return [ref(snap, u) for u in uris]


def _with(snap: Snapshot, uri: str, *fields: str) -> dict[str, Any]:
    row = snap.entity(uri) or {}
    out = ref(snap, uri)
    props = row.get("properties") or {}
    for f in fields:
        out[f] = row.get(f) if f in row else props.get(f)
    return out


def _runs(snap: Snapshot, pipeline: str, limit: int = 20) -> list[dict[str, Any]]:
    runs = [_with(snap, r, "source_status", "started_at", "ended_at", "created_at")
            for r in snap.neighbours(pipeline, "RUN_OF", "in")]
    for r in runs:
        r["failed"] = (r.get("source_status") or "").upper() in FAILED_STATUSES
    runs.sort(key=lambda r: str(r.get("started_at") or r.get("created_at") or ""), reverse=True)
    return runs[:limit]


def _quality_rollup(snap: Snapshot, assets: list[str]) -> dict[str, Any] | None:
    """Mean quality score of a team's assets and the lowest-scored ones (quality.entity_scores)."""
    scored = [(float(snap.scores[a]["score"]), a) for a in dict.fromkeys(assets)
              if snap.scores and a in snap.scores and snap.scores[a].get("score") is not None]
    if not scored:
        return None
    scored.sort()
    return {"mean": round(sum(s for s, _ in scored) / len(scored), 1), "scored": len(scored),
            "lowest": [{**ref(snap, a), "score": s, "missing": (snap.scores or {})[a].get("missing") or []}
                       for s, a in scored[:5]]}


def type_view(snap: Snapshot, uri: str) -> dict[str, Any]:
    """The panels of an entity page that depend on its type."""
    row = snap.entity(uri)
    if row is None:
        return {}
    kind = row["entity_type"]
    n = snap.neighbours
    if kind == "Model":
        instances = [_with(snap, i, "version", "source_status", "created_at", "updated_at")
                     for i in n(uri, "INSTANCE_OF", "in")]
        instances.sort(key=lambda i: str(i.get("created_at") or ""))
        tests = set(n(uri, "TESTED_IN"))
        for i in instances:
            tests.update(n(i["id"], "TESTED_IN"))
        return {"instances": instances, "ab_tests": [_with(snap, t, "source_status") for t in sorted(tests)]}
    if kind == "ModelInstance":
        runs = n(uri, "PRODUCED_BY")
        return {"model": _refs(snap, n(uri, "INSTANCE_OF")), "runs": _refs(snap, runs),
                "pipelines": _refs(snap, sorted({p for r in runs for p in n(r, "RUN_OF")})),
                "features": _refs(snap, n(uri, "USES_FEATURE")),
                "ab_tests": [_with(snap, t, "source_status") for t in n(uri, "TESTED_IN")],
                "trained_on": _refs(snap, n(uri, "TRAINED_ON"))}
    if kind == "Dataset":
        producers = n(uri, "PRODUCED_BY")
        pipelines = sorted({p for p in producers if p.startswith("aip://pipeline/")}
                           | {p for r in producers for p in n(r, "RUN_OF")})
        runs = [r for p in pipelines for r in _runs(snap, p)]
        return {"producers": _refs(snap, producers), "pipelines": _refs(snap, pipelines), "runs": runs,
                "failed_runs": sum(1 for r in runs if r["failed"]),
                "features": _refs(snap, n(uri, "DERIVED_FROM", "in")),
                "readers": _refs(snap, n(uri, "READS", "in")),
                "trained_instances": _refs(snap, n(uri, "TRAINED_ON", "in"))}
    if kind == "Pipeline":
        runs = _runs(snap, uri)
        outputs = set(n(uri, "PRODUCED_BY", "in"))
        for r in n(uri, "RUN_OF", "in"):
            outputs.update(n(r, "PRODUCED_BY", "in"))
        return {"schedule": row["properties"].get("schedule"), "runs": runs,
                "failed_runs": sum(1 for r in runs if r["failed"]),
                "inputs": _refs(snap, n(uri, "READS")), "outputs": _refs(snap, sorted(outputs))}
    if kind == "PipelineRun":
        return {"pipeline": _refs(snap, n(uri, "RUN_OF")), "produced": _refs(snap, n(uri, "PRODUCED_BY", "in")),
                "cells": _refs(snap, n(uri, "RAN_FOR")),
                "ab_tests": _refs(snap, sorted({t for c in n(uri, "RAN_FOR") for t in n(c, "CELL_OF")}))}
    if kind == "Feature":
        instances = n(uri, "USES_FEATURE", "in")
        models = sorted(set(n(uri, "USED_BY")) | {m for i in instances for m in n(i, "INSTANCE_OF")})
        consumers = []
        for m in models:
            owners = (snap.entity(m) or {}).get("owners") or []
            consumers.append({**ref(snap, m), "teams": _refs(snap, snap.teams_of(owners))})
        return {"datasets": _refs(snap, n(uri, "DERIVED_FROM")), "instances": _refs(snap, instances),
                "models": consumers}
    if kind == "AbTest":
        cells = [_with(snap, c, "cell_number") for c in n(uri, "CELL_OF", "in")]
        for c in cells:
            c["runs"] = _refs(snap, n(c["id"], "RAN_FOR", "in"))
        tested = n(uri, "TESTED_IN", "in")
        return {"cells": cells,
                "models": _refs(snap, [t for t in tested if t.startswith("aip://model/")]),
                "instances": _refs(snap, [t for t in tested if t.startswith("aip://model-instance/")])}
    if kind == "AbTestCell":
        return {"ab_test": _refs(snap, n(uri, "CELL_OF")), "runs": _refs(snap, n(uri, "RAN_FOR", "in"))}
    if kind == "User":
        return {"owned": _refs(snap, n(uri, "OWNED_BY", "in")), "teams": _refs(snap, n(uri, "MEMBER_OF")),
                "inactive": snap.owner_inactive(uri)}
    if kind == "Team":
        members = [{**ref(snap, m), "inactive": snap.owner_inactive(m)} for m in n(uri, "MEMBER_OF", "in")]
        via_members = sorted({a for m in members for a in n(m["id"], "OWNED_BY", "in")})
        inactive_owned = [{**ref(snap, a), "owner": m["id"]} for m in members if m["inactive"]
                          for a in n(m["id"], "OWNED_BY", "in")]
        owned = n(uri, "OWNED_BY", "in")
        return {"owned": _refs(snap, owned), "members": members,
                "owned_by_members": _refs(snap, via_members), "inactive_owned": inactive_owned,
                "quality": _quality_rollup(snap, [*owned, *via_members])}
    return {}
