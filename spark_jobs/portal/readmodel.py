"""The portal's read model: one version of the graph tables read with delta-rs into memory,
indexed for point lookups (an entity, its edges, its impact and lineage rows).

Why not a Spark query per request: a Spark Connect round trip costs 70-150 ms (BENCHMARKS.md)
and a page needs several, so 20 concurrent users would queue for seconds. The tables are read
once per Delta version (delta-rs, no engine) and every lookup after that is a dict or a sorted
array search. The answers are those of `sql/queries/{impact,lineage,related}.sql`
(tests/portal compare them row for row).

Time travel: a `Snapshot` is keyed by the versions of the tables it was read at; `resolve_as_of`
turns `?as_of=<graph.entities version | timestamp>` into those versions.
"""

from __future__ import annotations

import gc
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.errors import UsageError

#: tables a snapshot reads; graph.entities is the one `as_of=<version>` counts in
SNAPSHOT_TABLES = ("graph.entities", "graph.edges", "graph.impact", "graph.deprecation_candidates",
                   "ops.hydration_failures", "quality.entity_scores")
ANCHOR = "graph.entities"
ENTITY_COLUMNS = ("id", "entity_type", "domain", "provider", "name", "description", "owners", "tags",
                  "properties", "source_status", "created_at", "updated_at", "state", "first_seen_at",
                  "last_hydrated_at", "last_enriched_at")
EDGE_COLUMNS = ("src", "rel", "dst", "provenance", "rule", "first_seen_at", "last_seen_at")


class AsOfError(UsageError):
    """`as_of` names no version of the graph."""


@dataclass(frozen=True)
class AsOf:
    """Which version of each table a snapshot reads; `label` is what the banner says."""

    versions: tuple[tuple[str, int | None], ...]
    label: str | None = None  # None: the latest versions
    at: datetime | None = None  # the moment shown (None: now)

    @property
    def key(self) -> tuple[tuple[str, int | None], ...]:
        return self.versions

    def version(self, name: str) -> int | None:
        return dict(self.versions).get(name)


def _path(settings: Settings, name: str) -> str:
    try:
        return tables.table(name).path(settings)
    except KeyError:  # a table another stage registers later (quality.entity_scores)
        schema, table = name.split(".", 1)
        return f"{tables.lakehouse_root(settings)}/{schema}/{table}"


def _open(settings: Settings, name: str):
    from deltalake import DeltaTable

    path = _path(settings, name)
    if not DeltaTable.is_deltatable(path, tables.storage_options()):
        return None
    return DeltaTable(path, storage_options=tables.storage_options())


def latest(settings: Settings) -> AsOf:
    versions = []
    for name in SNAPSHOT_TABLES:
        dt = _open(settings, name)
        versions.append((name, None if dt is None else dt.version()))
    return AsOf(tuple(versions))


def _commit_times(dt) -> dict[int, datetime]:
    return {int(h["version"]): datetime.fromtimestamp(h["timestamp"] / 1000, tz=timezone.utc)
            for h in dt.history() if "timestamp" in h and "version" in h}


def _version_at(dt, at: datetime) -> int | None:
    """The newest version of `dt` committed at or before `at` (None: the table did not exist)."""
    times = _commit_times(dt)
    before = [v for v, t in times.items() if t <= at]
    return max(before) if before else None


