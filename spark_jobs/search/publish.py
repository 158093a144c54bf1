"""One search snapshot end to end: build the documents (Spark), publish them to every configured
backend (`backends.publishing`: the embedded engine, and Elasticsearch / OpenSearch when their URLs
are set), and record every attempt, one row per backend, in `search.snapshots`.

The snapshot id names the graph versions it was built from, `v<entities>-e<edges>` (zero
padded so ids sort in build order): republishing an unchanged graph is idempotent, and the
indices of a snapshot can be rebuilt from those versions. A backend that fails (unreachable,
bulk item errors, a node that dies mid-publish) keeps its previous snapshot live; the others
still publish, and `PublishError` names the ones that failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.errors import MlgError
from spark_jobs.search.documents import (
    DOCUMENTS, OWNER_DOCUMENTS, VERSION_COLUMNS, BuiltDocuments, DocumentOptions, build_documents, iter_changes,
    iter_documents,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from spark_jobs.search.backends import SearchBackend
    from spark_jobs.search.cluster import ClusterOptions
    from spark_jobs.search.embedded import SnapshotChanges


class PublishError(MlgError):
    """A snapshot could not be published to a backend (its live snapshot did not move); the
    message starts with the failed backends' names."""

    exit_code = 4

    def __init__(self, message: str, *, backends: list[str]) -> None:
        super().__init__(message)
        self.backends = backends


def snapshot_id_for(built: BuiltDocuments) -> str:
    return f"v{built.entities_version:010d}-e{(built.edges_version or 0):010d}"


#: Columns that say which graph versions a document came from, not what it says.
PROVENANCE_COLUMNS = VERSION_COLUMNS


def content_revision(spark: SparkSession, settings: Settings, built: BuiltDocuments) -> str:
    """Ten hex digits that change whenever any document's content does, for the same snapshot id
    too (a closure-only change, a new quality score, other document options): a server indexes a
    snapshot again only when its revision is not the live one. Order-independent (a sum of
    per-row hashes, 32 bits each, so it cannot overflow), one Spark aggregate per table."""
    import hashlib

    from pyspark.sql import functions as F

    parts = []
    for name, version in ((DOCUMENTS.name, built.documents_version),
                          (OWNER_DOCUMENTS.name, built.owner_documents_version)):
        df = tables.read(spark, settings, name, at_version=version)
        cols = [c for c in df.columns if c not in PROVENANCE_COLUMNS]
        row = df.select(F.count(F.lit(1)), F.sum(F.xxhash64(*cols).bitwiseAND(0xFFFFFFFF))).first()
        parts.append(f"{name}:{row[0]}:{row[1] or 0}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:10]


def documents_of(settings: Settings, built: BuiltDocuments) -> dict[str, Iterable[Mapping[str, Any]]]:
    """Fresh document streams of the built snapshot, per index kind."""
    return {"entities": iter_documents(settings, DOCUMENTS.name, version=built.documents_version),
            "owners": iter_documents(settings, OWNER_DOCUMENTS.name, version=built.owner_documents_version)}


def changes_of(built: BuiltDocuments) -> dict[str, SnapshotChanges] | None:
    """The build's document changes per index kind, as the embedded index applies them."""
    from spark_jobs.search.embedded import SnapshotChanges

    if built.changes is None:
        return None
    return {kind: SnapshotChanges(c.base_version, c.version, lambda c=c: iter_changes(c))
            for kind, c in built.changes.items()}


@dataclass
class PublishOutcome:
    snapshot_id: str
    built: BuiltDocuments
    rows: list[tuple] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


def publish(spark: SparkSession, settings: Settings, *, embedded: bool = True, keep: int = 3,
            backends: list[SearchBackend] | None = None, es_client=None, es_options: ClusterOptions | None = None,
            doc_options: DocumentOptions = DocumentOptions(), raise_on_failure: bool = True) -> PublishOutcome:
    """Build and publish one snapshot to `backends` (default: every configured one; `es_client` /
    `es_options` stand in for the configured Elasticsearch). Raises PublishError (after recording
    every attempt) if a backend failed."""
    from spark_jobs.graph.scratch import scratch_dir
    from spark_jobs.search import backends as search_backends

    if backends is None:
        overrides = {}
        if es_client is not None or es_options is not None:
            overrides["elasticsearch"] = search_backends.server_backend(settings, "elasticsearch", client=es_client,
                                                                        options=es_options, keep=keep)
        backends = search_backends.publishing(settings, embedded=embedded, keep=keep, overrides=overrides)
    with scratch_dir(settings, "documents") as scratch:  # the changed documents live here until indexed
        built = build_documents(spark, settings, options=doc_options, scratch=scratch)
        sid = snapshot_id_for(built)
        revision = content_revision(spark, settings, built)
        out = PublishOutcome(sid, built, metrics={
            "snapshot_id": sid, "revision": revision, "entities_version": built.entities_version,
            "edges_version": built.edges_version, "documents": built.documents,
            "owner_documents": built.owner_documents})
        if built.changes is not None:
            out.metrics.update(documents_changed=sum(c.upserted for c in built.changes.values()),
                               documents_deleted=sum(c.deleted for c in built.changes.values()),
                               documents_considered=built.considered)
        failed_backends: list[str] = []
        for backend in backends:
            try:
                if hasattr(backend, "publish_changes"):  # embedded: only what changed, when it can
                    result = backend.publish_changes(
                        sid, changes_of(built), lambda: documents_of(settings, built),
                        {"entities": built.documents_version, "owners": built.owner_documents_version})
                else:
                    result = backend.publish(sid, documents_of(settings, built), revision=revision)
            except Exception as exc:  # noqa: BLE001 - unreachable, or died mid-publish: recorded, raised below
                out.rows.append(_row(sid, built, backend.name, backend.planned_names(sid, revision), {}, 1, "failed"))
                out.failed.append(f"{backend.name}: {type(exc).__name__}: {str(exc)[:300]}")
                failed_backends.append(backend.name)
                continue
            out.rows.append(_row(sid, built, backend.name, result.names, result.doc_counts, result.errors,
                                 result.status))
            out.metrics.update(result.metrics)
            if result.status == "failed":
                out.failed.append(f"{backend.name}: {result.problem}")
                failed_backends.append(backend.name)

    if out.rows:
        tables.register(spark, settings, ["search.snapshots"])
        tables.append(spark.createDataFrame(out.rows, tables.table("search.snapshots").ddl), settings,
                      "search.snapshots")
    out.metrics["status"] = "failed" if out.failed else "success"
    out.metrics["failed_backends"] = failed_backends
    if out.failed and raise_on_failure:
        raise PublishError(f"search snapshot {sid} not published to {', '.join(failed_backends)}: "
                           f"{' | '.join(out.failed)}", backends=failed_backends)
    return out


def _row(sid: str, built: BuiltDocuments, backend: str, names: list[str], counts: Mapping[str, int],
         errors: int, status: str) -> tuple:
    return (sid, built.entities_version, backend, names, {k: int(v) for k, v in counts.items()}, int(errors), status,
            datetime.now(timezone.utc))
