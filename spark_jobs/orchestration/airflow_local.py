"""A private Airflow home under the state dir, and `airflow dags test` runs in it.

Why `airflow dags test` and not a scheduler: it runs a DAG once, in one process, through the
real task runner (params, XCom, trigger rules, short-circuit, asset outlets), against a
SQLite metadata DB, with no daemons to start or stop. `mlg run` and the end-to-end test use it.
The home is created once (`airflow db migrate`, a few seconds); later runs reuse it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spark_jobs.config import Settings
from spark_jobs.errors import MlgError
from spark_jobs.orchestration.settings import settings_env

DAG_IDS = ("mlg_land", "mlg_build", "mlg_maintenance")
_FINISHED = re.compile(r"DagRun Finished: dag_id=(?P<dag>[^,]+), .*?run_id=(?P<run>[^,]+), .*?state=(?P<state>\w+)")
_TASK_END = re.compile(r"\[DAG TEST\] end task task_id=(?P<task>\S+)")
_TASK_FAILED_STATE = re.compile(r"new_state=(?P<state>up_for_retry|failed)\b")
# the last line of a Python traceback: `package.module.SomeError: message`
_EXCEPTION_LINE = re.compile(r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Timeout|Interrupt)\w*)(?:: (?P<msg>.*))?$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def repo_dags_folder() -> Path:
    """The repository's `dags/` (the package is installed editable from the repo)."""
    return Path(__file__).resolve().parents[2] / "dags"


