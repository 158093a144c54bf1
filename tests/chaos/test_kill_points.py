"""SIGKILL the build at named points inside every stage (before its first write, between its
writes, after its last write), and at shares of the time the same build takes uninterrupted (the
embedded engine dies with it: it runs in the build process, mid-query); then a normal rerun and
`mlg reconcile` must converge to the simulator's ground truth row for row, with readers never
seeing a half-written table, the dead run recorded as abandoned in ops.runs, its staged batch
never merged, and search on a complete snapshot. `make chaos` runs all of them; each appends its
figures to MLG_CHAOS_REPORT."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from tests.chaos import harness

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KILL_POINTS = (
    "hydrate:before", "hydrate:after_staging_write", "hydrate:after_staging_write#2", "hydrate:after",
    "merge:before", "merge:after_entities", "merge:after_edges", "merge:after",
    "enrich:before", "enrich:after_staging_write", "enrich:after_entities", "enrich:after_edges", "enrich:after",
    "infer:before", "infer:after_similarity", "infer:after",
    "closure:before", "closure:after_impact", "closure:after",
    "quality:before", "quality:after_scores", "quality:after_results", "quality:after",
    "publish:before", "publish:after_index_commit", "publish:after_index_commit#2", "publish:after",
    "report:before", "report:after",
)
# Shares of an uninterrupted build's time (from its `build <run id>` line to its exit): fixed
# seconds (4, 8, 12, 16) came after the build's end once a faster machine ran it in about 9 s.
TIMED_KILL_SHARES = (0.2, 0.4, 0.6, 0.8)


def record(entry: dict) -> None:
    """Append a scenario's figures to MLG_CHAOS_REPORT (RELIABILITY.md is written from it)."""
    path = os.environ.get("MLG_CHAOS_REPORT")
    if path:
        with open(path, "a") as fh:
            fh.write(json.dumps(entry) + "\n")


def recover_and_check(lake, scenario: str, dead_run: str | None, readers: harness.Readers,
                      started_at: float, *, extra: dict | None = None, timeout: float = 240) -> dict:
    """Rerun, reconcile, and check every promise; returns the scenario's figures."""
    t0 = time.perf_counter()
    rerun = harness.mlg(lake, "build", timeout=timeout)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    reconciled = harness.mlg(lake, "reconcile", timeout=timeout)
    assert reconciled.returncode == 0, reconciled.stderr[-3000:]
    recovery_s = time.perf_counter() - t0
    readers.__exit__(None, None, None)
    reads = readers.assert_consistent()

    ids = harness.landing_ids(lake.settings)
    assert len(ids) == len(set(ids)) == len(lake.landed_ids) and set(ids) == set(lake.landed_ids)
    if dead_run is not None:
        assert not any(b.startswith(f"{dead_run}:") for b in harness.staged_batches(lake.settings))
        runs = harness.runs(lake.settings)
        assert any(r["run_id"] == dead_run and r["stage"] == "lease" and r["status"] == "abandoned"
                   for r in runs), "the killed run is not recorded as abandoned in ops.runs"
    harness.converged(lake)
    harness.assert_scores_rolled_up(lake.settings)
    snapshot = harness.assert_search_on_complete_snapshot(lake.settings)
    entry = {"scenario": scenario, "converged": True, "lost_events": 0, "duplicated_events": 0,
             "recovery_s": round(recovery_s, 1), "reader_checks": reads, "search_snapshot": snapshot,
             "total_s": round(time.perf_counter() - started_at, 1), **(extra or {})}
    record(entry)
    return entry


@pytest.mark.parametrize("point", KILL_POINTS)
def test_kill_at_point_then_rerun_converges(lake, spark, point):
    started = time.perf_counter()
    harness.change_sources(lake, spark, source_faults={"*": {"error_rate": 0.05}})
    lake.landed_ids = harness.landing_ids(lake.settings)
    readers = harness.Readers(lake.settings).__enter__()
    killed = harness.mlg(lake, "build", kill_at=point)
    if killed.returncode != -signal.SIGKILL:
        readers.__exit__(None, None, None)
        pytest.fail(f"kill point {point} was not reached (rc {killed.returncode}): {killed.stdout[-1500:]}")
    dead_run = harness.run_id_of(killed.stdout)
    recover_and_check(lake, f"SIGKILL at {point}", dead_run, readers, started)


@pytest.fixture(scope="module")
def uninterrupted_build_s(chaos_base, tmp_path_factory) -> float:
    """Seconds the timed scenarios' build takes on this machine when nothing kills it: from its
    `build <run id>` line to its exit, on the same changed sources."""
    from spark_jobs.session import spark_session

    lake = harness.new_lake(chaos_base, tmp_path_factory.mktemp("uninterrupted"))
    try:
        with spark_session(lake.settings) as spark:
            harness.change_sources(lake, spark, source_faults={"*": {"error_rate": 0.05}})
        build = harness.Watched(lake, "build")
        try:
            began = build.wait_for_line("build ", timeout=120)
            rc, out, err = build.finish(timeout=300)
        finally:
            build.kill()
        assert rc == 0, f"the uninterrupted build failed (rc {rc}): {out[-1500:]}{err[-1500:]}"
        return time.perf_counter() - began
    finally:
        lake.close()


@pytest.mark.parametrize("share", TIMED_KILL_SHARES)
def test_kill_at_a_time_mid_query_then_rerun_converges(lake, spark, share, uninterrupted_build_s):
    started = time.perf_counter()
    harness.change_sources(lake, spark, source_faults={"*": {"error_rate": 0.05}})
    lake.landed_ids = harness.landing_ids(lake.settings)
    readers = harness.Readers(lake.settings).__enter__()
    build = harness.Watched(lake, "build")
    after_s = share * uninterrupted_build_s
    try:
        build.wait_for_line("build ", timeout=120)
        harness.kill_after(build.proc, after_s)
        rc, out, err = build.finish(timeout=300)
    finally:
        build.kill()
    if rc != -signal.SIGKILL:
        readers.__exit__(None, None, None)
        pytest.fail(f"the build ended before {after_s:.1f}s ({share:.0%} of {uninterrupted_build_s:.1f}s; "
                    f"rc {rc}): {out[-1500:]}")
    dead_run = harness.run_id_of(out)
    stages = [line.split()[0] for line in out.splitlines()[1:] if line.startswith("  ")]
    recover_and_check(lake, f"SIGKILL at {share:.0%} of the build's time ({after_s:.1f} s in: engine mid-query, "
                            f"after {stages[-1] if stages else 'no stage'})", dead_run, readers, started,
                      extra={"kill_after_s": round(after_s, 1),
                             "uninterrupted_build_s": round(uninterrupted_build_s, 1)})
