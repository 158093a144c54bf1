"""The services a build runs on, SIGKILLed under it: the JVM Spark Connect server while the merge
stage runs on it, and the OpenSearch node in the middle of the publish stage's bulk. After each,
the service is started again and a normal rerun (and `mlg reconcile`) must converge to the
simulator's ground truth row for row, with no landed event lost or landed twice, readers never
seeing a half-written table or alias, the failure recorded in `ops.runs`, and the search
aliases (embedded and OpenSearch) on one complete snapshot.

Only in `make chaos` (not chaos_core): each starts JVMs. The Spark Connect server starts in
~10-15 s here, but the rerun on it (a whole scale-1 build and reconcile on a 2-core local JVM)
takes 12-15 min on this shared machine; the OpenSearch scenario takes ~2-3 min.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.chaos import harness
from tests.chaos.test_kill_points import recover_and_check

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(2400)]

KILL_INTO_MERGE_S = 2.0  # merge on the JVM takes tens of seconds here: a query is in flight
RETRY_S = "10"           # how long the build retries the dead server (MLG_SPARK_RETRY_S)
PREFIX = "chaos"


def _start_jvm(root):
    from infra import spark_connect

    return spark_connect.start(state_dir=root, driver_memory="1g", timeout_s=300)


def test_jvm_server_killed_under_merge_then_rerun_on_a_fresh_server_converges(lake, spark, tmp_path):
    from infra import spark_connect

    started = time.perf_counter()
    harness.change_sources(lake, spark, source_faults={"*": {"error_rate": 0.05}})
    lake.landed_ids = harness.landing_ids(lake.settings)
    server = _start_jvm(tmp_path / "jvm-1")
    try:
        lake.services.update(MLG_SPARK_REMOTE=server.url, MLG_SPARK_RETRY_S=RETRY_S)
        readers = harness.Readers(lake.settings).__enter__()
        build = harness.Watched(lake, "build")
        try:
            merge_began = build.wait_for_line("  hydrate", timeout=900)  # hydrate done: merge runs now
            time.sleep(KILL_INTO_MERGE_S)
            killed_at = time.perf_counter()
            os.killpg(server.pid, signal.SIGKILL)  # spark-submit and its JVM, mid-query
            rc, out, err = build.finish(timeout=600)
        finally:
            build.kill()
        failed_in_s = time.perf_counter() - killed_at
    finally:
        spark_connect.stop(server)
    assert rc not in (0, -signal.SIGKILL), f"the build did not fail on its own (rc {rc}): {out[-1500:]}"
    assert "  merge" not in out, f"merge finished before the server died: {out[-1500:]}"
    last = err.strip().splitlines()[-1]
    print("the killed server's build said:", last)
    assert last.startswith("mlg build: the Spark Connect server ") and "stopped answering during stage merge" \
        in last, err[-2000:]
    run_id = harness.run_id_of(out)
    failures = [r for r in harness.runs(lake.settings) if r["run_id"] == run_id and r["status"] == "failed"]
    assert [r["stage"] for r in failures] == ["merge"], failures
    assert '"engine_lost"' in failures[0]["metrics"]

    fresh = _start_jvm(tmp_path / "jvm-2")  # the operator starts the server again (fresh JVM, no state)
    try:
        lake.services["MLG_SPARK_REMOTE"] = fresh.url
        entry = recover_and_check(
            lake, "JVM Spark Connect server SIGKILLed 2 s into merge (rerun on a fresh JVM server)", None, readers,
            started, timeout=1200,
            extra={"engine": "jvm", "killed_after_s": round(killed_at - build.started, 1),
                   "server_killed_after_merge_began_s": round(killed_at - merge_began, 1),
                   "build_failed_after_kill_s": round(failed_in_s, 1), "server_startup_s": fresh.startup_s})
    finally:
        spark_connect.stop(fresh)
    print(entry)


def test_opensearch_node_killed_mid_publish_then_rerun_converges(lake, spark, tmp_path):
    from infra.opensearch import start
    from spark_jobs.search import cluster

    started = time.perf_counter()
    node = start(tmp_path / "opensearch", log_path=tmp_path / "opensearch.log")
    try:
        lake.services.update(MLG_OPENSEARCH_URL=node.url, MLG_OPENSEARCH_INDEX_PREFIX=PREFIX)
        first = harness.mlg(lake, "build", "--only", "publish")  # the base graph's snapshot, on the node too
        assert first.returncode == 0, first.stderr[-2000:]
        before = harness.assert_cluster_on_complete_snapshot(lake.settings, node.url, PREFIX)
        server = harness.search_server(node.url)
        before_aliases = {alias: (server.alias_targets(alias), server.count(alias))
                          for alias in cluster.alias_names(PREFIX).values()}

        harness.change_sources(lake, spark, source_faults={"*": {"error_rate": 0.05}})
        lake.landed_ids = harness.landing_ids(lake.settings)
        readers = harness.Readers(lake.settings).__enter__()
        aliases = harness.AliasReaders(node.url, PREFIX).__enter__()
        build = harness.Watched(lake, "build", MLG_CHAOS_STOP_AT="publish:after_cluster_chunk")
        try:
            harness.wait_stopped(build.proc.pid, timeout=600)  # one bulk chunk is in the new index
            killed_at = time.perf_counter()
            node.kill()  # SIGKILL, mid-bulk
            os.kill(build.proc.pid, signal.SIGCONT)
            rc, out, err = build.finish(timeout=600)
        finally:
            build.kill()
        failed_in_s = round(time.perf_counter() - killed_at, 1)
        assert rc == 4, f"rc {rc}: {out[-1500:]} {err[-1500:]}"
        assert "not published to opensearch" in err.strip().splitlines()[-1], err[-1500:]
        print("the killed node's build said:", err.strip().splitlines()[-1])
        run_id = harness.run_id_of(out)
        assert any(r["run_id"] == run_id and r["stage"] == "publish" and r["status"] == "failed"
                   for r in harness.runs(lake.settings)), "the failed publish is not in ops.runs"
        assert any(r["backend"] == "opensearch" and r["status"] == "failed"
                   for r in harness._snapshot_rows(lake.settings)), "the failed attempt is not in search.snapshots"

        node.restart()  # same ports, same data: what an operator's restart does
        restarted_in_s = node.started_in_s
        server = harness.search_server(node.url)
        assert {alias: (server.alias_targets(alias), server.count(alias))
                for alias in cluster.alias_names(PREFIX).values()} == before_aliases  # the old snapshot, whole
        entry = recover_and_check(
            lake, "OpenSearch node SIGKILLed mid-bulk in publish (restarted, same data)", None, readers, started,
            extra={"killed_after_s": round(killed_at - build.started, 1), "build_failed_after_kill_s": failed_in_s,
                   "node_restart_s": round(restarted_in_s, 1)})
        aliases.__exit__(None, None, None)
        entry["alias_reads"] = aliases.assert_consistent(lake.settings)
        after = harness.assert_cluster_on_complete_snapshot(lake.settings, node.url, PREFIX)
        assert after != before and after == entry["search_snapshot"]
        print(entry, "alias reads while down:", aliases.down)
    finally:
        node.stop()
