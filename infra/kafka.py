"""A local single-node Kafka 4.x broker in KRaft mode, and the landing topics on it.

`start_broker(state_dir)` writes a `server.properties` for one combined broker + controller
(node 1, its own quorum) on two free 127.0.0.1 ports, formats the storage with Kafka's own
`kafka.tools.StorageTool` (what `kafka-storage.sh format` runs), then starts `kafka.Kafka` with a
512 MB heap in its own session, logging to `<state_dir>/logs/kafka.log`, data under
`<state_dir>/kafka/`. It returns once the broker answers a metadata request. The jars come
from `infra/jvm/kafka/pom.xml` (`make jars`), a classpath of their own.

`mlg up --transport kafka` starts it through `start_for_stack` (registered in
`infra.stack.OPTIONAL_SERVICES`), creates one topic per source, the dead-letter topic and the
`openlineage` topic, and contributes `kafka_bootstrap` to the settings; `mlg down` stops it by pid.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from spark_jobs.errors import MlgError

HEAP = "512m"
MAIN = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"
# One partition per topic keeps a source's events in order; landing is one consumer anyway.
DEFAULT_PARTITIONS = 1

LOG4J2 = """\
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = out
logger.server.name = kafka.server.BrokerServer
logger.server.level = INFO
"""


@dataclass
class KafkaBroker:
    process: subprocess.Popen
    port: int
    controller_port: int
    log_path: Path
    data_dir: Path
    started_s: float
    """Seconds from launching the JVM to the first answered metadata request (format excluded)."""
    format_s: float

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if found is None:
        raise MlgError("the local Kafka broker needs Java 17+: install it (Debian: apt-get install openjdk-17-jre-headless)")
    return found


def cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (Uuid.toString)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


def server_properties(*, port: int, controller_port: int, data_dir: Path) -> str:
    listeners = f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}"
    values = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "listeners": listeners,
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": str(DEFAULT_PARTITIONS),
        # one node: every internal topic has one replica
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # a single consumer joins at once instead of waiting for others (default 3 s)
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
        "log.retention.hours": "168",
    }
    return "".join(f"{k}={v}\n" for k, v in values.items())


def _jvm(classpath: list[str], log4j: Path) -> list[str]:
    return [java(), f"-Xmx{HEAP}", f"-Xms{HEAP}", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={log4j}",
            "-cp", os.pathsep.join(classpath)]


def start_broker(state_dir: Path, *, log_path: Path | None = None, timeout_s: float = 60.0) -> KafkaBroker:
    """Format fresh storage under `state_dir/kafka` and start one broker; wait until it answers."""
    from infra.jars import classpath
    from infra.sqs import free_port

    jars = classpath("kafka")
    root = Path(state_dir).resolve() / "kafka"
    data_dir = root / "data"
    shutil.rmtree(data_dir, ignore_errors=True)  # a fresh cluster each start: topics are recreated
    data_dir.mkdir(parents=True)
    log_path = Path(log_path or Path(state_dir) / "logs" / "kafka.log").resolve()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log4j = root / "log4j2.properties"
    log4j.write_text(LOG4J2)
    last_error = ""
    for _attempt in range(3):  # a free port can be taken between the probe and the bind
        port, controller_port = free_port(), free_port()
        if port == controller_port:
            continue
        config = root / "server.properties"
        config.write_text(server_properties(port=port, controller_port=controller_port, data_dir=data_dir))
        t0 = time.perf_counter()
        formatted = subprocess.run(
            [*_jvm(jars, log4j), STORAGE_TOOL, "format", "-t", cluster_id(), "-c", str(config),
             "--ignore-formatted"], capture_output=True, text=True, timeout=timeout_s)
        if formatted.returncode != 0:
            raise MlgError(f"kafka storage format failed: {(formatted.stderr or formatted.stdout).strip()[-500:]}")
        format_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        with open(log_path, "ab") as log:
            process = subprocess.Popen([*_jvm(jars, log4j), MAIN, str(config)], stdout=log,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        try:
            wait_ready(f"127.0.0.1:{port}", process=process, timeout_s=timeout_s)
        except MlgError as exc:
            last_error = str(exc)
            stop_broker(process)
            continue
        return KafkaBroker(process, port, controller_port, log_path, data_dir,
                           time.perf_counter() - t1, format_s)
    raise MlgError(f"kafka broker did not start: {last_error} (log: {log_path})")


def wait_ready(bootstrap: str, *, process: subprocess.Popen | None = None, timeout_s: float = 60.0) -> None:
    """Wait until the broker answers a metadata request (or its process exits)."""
    from confluent_kafka.admin import AdminClient

    # log_level 0: "connection refused" until the broker listens is expected, not worth a line each
    admin = AdminClient({"bootstrap.servers": bootstrap, "socket.connection.setup.timeout.ms": 1000,
                         "log_level": 0})
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise MlgError(f"kafka exited with code {process.returncode}")
        try:
            metadata = admin.list_topics(timeout=1)
            if metadata.brokers:
                return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.1)
    raise MlgError(f"kafka at {bootstrap} did not answer within {timeout_s:.0f}s")


def stop_broker(process: subprocess.Popen, *, timeout_s: float = 20) -> None:
    from infra.sqs import stop_process

    stop_process(process, timeout_s=timeout_s)


def create_topics(bootstrap: str, topics: Iterable[str], *, partitions: int = DEFAULT_PARTITIONS,
                  timeout_s: float = 30.0) -> list[str]:
    """Create the topics that do not exist yet (idempotent); returns the ones created."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    wanted = list(dict.fromkeys(topics))
    existing = set(admin.list_topics(timeout=timeout_s).topics)
    new = [t for t in wanted if t not in existing]
    if not new:
        return []
    futures = admin.create_topics([NewTopic(t, num_partitions=partitions, replication_factor=1) for t in new],
                                  operation_timeout=timeout_s, request_timeout=timeout_s)
    created = []
    for topic, future in futures.items():
        try:
            future.result(timeout=timeout_s)
            created.append(topic)
        except Exception as exc:  # noqa: BLE001
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise MlgError(f"cannot create kafka topic {topic!r}: {exc}") from None
    return created


def delete_topics(bootstrap: str, topics: Iterable[str], *, timeout_s: float = 30.0) -> None:
    from confluent_kafka.admin import AdminClient

    # `admin` must outlive the futures: a client collected while its requests are in flight
    # purges them and their futures never resolve (a teardown hung 600 s on that once)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.delete_topics(list(topics), operation_timeout=timeout_s, request_timeout=timeout_s)
    for future in futures.values():
        try:
            future.result(timeout=timeout_s)
        except Exception:  # noqa: BLE001 - best effort cleanup of a test topic
            pass


def start_for_stack(settings, *, logs: Path, state_dir: Path, timeout_s: float):
    """`mlg up --transport kafka`: the broker, the landing topics, and `kafka_bootstrap`."""
    from infra.stack import StartedService, process_info
    from spark_jobs.landing.kafka import landing_topics

    broker = start_broker(state_dir, log_path=logs / "kafka.log", timeout_s=max(timeout_s, 60.0))
    try:
        create_topics(broker.bootstrap, landing_topics(settings))
    except BaseException:
        stop_broker(broker.process)
        raise
    info = process_info(broker.process.pid, broker.port, f"kafka://{broker.bootstrap}", broker.log_path)
    return StartedService(info=info, settings={"kafka_bootstrap": broker.bootstrap})
