"""A real JVM Spark Connect server: pyspark's own Spark with Delta Lake, on 127.0.0.1.

`start(state_dir=...)` runs pyspark 4.0.4's `spark-submit --class ...SparkConnectServer` in
`local[2]` with the Delta SQL extension and catalog, the jars `make jars` fetched into
`.jars/spark/` (Delta, and hadoop-aws + the AWS SDK modules for `s3://` lakehouses), a
checkpoint directory and a small driver heap, on a free port, in its own process group, and
waits until the gRPC port accepts connections. `stop(server)` ends exactly that process group.

`start_for_stack` is the `mlg up --engine spark` hook (infra.stack.OPTIONAL_SERVICES): the
server outlives `mlg up`, its pid and URL go to the stack state file, and every later `mlg`
command finds it as `spark_remote`.

    python -m infra.spark_connect      # start one in the foreground, print its URL, Ctrl-C stops
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from spark_jobs.errors import MlgError
from spark_jobs.session import hadoop_s3_conf, local_jvm_conf

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
DEFAULT_DRIVER_MEMORY = "1g"
DEFAULT_MASTER = "local[2]"

# What makes pyspark's plain Spark a Delta Lake engine (the same for a cluster's server: README,
# "Running on a cluster").
DELTA_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}


def spark_home() -> Path:
    """pyspark's own Spark distribution (the package folder holds bin/ and jars/)."""
    import importlib.util

    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise MlgError(f"pyspark is not installed for {sys.executable}")
    return Path(spec.origin).parent


def spark_submit() -> Path:
    return spark_home() / "bin" / "spark-submit"


def jvm_jars() -> list[str]:
    """The fetched Delta (+ S3A) jars; a clear error naming `make jars` when they are missing."""
    from infra.jars import classpath

    return classpath("spark")


# Spark logs every task at INFO: on a 2-core machine that is a measurable part of a build.
LOG4J2 = """\
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
logger.connect.name = org.apache.spark.sql.connect.service.SparkConnectServer
logger.connect.level = info
"""


def server_conf(*, port: int, state_dir: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The server's Spark settings. MLG_SPARK_SMALL_TABLES=0 (in `env`, default the process's)
    drops the small-table ones (C1, interpreted expressions) for a lakehouse of millions of rows."""
    log4j = state_dir / "log4j2.properties"
    log4j.write_text(LOG4J2)
    env = os.environ if env is None else env
    small_tables = env.get("MLG_SPARK_SMALL_TABLES", "1") != "0"
    return {
        **DELTA_CONF,
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.warehouse.dir": str(state_dir / "warehouse"),
        "spark.checkpoint.dir": str(state_dir / "checkpoints"),
        **local_jvm_conf(small_tables=small_tables, env=env,
                         java_options=f"-Dderby.system.home={state_dir / 'derby'} "
                                      f"-Dlog4j.configurationFile=file:{log4j}"),
        **hadoop_s3_conf(env),
    }


def command(*, port: int, state_dir: Path, master: str = DEFAULT_MASTER,
            driver_memory: str = DEFAULT_DRIVER_MEMORY, env: Mapping[str, str] | None = None) -> list[str]:
    cmd = [str(spark_submit()), "--master", master, "--driver-memory", driver_memory,
           "--class", SERVER_CLASS, "--name", "mlg-spark-connect", "--jars", ",".join(jvm_jars())]
    for key, value in server_conf(port=port, state_dir=state_dir, env=env).items():
        cmd += ["--conf", f"{key}={value}"]
    return cmd + ["spark-internal"]


@dataclass
class ConnectServer:
    process: subprocess.Popen
    port: int
    log: Path
    startup_s: float

    @property
    def url(self) -> str:
        return f"sc://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def start(*, state_dir: str | Path, log_path: str | Path | None = None, master: str = DEFAULT_MASTER,
          driver_memory: str = DEFAULT_DRIVER_MEMORY, timeout_s: float = 120.0,
          env: Mapping[str, str] | None = None) -> ConnectServer:
    """Start the server in its own process group and wait until its gRPC port answers."""
    from infra.sqs import free_port

    state_dir = Path(state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = Path(log_path or state_dir / "logs" / "spark-connect.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    child_env = dict(os.environ if env is None else env)
    for var in ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED", "SPARK_LOCAL_REMOTE", "PYSPARK_SUBMIT_ARGS"):
        child_env.pop(var, None)  # a Connect client's variables must not turn the server into a client
    child_env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    child_env["SPARK_HOME"] = str(spark_home())  # not the venv's find-spark-home, which needs pyspark on PATH's python
    last = ""
    for _attempt in range(2):  # the free port can be taken between the probe and the bind
        port = free_port()
        started = time.monotonic()
        with open(log_path, "ab") as log:
            process = subprocess.Popen(command(port=port, state_dir=state_dir, master=master,
                                               driver_memory=driver_memory, env=child_env),
                                       stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       env=child_env, cwd=state_dir, start_new_session=True)
        deadline = started + timeout_s
        while time.monotonic() < deadline and process.poll() is None:
            if _port_open(port):
                return ConnectServer(process, port, log_path, round(time.monotonic() - started, 2))
            time.sleep(0.2)
        last = (f"exited with code {process.returncode}" if process.poll() is not None
                else f"did not listen within {timeout_s:.0f}s")
        stop(process)
    raise MlgError(f"Spark Connect server {last} (log: {log_path})")


def stop(server: ConnectServer | subprocess.Popen, *, timeout_s: float = 20) -> None:
    from infra.sqs import stop_process

    stop_process(server.process if isinstance(server, ConnectServer) else server, timeout_s=timeout_s)


def start_for_stack(settings, *, logs: Path, state_dir: Path, timeout_s: float):
    """`mlg up --engine spark`: a detached server recorded in the stack state file."""
    from infra.stack import StartedService, process_info

    server = start(state_dir=Path(state_dir) / "spark", log_path=Path(logs) / "spark-connect.log",
                   timeout_s=max(timeout_s, 120.0))
    return StartedService(info=process_info(server.pid, server.port, server.url, server.log),
                          settings={"spark_remote": server.url})


def main() -> int:
    server = start(state_dir=Path(".mlg") / "spark")
    print(f"Spark Connect on {server.url} (pid {server.pid}, up in {server.startup_s}s, log {server.log})",
          flush=True)
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
