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
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spark_jobs.config import Settings
from spark_jobs.errors import MlgError
from spark_jobs.orchestration.settings import settings_env

DAG_IDS = ("mlg_land", "mlg_build", "mlg_maintenance")
_FINISHED = re.compile(r"DagRun Finished: dag_id=(?P<dag>[^,]+), .*?run_id=(?P<run>[^,]+), .*?state=(?P<state>\w+)")
_TASK_END = re.compile(r"\[DAG TEST\] end task task_id=(?P<task>\S+)")


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


@dataclass
class DagTestResult:
    dag_id: str
    returncode: int
    seconds: float
    log_path: Path
    run_id: str | None = None
    state: str | None = None
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)

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
              extra_env: Mapping[str, str] | None = None) -> DagTestResult:
    """`airflow dags test <dag_id>` in a child process; its full output goes to a log file."""
    logs = home.path / "logs" / "mlg-run"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{dag_id}-{time.strftime('%Y%m%dT%H%M%S')}.log"
    cmd = [airflow_bin(), "dags", "test", dag_id]
    if conf:
        cmd += ["--conf", json.dumps(dict(conf))]
    started = time.perf_counter()
    result = DagTestResult(dag_id, -1, 0.0, log_path)
    with open(log_path, "w") as log:
        process = subprocess.Popen(cmd, env=home.env(settings, extra_env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, text=True, errors="replace")
        assert process.stdout is not None
        # a timer, not a check per output line: a hung run may print nothing at all
        timer = threading.Timer(timeout_s, process.kill)
        timer.start()
        try:
            for line in process.stdout:
                log.write(line)
                if (m := _TASK_END.search(line)) and on_task:
                    on_task(m["task"])
                elif m := _FINISHED.search(line):
                    result.run_id, result.state = m["run"].strip(), m["state"]
        finally:
            timer.cancel()
            result.returncode = process.wait()
        if time.perf_counter() - started >= timeout_s and result.returncode < 0:
            raise MlgError(f"`airflow dags test {dag_id}` ran past {timeout_s:.0f}s; log: {log_path}")
    result.seconds = time.perf_counter() - started
    result.tasks = task_states(home, dag_id, result.run_id)
    return result


def task_states(home: AirflowHome, dag_id: str, run_id: str | None) -> dict[str, dict[str, Any]]:
    """`{task_id: {state, seconds}}` of one DAG run, from the metadata DB."""
    if not run_id or not home.db_path.is_file():
        return {}
    with sqlite3.connect(home.db_path) as db:
        rows = db.execute("SELECT task_id, state, duration FROM task_instance WHERE dag_id=? AND run_id=?",
                          (dag_id, run_id)).fetchall()
    return {task: {"state": state, "seconds": round(duration or 0.0, 2)} for task, state, duration in rows}
