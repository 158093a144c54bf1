"""The one place a SparkSession is made.

Modes (ARCHITECTURE.md, "Engines"):
- embedded (default): pysail's Spark Connect server in this process on 127.0.0.1, a free port;
- remote: any Spark Connect server named by MLG_SPARK_REMOTE;
- classic: JVM Spark (MLG_SPARK_MASTER) with the delta-spark jars from MLG_SPARK_JARS, or
  else the ones `make jars` fetched into `.jars/spark/` and the GraphFrames jar it built into
  `.jars/graphframes/`.

A remote server is probed once per session: a JVM Spark server (`SELECT version()` answers
"<spark version> <git revision>"; Sail answers its own version) has Delta's SQL (`OPTIMIZE`,
`VACUUM`, `DESCRIBE HISTORY`) when its Delta extension is configured, and GraphFrames when its
Connect plugin answers GraphFrames' extension relation.

Sessions are always new (`create()`), never the cached one, and are stopped when the
`spark_session()` block ends, so an Airflow task never inherits a dead server. An embedded
session's first query is a trivial one: when it fails, the process's pysail server is replaced
before the task goes on (the tasks of an Airflow worker share it).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Iterator, Mapping
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
    jvm: bool = False
    """The engine is JVM Spark (classic, or a Spark Connect server), not Sail."""
    delta_sql: bool = False
    """Delta's maintenance SQL (OPTIMIZE, VACUUM, DESCRIBE HISTORY) runs on this engine."""


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


def repoint_shared_catalog(spark: SparkSession, locations: Mapping[str, str]) -> None:
    """Drop catalog entries that point at another lakehouse's table (before `tables.register`).

    A JVM Spark server keeps one catalog for all its sessions, so `graph.entities` registered by
    an earlier client for another lakehouse would still name that lakehouse's files, and
    `CREATE TABLE IF NOT EXISTS` would keep it. Sail's catalog is per session. Checked once per
    table and session; dropping an external Delta table leaves its files alone.
    """
    caps = _capabilities.get(id(spark))
    if caps is None or not caps.jvm:
        return
    checked: dict[str, str] = spark.__dict__.setdefault("_mlg_catalog_checked", {})
    todo = {n: loc for n, loc in locations.items() if checked.get(n) != loc}
    if not todo:
        return
    for schema in sorted({n.split(".", 1)[0] for n in todo}):
        if not spark.catalog.databaseExists(schema):
            continue
        present = {f"{schema}.{t.name}" for t in spark.catalog.listTables(schema)}
        for name in sorted(n for n in todo if n in present):
            current = spark.sql(f"DESCRIBE DETAIL {name}").collect()[0]["location"]
            if _same_location(current, todo[name]):
                continue
            log.debug("%s was registered at %s: re-pointing at %s", name, current, todo[name])
            spark.sql(f"DROP TABLE IF EXISTS {name}")
    checked.update(todo)


def _same_location(registered: str | None, wanted: str) -> bool:
    def norm(path: str) -> str:
        path = path.rstrip("/")
        for prefix in ("file://", "file:"):
            if path.startswith(prefix):
                return path[len(prefix):]
        return path
    return registered is not None and norm(registered) == norm(wanted)


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

    def restart(self, broken_url: str) -> str:
        """Replace the server at `broken_url` with a new one (unless another thread already did)."""
        with self._lock:
            if self._url == broken_url and self._pid == os.getpid():
                self._stop_locked()
            if self._server is None or self._pid != os.getpid():
                self._start()
            assert self._url is not None
            return self._url

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        if self._server is not None and self._pid == os.getpid():
            try:
                self._server.stop()
            except Exception:  # noqa: BLE001 - best effort: it is being replaced or the process exits
                pass
        self._server = self._url = self._pid = None


_embedded = _EmbeddedServer()
atexit.register(_embedded.stop)


def embedded_url() -> str:
    """Spark Connect URL of this process's embedded server (starting it if needed)."""
    return _embedded.url()


_SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
}


