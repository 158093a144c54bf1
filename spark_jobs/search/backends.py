"""Where search snapshots are published and queries read: one small interface, three backends.

- `embedded`: tantivy under the state dir; always published (no server to run).
- `elasticsearch`: published when `es_url` is set (`MLG_ES_URL`, Airflow connection `mlg_es`).
- `opensearch`: published when `opensearch_url` is set (`MLG_OPENSEARCH_URL`, Airflow
  connection `mlg_opensearch`, or `mlg up --search opensearch`).

`publishing(settings)` lists the backends one publish writes to; `reader(settings, name)` the one
a query reads from (`auto`: `MLG_SEARCH_BACKEND`, else the configured server, else embedded).
The publish stage and `mlg search` see only `SearchBackend`, never which one it is.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from spark_jobs.config import Settings
from spark_jobs.errors import MlgError
from spark_jobs.search.ranking import SearchQuery

BACKEND_NAMES = ("embedded", "opensearch", "elasticsearch")

Docs = Mapping[str, Iterable[Mapping[str, Any]]]
RawHit = tuple[dict[str, Any], tuple[str, ...], float]
"""(document, why-labels, score) as a backend returns it."""


@dataclass
class BackendPublish:
    """What one backend did with one snapshot (one `search.snapshots` row)."""

    status: str  # published | unchanged | failed
    names: list[str]
    doc_counts: dict[str, int]
    errors: int = 0
    problem: str | None = None
    """Why it failed, one line (the aliases / CURRENT pointer did not move)."""
    metrics: dict[str, Any] = field(default_factory=dict)


class SearchBackend(Protocol):
    name: str

    def publish(self, snapshot_id: str, docs: Docs, *, revision: str | None = None) -> BackendPublish: ...
    def planned_names(self, snapshot_id: str, revision: str | None = None) -> list[str]: ...  # for a row of an attempt that raised
    def search(self, query: SearchQuery, *, kind: str = "entities") -> list[RawHit]: ...
    def expire(self, keep: int) -> list[str]: ...


class EmbeddedBackend:
    name = "embedded"

    def __init__(self, settings: Settings, *, keep: int = 3) -> None:
        self.settings, self.keep = settings, keep

    def publish(self, snapshot_id: str, docs: Docs, *, revision: str | None = None) -> BackendPublish:
        """Always written (a local rewrite is cheap; the same id replaces its directory)."""
        from spark_jobs.search.embedded import expire_snapshots, write_snapshot

        written = write_snapshot(self.settings, snapshot_id, docs)
        expired = expire_snapshots(self.settings, keep=self.keep)
        return BackendPublish("published", [str(written.path / k) for k in written.doc_counts], written.doc_counts,
                              metrics={"embedded_path": str(written.path), "embedded_expired": len(expired)})

    def publish_changes(self, snapshot_id: str, changes, full_docs, versions) -> BackendPublish:
        """The current snapshot plus the build's changed documents, when it was indexed from the
        documents versions they start from; else everything (`embedded.update_snapshot`)."""
        from spark_jobs.search.embedded import expire_snapshots, update_snapshot

        written = update_snapshot(self.settings, snapshot_id, changes, full_docs, versions)
        expired = expire_snapshots(self.settings, keep=self.keep)
        return BackendPublish("published", [str(written.path / k) for k in written.doc_counts], written.doc_counts,
                              metrics={"embedded_path": str(written.path), "embedded_expired": len(expired)})

    def planned_names(self, snapshot_id: str, revision: str | None = None) -> list[str]:
        return []

    def search(self, query: SearchQuery, *, kind: str = "entities") -> list[RawHit]:
        from spark_jobs.search.embedded import EmbeddedSearcher

        return [(h.doc, h.why, h.score) for h in EmbeddedSearcher(self.settings).search(query, kind=kind)]

    def expire(self, keep: int) -> list[str]:
        from spark_jobs.search.embedded import expire_snapshots

        return expire_snapshots(self.settings, keep=keep)


@dataclass(frozen=True)
class ServerKind:
    """A search server flavour: its client module (`connect`, `wrap`) and its settings."""

    name: str
    module: str
    url_field: str
    prefix_field: str
    metric_prefix: str
    env: str


SERVERS: dict[str, ServerKind] = {k.name: k for k in (
    ServerKind("elasticsearch", "spark_jobs.search.es", "es_url", "es_index_prefix", "es", "MLG_ES_URL"),
    ServerKind("opensearch", "spark_jobs.search.opensearch", "opensearch_url", "opensearch_index_prefix",
               "opensearch", "MLG_OPENSEARCH_URL"),
)}


class ClusterBackend:
    """Elasticsearch or OpenSearch: the shared publisher (`cluster`) over that server's client."""

    def __init__(self, kind: ServerKind, *, url: str | None = None, client: Any = None, options=None) -> None:
        from spark_jobs.search.cluster import ClusterOptions

        self.kind, self.name, self.url = kind, kind.name, url
        self.options = options or ClusterOptions()
        self._client = client
        self._cluster = None

    @property
    def cluster(self):
        if self._cluster is None:
            module = importlib.import_module(self.kind.module)
            client = self._client or module.connect(self.url, request_timeout=self.options.request_timeout)
            self._cluster = module.wrap(client)
        return self._cluster

    def planned_names(self, snapshot_id: str, revision: str | None = None) -> list[str]:
        from spark_jobs.search.cluster import index_names

        return list(index_names(self.options.prefix, snapshot_id, revision).values())

    def publish(self, snapshot_id: str, docs: Docs, *, revision: str | None = None) -> BackendPublish:
        from spark_jobs.search import cluster

        result = cluster.publish_snapshot(self.cluster, snapshot_id, docs, options=self.options, revision=revision)
        mp = self.kind.metric_prefix
        out = BackendPublish(result.status, list(result.index_names.values()), result.doc_counts, result.errors,
                             metrics={f"{mp}_status": result.status, f"{mp}_errors": result.errors,
                                      f"{mp}_deleted": len(result.deleted)})
        if result.status == "failed":
            out.problem = (f"{result.errors} bulk errors, alias left on {result.previous.get('entities')}: "
                           f"{'; '.join(result.error_samples[:3])}")
        return out

    def search(self, query: SearchQuery, *, kind: str = "entities") -> list[RawHit]:
        from spark_jobs.search import cluster

        try:
            hits = cluster.search(self.cluster, self.options.prefix, query, kind=kind)
        except Exception as exc:  # noqa: BLE001 - the client's errors, as one line (no URL: it may hold a password)
            if type(exc).__name__ == "NotFoundError":
                raise FileNotFoundError(f"no search snapshot in {self.name}: alias "
                                        f"{cluster.alias_names(self.options.prefix)[kind]} does not exist "
                                        "(run `mlg build --only publish`)") from None
            raise MlgError(f"search on {self.name} failed: {type(exc).__name__}: {str(exc)[:200]}") from None
        return [(h["_source"], tuple(h.get("matched_queries") or ()), float(h.get("_score") or 0.0)) for h in hits]

    def expire(self, keep: int) -> list[str]:
        from spark_jobs.search import cluster

        return cluster.expire_indices(self.cluster, self.options.prefix, keep=keep)


