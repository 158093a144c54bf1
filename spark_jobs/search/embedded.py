"""Embedded search: one tantivy index per snapshot and index kind, under
`<state_dir>/lakehouses/<lakehouse key>/search/snapshots/<snapshot_id>/<kind>/` (keyed by the
lakehouse it was built from, so another lakehouse never sees or replaces it), and a `CURRENT` pointer file that names the
live snapshot. A snapshot is written into a temporary directory, renamed into place, and only
then is `CURRENT` replaced (write a temp file, `os.replace`): a reader sees the old snapshot or
the new one, never a half-written index.

Queries apply `ranking.RULES` (the same rules the Elasticsearch DSL is built from): each rule is
a constant-score clause, plus a BM25 tie-break on the name; filters are `must` term clauses.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from spark_jobs import killpoint
from spark_jobs.config import Settings
from spark_jobs.search.ranking import (
    QUALITY_FIELD, RULES, TIEBREAK_BOOST, TIEBREAK_FIELD, Rule, SearchQuery, fuzzy_distance, tokens,
)

INDEX_KINDS = ("entities", "owners")
NAME_FIELDS = ("name", "aliases")
TEXT_FIELDS = ("description", "owner_names", "related", "tags_text")
RAW_FIELDS = ("id", "entity_type", "owner_keys", "tags")
POINTER = "CURRENT"


def search_root(settings: Settings) -> Path:
    return settings.lakehouse_state_path / "search"


def _schema():
    import tantivy

    sb = tantivy.SchemaBuilder()
    for f in RAW_FIELDS:
        sb.add_text_field(f, stored=False, tokenizer_name="raw", index_option="basic")
    for f in NAME_FIELDS:
        sb.add_text_field(f, stored=False, tokenizer_name="default")
        sb.add_text_field(f"{f}_exact", stored=False, tokenizer_name="raw", index_option="basic")
    for f in TEXT_FIELDS:
        sb.add_text_field(f, stored=False, tokenizer_name="default")
    sb.add_float_field("quality_score", stored=False, indexed=True, fast=True)  # filter / sort on the score
    sb.add_bytes_field("source", stored=True, indexed=False)
    return sb.build()


def _json_default(value: Any) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _tantivy_doc(doc: Mapping[str, Any]):
    import tantivy

    out = tantivy.Document()
    out.add_text("id", doc["id"])
    if doc.get("entity_type"):
        out.add_text("entity_type", doc["entity_type"])
    for f in ("owner_keys", "tags"):
        for v in doc.get(f) or ():
            out.add_text(f, v)
    values = {"name": [doc["name"]] if doc.get("name") else [], "aliases": list(doc.get("aliases") or ())}
    for f, vals in values.items():
        for v in vals:
            out.add_text(f, v)
            out.add_text(f"{f}_exact", v.lower())
    if doc.get("description"):
        out.add_text("description", doc["description"])
    for f in ("owner_names", "related"):
        for v in doc.get(f) or ():
            out.add_text(f, v)
    for v in doc.get("tags") or ():
        out.add_text("tags_text", v)
    if doc.get("quality_score") is not None:
        out.add_float("quality_score", float(doc["quality_score"]))
    out.add_bytes("source", json.dumps(doc, default=_json_default, separators=(",", ":")).encode())
    return out


@dataclass(frozen=True)
class WrittenSnapshot:
    snapshot_id: str
    path: Path
    doc_counts: dict[str, int]


def write_snapshot(settings: Settings, snapshot_id: str, docs: Mapping[str, Iterable[Mapping[str, Any]]], *,
                   heap_bytes: int = 128_000_000, threads: int = 2,
                   versions: Mapping[str, int | None] | None = None) -> WrittenSnapshot:
    """Index each kind's documents into a new snapshot directory and switch CURRENT to it.
    `versions`: the documents table version each kind was read from (what `update_snapshot`
    later checks before it applies changes to this snapshot)."""
    import tantivy

    root = search_root(settings) / "snapshots"
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".{snapshot_id}.tmp-{uuid.uuid4().hex[:8]}"
    counts: dict[str, int] = {}
    try:
        for kind in INDEX_KINDS:
            (staging / kind).mkdir(parents=True)
            index = tantivy.Index(_schema(), path=str(staging / kind))
            writer = index.writer(heap_size=heap_bytes, num_threads=threads)
            n = 0
            for doc in docs.get(kind, ()):
                writer.add_document(_tantivy_doc(doc))
                n += 1
            writer.commit()
            writer.wait_merging_threads()
            killpoint.reached("publish:after_index_commit")
            counts[kind] = n
        final = _install(root, staging, snapshot_id, counts, versions)
    except BaseException as exc:
        _discard(staging, exc)
        raise
    _switch_pointer(settings, snapshot_id)
    return WrittenSnapshot(snapshot_id, final, counts)


@dataclass(frozen=True)
class SnapshotChanges:
    """One kind's document changes: the documents table version the change starts from and the
    one it leads to, and the changed rows (each a document, or only an id with `_delete`)."""

    base_version: int | None
    version: int | None
    rows: Callable[[], Iterable[Mapping[str, Any]]]


def update_snapshot(settings: Settings, snapshot_id: str, changes: Mapping[str, SnapshotChanges] | None,
                    full_docs: Callable[[], Mapping[str, Iterable[Mapping[str, Any]]]],
                    versions: Mapping[str, int | None], *,
                    heap_bytes: int = 128_000_000, threads: int = 2) -> WrittenSnapshot:
    """A new snapshot from the current one plus `changes`: its index files are hard-linked (tantivy
    never rewrites a segment file, so the current snapshot stays intact), the changed and removed
    documents are deleted by id and the changed ones added again. Only when the current snapshot
    was indexed from the documents versions the changes start from; otherwise every document of
    `full_docs()` is indexed (`write_snapshot`), as when there are no `changes` (the documents
    tables were rewritten whole). `versions`: the documents table version of each kind now."""
    import tantivy

    current = current_snapshot(settings)
    root = search_root(settings) / "snapshots"
    meta = _snapshot_meta(root, current)
    if changes is None or set(changes) != set(INDEX_KINDS) or \
            meta.get("versions") != {k: c.base_version for k, c in changes.items()}:
        return write_snapshot(settings, snapshot_id, full_docs(), heap_bytes=heap_bytes, threads=threads,
                              versions=versions)
    staging = root / f".{snapshot_id}.tmp-{uuid.uuid4().hex[:8]}"
    counts: dict[str, int] = {}
    try:
        for kind in INDEX_KINDS:
            (staging / kind).mkdir(parents=True)
            for f in (root / current / kind).iterdir():
                os.link(f, staging / kind / f.name)
            index = tantivy.Index.open(str(staging / kind))
            writer = index.writer(heap_size=heap_bytes, num_threads=threads)
            for row in changes[kind].rows():
                writer.delete_documents("id", row["id"])
                if not row.get("_delete"):
                    writer.add_document(_tantivy_doc({k: v for k, v in row.items() if k != "_delete"}))
            writer.commit()
            writer.wait_merging_threads()
            index.reload()
            counts[kind] = index.searcher().num_docs
        final = _install(root, staging, snapshot_id, counts, versions, base=current)
    except BaseException as exc:
        _discard(staging, exc)
        raise
    _switch_pointer(settings, snapshot_id)
    return WrittenSnapshot(snapshot_id, final, counts)


def _discard(staging: Path, exc: BaseException) -> None:
    """Remove a failed snapshot's staging directory; a full disk is raised as such."""
    from spark_jobs.preflight import disk_full_error

    full = disk_full_error(staging, exc)  # tantivy's writer threads hide ENOSPC: name it
    shutil.rmtree(staging, ignore_errors=True)
    if full is not None:
        raise full from exc