def local_jvm_conf(*, small_tables: bool = False, java_options: str = "",
                   env: Mapping[str, str] | None = None) -> dict[str, str]:
    """What a JVM Spark running `local[...]` on a small machine needs (the JVM Spark Connect
    server and a classic local driver); a cluster keeps Spark's defaults. `small_tables` (the
    local server, which tests and scale-1 builds use) trades peak throughput for start-up: C1 and
    interpreted expressions made a classic local[2] closure of 3.6 M rows 4.6x slower (the
    write 12 -> 73 s, `bench/bench_closure.py`), so a classic driver keeps codegen and C2.
    `env` (default the process's) may set MLG_SHUFFLE_PARTITIONS."""
    env = os.environ if env is None else env
    conf = {
        "spark.driver.host": "127.0.0.1",  # a local driver's ports stay on this machine
        "spark.driver.bindAddress": "127.0.0.1",
        # 2 cores: Spark's 200 default shuffle partitions would be 200 tiny tasks per exchange
        "spark.sql.shuffle.partitions": env.get("MLG_SHUFFLE_PARTITIONS", "8"),
        # Delta's 50 partitions to replay a table's log are 50 tasks per snapshot on 2 cores
        # (Delta's own test suites use 1-2)
        "spark.databricks.delta.snapshotPartitions": "2",
        # each query's plan is rendered for the (disabled) UI's listener; "simple" skips the
        # operator numbering that showed up in thread dumps of large MERGE plans
        "spark.sql.ui.explainMode": "simple",
    }
    if java_options:
        conf["spark.driver.extraJavaOptions"] = java_options
    if small_tables:
        conf.update({
            # C1 only and the serial collector: on a small local server the JIT's C2 compiler and
            # G1's concurrent threads burned about half of a scale-1 build's CPU (jstack)
            "spark.driver.extraJavaOptions": f"{java_options} -XX:TieredStopAtLevel=1 -XX:+UseSerialGC".strip(),
            # every new query shape is compiled to Java bytecode first; with thousands of rows per
            # table that compilation, not the data, is most of a build's time
            "spark.sql.codegen.wholeStage": "false",
            "spark.sql.codegen.factoryMode": "NO_CODEGEN",
        })
    return conf


@contextmanager
def spark_session(settings: Settings | None = None, *, app_name: str = "mlg") -> Iterator[SparkSession]:
    """Yield a new SparkSession for the configured engine and stop it afterwards."""
    settings = settings or Settings.load()
    mode = engine_mode(settings)
    if mode == "classic":
        spark, caps = _classic_session(settings, app_name)
    else:
        if mode == "remote":
            spark, caps = _connect_session(settings.spark_remote, mode, app_name, settings.spark_retry_s)
        else:
            spark, caps = _healthy_embedded_session(app_name, settings.spark_retry_s)
    _capabilities[id(spark)] = caps
    lost = False
    try:
        yield spark
    except BaseException as exc:
        lost = engine_lost(exc)  # stopping would retry the dead server for as long again
        raise
    finally:
        _capabilities.pop(id(spark), None)
        try:
            if not lost:
                spark.stop()
        except Exception:  # noqa: BLE001 - a dead server must not mask the real error
            log.debug("error stopping session", exc_info=True)
        _disarm_close(spark)


PROBE_RETRY_S = 5.0
"""How long a session's first, trivial query retries an unreachable embedded server: it runs in
this process, so not answering means it has gone."""


def _healthy_embedded_session(app_name: str, retry_s: float):
    """A session on this process's pysail server, replacing the server once if it fails a trivial
    query: an Airflow worker runs many tasks in one process, and one pysail left failing every
    command ("INTERNAL: task context not found for operation" was seen) would fail them all."""
    url, spark = embedded_url(), None
    try:
        spark, caps = _connect_session(url, "embedded", app_name, PROBE_RETRY_S)
        spark.sql("SELECT 1").collect()
        bound_retries(spark, retry_s)
        return spark, caps
    except Exception as exc:  # noqa: BLE001 - any failure of a trivial query means a broken server
        log.warning("embedded engine at %s failed a trivial query (%s); starting a new one", url, exc)
        if spark is not None:
            _disarm_close(spark)
    return _connect_session(_embedded.restart(url), "embedded", app_name, retry_s)


def retry_waits_ms(retry_s: float) -> tuple[int, int]:
    """(max_retries, max_backoff_ms) of pyspark's backoff (50 ms, x4 each time) so that the waits
    add up to about `retry_s`: a server that died mid-query fails the command in that time
    instead of after pyspark's default of at least 10 minutes."""
    cap = int(min(60_000, max(50, retry_s * 1000 / 5)))
    waited, wait, retries = 0, 50, 0
    while waited < retry_s * 1000:
        waited, wait, retries = waited + wait, min(cap, wait * 4), retries + 1
    return retries, cap