def parse_as_of(text: str) -> int | datetime:
    """A graph.entities version (digits) or an ISO-8601 timestamp (UTC when no offset)."""
    text = text.strip()
    if text.isascii() and text.isdigit():  # not '²' or other Unicode digits int() refuses
        return int(text)
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise AsOfError(f"as_of must be a graph.entities version (e.g. 3) or an ISO timestamp "
                        f"(e.g. 2026-01-31T12:00:00Z), got {text!r}") from None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def resolve_as_of(settings: Settings, text: str | None) -> AsOf:
    """The table versions `?as_of=` names. A version N of graph.entities means the graph as the
    build that committed it left it: every table as of just before entities version N+1."""
    if text is None or text.strip() == "":
        return latest(settings)
    wanted = parse_as_of(text)
    anchor = _open(settings, ANCHOR)
    if anchor is None:
        raise AsOfError("there is no graph yet: run `mlg build` first")
    times = _commit_times(anchor)
    current = anchor.version()
    if isinstance(wanted, int):
        if wanted not in times:
            raise AsOfError(f"graph.entities has no version {wanted} (versions {min(times)}..{current})")
        following = times.get(wanted + 1)
        at = following - timedelta(microseconds=1) if following else datetime.now(timezone.utc)
        label = f"graph.entities version {wanted} (committed {times[wanted]:%Y-%m-%d %H:%M:%S} UTC)"
    else:
        at = wanted
        first = min(times.values())
        if at < first:
            raise AsOfError(f"as_of {text!r} is before the first graph version ({first:%Y-%m-%dT%H:%M:%SZ})")
        label = f"{at:%Y-%m-%d %H:%M:%S} UTC (graph.entities version {_version_at(anchor, at)})"
    versions = []
    for name in SNAPSHOT_TABLES:
        dt = anchor if name == ANCHOR else _open(settings, name)
        versions.append((name, None if dt is None else _version_at(dt, at)))
    return AsOf(tuple(versions), label, at)


def _read(settings: Settings, name: str, version: int | None, columns: Iterable[str] | None = None):
    """A pyarrow Table of `name` at `version` (None: the table did not exist then)."""
    if version is None:
        return None
    dt = _open(settings, name)
    if dt is None:
        return None
    dt.load_as_version(version)
    ds = dt.to_pyarrow_dataset()
    cols = [c for c in columns if c in ds.schema.names] if columns else None
    return ds.to_table(columns=cols)


def _as_dict(value: Any) -> dict[str, str]:
    """A Delta MAP column as pyarrow returns it (list of pairs) -> dict."""
    if not value:
        return {}
    if isinstance(value, dict):
        return dict(value)
    return {k: v for k, v in value}


@dataclass
class ImpactIndex:
    """graph.impact as integer codes sorted both ways, so the rows of one src or one dst are a
    binary search away. ~25 bytes a pair (4 M pairs at scale 100 is ~100 MB)."""

    ids: list[str]
    code: dict[str, int]
    src: Any  # numpy int32 per row
    dst: Any
    depth: Any
    rel_code: Any
    relations: list[tuple[str, ...]]
    by_src: Any  # row order sorted by src, then depth, then dst id
    by_dst: Any
    src_sorted: Any
    dst_sorted: Any

    @classmethod
    def build(cls, table) -> ImpactIndex:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        if table is None or table.num_rows == 0:
            empty = np.zeros(0, dtype=np.int32)
            return cls([], {}, empty, empty, empty, empty, [], empty, empty, empty, empty)
        src = table.column("src").combine_chunks()
        dst = table.column("dst").combine_chunks()
        uniq = pc.unique(pa.concat_arrays([src, dst]))
        uniq = uniq.take(pc.sort_indices(uniq))  # codes in id order (see by_src)
        s = pc.index_in(src, value_set=uniq).to_numpy().astype(np.int32)
        d = pc.index_in(dst, value_set=uniq).to_numpy().astype(np.int32)
        joined = pc.binary_join(table.column("relations"), "\x1f").fill_null("").combine_chunks()
        enc = joined.dictionary_encode()
        rel_code = enc.indices.to_numpy(zero_copy_only=False).astype(np.int32)
        relations = [tuple(sorted(x.split("\x1f"))) if x else () for x in enc.dictionary.to_pylist()]
        depth = table.column("min_depth").combine_chunks().fill_null(0).to_numpy().astype(np.int32)
        ids = uniq.to_pylist()
        # one entity's rows come out nearest first, then by id: what every page and query shows
        by_src = np.lexsort((d, depth, s))
        by_dst = np.lexsort((s, depth, d))
        return cls(ids, {v: i for i, v in enumerate(ids)}, s, d, depth, rel_code, relations,
                   by_src, by_dst, s[by_src], d[by_dst])

    def _rows(self, uri: str, order, keys) -> Any:
        import numpy as np

        code = self.code.get(uri)
        if code is None:
            return np.zeros(0, dtype=np.int64)
        key = keys.dtype.type(code)  # a Python int would make numpy cast the whole array first
        lo, hi = np.searchsorted(keys, key, "left"), np.searchsorted(keys, key, "right")
        return order[lo:hi]

    def downstream(self, uri: str) -> list[tuple[str, int, tuple[str, ...]]]:
        """(dst, min_depth, relations) of every entity depending on `uri` (not itself)."""
        return self._pairs(self._rows(uri, self.by_src, self.src_sorted), self.dst)

    def upstream(self, uri: str) -> list[tuple[str, int, tuple[str, ...]]]:
        return self._pairs(self._rows(uri, self.by_dst, self.dst_sorted), self.src)

    def _pairs(self, rows: Any, other: Any) -> list[tuple[str, int, tuple[str, ...]]]:
        # whole-array numpy steps then plain lists: indexing numpy per row costs ~10x more
        rows = rows[self.dst[rows] != self.src[rows]]
        ids, relations = self.ids, self.relations
        return [(ids[o], d, relations[r]) for o, d, r in
                zip(other[rows].tolist(), self.depth[rows].tolist(), self.rel_code[rows].tolist())]

    @property
    def size(self) -> int:
        return len(self.src)


