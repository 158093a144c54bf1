"""Search for the portal through the configured backend (`spark_jobs.search.backends`: embedded,
OpenSearch or Elasticsearch), held for the app's life: a server backend keeps its client, and
the embedded index is opened once per snapshot instead of once per request (opening it costs
more than the query)."""

from __future__ import annotations

import threading

from spark_jobs.config import Settings
from spark_jobs.search.query import SearchHit, _hit
from spark_jobs.search.ranking import SearchQuery


class PortalSearch:
    def __init__(self, settings: Settings) -> None:
        from spark_jobs.search.backends import default_reader

        self.settings = settings
        self.backend = default_reader(settings)
        self._lock = threading.Lock()
        self._server = None
        self._searcher = None

    def _embedded(self):
        from spark_jobs.search.embedded import EmbeddedSearcher, current_snapshot

        live = current_snapshot(self.settings)  # a small file read: follows each publish
        searcher = self._searcher
        if searcher is None or searcher.snapshot_id != live:
            with self._lock:
                if self._searcher is None or self._searcher.snapshot_id != live:
                    self._searcher = EmbeddedSearcher(self.settings, snapshot_id=live)
                searcher = self._searcher
        return searcher

    def search(self, query: SearchQuery, *, kind: str = "entities", explain: int | None = None) -> list[SearchHit]:
        """Hits of `query`; with `explain` = N the embedded index gives reasons for the first N
        only (a server backend's named queries give them for all at no extra cost)."""
        if self.backend == "embedded":
            raw = [(h.doc, h.why, h.score) for h in self._embedded().search(query, kind=kind, explain=explain)]
        else:
            if self._server is None:
                from spark_jobs.search.backends import reader

                self._server = reader(self.settings, self.backend)
            raw = self._server.search(query, kind=kind)
        return [_hit(doc, why, score) for doc, why, score in raw]