def bounded_policy(retry_s: float):
    """pyspark's default retry policy, its waits adding up to about `retry_s`, and shared by all
    of a client's calls: once one call has given up on the server, the others stop retrying at
    their next wake-up (pyspark releases a broken query from a background pool that the process
    waits for at exit: each release would otherwise wait as long again)."""
    from pyspark.sql.connect.client.retries import DefaultPolicy, RetryPolicyState

    class GiveUpTogether(RetryPolicyState):
        def next_attempt(self):
            wait = super().next_attempt()
            if wait is None:
                self.policy.gave_up = True
            return wait

    class BoundedPolicy(DefaultPolicy):
        gave_up = False

        def can_retry(self, e: BaseException) -> bool:
            return not self.gave_up and super().can_retry(e)

        def to_state(self) -> RetryPolicyState:
            return GiveUpTogether(self)

    retries, cap = retry_waits_ms(retry_s)
    return BoundedPolicy(max_retries=retries, max_backoff=cap)


def bound_retries(spark, retry_s: float) -> None:
    """Retry an unreachable Spark Connect server for about `retry_s` (Settings.spark_retry_s)."""
    spark._client.set_retry_policies([bounded_policy(retry_s)])


ENGINE_FAULTS = (
    "task context not found for operation",  # Sail: a retried ExecutePlan found its operation consumed
    "Exception deserializing response",  # gRPC: the client could not parse the server's message
)
"""Internal errors of the engine itself, not of the query: the same query succeeds when run again.
Both were seen once in a CI run of pysail 0.7.2 (the response's "Wire format was corrupt", then
the retry's "task context not found") on a `CREATE TABLE IF NOT EXISTS`."""


def engine_fault(exc: BaseException) -> str | None:
    """Which of ENGINE_FAULTS `exc` (or what caused it) is, if any: a Connect call that failed
    for a reason of the engine's own, worth one more attempt."""
    try:
        from pyspark.errors.exceptions.connect import SparkConnectGrpcException
    except ImportError:  # no Connect client here
        return None

    for cause in _causes(exc):
        if isinstance(cause, SparkConnectGrpcException):
            found = next((fault for fault in ENGINE_FAULTS if fault in str(cause)), None)
            if found:
                return found
    return None


def sql_idempotent(spark: SparkSession, statement: str) -> None:
    """Run a statement that changes nothing when run again (`CREATE … IF NOT EXISTS`), once more
    after an engine fault: the one pysail fault seen in CI hit such a statement, and retrying it
    here spares rerunning the stage around it (`build.run_recorded_stage`)."""
    try:
        spark.sql(statement)
    except Exception as exc:
        fault = engine_fault(exc)
        if fault is None:
            raise
        log.warning("engine fault (%s) on %s; running it again", fault, statement.split(" LOCATION ")[0])
        spark.sql(statement)