@dataclass(frozen=True)
class Member:
    entity_type: str | None
    name: str | None
    owners: tuple[str, ...]
    teams: tuple[str, ...]


@dataclass
class Snapshot:
    """One version of the graph, in memory."""

    as_of: AsOf
    entities: dict[str, dict[str, Any]]
    out_edges: dict[str, list[dict[str, Any]]]
    in_edges: dict[str, list[dict[str, Any]]]
    impact: ImpactIndex
    deprecation: dict[str, str]
    failures: dict[str, dict[str, Any]]
    scores: dict[str, dict[str, Any]] | None
    loaded_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    #: answers computed from this snapshot, by question (views.py); cleared when full
    memo: dict[tuple, Any] = field(default_factory=dict)
    #: the teams each owner notifies (teams_of): an impact set of 12,000 assets has ~4,000 owners
    _teams: dict[str, list[str]] = field(default_factory=dict, repr=False)
    #: each entity as a closure row shows it (member)
    _members: dict[str, Member] = field(default_factory=dict, repr=False)

    @property
    def has_impact(self) -> bool:
        return self.as_of.version("graph.impact") is not None

    def entity(self, uri: str) -> dict[str, Any] | None:
        return self.entities.get(uri)

    def name(self, uri: str) -> str | None:
        row = self.entities.get(uri)
        return row["name"] if row else None

    def edges(self, uri: str) -> list[dict[str, Any]]:
        """Every active edge touching `uri` as (direction, rel, id, provenance, rule) rows, like
        sql/queries/related.sql: outgoing first, then by relation and id."""
        out = [{"direction": "out", "rel": e["rel"], "id": e["dst"], "provenance": e["provenance"],
                "rule": e["rule"]} for e in self.out_edges.get(uri, ())]
        inc = [{"direction": "in", "rel": e["rel"], "id": e["src"], "provenance": e["provenance"],
                "rule": e["rule"]} for e in self.in_edges.get(uri, ())]
        return sorted(out, key=lambda r: (r["rel"], r["id"])) + sorted(inc, key=lambda r: (r["rel"], r["id"]))

    def neighbours(self, uri: str, rel: str, direction: str = "out") -> list[str]:
        if direction == "out":
            return sorted(e["dst"] for e in self.out_edges.get(uri, ()) if e["rel"] == rel)
        return sorted(e["src"] for e in self.in_edges.get(uri, ()) if e["rel"] == rel)

    def member(self, uri: str) -> Member:
        """An entity as an impact or lineage row shows it: type, name, owners, teams to notify."""
        known = self._members.get(uri)
        if known is None:
            row = self.entities.get(uri)
            owners = tuple(row["owners"]) if row else ()
            known = self._members[uri] = Member(row["entity_type"] if row else None, row["name"] if row else None,
                                                owners, tuple(self.teams_of(owners)))
        return known

    def teams_of(self, owners: Iterable[str]) -> list[str]:
        """Teams to notify for an asset with these owners (as impact.sql): owning teams, and the
        teams its owning users are members of; an inactive or unknown owner notifies nobody.
        A one-owner list is shared between callers: do not change it."""
        owners = tuple(owners)
        if len(owners) == 1:
            return self._owner_teams(owners[0])
        return sorted({team for owner in owners for team in self._owner_teams(owner)})

    def _owner_teams(self, owner: str) -> list[str]:
        known = self._teams.get(owner)
        if known is None:
            if self.owner_inactive(owner):
                known = []
            elif self.entities[owner]["entity_type"] == "Team":
                known = [owner]
            else:
                known = self.neighbours(owner, "MEMBER_OF")
            self._teams[owner] = known
        return known

    def owner_inactive(self, owner: str) -> bool:
        """An owner identity does not know (never hydrated, or deleted there) or a user who is
        inactive in identity (the owner_assets view's `NOT owner_active`)."""
        row = self.entities.get(owner)
        if row is None or row["state"] in ("reference", "deleted"):
            return True
        return row["entity_type"] == "User" and (row.get("source_status") or "").upper() == "INACTIVE"


