"""One search snapshot end to end: build the documents (Spark), index them into the embedded
engine and, when configured, Elasticsearch, and record every attempt in `search.snapshots`.

The snapshot id names the graph versions it was built from, `v<entities>-e<edges>` (zero
padded so ids sort in build order): republishing an unchanged graph is idempotent, and the
indices of a snapshot can be rebuilt from those versions.
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
    DOCUMENTS, OWNER_DOCUMENTS, BuiltDocuments, DocumentOptions, build_documents, iter_documents,
)

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch
    from pyspark.sql import SparkSession

    from spark_jobs.search.es import EsOptions


class PublishError(MlgError):
    """A snapshot could not be published to a backend (the live snapshot did not move)."""


def snapshot_id_for(built: BuiltDocuments) -> str:
    return f"v{built.entities_version:010d}-e{(built.edges_version or 0):010d}"


def documents_of(settings: Settings, built: BuiltDocuments) -> dict[str, Iterable[Mapping[str, Any]]]:
    """Fresh document streams of the built snapshot, per index kind."""
    return {"entities": iter_documents(settings, DOCUMENTS.name, version=built.documents_version),
            "owners": iter_documents(settings, OWNER_DOCUMENTS.name, version=built.owner_documents_version)}


@dataclass
class PublishOutcome:
    snapshot_id: str
    built: BuiltDocuments
    rows: list[tuple] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


def publish(spark: SparkSession, settings: Settings, *, embedded: bool = True,
            es_client: Elasticsearch | None = None, es_options: EsOptions | None = None, keep: int = 3,
            doc_options: DocumentOptions = DocumentOptions(), raise_on_failure: bool = True) -> PublishOutcome:
    """Build and publish one snapshot; Elasticsearch is used when `es_client` is given or
    `settings.es_url` is set. Raises PublishError (after recording it) if a backend failed."""
    built = build_documents(spark, settings, options=doc_options)
    sid = snapshot_id_for(built)
    out = PublishOutcome(sid, built, metrics={
        "snapshot_id": sid, "entities_version": built.entities_version, "edges_version": built.edges_version,
        "documents": built.documents, "owner_documents": built.owner_documents})

    if embedded:
        from spark_jobs.search.embedded import expire_snapshots, write_snapshot

        try:
            written = write_snapshot(settings, sid, documents_of(settings, built))
            expired = expire_snapshots(settings, keep=keep)
        except Exception as exc:  # noqa: BLE001 - recorded, then raised below
            out.rows.append(_row(sid, built, "embedded", [], {}, 1, "failed"))
            out.failed.append(f"embedded: {exc}")
        else:
            out.rows.append(_row(sid, built, "embedded", [str(written.path / k) for k in written.doc_counts],
                                 written.doc_counts, 0, "published"))
            out.metrics.update(embedded_path=str(written.path), embedded_expired=len(expired))

    if es_client is not None or settings.es_url:
        from spark_jobs.search import es

        options = es_options or es.EsOptions(prefix=settings.es_index_prefix, keep=keep)
        names = es.index_names(options.prefix, sid)
        try:
            client = es_client or es.connect(settings.es_url, request_timeout=options.request_timeout)
            result = es.publish_snapshot(client, sid, documents_of(settings, built), options=options)
        except Exception as exc:  # noqa: BLE001 - an unreachable cluster is recorded like a failed bulk
            out.rows.append(_row(sid, built, "elasticsearch", list(names.values()), {}, 1, "failed"))
            out.failed.append(f"elasticsearch: {type(exc).__name__}: {str(exc)[:300]}")
        else:
            out.rows.append(_row(sid, built, "elasticsearch", list(result.index_names.values()), result.doc_counts,
                                 result.errors, result.status))
            out.metrics.update(es_status=result.status, es_errors=result.errors, es_deleted=len(result.deleted))
            if result.status == "failed":
                out.failed.append(f"elasticsearch: {result.errors} bulk errors, alias left on "
                                  f"{result.previous.get('entities')}: {'; '.join(result.error_samples[:3])}")

    if out.rows:
        tables.register(spark, settings, ["search.snapshots"])
        tables.append(spark.createDataFrame(out.rows, tables.table("search.snapshots").ddl), settings,
                      "search.snapshots")
    out.metrics["status"] = "failed" if out.failed else "success"
    if out.failed and raise_on_failure:
        raise PublishError(f"snapshot {sid} not published: {' | '.join(out.failed)}")
    return out


def _row(sid: str, built: BuiltDocuments, backend: str, names: list[str], counts: Mapping[str, int],
         errors: int, status: str) -> tuple:
    return (sid, built.entities_version, backend, names, {k: int(v) for k, v in counts.items()}, int(errors), status,
            datetime.now(timezone.utc))