def engine_lost(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the Spark Connect server stopped answering:
    pyspark gave up retrying, or gRPC reports the server unavailable."""
    try:
        import grpc
        from pyspark.errors.exceptions.base import RetriesExceeded
    except ImportError:  # no Connect client here: no remote engine to lose
        return False

    return any(isinstance(cause, RetriesExceeded)
               or (isinstance(cause, grpc.RpcError) and callable(getattr(cause, "code", None))
                   and cause.code() == grpc.StatusCode.UNAVAILABLE)
               for cause in _causes(exc))


def _causes(exc: BaseException | None) -> Iterator[BaseException]:
    """`exc` and what caused it, in turn (pyspark re-raises gRPC errors `from None`: the context
    still holds them)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


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


def _connect_session(url: str, mode: EngineMode, app_name: str, retry_s: float):
    from pyspark.sql import SparkSession

    # Options are set after the retry policy: set by the builder, they would be the first call to
    # an unreachable server, retried for pyspark's default of at least ten minutes.
    spark = SparkSession.builder.remote(url).create()
    bound_retries(spark, retry_s)
    spark.conf._set_all(configs={"spark.app.name": app_name, **_SESSION_CONF}, silent=True)
    if mode == "embedded":  # our own pysail: Delta through delta-rs inside Sail, no JVM plugins
        return spark, Capabilities(mode=mode, native_delta=True, graphframes=False, url=url)
    jvm = _is_jvm_server(spark)
    delta_sql = jvm and _has_delta_extension(spark)
    # A remote Sail reads and writes Delta itself; a JVM server needs Delta's jars and extension.
    return spark, Capabilities(mode=mode, native_delta=delta_sql or not jvm,
                               graphframes=jvm and has_graphframes_plugin(spark), url=url,
                               jvm=jvm, delta_sql=delta_sql)


def _is_jvm_server(spark) -> bool:
    """JVM Spark's version() is "<version> <git revision>"; Sail's is its bare version."""
    try:
        text = spark.sql("SELECT version() AS v").collect()[0][0]
    except Exception:  # noqa: BLE001 - a server without version() is not JVM Spark
        return False
    return len(str(text).split()) == 2


def _has_delta_extension(spark) -> bool:
    extensions = spark.conf.get("spark.sql.extensions", "") or ""
    catalog = spark.conf.get("spark.sql.catalog.spark_catalog", "") or ""
    return "DeltaSparkSessionExtension" in extensions or "DeltaCatalog" in catalog


GRAPHFRAMES_RELATION = "type.googleapis.com/org.graphframes.connect.proto.GraphFramesAPI"


def has_graphframes_plugin(spark) -> bool:
    """Does the Connect server handle GraphFrames' extension relation?

    The probe analyses an empty `GraphFramesAPI` relation (no data is read): a server without
    the plugin (`spark.connect.extensions.relation.classes` lacking
    `org.apache.spark.sql.graphframes.GraphFramesConnect`) rejects it as an extension no
    handler knows; with the plugin, the plugin itself answers (it rejects the empty call
    differently, or plans it).
    """
    from pyspark.sql.connect.dataframe import DataFrame
    from pyspark.sql.connect.plan import LogicalPlan

    class _Probe(LogicalPlan):
        def __init__(self) -> None:
            super().__init__(None)

        def plan(self, session):
            rel = self._create_proto_relation()
            rel.extension.type_url = GRAPHFRAMES_RELATION
            rel.extension.value = b""
            return rel

    try:
        DataFrame(_Probe(), spark).schema  # noqa: B018 - the analysis is the probe
    except Exception as exc:  # noqa: BLE001 - the server's answer is the result
        text = str(exc)
        return not ("NO_HANDLER_FOR_EXTENSION" in text or "No handler found for extension" in text)
    return True


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
    local = local_jvm_conf() if settings.spark_master.startswith("local") else {}
    for key, value in {**_SESSION_CONF, "spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
                       "spark.api.mode": "classic", **local}.items():
        builder = builder.config(key, value)
    jars = [j for j in (settings.spark_jars or "").split(",") if j.strip()] or _fetched_jars()
    if jars:
        builder = (
            builder.config("spark.jars", ",".join(jars))
            .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
            .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        )
    for key, value in hadoop_s3_conf().items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    native_delta = _jvm_has_class(spark, "io.delta.sql.DeltaSparkSessionExtension")
    graphframes = _jvm_has_class(spark, "org.graphframes.GraphFrame")
    return spark, Capabilities(mode="classic", native_delta=native_delta, graphframes=graphframes,
                               url=settings.spark_master, jvm=True, delta_sql=native_delta)


def hadoop_s3_conf(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Hadoop S3A settings for `s3://` lakehouses from the standard AWS variables (the ones
    delta-rs reads too), so both engines see the same bucket; {} when none is set.

    Credentials are not copied into Spark's conf (where a command line would show them): S3A's
    default provider chain reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the JVM's
    environment, which the server and a classic driver inherit."""
    env = os.environ if env is None else env
    conf: dict[str, str] = {}
    if not any(env.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_REGION")):
        return conf
    # `s3://` is the URI users write (and delta-rs reads); Hadoop serves it with S3A.
    conf["spark.hadoop.fs.s3.impl"] = "org.apache.hadoop.fs.s3a.S3AFileSystem"
    if env.get("AWS_ENDPOINT_URL"):
        endpoint = env["AWS_ENDPOINT_URL"]
        conf["spark.hadoop.fs.s3a.endpoint"] = endpoint
        conf["spark.hadoop.fs.s3a.path.style.access"] = "true"  # local endpoints have no bucket DNS
        conf["spark.hadoop.fs.s3a.connection.ssl.enabled"] = str(endpoint.startswith("https")).lower()
    if env.get("AWS_REGION"):
        conf["spark.hadoop.fs.s3a.endpoint.region"] = env["AWS_REGION"]
    return conf


def _fetched_jars() -> list[str]:
    """The Delta (+ S3A) jars `make jars` fetched and the GraphFrames jar it built, when
    MLG_SPARK_JARS names none."""
    try:
        from infra.jars import classpath, is_fetched
    except ImportError:  # installed without the repo's infra/ package
        return []
    return [jar for service in ("spark", "graphframes") if is_fetched(service) for jar in classpath(service)]


def _jvm_has_class(spark, name: str) -> bool:
    try:
        spark.sparkContext._jvm.java.lang.Class.forName(
            name, False, spark.sparkContext._jvm.java.lang.Thread.currentThread().getContextClassLoader()
        )
        return True
    except Exception:  # noqa: BLE001 - py4j raises its own error type for ClassNotFound
        return False