def load_snapshot(settings: Settings, as_of: AsOf) -> Snapshot:
    ents = _read(settings, "graph.entities", as_of.version("graph.entities"), ENTITY_COLUMNS)
    entities: dict[str, dict[str, Any]] = {}
    for row in (ents.to_pylist() if ents is not None else ()):
        row["properties"] = _as_dict(row.get("properties"))
        row["owners"] = list(row.get("owners") or ())
        row["tags"] = list(row.get("tags") or ())
        entities[row["id"]] = row
    edges = _read(settings, "graph.edges", as_of.version("graph.edges"), (*EDGE_COLUMNS, "active"))
    out_edges: dict[str, list] = {}
    in_edges: dict[str, list] = {}
    if edges is not None:
        import pyarrow.compute as pc

        edges = edges.filter(pc.field("active"))
        for e in edges.select(list(EDGE_COLUMNS)).to_pylist():
            out_edges.setdefault(e["src"], []).append(e)
            in_edges.setdefault(e["dst"], []).append(e)
    impact = ImpactIndex.build(_read(settings, "graph.impact", as_of.version("graph.impact"),
                                     ("src", "dst", "min_depth", "relations")))
    dep = _read(settings, "graph.deprecation_candidates", as_of.version("graph.deprecation_candidates"),
                ("id", "reason"))
    deprecation = {r["id"]: r["reason"] for r in (dep.to_pylist() if dep is not None else ())}
    fails = _read(settings, "ops.hydration_failures", as_of.version("ops.hydration_failures"))
    failures = {r["id"]: r for r in (fails.to_pylist() if fails is not None else ()) if not r.get("resolved")}
    snap = Snapshot(as_of, entities, out_edges, in_edges, impact, deprecation, failures,
                    _latest_scores(settings, as_of.version("quality.entity_scores")))
    # a snapshot is a few hundred thousand dicts that live until the next version: keep them out
    # of the cyclic collector's full passes, which otherwise stall requests for tens of ms each
    # (they are still freed by reference counting when the snapshot is dropped)
    gc.freeze()
    return snap