def server_backend(settings: Settings, name: str, *, client: Any = None, options=None,
                   keep: int = 3) -> ClusterBackend:
    """The `name` server from the settings (`client` / `options` given by a caller win)."""
    from spark_jobs.search.cluster import ClusterOptions

    kind = SERVERS[name]
    url = getattr(settings, kind.url_field)
    if client is None and not url:
        hint = " (or `mlg up --search opensearch` for a local node)" if name == "opensearch" else ""
        raise MlgError(f"search backend {name} is not configured: set {kind.env}{hint}")
    options = options or ClusterOptions(prefix=getattr(settings, kind.prefix_field), keep=keep)
    return ClusterBackend(kind, url=url, client=client, options=options)


def configured_servers(settings: Settings) -> list[str]:
    return [name for name, kind in SERVERS.items() if getattr(settings, kind.url_field)]


def publishing(settings: Settings, *, embedded: bool = True, keep: int = 3,
               overrides: Mapping[str, SearchBackend] | None = None) -> list[SearchBackend]:
    """Every backend a publish writes to: embedded (unless turned off) and each configured server;
    `overrides` replace (or add) a server by name."""
    overrides = dict(overrides or {})
    out: list[SearchBackend] = [EmbeddedBackend(settings, keep=keep)] if embedded else []
    for name in SERVERS:
        if name in overrides:
            out.append(overrides.pop(name))
        elif name in configured_servers(settings):
            out.append(server_backend(settings, name, keep=keep))
    return out + list(overrides.values())


def default_reader(settings: Settings) -> str:
    return settings.search_backend or next(iter(configured_servers(settings)), "embedded")


def reader(settings: Settings, backend: str = "auto", *, client: Any = None) -> SearchBackend:
    """The backend a query reads from; `auto` is `default_reader(settings)`."""
    name = default_reader(settings) if backend == "auto" else backend
    if name not in BACKEND_NAMES:
        raise MlgError(f"unknown search backend {name!r} (one of {', '.join(BACKEND_NAMES)})")
    if name == "embedded":
        return EmbeddedBackend(settings)
    return server_backend(settings, name, client=client)
