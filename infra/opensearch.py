"""A single-node OpenSearch 2.19 for local runs and tests, from Maven Central jars alone.

`infra/jvm/opensearch/pom.xml` pins the server and the modules the search mapping needs
(`make jars` fetches them); `infra/jvm/opensearch/src/.../EmbeddedNode.java` is a small
launcher, compiled here with `javac` against those jars (`python -m infra.opensearch compile`,
part of `make jars`; again whenever its source or the jars change), that starts the server's
`Node` with Netty 4 and analysis-common as classpath plugins. No distribution, no security
plugin: the node binds 127.0.0.1 only, on free HTTP and transport ports, with single-node
discovery, a 512 MB heap, and `path.home` / `path.data` under the given directory.

- `start(home, log_path=...)`: start a node in its own process group and wait until the
  cluster is at least yellow; returns an `OpenSearchNode` (`url`, `stop()`).
- `start_for_stack(settings, ...)`: what `mlg up --search opensearch` runs (data under
  `<state_dir>/opensearch/`, log `<state_dir>/logs/opensearch.log`); contributes `opensearch_url`.

    python -m infra.opensearch compile          # the launcher (make jars runs it)
    python -m infra.opensearch run DIR          # a node in the foreground, Ctrl-C stops it
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from infra import jars
from infra.sqs import free_port, stop_process
from spark_jobs.errors import MlgError

SERVICE = "opensearch"
JVM_DIR = Path(__file__).resolve().parent / "jvm" / SERVICE
SOURCES = JVM_DIR / "src"
LOG4J_CONFIG = JVM_DIR / "config" / "log4j2.properties"
MAIN_CLASS = "io.mlg.opensearch.EmbeddedNode"
DEFAULT_HEAP = "512m"
STAMP = ".compiled"

# The distribution's jvm.options that matter for a node started from jars: no JMX for log4j, the
# JVM's own shutdown hook closes the node (not log4j's), and the locale data the date parsers expect.
JVM_FLAGS = ("-Xss1m", "-Dfile.encoding=UTF-8", "-Djava.awt.headless=true",
             "-Dlog4j2.disable.jmx=true", "-Dlog4j.shutdownHookEnabled=false",
             "-Djava.locale.providers=SPI,COMPAT", "-Dio.netty.allocator.numDirectArenas=0")
# A local node starts about twice as fast on a busy 2-core machine with the client compiler only
# and the serial collector (one 512 MB heap, one node); `quick_start=False` is the server JIT + G1.
QUICK_START_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
FULL_JIT_FLAGS = ("-XX:+UseG1GC",)


def launcher_dir() -> Path:
    """Compiled launcher classes; inside the jars folder, so a new fetch recompiles."""
    return jars.jars_dir(SERVICE) / "launcher"


def _sources() -> list[Path]:
    return sorted(SOURCES.rglob("*.java"))


def _launcher_hash() -> str:
    digest = hashlib.sha256()
    for path in _sources():
        digest.update(path.relative_to(SOURCES).as_posix().encode() + b"\0" + path.read_bytes())
    digest.update((jars.jars_dir(SERVICE) / jars.STAMP).read_bytes())
    return digest.hexdigest()


def compile_launcher() -> Path:
    """javac the launcher against the fetched jars (a no-op when it is up to date)."""
    classpath = jars.classpath(SERVICE)  # a clear error when `make jars` never ran
    out = launcher_dir()
    want = _launcher_hash()
    stamp = out / STAMP
    if stamp.is_file() and stamp.read_text().strip() == want:
        return out
    javac = shutil.which("javac")
    if javac is None:
        raise MlgError("javac (a JDK 17) is needed to compile the OpenSearch launcher "
                       "(Debian: apt-get install openjdk-17-jdk-headless)")
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    done = subprocess.run([javac, "-nowarn", "--release", "17", "-d", str(tmp), "-cp", ":".join(classpath),
                           *map(str, _sources())], capture_output=True, text=True)
    if done.returncode != 0:
        raise MlgError(f"javac could not compile the OpenSearch launcher: {(done.stdout + done.stderr)[-800:]}")
    (tmp / STAMP).write_text(want + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


@dataclass
class OpenSearchNode:
    process: subprocess.Popen
    http_port: int
    transport_port: int
    home: Path
    log_path: Path
    heap: str = DEFAULT_HEAP
    quick_start: bool = True
    started_in_s: float = 0.0
    """Seconds from the JVM's start to a yellow cluster, for the last (re)start."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def launch(self, *, timeout_s: float = 120) -> None:
        """Start the JVM on this node's ports and data, and wait until the cluster serves."""
        for sub in ("config", "data", "logs", "tmp"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(LOG4J_CONFIG, self.home / "config" / "log4j2.properties")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        cmd = command(self.home, http_port=self.http_port, transport_port=self.transport_port, heap=self.heap,
                      quick_start=self.quick_start)
        began = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        try:
            wait_ready(self.url, process=self.process, timeout_s=timeout_s)
        except BaseException:
            self.stop()
            raise
        self.started_in_s = time.monotonic() - began

    def kill(self) -> None:
        """SIGKILL, as a crash would (no flush, no clean close)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def restart(self, *, timeout_s: float = 120) -> None:
        """The same node again (same ports, same data), after a stop or a kill."""
        self.stop()
        self.launch(timeout_s=timeout_s)

    def stop(self, *, timeout_s: float = 30) -> None:
        """SIGTERM (the node closes and releases its data lock), SIGKILL if it lingers."""
        stop_process(self.process, timeout_s=timeout_s)


def command(home: Path, *, http_port: int, transport_port: int, heap: str = DEFAULT_HEAP,
            quick_start: bool = True, cluster_name: str = "mlg-local") -> list[str]:
    java = shutil.which("java")
    if java is None:
        raise MlgError("java (17) is needed to run OpenSearch (Debian: apt-get install openjdk-17-jre-headless)")
    classpath = [str(compile_launcher()), *jars.classpath(SERVICE)]
    settings = {
        "cluster.name": cluster_name, "node.name": "mlg-node",
        "path.home": home, "path.data": home / "data", "path.logs": home / "logs",
        "network.host": "127.0.0.1", "http.port": http_port, "transport.port": transport_port,
        "discovery.type": "single-node",
        # a shared disk over 85-95 % full must not make the indices read-only under a test
        "cluster.routing.allocation.disk.threshold_enabled": "false",
        "action.auto_create_index": "false",  # a typo'd index name is an error, not a new index
    }
    return [java, f"-Xms{heap}", f"-Xmx{heap}", f"-Djava.io.tmpdir={home / 'tmp'}", *JVM_FLAGS,
            *(QUICK_START_FLAGS if quick_start else FULL_JIT_FLAGS),
            "-cp", ":".join(classpath), MAIN_CLASS, *(f"{k}={v}" for k, v in settings.items())]


def wait_ready(url: str, *, process: subprocess.Popen | None = None, timeout_s: float = 120) -> None:
    """Until `_cluster/health` says yellow or green (the HTTP port opens a little earlier)."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise MlgError(f"OpenSearch exited with code {process.returncode} while starting")
        try:
            with urllib.request.urlopen(f"{url}/_cluster/health?wait_for_status=yellow&timeout=5s", timeout=10) as r:
                status = json.load(r).get("status")
            if status in ("yellow", "green"):
                return
            last = f"cluster status {status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last = str(exc)
        time.sleep(0.2)
    raise MlgError(f"OpenSearch at {url} was not ready within {timeout_s:.0f}s ({last})")


def start(home: Path, *, log_path: Path, heap: str = DEFAULT_HEAP, quick_start: bool = True,
          timeout_s: float = 120) -> OpenSearchNode:
    """Start one node with its data under `home` (kept between starts) and wait until it serves."""
    home = Path(home).resolve()
    last_error = ""
    for _attempt in range(3):  # a probed free port can be taken before the node binds it
        node = OpenSearchNode(None, free_port(), free_port(), home, Path(log_path),  # type: ignore[arg-type]
                              heap, quick_start)
        try:
            node.launch(timeout_s=timeout_s)
            return node
        except MlgError as exc:
            last_error = str(exc)
            if "BindException" not in _tail(node.log_path):
                break
    raise MlgError(f"OpenSearch did not start: {last_error} (log: {log_path}: {_tail(Path(log_path), 300)!r})")


def _tail(path: Path, n: int = 4000) -> str:
    try:
        return path.read_bytes()[-n:].decode(errors="replace")
    except OSError:
        return ""


def start_for_stack(settings, *, logs: Path, state_dir: Path, timeout_s: float):
    """`mlg up --search opensearch`: a node that outlives `mlg up`, stopped by `mlg down` (pid)."""
    from infra.stack import StartedService, process_info

    log_path = Path(logs) / "opensearch.log"
    node = start(Path(state_dir) / "opensearch", log_path=log_path, timeout_s=max(timeout_s, 120))
    return StartedService(process_info(node.pid, node.http_port, node.url, log_path), {"opensearch_url": node.url})


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["compile"]:
            print(f"opensearch launcher: {compile_launcher()}")
            return 0
        if argv[:1] == ["run"] and len(argv) == 2:
            home = Path(argv[1])
            node = start(home, log_path=home / "opensearch.log")
            print(f"OpenSearch at {node.url} (pid {node.pid}, ready in {node.started_in_s:.1f}s); Ctrl-C stops it")
            try:
                node.process.wait()
            except KeyboardInterrupt:
                node.stop()
            return 0
    except MlgError as exc:
        print(f"opensearch: {exc}", file=sys.stderr)
        return 1
    print("usage: python -m infra.opensearch compile | run DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
