"""Two builds at once, a killed build, a frozen build: the lease lets exactly one write, a dead
holder is taken over (at once when its pid is dead here, after expiry when it is frozen), and
the dead holder's staged batch is never merged."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from tests.chaos import harness

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_two_builds_started_together_one_refused_then_frozen_one_taken_over_after_expiry(lake, spark):
    harness.change_sources(lake, spark)
    frozen_at = {"MLG_CHAOS_STOP_AT": "merge:before"}  # the winner freezes with its batch staged
    first, second = (harness.start_mlg(lake, "build", **frozen_at) for _ in range(2))
    try:
        deadline = time.time() + 120
        while first.poll() is None and second.poll() is None and time.time() < deadline:
            time.sleep(0.1)
        refused, winner = (first, second) if first.poll() is not None else (second, first)
        out, err = refused.communicate(timeout=30)
        assert refused.returncode == 4, err
        line = err.strip()
        assert "\n" not in line and line.startswith("mlg build: refused: the build lease ")
        assert "held by run " in line and " since 20" in line and f"pid {winner.pid} on " in line

        while not _stopped(winner.pid) and time.time() < deadline:  # frozen at merge:before
            time.sleep(0.1)
        frozen_run = json.loads(_lease_text(lake))["run_id"]
        assert f"{frozen_run}:hydrate" in harness.staged_batches(lake.settings)

        again = harness.mlg(lake, "build")
        assert again.returncode == 4 and "refused" in again.stderr  # frozen, not yet expired

        time.sleep(float(harness.CHILD_ENV["MLG_LEASE_TTL_S"]) + 0.5)
        with harness.Readers(lake.settings) as readers:
            taker = harness.mlg(lake, "build", "--only", "hydrate", "--only", "merge")
        assert taker.returncode == 0, taker.stderr[-3000:]
        readers.assert_consistent()
        taker_run = harness.run_id_of(taker.stdout)
        assert f"{frozen_run}:hydrate" not in harness.staged_batches(lake.settings)

        os.kill(winner.pid, signal.SIGCONT)  # it wakes up, finds its lease gone, writes nothing more
        out, err = winner.communicate(timeout=60)
        assert winner.returncode == 4, err[-2000:]
        assert f"the build lease of run {frozen_run} was lost" in err and taker_run in err

        runs = harness.runs(lake.settings)
        abandoned = [r for r in runs if r["run_id"] == frozen_run and r["stage"] == "lease"]
        assert [r["status"] for r in abandoned] == ["abandoned"]
        assert json.loads(abandoned[0]["metrics"])["reason"] == "expired"
        assert {r["stage"] for r in runs if r["run_id"] == frozen_run} == {"hydrate", "lease"}
        merges = [r for r in runs if r["stage"] == "merge" and r["status"] == "success"]
        assert max(r["run_id"] for r in merges) == taker_run  # run ids sort by start time
    finally:
        for proc in (first, second):
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.mark.chaos_core
def test_two_builds_one_refused_the_winner_killed_mid_merge_taken_over_at_once_batch_never_merged(lake, spark):
    """The `make test` scenario: a second build refused at once, the winner SIGKILLed between
    its entities and edges commits, the rerun taking over at once, converged after reconcile."""
    harness.change_sources(lake, spark, source_faults={"*": {"error_rate": 0.05}})
    with harness.Readers(lake.settings) as readers:
        builds = [harness.start_mlg(lake, "build", MLG_CHAOS_KILL_AT="merge:after_entities") for _ in range(2)]
        try:
            outcomes = [(proc, *proc.communicate(timeout=300)) for proc in builds]
        finally:
            for proc in builds:
                if proc.poll() is None:
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait()
        refused = [(p, err) for p, _out, err in outcomes if p.returncode == 4]
        killed = [(p, out) for p, out, _err in outcomes if p.returncode == -signal.SIGKILL]
        assert len(refused) == len(killed) == 1, [(p.returncode, err[-1500:]) for p, _out, err in outcomes]
        line = refused[0][1].strip()
        assert "\n" not in line and line.startswith("mlg build: refused: the build lease ")
        assert "held by run " in line and " since 20" in line and f"pid {killed[0][0].pid} on " in line
        dead_run = harness.run_id_of(killed[0][1])
        assert f"{dead_run}:hydrate" in harness.staged_batches(lake.settings)

        started = time.perf_counter()
        rerun = harness.mlg(lake, "build")  # no wait: the holder's pid is dead on this host
        assert rerun.returncode == 0, rerun.stderr[-3000:]
        reconciled = harness.mlg(lake, "reconcile")  # 30% of events were dropped
        assert reconciled.returncode == 0, reconciled.stderr[-3000:]
        recovery_s = time.perf_counter() - started
    readers.assert_consistent()
    assert not any(b.startswith(f"{dead_run}:") for b in harness.staged_batches(lake.settings))  # never merged

    runs = harness.runs(lake.settings)
    record = next(r for r in runs if r["run_id"] == dead_run and r["stage"] == "lease")
    assert record["status"] == "abandoned"
    assert json.loads(record["metrics"])["reason"] == "holder process dead"
    harness.converged(lake)
    assert harness.assert_search_on_complete_snapshot(lake.settings)
    print(f"recovery (build + reconcile) {recovery_s:.1f}s")


def _stopped(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "T"
    except OSError:
        return False


def _lease_text(lake) -> str:
    from spark_jobs import lease

    store = lease.store_for(lake.settings)
    return store.read(store.generations()[-1])