def _snapshot_meta(root: Path, snapshot_id: str | None) -> dict[str, Any]:
    if snapshot_id is None:
        return {}
    try:
        return json.loads((root / snapshot_id / "snapshot.json").read_text())
    except (OSError, ValueError):
        return {}


def _install(root: Path, staging: Path, snapshot_id: str, counts: Mapping[str, int],
             versions: Mapping[str, int | None] | None, *, base: str | None = None) -> Path:
    """Move a staged snapshot into place under its id (its metadata written first)."""
    meta: dict[str, Any] = {"snapshot_id": snapshot_id, "doc_counts": dict(counts)}
    if versions is not None:
        meta["versions"] = dict(versions)
    if base is not None:
        meta["updated_from"] = base
    (staging / "snapshot.json").write_text(json.dumps(meta))
    final = root / snapshot_id
    retired = None
    if final.exists():
        # The same snapshot rebuilt (e.g. a closure-only change): move the old one aside and the new
        # one in with two renames, so CURRENT never points at nothing and open readers keep their files.
        retired = root / f".{snapshot_id}.old-{uuid.uuid4().hex[:8]}"
        os.rename(final, retired)
    os.rename(staging, final)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
    return final


def _switch_pointer(settings: Settings, snapshot_id: str | None) -> None:
    pointer = search_root(settings) / POINTER
    if snapshot_id is None:
        pointer.unlink(missing_ok=True)
        return
    tmp = pointer.with_name(f".{POINTER}.{uuid.uuid4().hex[:8]}")
    tmp.write_text(json.dumps({"snapshot_id": snapshot_id}))
    os.replace(tmp, pointer)


