"""Start a simulator: a child process (default; tests, `mlg up`) or an in-process thread.

    sim = start_simulator(seed=7, scale=1)
    sim.source_urls["registry"]        # http://127.0.0.1:<port>/registry
    sim.client.health()
    subprocess.run([...], env={**os.environ, **sim.env()})
    sim.stop()

The child binds port 0 itself and reports the port through a file (no probe-then-bind race);
`start_simulator` then waits until `/_admin/health` answers. `in_process=True` serves from a
thread of this process: faster to start, same HTTP surface, but it shares this process's GIL
(use it for small functional tests, never for load or timing).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from infra.simulator.client import SimulatorClient
from spark_jobs.errors import MlgError
from spark_jobs.model import PLATFORMS

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclasses.dataclass
class SimulatorHandle:
    """A running simulator. `pid` is None when it runs in this process."""

    base_url: str
    seed: int
    scale: int
    queues: dict[str, str]
    sqs_endpoint_url: str | None
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    _server: Any = None
    _state: Any = None
    _thread: threading.Thread | None = None

    @property
    def client(self) -> SimulatorClient:
        return SimulatorClient(self.base_url)

    @property
    def source_urls(self) -> dict[str, str]:
        """`{platform: base url}`: what `MLG_SOURCE_<PLATFORM>_URL` should be."""
        return {p: f"{self.base_url}/{p}" for p in PLATFORMS}

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def env(self) -> dict[str, str]:
        """MLG_SOURCE_<P>_URL for every source (and the SQS settings when queues are set)."""
        env = {f"MLG_SOURCE_{p.upper()}_URL": url for p, url in self.source_urls.items()}
        if self.sqs_endpoint_url:
            env["MLG_SQS_ENDPOINT_URL"] = self.sqs_endpoint_url
        env.update({f"MLG_SQS_QUEUE_{p.upper()}": url for p, url in self.queues.items()})
        return env

    def settings(self, base):
        """`base` Settings (spark_jobs.config) pointed at this simulator's sources."""
        return dataclasses.replace(base, source_urls=self.source_urls)

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop the simulator (idempotent). Held events are sent first."""
        if self.process is not None:
            from infra.sqs import stop_process

            stop_process(self.process)
        elif self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._state.events.close()
            self._server = None

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_simulator(
    *,
    seed: int = 7,
    scale: int = 1,
    faults: Mapping[str, Any] | None = None,
    event_faults: Mapping[str, Any] | None = None,
    queues: Mapping[str, str] | None = None,
    sqs_endpoint_url: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    in_process: bool = False,
    log_path: str | os.PathLike[str] | None = None,
    detach: bool = False,
    timeout_s: float = 60.0,
) -> SimulatorHandle:
    """Start a simulator serving `(seed, scale)`; returns once `/_admin/health` answers.

    `faults`: HTTP faults per source (faults.py); `event_faults`: duplicates, reorder, drops,
    SNS (events.py); `queues` `{platform: queue url}` + `sqs_endpoint_url`: where mutations'
    thin events go. A `queues` object with an `endpoint_url` attribute (the `sqs_queues`
    fixture) supplies the endpoint itself. `detach` starts the child in its own session so it
    outlives this process (`mlg up`); its output goes to `log_path`.
    """
    sqs_endpoint_url = sqs_endpoint_url or getattr(queues, "endpoint_url", None)
    queues = dict(queues or {})
    unknown = set(queues) - set(PLATFORMS)
    if unknown:
        raise MlgError(f"unknown source(s) in queues: {', '.join(sorted(unknown))}")
    if in_process:
        return _start_thread(seed=seed, scale=scale, faults=faults, event_faults=event_faults,
                             queues=queues, sqs_endpoint_url=sqs_endpoint_url, host=host, port=port)
    return _start_child(seed=seed, scale=scale, faults=faults, event_faults=event_faults,
                        queues=queues, sqs_endpoint_url=sqs_endpoint_url, host=host, port=port,
                        log_path=Path(log_path) if log_path else None, detach=detach,
                        timeout_s=timeout_s)


def _start_thread(*, seed, scale, faults, event_faults, queues, sqs_endpoint_url, host, port) -> SimulatorHandle:
    from infra.simulator.server import SimulatorState, make_server

    try:
        state = SimulatorState(seed=seed, scale=scale, faults=faults, event_faults=event_faults,
                               queues=queues, sqs_endpoint_url=sqs_endpoint_url)
    except ValueError as exc:
        raise MlgError(f"simulator: {exc}") from None
    server = make_server(state, host=host, port=port)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="simulator-http", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    return SimulatorHandle(f"http://{bound_host}:{bound_port}", seed, scale, queues, sqs_endpoint_url,
                           _server=server, _state=state, _thread=thread)


def _start_child(*, seed, scale, faults, event_faults, queues, sqs_endpoint_url, host, port,
                 log_path: Path | None, detach: bool, timeout_s: float) -> SimulatorHandle:
    from infra.sqs import child_env, stop_process

    with tempfile.TemporaryDirectory(prefix="mlg-sim-") as tmp:
        port_file = Path(tmp) / "port"
        command = [sys.executable, "-m", "infra.simulator", "--host", host, "--port", str(port),
                   "--seed", str(seed), "--scale", str(scale), "--port-file", str(port_file)]
        for flag, value in (("--faults-json", faults), ("--events-json", event_faults),
                            ("--queues-json", queues)):
            if value:
                command += [flag, json.dumps(dict(value))]
        if sqs_endpoint_url:
            command += ["--sqs-endpoint-url", sqs_endpoint_url]
        if not detach:  # a test run that dies must not leave simulators behind
            command += ["--parent-pid", str(os.getpid())]
        env = child_env(os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        if log_path is not None:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            out = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
        else:
            out = subprocess.DEVNULL
        try:
            process = subprocess.Popen(command, cwd=str(REPO_ROOT), env=env, stdin=subprocess.DEVNULL,
                                       stdout=out, stderr=out if log_path else None,
                                       start_new_session=True)
        finally:
            if log_path is not None:
                out.close()
        deadline = time.monotonic() + timeout_s
        while not port_file.exists():
            if process.poll() is not None:
                where = f" (log: {log_path})" if log_path else ""
                raise MlgError(f"simulator exited with code {process.returncode} before listening{where}")
            if time.monotonic() > deadline:
                stop_process(process)
                raise MlgError(f"simulator did not listen within {timeout_s:.0f}s")
            time.sleep(0.05)
        bound_port = int(port_file.read_text())
    handle = SimulatorHandle(f"http://{host}:{bound_port}", seed, scale, queues, sqs_endpoint_url,
                             process=process, log_path=log_path)
    try:
        handle.client.health(timeout_s=max(1.0, deadline - time.monotonic()))
    except Exception as exc:
        stop_process(process)
        raise MlgError(f"simulator on port {bound_port} did not answer /_admin/health: {exc}") from None
    return handle
