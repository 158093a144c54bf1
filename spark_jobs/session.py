"""The one place a SparkSession is made.

Modes (ARCHITECTURE.md, "Engines"):
- embedded (default): pysail's Spark Connect server in this process on 127.0.0.1, a free port;
- remote: any Spark Connect server named by MLG_SPARK_REMOTE;
- classic: JVM Spark (MLG_SPARK_MASTER) with delta-spark jars from MLG_SPARK_JARS.

Sessions are always new (`create()`), never the cached one, and are stopped when the
`spark_session()` block ends, so an Airflow task never inherits a dead server.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from spark_jobs.config import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

EngineMode = Literal["embedded", "remote", "classic"]

DELTA_JARS_HINT = (
    "set MLG_SPARK_JARS to the delta-spark_2.13-4.0.1.jar and delta-storage-4.0.1.jar paths "
    "(comma-separated), or use the embedded engine"
)


class DeltaUnavailableError(RuntimeError):
    """The session cannot read or write Delta tables."""


@dataclass(frozen=True)
class Capabilities:
    mode: EngineMode
    native_delta: bool
    graphframes: bool
    url: str | None = None


_capabilities: dict[int, Capabilities] = {}


def capabilities(spark: SparkSession) -> Capabilities:
    """What this session can do (Delta natively? GraphFrames?)."""
    try:
        return _capabilities[id(spark)]
    except KeyError:
        raise RuntimeError("session was not made by spark_jobs.session.spark_session") from None


def require_delta(spark: SparkSession) -> None:
    """Fail with one clear line when the session has no Delta support."""
    caps = _capabilities.get(id(spark))
    if caps is not None and not caps.native_delta:
        raise DeltaUnavailableError(f"this {caps.mode} Spark session has no Delta Lake jars: {DELTA_JARS_HINT}")


def engine_mode(settings: Settings) -> EngineMode:
    if settings.spark_remote:
        return "remote"
    if settings.spark_master:
        return "classic"
    return "embedded"


class _EmbeddedServer:
    """One pysail server per process, started on first use and stopped at exit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server = None
        self._pid: int | None = None
        self._url: str | None = None

    def url(self) -> str:
        with self._lock:
            # A forked child (an Airflow task runner) inherits the object but not the server threads.
            if self._server is None or self._pid != os.getpid():
                self._start()
            assert self._url is not None
            return self._url

    def _start(self) -> None:
        os.environ.setdefault("RUST_LOG", "warn")
        from pysail.spark import SparkConnectServer

        server = SparkConnectServer(ip="127.0.0.1", port=0)
        server.start(background=True)
        host, port = server.listening_address
        self._server, self._pid, self._url = server, os.getpid(), f"sc://{host}:{port}"
        log.debug("embedded pysail server on %s", self._url)

    def stop(self) -> None:
        with self._lock:
            if self._server is not None and self._pid == os.getpid():
                try:
                    self._server.stop()
                except Exception:  # noqa: BLE001 - best effort at interpreter exit
                    pass
            self._server = self._url = self._pid = None


_embedded = _EmbeddedServer()
atexit.register(_embedded.stop)


def embedded_url() -> str:
    """Spark Connect URL of this process's embedded server (starting it if needed)."""
    return _embedded.url()


def stop_embedded_server() -> None:
    _embedded.stop()


_SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
}


@contextmanager
def spark_session(settings: Settings | None = None, *, app_name: str = "mlg") -> Iterator[SparkSession]:
    """Yield a new SparkSession for the configured engine and stop it afterwards."""
    settings = settings or Settings.load()
    mode = engine_mode(settings)
    if mode == "classic":
        spark, caps = _classic_session(settings, app_name)
    else:
        url = settings.spark_remote if mode == "remote" else embedded_url()
        spark, caps = _connect_session(url, mode, app_name)
    _capabilities[id(spark)] = caps
    try:
        yield spark
    finally:
        _capabilities.pop(id(spark), None)
        try:
            spark.stop()
        except Exception:  # noqa: BLE001 - a dead server must not mask the real error
            log.debug("error stopping session", exc_info=True)
        _disarm_close(spark)


def _disarm_close(spark) -> None:
    """Make a stopped Connect session's later `__del__` harmless.

    PySpark Connect shares one release thread pool between all clients of a process and every
    `client.close()` shuts it down. A stopped session garbage-collected while a newer session is
    iterating results would close it a second time and fail that query with "cannot schedule new
    futures after shutdown"; the session is already closed, so its later closes become no-ops.
    """
    if not type(spark).__module__.startswith("pyspark.sql.connect"):
        return
    client = getattr(spark, "_client", None)
    if client is not None:
        client.close = lambda: None


def _connect_session(url: str, mode: EngineMode, app_name: str):
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.remote(url).appName(app_name)
    for key, value in _SESSION_CONF.items():
        builder = builder.config(key, value)
    spark = builder.create()
    # Spark Connect servers we target (Sail, Spark 4 with Delta) read and write Delta natively;
    # GraphFrames needs its JVM plugin on a classic session.
    return spark, Capabilities(mode=mode, native_delta=True, graphframes=False, url=url)


def _classic_session(settings: Settings, app_name: str):
    from pyspark.sql import SparkSession

    # Creating a Connect session earlier in this process flips PySpark into Connect mode
    # through these variables; a classic session must not inherit that.
    for var in ("SPARK_CONNECT_MODE_ENABLED", "SPARK_REMOTE", "SPARK_LOCAL_REMOTE"):
        os.environ.pop(var, None)

    # py4j logs "Closing down clientserver connection" at INFO from __del__ during interpreter
    # shutdown, when logging's streams may already be closed.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    builder = SparkSession.builder.master(settings.spark_master).appName(app_name)
    for key, value in {**_SESSION_CONF, "spark.ui.enabled": "false", "spark.api.mode": "classic",
                       "spark.sql.shuffle.partitions": os.environ.get("MLG_SHUFFLE_PARTITIONS", "8")}.items():
        builder = builder.config(key, value)
    jars = [j for j in (settings.spark_jars or "").split(",") if j.strip()]
    if jars:
        builder = (
            builder.config("spark.jars", ",".join(jars))
            .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
            .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        )
    spark = builder.getOrCreate()
    native_delta = _jvm_has_class(spark, "io.delta.sql.DeltaSparkSessionExtension")
    graphframes = _jvm_has_class(spark, "org.graphframes.GraphFrame")
    return spark, Capabilities(mode="classic", native_delta=native_delta, graphframes=graphframes,
                               url=settings.spark_master)


def _jvm_has_class(spark, name: str) -> bool:
    try:
        spark.sparkContext._jvm.java.lang.Class.forName(
            name, False, spark.sparkContext._jvm.java.lang.Thread.currentThread().getContextClassLoader()
        )
        return True
    except Exception:  # noqa: BLE001 - py4j raises its own error type for ClassNotFound
        return False