def current_snapshot(settings: Settings) -> str | None:
    pointer = search_root(settings) / POINTER
    try:
        return json.loads(pointer.read_text())["snapshot_id"]
    except FileNotFoundError:
        return None


def list_snapshots(settings: Settings) -> list[str]:
    root = search_root(settings) / "snapshots"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def expire_snapshots(settings: Settings, *, keep: int = 3) -> list[str]:
    """Delete all but the newest `keep` snapshots (never the current one) and any leftover
    staging directories; returns the snapshot ids removed. For the maintenance DAG."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    current = current_snapshot(settings)
    snapshots = list_snapshots(settings)
    removed = [s for s in snapshots[:-keep] if s != current]
    root = search_root(settings) / "snapshots"
    for s in removed:
        shutil.rmtree(root / s, ignore_errors=True)
    if root.is_dir():
        for p in root.iterdir():
            if p.name.startswith(".") and ".tmp-" in p.name:
                shutil.rmtree(p, ignore_errors=True)
    return removed


# --- queries -------------------------------------------------------------------------------


def _rule_query(schema, rule: Rule, text: str, toks: list[str]):
    from tantivy import Occur, Query

    per_field = []
    for f in rule.fields:
        if rule.kind == "exact":
            q = Query.term_query(schema, f"{f}_exact", text.strip().lower())
        elif rule.kind == "prefix":  # tokens in order, adjacent, each a prefix of a name token
            q = (Query.regex_phrase_query(schema, f, [f"{t}.*" for t in toks]) if len(toks) > 1
                 else Query.regex_query(schema, f, f"{toks[0]}.*"))
        elif rule.kind == "fuzzy_whole":
            whole = text.strip().lower()
            q = Query.fuzzy_term_query(schema, f"{f}_exact", whole, distance=fuzzy_distance(whole))
        elif rule.kind == "fuzzy":
            q = Query.boolean_query([(Occur.Must, Query.fuzzy_term_query(schema, f, t, distance=fuzzy_distance(t)))
                                     for t in toks])
        else:
            field = "tags_text" if f == "tags" else f
            q = Query.boolean_query([(Occur.Must, Query.term_query(schema, field, t)) for t in toks])
        per_field.append(q)
    inner = per_field[0] if len(per_field) == 1 else Query.boolean_query([(Occur.Should, q) for q in per_field])
    return inner


def _filters(schema, query: SearchQuery) -> list:
    from tantivy import Occur, Query

    filters = [(Occur.Must, Query.term_query(schema, field, value))
               for field, values in query.filters.items() for value in values]
    if query.quality_range is not None:
        from tantivy import FieldType

        low, high = query.quality_range
        filters.append((Occur.Must, Query.range_query(schema, QUALITY_FIELD, FieldType.Float, low, high)))
    return filters


def _key(addr) -> tuple[int, int]:
    return addr.segment_ord, addr.doc


@dataclass(frozen=True)
class Hit:
    score: float
    why: tuple[str, ...]
    doc: dict[str, Any]


class EmbeddedSearcher:
    """Reads one snapshot (the current one by default)."""

    def __init__(self, settings: Settings, *, snapshot_id: str | None = None) -> None:
        import tantivy

        self.snapshot_id = snapshot_id or current_snapshot(settings)
        if self.snapshot_id is None:
            raise FileNotFoundError(f"no search snapshot under {search_root(settings)}: run `mlg build --only publish`")
        base = search_root(settings) / "snapshots" / self.snapshot_id
        self._indexes = {k: tantivy.Index.open(str(base / k)) for k in INDEX_KINDS}
        self._searchers = {k: ix.searcher() for k, ix in self._indexes.items()}

    def search(self, query: SearchQuery, *, kind: str = "entities", explain: int | None = None) -> list[Hit]:
        """The hits, best first; `explain` = N gives reasons only for the first N (a page shows
        20 of the 100 its facets count), the others have none."""
        from tantivy import Occur, Query

        index, searcher = self._indexes[kind], self._searchers[kind]
        schema = index.schema
        toks = tokens(query.text)
        filters = _filters(schema, query)
        if not toks:
            q = Query.boolean_query([(Occur.Must, Query.all_query()), *filters])
            rules: list[tuple[Rule, Any]] = []
        else:
            rules = [(r, _rule_query(schema, r, query.text, toks)) for r in RULES]
            tiebreak = Query.boost_query(
                Query.boolean_query([(Occur.Should, Query.term_query(schema, TIEBREAK_FIELD, t)) for t in toks]),
                TIEBREAK_BOOST)
            # at least one rule must match (the tie-break alone is not a reason to show a hit); the
            # score is the matched rules' boosts plus the tie-break, each rule evaluated once
            any_rule = Query.boolean_query([(Occur.Should, Query.const_score_query(q, r.boost)) for r, q in rules])
            q = Query.boolean_query([(Occur.Must, any_rule), (Occur.Should, tiebreak), *filters])
        result = searcher.search(q, limit=query.limit)
        hits = [(score, addr, json.loads(bytes(searcher.doc(addr).get_first("source")))) for score, addr in result.hits]
        why = self._why(schema, searcher, rules, {_key(addr): d["id"] for _, addr, d in hits[:explain]})
        return [Hit(score, why.get(d["id"], ()), d) for score, _, d in hits]

    @staticmethod
    def _why(schema, searcher, rules, ids_at: dict[tuple[int, int], str]) -> dict[str, tuple[str, ...]]:
        """Which rules each hit matched: each rule run once, restricted to the hits' ids; a rule's
        hits are known by their document address (same searcher), so no document is read again."""
        from tantivy import Occur, Query

        if not ids_at or not rules:
            return {}
        out: dict[str, list[str]] = {i: [] for i in ids_at.values()}
        only_hits = Query.term_set_query(schema, "id", list(out))
        for rule, rq in rules:
            res = searcher.search(Query.boolean_query([(Occur.Must, rq), (Occur.Must, only_hits)]), limit=len(out))
            for _, addr in res.hits:
                doc_id = ids_at[_key(addr)]
                if rule.why not in out[doc_id]:
                    out[doc_id].append(rule.why)
        order = {r.why: n for n, r in enumerate(RULES)}
        return {i: tuple(sorted(w, key=order.__getitem__)) for i, w in out.items()}
