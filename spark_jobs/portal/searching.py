"""Search for the portal: `spark_jobs.search.query.search` (Elasticsearch/OpenSearch when
configured), except that the embedded index is opened once per snapshot and kept, instead of
once per request: opening it costs more than the query."""

from __future__ import annotations

import threading

from spark_jobs.config import Settings
from spark_jobs.search.query import SearchHit, _hit, search
from spark_jobs.search.ranking import SearchQuery


class PortalSearch:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
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

    def search(self, query: SearchQuery, *, kind: str = "entities") -> list[SearchHit]:
        if self.settings.es_url:
            return search(self.settings, query, kind=kind)  # type: ignore[arg-type]
        return [_hit(h.doc, h.why, h.score) for h in self._embedded().search(query, kind=kind)]
