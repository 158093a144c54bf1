"""`mlg run`'s Airflow driver: each failed task attempt is noticed with the task's own error line
(from real `airflow dags test` output), and SIGTERM to the driver stops the child's whole tree."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from spark_jobs.orchestration.airflow_local import FailureWatch

# trimmed from a real `airflow dags test mlg_land` with no SQS endpoint reachable
DAGS_TEST_OUTPUT = """\
2026-12-01T09:11:38.596059Z [info     ] [DAG TEST] starting task_id=land map_index=-1 [airflow.sdk.definitions.dag]
2026-12-01T09:12:12.459067Z [error    ] Task failed with exception     [task] loc=task_runner.py:1676
Traceback (most recent call last):
  File "/x/airflow/sdk/execution_time/task_runner.py", line 1579, in _run_task_and_map_outcome
    result = _execute_task(context=context, ti=ti, log=log)
botocore.exceptions.EndpointConnectionError: Could not connect to the endpoint URL: "http://127.0.0.1:9/"

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/x/spark_jobs/landing/sqs.py", line 40, in receive
spark_jobs.errors.MlgError: cannot reach SQS at http://127.0.0.1:9: Could not connect (is `mlg up` running?)
2026-12-01T09:12:12.552303Z [info     ] Task instance state updated    [airflow] new_state=up_for_retry rows_affected=1
2026-12-01T09:12:12.657412Z [info     ] [DAG TEST] end task task_id=land map_index=-1 [airflow.sdk.definitions.dag]
2026-12-01T09:12:12.690917Z [warning  ] No tasks to run. unrunnable tasks: {<TaskInstance: mlg_land.land [up_for_retry]>}
"""


def test_a_failed_attempt_is_reported_with_the_tasks_own_error_line():
    watch = FailureWatch()
    found = [f for f in map(watch.feed, DAGS_TEST_OUTPUT.splitlines(keepends=True)) if f]
    assert len(found) == 1
    assert found[0].task == "land" and found[0].state == "up_for_retry"
    assert found[0].render() == ("task land failed: MlgError: cannot reach SQS at http://127.0.0.1:9: "
                                 "Could not connect (is `mlg up` running?)")


def test_a_successful_task_is_not_a_failure():
    watch = FailureWatch()
    lines = ["[DAG TEST] starting task_id=land map_index=-1\n", "new_state=success\n",
             "[DAG TEST] end task task_id=land map_index=-1\n"]
    assert [watch.feed(line) for line in lines] == [None, None, None] and watch.failures == []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_sigterm_to_the_driver_stops_the_child_and_its_children(tmp_path):
    child = "import subprocess, sys, time; p = subprocess.Popen(['sleep', '300']); " \
            "print(p.pid, flush=True); time.sleep(300)"
    driver = textwrap.dedent(f"""
        import os, sys
        from spark_jobs.orchestration.airflow_local import child_process
        with child_process([sys.executable, "-c", {child!r}], env=os.environ, timeout_s=120) as p:
            grandchild = p.stdout.readline().strip()
            print(p.pid, grandchild, flush=True)
            for line in p.stdout:
                pass
    """)
    proc = subprocess.Popen([sys.executable, "-c", driver], stdout=subprocess.PIPE, text=True)
    try:
        child_pid, grandchild_pid = map(int, proc.stdout.readline().split())
        assert _alive(child_pid) and _alive(grandchild_pid)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 128 + signal.SIGTERM
        deadline = time.monotonic() + 10
        while (_alive(child_pid) or _alive(grandchild_pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child_pid) and not _alive(grandchild_pid)
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in locals().get("child_pid"), locals().get("grandchild_pid"):
            if pid and _alive(pid):
                os.kill(pid, signal.SIGKILL)