def _latest_scores(settings: Settings, version: int | None) -> dict[str, dict[str, Any]] | None:
    """quality.entity_scores at `version` (when the quality stage writes it): the rows of its latest
    run, by id. The table keeps up to 50 runs: the newest is found from one column and only its
    files are read."""
    if version is None or (dt := _open(settings, "quality.entity_scores")) is None:
        return None
    import pyarrow.compute as pc

    dt.load_as_version(version)
    ds = dt.to_pyarrow_dataset()
    if "id" not in ds.schema.names or "scored_at" not in ds.schema.names:
        return None
    newest = pc.max(ds.to_table(columns=["scored_at"]).column("scored_at"))
    if not newest.is_valid:
        return {}
    table = ds.to_table(filter=pc.field("scored_at") == newest)
    return {row["id"]: {k: _jsonable(v) for k, v in row.items()} for row in table.to_pylist()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


class SnapshotCache:
    """The latest snapshot (checked for new table versions every `refresh_s`) and a few
    time-travel ones; loads are serialised so a burst of requests reads a version once."""

    def __init__(self, settings: Settings, *, refresh_s: float = 2.0, kept: int = 2) -> None:
        self.settings = settings
        self.refresh_s = refresh_s
        self.kept = kept
        self._lock = threading.Lock()
        self._latest: Snapshot | None = None
        self._checked_at: datetime | None = None
        self._past: OrderedDict[tuple, Snapshot] = OrderedDict()

    def get(self, as_of_text: str | None = None) -> Snapshot:
        if as_of_text is None or as_of_text.strip() == "":
            return self._current()
        as_of = resolve_as_of(self.settings, as_of_text)
        with self._lock:
            if self._latest is not None and self._latest.as_of.key == as_of.key:
                return self._latest_labelled(as_of)
            hit = self._past.get(as_of.key)
            if hit is None:
                hit = load_snapshot(self.settings, as_of)
                self._past[as_of.key] = hit
                while len(self._past) > self.kept:
                    self._past.popitem(last=False)
            self._past.move_to_end(as_of.key)
            return hit

    def _latest_labelled(self, as_of: AsOf) -> Snapshot:
        snap = self._latest
        assert snap is not None
        return Snapshot(as_of, snap.entities, snap.out_edges, snap.in_edges, snap.impact, snap.deprecation,
                        snap.failures, snap.scores, snap.loaded_at, snap.memo, snap._teams, snap._members)

    def _current(self) -> Snapshot:
        now = datetime.now(timezone.utc)
        snap, checked = self._latest, self._checked_at
        if snap is not None and checked is not None and (now - checked).total_seconds() < self.refresh_s:
            return snap
        with self._lock:
            if self._latest is not None and self._checked_at is not None \
                    and (now - self._checked_at).total_seconds() < self.refresh_s:
                return self._latest
            versions = latest(self.settings)
            if self._latest is None or self._latest.as_of.key != versions.key:
                self._latest = load_snapshot(self.settings, versions)
            self._checked_at = datetime.now(timezone.utc)
            return self._latest


def history_rows(settings: Settings, uri: str, as_of: AsOf) -> list[dict[str, Any]]:
    """Versions of one entity from graph.entity_history, newest first (a point read by id)."""
    import pyarrow.compute as pc

    dt = _open(settings, "graph.entity_history")
    if dt is None:
        return []
    rows = dt.to_pyarrow_dataset().to_table(filter=pc.field("id") == uri).to_pylist()
    out = []
    for r in rows:
        if as_of.at is not None and r.get("valid_from") is not None and r["valid_from"] > as_of.at:
            continue  # a version written after the moment shown
        if as_of.at is not None and r.get("valid_to") is not None and r["valid_to"] > as_of.at:
            r["valid_to"] = None  # still the current version then
        try:
            payload = json.loads(r.get("payload") or "{}")
        except ValueError:
            payload = {}
        out.append({"valid_from": r.get("valid_from"), "valid_to": r.get("valid_to"),
                    "content_hash": r.get("content_hash"), "run_id": r.get("run_id"), "payload": payload})
    return sorted(out, key=lambda r: r["valid_from"] or datetime.min.replace(tzinfo=timezone.utc), reverse=True)