@dataclass(frozen=True)
class AirflowHome:
    path: Path
    dags_folder: Path

    @property
    def db_path(self) -> Path:
        return self.path / "airflow.db"

    def env(self, settings: Settings, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The child environment: this home, our DAGs, no examples, and the MLG_* settings."""
        env = dict(os.environ)
        env.update({
            "AIRFLOW_HOME": str(self.path),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.db_path}",
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "60",
            "RUST_LOG": os.environ.get("RUST_LOG", "warn"),
        })
        env.update(settings_env(settings))
        env.update(extra or {})
        return env


def airflow_bin() -> str:
    candidate = Path(sys.executable).parent / "airflow"
    return str(candidate) if candidate.exists() else "airflow"


def prepare_home(settings: Settings, *, dags_folder: Path | None = None) -> AirflowHome:
    """`<state_dir>/airflow` with a migrated SQLite DB (migrated once per Airflow version)."""
    import airflow

    home = AirflowHome(Path(settings.state_dir).resolve() / "airflow", (dags_folder or repo_dags_folder()).resolve())
    home.path.mkdir(parents=True, exist_ok=True)
    marker = home.path / ".mlg-migrated"
    if marker.is_file() and marker.read_text().strip() == airflow.__version__ and home.db_path.is_file():
        return home
    log_path = home.path / "db-migrate.log"
    with open(log_path, "wb") as log:
        done = subprocess.run([airflow_bin(), "db", "migrate"], env=home.env(settings), stdout=log,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        raise MlgError(f"`airflow db migrate` failed (exit {done.returncode}); log: {log_path}")
    marker.write_text(airflow.__version__)
    return home


@dataclass(frozen=True)
class TaskFailure:
    """One failed task attempt, with the task's own error line (the last traceback line)."""

    task: str
    state: str  # up_for_retry or failed
    error: str

    def render(self) -> str:
        return f"task {self.task} failed: {self.error}"


class FailureWatch:
    """Reads `airflow dags test` output line by line and notices each failed task attempt."""

    def __init__(self) -> None:
        self.failures: list[TaskFailure] = []
        self._error: str | None = None
        self._state: str | None = None

    def feed(self, line: str) -> TaskFailure | None:
        text = _ANSI.sub("", line).rstrip()
        if m := _EXCEPTION_LINE.match(text):
            self._error = f"{m['type'].rsplit('.', 1)[-1]}: {m['msg']}" if m["msg"] else m["type"].rsplit(".", 1)[-1]
        elif m := _TASK_FAILED_STATE.search(text):
            self._state = m["state"]
        elif (m := _TASK_END.search(text)) and self._state:
            failure = TaskFailure(m["task"], self._state, self._error or "no error line in the log")
            self.failures.append(failure)
            self._error = self._state = None
            return failure
        return None


@dataclass
class DagTestResult:
    dag_id: str
    returncode: int
    seconds: float
    log_path: Path
    run_id: str | None = None
    state: str | None = None
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: list[TaskFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.state == "success"

    def xcom(self, home: AirflowHome, task_id: str) -> Any:
        """The task's return value from the metadata DB (None if it returned nothing)."""
        if not self.run_id:
            return None
        with sqlite3.connect(home.db_path) as db:
            row = db.execute("SELECT value FROM xcom WHERE dag_id=? AND run_id=? AND task_id=? "
                             "AND key='return_value' AND map_index=-1", (self.dag_id, self.run_id, task_id)).fetchone()
        if row is None or row[0] is None:
            return None
        value = row[0]
        if isinstance(value, bytes):
            value = value.decode()
        try:
            return json.loads(value)
        except (TypeError, ValueError):
            return value

    def failure_excerpt(self, lines: int = 15) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        picked = [line for line in text if "ERROR" in line or "Error" in line or "Traceback" in line]
        return "\n".join((picked or text)[-lines:])


def dags_test(home: AirflowHome, settings: Settings, dag_id: str, *, conf: Mapping[str, Any] | None = None,
              on_task: Callable[[str], None] | None = None, timeout_s: float = 3600,
              extra_env: Mapping[str, str] | None = None, fail_fast: bool = False) -> DagTestResult:
    """`airflow dags test <dag_id>` in a child process; its full output goes to a log file.

    Every failed task attempt is recorded with its own error line (`result.failures`). With
    `fail_fast`, the first one stops the run at once instead of waiting through the DAG's
    retries (a scheduler retries; a one-shot local run reports). The child runs in its own
    process group, stopped as a whole on timeout, SIGTERM, Ctrl-C or fail-fast."""
    logs = home.path / "logs" / "mlg-run"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{dag_id}-{time.strftime('%Y%m%dT%H%M%S')}.log"
    cmd = [airflow_bin(), "dags", "test", dag_id]
    if conf:
        cmd += ["--conf", json.dumps(dict(conf))]
    started = time.perf_counter()
    result = DagTestResult(dag_id, -1, 0.0, log_path)
    watch = FailureWatch()
    env = home.env(settings, {"PYTHONUNBUFFERED": "1", **(extra_env or {})})  # lines as they happen
    with open(log_path, "w") as log, child_process(cmd, env=env, timeout_s=timeout_s) as process:
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            if failure := watch.feed(line):
                if fail_fast:
                    log.write(f"mlg: stopping at the first failed task ({failure.render()})\n")
                    result.state = "failed"
                    break
            elif (m := _TASK_END.search(line)) and on_task:
                on_task(m["task"])
            elif m := _FINISHED.search(line):
                result.run_id, result.state = m["run"].strip(), m["state"]
            if m := _RUN_ID.search(line):
                result.run_id = result.run_id or m["run"]
    result.returncode = process.returncode if process.returncode is not None else -1
    if process.timed_out:
        raise MlgError(f"`airflow dags test {dag_id}` ran past {timeout_s:.0f}s; log: {log_path}")
    result.failures = watch.failures
    result.seconds = time.perf_counter() - started
    result.tasks = task_states(home, dag_id, result.run_id)
    return result


_RUN_ID = re.compile(r"dagrun=<DagRun \S+ @ .*?: (?P<run>(?:manual|scheduled|backfill|asset_triggered)__[^,]+),")


class _Child(subprocess.Popen):
    timed_out = False


class _Terminated(Exception):
    pass


@contextmanager
def child_process(cmd: list[str], *, env: Mapping[str, str], timeout_s: float) -> Iterator[_Child]:
    """A child in its own process group with stdout piped (text), stopped with its whole tree
    when the block ends early, on timeout, on Ctrl-C, and on SIGTERM to this process (which
    Python would otherwise obey by dying at once, orphaning the child)."""
    process = _Child(cmd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                     stdin=subprocess.DEVNULL, text=True, errors="replace", start_new_session=True)

    def on_timeout() -> None:
        process.timed_out = True
        stop_group(process)

    timer = threading.Timer(timeout_s, on_timeout)  # a timer: a hung run may print nothing at all
    timer.daemon = True
    timer.start()
    previous = None
    if threading.current_thread() is threading.main_thread():
        def on_sigterm(signum, frame):  # noqa: ARG001
            raise _Terminated()

        previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield process
    except _Terminated:
        stop_group(process)
        raise SystemExit(128 + signal.SIGTERM) from None
    finally:
        timer.cancel()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if process.poll() is None:
            stop_group(process)
        process.wait()
        if process.stdout:
            process.stdout.close()


def stop_group(process: subprocess.Popen, grace_s: float = 10.0) -> None:
    """SIGTERM the child's process group, SIGKILL whatever is left after `grace_s`."""
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def task_states(home: AirflowHome, dag_id: str, run_id: str | None) -> dict[str, dict[str, Any]]:
    """`{task_id: {state, seconds}}` of one DAG run, from the metadata DB."""
    if not run_id or not home.db_path.is_file():
        return {}
    with sqlite3.connect(home.db_path) as db:
        rows = db.execute("SELECT task_id, state, duration FROM task_instance WHERE dag_id=? AND run_id=?",
                          (dag_id, run_id)).fetchall()
    return {task: {"state": state, "seconds": round(duration or 0.0, 2)} for task, state, duration in rows}
