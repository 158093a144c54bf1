"""Search for the portal through the configured backend (`spark_jobs.search.backends`: embedded,
OpenSearch or Elasticsearch), held for the app's life: a server backend keeps its client, and
the embedded index is opened once per snapshot instead of once per request (opening it costs
more than the query)."""

from __future__ import annotations

import threading
from typing import Any
from collections import OrderedDict

from spark_jobs.config import Settings
from spark_jobs.search.query import SearchHit, _hit
from spark_jobs.search.ranking import SearchQuery


ANSWERS_KEPT = 512  # embedded searches remembered (up to 100 hits each)


class PortalSearch:
    def __init__(self, settings: Settings) -> None:
        from spark_jobs.search.backends import default_reader

        self.settings = settings
        self.backend = default_reader(settings)
        self._lock = threading.Lock()
        self._server = None
        self._searcher = None
        self._answers: OrderedDict[tuple, list[SearchHit]] = OrderedDict()

    def _embedded(self) -> tuple[tuple, Any]:
        """(generation, searcher) of the live snapshot. A publish rewrites the pointer file, also
        when it rebuilds a snapshot under the same id (a closure-only change), so the pointer's
        identity, not just the id in it, says whether the index must be opened again."""
        from spark_jobs.search.embedded import POINTER, EmbeddedSearcher, current_snapshot, search_root

        try:
            stat = (search_root(self.settings) / POINTER).stat()
            mark = (stat.st_ino, stat.st_mtime_ns)
        except FileNotFoundError:
            mark = None
        live = (current_snapshot(self.settings), mark)  # small file reads: follow each publish
        held = self._searcher
        if held is None or held[0] != live:
            with self._lock:
                if self._searcher is None or self._searcher[0] != live:
                    self._searcher = (live, EmbeddedSearcher(self.settings, snapshot_id=live[0]))
                    self._answers.clear()
                held = self._searcher
        return held

    def search(self, query: SearchQuery, *, kind: str = "entities", explain: int | None = None) -> list[SearchHit]:
        """Hits of `query`; with `explain` = N the embedded index gives reasons for the first N
        only (a server backend's named queries give them for all at no extra cost)."""
        if self.backend == "embedded":
            # a snapshot never changes, so its answers are kept: the next page, a facet clicked
            # and back, the same search from another user; a publish changes the snapshot id
            generation, searcher = self._embedded()
            key = (generation, kind, query, explain)
            with self._lock:
                kept = self._answers.get(key)
                if kept is not None:
                    self._answers.move_to_end(key)
                    return kept
            raw = [(h.doc, h.why, h.score) for h in searcher.search(query, kind=kind, explain=explain)]
            hits = [_hit(doc, why, score) for doc, why, score in raw]
            with self._lock:
                self._answers[key] = hits
                while len(self._answers) > ANSWERS_KEPT:
                    self._answers.popitem(last=False)
            return hits
        else:
            if self._server is None:
                from spark_jobs.search.backends import reader

                self._server = reader(self.settings, self.backend)
            raw = self._server.search(query, kind=kind)
        return [_hit(doc, why, score) for doc, why, score in raw]
