"""The local stack: moto's SQS server + the source simulator, started once, found again later.

`up(settings, seed=, scale=)` starts both on free 127.0.0.1 ports in their own sessions (so
they outlive `mlg up`), creates one landing queue per source with its dead-letter queue and
redrive policy, points the simulator's thin events at those queues, and writes
`<state_dir>/stack.json` (pids, ports, URLs, queues, seed, scale). `Settings.load` falls back
to that file, so every later `mlg` command finds the stack with no variable set.
`down(settings)` stops exactly the pids in the file (after checking each is still the process
it started: a reused pid is never signalled). Both are idempotent; `status(settings)` says
what runs. Logs go to `<state_dir>/logs/{moto,simulator}.log`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from infra.sqs import DEFAULT_MAX_RECEIVE_COUNT
from spark_jobs.config import STACK_FILE
from spark_jobs.errors import MlgError
from spark_jobs.model import PLATFORMS

COMPONENTS = ("sqs", "simulator")

# Optional services `mlg up` can start beside the core two, each a module `infra.<module>` with
#     start_for_stack(settings, *, logs: Path, state_dir: Path, timeout_s: float) -> StartedService
# The service's settings (e.g. {"spark_remote": "sc://127.0.0.1:40123"}) go into the state file,
# and `Settings.load` falls back to them like it does to the source URLs.
OPTIONAL_SERVICES: dict[str, str] = {"opensearch": "opensearch", "kafka": "kafka", "spark": "spark_connect"}
TRANSPORTS = ("sqs", "kafka", "both")
"""Where the simulator sends its thin events: SQS (default), Kafka instead, or both."""


@dataclasses.dataclass
class ProcessInfo:
    pid: int
    port: int
    url: str
    log: str
    cmdline: str | None = None
    """`/proc/<pid>/cmdline` at start: `down` signals the pid only while it still matches."""


@dataclasses.dataclass
class StartedService:
    """What an optional service's `start_for_stack` returns: its process and the settings that
    point `mlg` at it."""

    info: ProcessInfo
    settings: dict[str, str]


@dataclasses.dataclass
class StackState:
    """What `mlg up` started (the content of `stack.json`)."""

    seed: int
    scale: int
    sqs: ProcessInfo
    simulator: ProcessInfo
    sqs_endpoint_url: str
    source_urls: dict[str, str]
    queues: dict[str, str]
    dlq_urls: dict[str, str]
    max_receive_count: int
    region: str
    started_at: float
    state_file: str = ""
    services: dict[str, ProcessInfo] = dataclasses.field(default_factory=dict)
    """Optional services started with the stack (see OPTIONAL_SERVICES), by name."""
    service_settings: dict[str, str] = dataclasses.field(default_factory=dict)
    """Settings those services contribute (spark_remote, opensearch_url, ...)."""
    transport: str = "sqs"
    """Where the simulator sends thin events (TRANSPORTS)."""
    already_running: bool = False
    """Set by `up` when it found a running stack instead of starting one."""

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.pop("already_running")
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any], state_file: str) -> StackState:
        data = dict(data)
        data.pop("already_running", None)
        for key in COMPONENTS:
            data[key] = ProcessInfo(**data[key])
        data["services"] = {k: ProcessInfo(**v) for k, v in (data.get("services") or {}).items()}
        data["state_file"] = state_file
        return cls(**data)

    def processes(self) -> dict[str, ProcessInfo]:
        return {"sqs": self.sqs, "simulator": self.simulator, **self.services}


@dataclasses.dataclass
class StackStatus:
    state: StackState | None
    alive: dict[str, bool]

    @property
    def running(self) -> bool:
        return self.state is not None and bool(self.alive) and all(self.alive.values())

    @property
    def partial(self) -> bool:
        return self.state is not None and any(self.alive.values()) and not all(self.alive.values())


def state_path(settings) -> Path:
    return Path(settings.state_dir) / STACK_FILE


def read_state(settings) -> StackState | None:
    path = state_path(settings)
    if not path.is_file():
        return None
    try:
        return StackState.from_json(json.loads(path.read_text()), str(path))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise MlgError(f"{path} is not a stack state file ({exc}); remove it if nothing runs") from None


def status(settings) -> StackStatus:
    state = read_state(settings)
    if state is None:
        return StackStatus(None, {})
    return StackStatus(state, {name: _is_ours(info) for name, info in state.processes().items()})


def up(settings, *, seed: int = 7, scale: int = 1, max_receive_count: int = DEFAULT_MAX_RECEIVE_COUNT,
       faults: dict[str, Any] | None = None, event_faults: dict[str, Any] | None = None,
       emit_events: bool = False, services: tuple[str, ...] = (), transport: str = "sqs",
       timeout_s: float = 60.0) -> StackState:
    """Start the stack unless it already runs (then return it with `already_running`).

    `services` names optional services (OPTIONAL_SERVICES) to start with it; on a running stack
    the ones not yet running are started and added to the state file.

    `emit_events` sends one created/updated event per live object to the queues (what a fresh
    deployment's backfill would announce), so a first `mlg land` + `mlg build` has work."""
    from infra.simulator.launch import start_simulator
    from infra.sqs import create_landing_queues, local_client, start_moto, stop_process

    if scale < 1:
        raise MlgError(f"--scale must be >= 1, got {scale}")
    if transport not in TRANSPORTS:
        raise MlgError(f"unknown transport {transport!r} (known: {', '.join(TRANSPORTS)})")
    if transport != "sqs" and "kafka" not in services:
        services = (*services, "kafka")
    unknown = sorted(set(services) - set(OPTIONAL_SERVICES))
    if unknown:
        raise MlgError(f"unknown service(s) {', '.join(unknown)} (known: {', '.join(sorted(OPTIONAL_SERVICES)) or 'none'})")
    current = status(settings)
    if current.running:
        assert current.state is not None
        current.state.already_running = True
        missing = [name for name in services if name not in current.state.services]
        if missing:
            logs = Path(settings.state_dir) / "logs"
            _start_services(current.state, missing, settings, logs, timeout_s)
        repoint = transport != "sqs" and transport != current.state.transport
        if repoint:
            _point_simulator(current.state, settings, transport)
        if missing or repoint:
            _write_state(state_path(settings), current.state)
        if emit_events:  # asked for explicitly: a running stack can still announce its objects
            from infra.simulator.client import SimulatorClient

            SimulatorClient(current.state.simulator.url).emit_all()
        return current.state
    if current.state is not None:  # stale or half-dead: clear what is left, then start afresh
        down(settings)
    state_dir = Path(settings.state_dir)
    logs = state_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    region = settings.sqs_region
    moto = start_moto(logs / "moto.log", region=region, timeout_s=timeout_s)
    started = [moto.process]
    state: StackState | None = None
    try:
        client = local_client(moto.endpoint_url, region)
        names = {p: _queue_name(settings, p) for p in PLATFORMS}
        queues = create_landing_queues(client, names, max_receive_count=max_receive_count)
        queue_urls = {p: q.url for p, q in queues.items()}
        sim = start_simulator(seed=seed, scale=scale, faults=faults, event_faults=event_faults,
                              queues=queue_urls, sqs_endpoint_url=moto.endpoint_url,
                              log_path=logs / "simulator.log", detach=True, timeout_s=timeout_s)
        started.append(sim.process)
        state = StackState(
            seed=seed, scale=scale,
            sqs=ProcessInfo(moto.process.pid, moto.port, moto.endpoint_url, str(logs / "moto.log"),
                            _cmdline(moto.process.pid)),
            simulator=ProcessInfo(sim.pid, sim.port, sim.base_url, str(logs / "simulator.log"),
                                  _cmdline(sim.pid)),
            sqs_endpoint_url=moto.endpoint_url, source_urls=sim.source_urls, queues=queue_urls,
            dlq_urls={p: q.dlq_url for p, q in queues.items()}, max_receive_count=max_receive_count,
            region=region, started_at=time.time(), state_file=str(state_path(settings)))
        _start_services(state, list(services), settings, logs, timeout_s)
        if transport != "sqs":
            _point_simulator(state, settings, transport)
        _write_state(state_path(settings), state)
        if emit_events:
            sim.client.emit_all()
        return state
    except BaseException:
        for process in reversed(started):
            if process is not None:
                stop_process(process)
        for info in (state.services.values() if state is not None else ()):
            _terminate(info.pid, timeout_s=10)
        raise


def _start_services(state: StackState, names: list[str], settings, logs: Path, timeout_s: float) -> None:
    import importlib

    for name in names:
        module = importlib.import_module(f"infra.{OPTIONAL_SERVICES[name]}")
        started: StartedService = module.start_for_stack(settings, logs=logs, state_dir=Path(settings.state_dir),
                                                         timeout_s=timeout_s)
        state.services[name] = started.info
        state.service_settings.update(started.settings)


def _point_simulator(state: StackState, settings, transport: str) -> None:
    """Send the simulator's thin events to the Kafka topics (instead of the queues, or as well)."""
    from infra.simulator.client import SimulatorClient

    bootstrap = state.service_settings["kafka_bootstrap"]
    topics = {p: settings.kafka_topic(p) for p in PLATFORMS}
    SimulatorClient(state.simulator.url).configure_events(
        {"kafka_bootstrap": bootstrap, "kafka_topics": topics}, queues={} if transport == "kafka" else None)
    state.transport = transport


def down(settings, *, timeout_s: float = 10.0) -> list[str]:
    """Stop what `up` started; returns one line per process. Nothing to do -> []."""
    path = state_path(settings)
    try:
        state = read_state(settings)
    except MlgError:
        state = None
    if state is None:
        path.unlink(missing_ok=True)
        return []
    lines = []
    for name, info in reversed(list(state.processes().items())):
        if not _is_ours(info):
            lines.append(f"{name}: pid {info.pid} was not running")
            continue
        _terminate(info.pid, timeout_s=timeout_s)
        lines.append(f"{name}: stopped pid {info.pid}")
    path.unlink(missing_ok=True)
    return lines


# ---- helpers ---------------------------------------------------------------------------------

def _queue_name(settings, platform: str) -> str:
    """The queue name for a source: a configured name, the last segment of a configured URL,
    or `mlg-<platform>`."""
    value = settings.sqs_queues.get(platform) if settings.sqs_queues else None
    if value:
        return value.rstrip("/").rsplit("/", 1)[-1]
    return f"mlg-{platform}"


def _write_state(path: Path, state: StackState) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(state.to_json(), indent=2) + "\n")
    os.replace(tmp, path)


def process_info(pid: int, port: int, url: str, log: str | Path) -> ProcessInfo:
    """The state-file record of a process a service started (with its command line, so `down`
    never signals a reused pid)."""
    return ProcessInfo(pid, port, url, str(log), _cmdline(pid))


def _cmdline(pid: int | None) -> str | None:
    if pid is None:
        return None
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return None  # no /proc (macOS): the pid alone identifies the process


def _reap(pid: int) -> bool:
    """Collect the pid if it is our exited child (a zombie answers kill(0)); True if it exited."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == pid
    except ChildProcessError:
        return False


def pid_alive(pid: int) -> bool:
    """Alive and not a zombie (a killed child not yet reaped is collected here)."""
    if _reap(pid):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _is_ours(info: ProcessInfo) -> bool:
    """Alive, and still the process `up` started (same command line)."""
    if not pid_alive(info.pid):
        return False
    current = _cmdline(info.pid)
    return info.cmdline is None or current is None or current == info.cmdline


def _terminate(pid: int, *, timeout_s: float) -> None:
    """SIGTERM the process group `up` created (start_new_session: pgid == pid), then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            if os.getpgid(pid) == pid:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.05)
    raise MlgError(f"pid {pid} did not exit after SIGKILL")
