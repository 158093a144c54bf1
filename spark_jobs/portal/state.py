"""What the app holds for its life: settings, the read model cache and ONE engine session.

The engine session (spark_jobs.session.spark_session) is opened when the app starts and closed
when it stops; a lock serialises its use, because one Spark Connect session's catalog and temp
views are shared by every query run through it. Hot paths read the in-memory snapshot instead."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

from spark_jobs.config import Settings
from spark_jobs.portal.config import PortalSettings
from spark_jobs.portal.readmodel import SnapshotCache
from spark_jobs.portal.searching import PortalSearch

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

T = TypeVar("T")


class Engine:
    """One Spark session, started on first use (or at app start) and stopped with the app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._stack = contextlib.ExitStack()
        self._spark: SparkSession | None = None

    def start(self) -> None:
        with self._lock:
            self._ensure()

    def _ensure(self) -> SparkSession:
        if self._spark is None:
            from spark_jobs.session import spark_session

            self._spark = self._stack.enter_context(spark_session(self.settings, app_name="mlg-portal"))
        return self._spark

    def run(self, work: Callable[[SparkSession], T]) -> T:
        """Run `work` with the session, one caller at a time."""
        with self._lock:
            return work(self._ensure())

    def stop(self) -> None:
        with self._lock:
            self._spark = None
            self._stack.close()


class PortalState:
    def __init__(self, settings: Settings, portal: PortalSettings, *, start_engine: bool = True) -> None:
        self.settings = settings
        self.portal = portal
        self.snapshots = SnapshotCache(settings, refresh_s=portal.refresh_s, kept=portal.snapshots_kept)
        self.engine = Engine(settings)
        self.search = PortalSearch(settings)
        self.start_engine = start_engine

    @contextlib.contextmanager
    def running(self) -> Iterator[PortalState]:
        if self.start_engine:
            self.engine.start()
        try:
            try:
                self.snapshots.get()  # read the graph before the first request, not during it
            except Exception:  # noqa: BLE001 - no graph yet: pages say so per request
                pass
            yield self
        finally:
            self.engine.stop()
