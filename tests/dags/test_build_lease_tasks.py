"""The build DAG's tasks hold one lease for the whole DAG run: between two tasks a CLI build is
refused (naming the DAG run), the run's next task re-enters it, and `report` releases it."""

from __future__ import annotations

import pytest

from spark_jobs import lease
from spark_jobs.build import run_build
from spark_jobs.config import Settings
from spark_jobs.orchestration import tasks
from spark_jobs.stages import RunContext

pytestmark = pytest.mark.integration


def test_a_cli_build_cannot_slip_in_between_two_tasks_of_a_dag_run(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name, sub in (("MLG_LAKEHOUSE", "lake"), ("MLG_STATE_DIR", "state"), ("MLG_REPORTS_DIR", "reports")):
        monkeypatch.setenv(name, str(tmp_path / sub))
    run_id = tasks.build_run_id("manual__2026-12-01T10:00:00+00:00")
    settings = Settings.load()

    tasks.build_stage("infer", run_id=run_id)  # a task ends: the run keeps the lease
    held = lease.current(lease.store_for(settings))
    assert held.run_id == run_id and held.pids == () and not held.released
    with pytest.raises(lease.LeaseHeld, match=f"held by run {run_id} .*between tasks"):
        run_build(settings, only=["infer"], ctx=RunContext.new())

    tasks.build_stage("closure", run_id=run_id)  # the run's next task re-enters it
    with pytest.raises(Exception, match="empty graph"):  # the last task ends the run even when it fails
        tasks.build_stage(tasks.LAST_BUILD_TASK, run_id=run_id)
    assert lease.current(lease.store_for(settings)).released
    report = run_build(settings, only=["infer"], ctx=RunContext.new())
    assert [r.stage for r in report.results] == ["infer"]
