"""Faults around the build: sources resetting connections and hanging during hydration, a
build killed while a source hangs, the SQS endpoint killed in the middle of landing. After each,
a normal rerun and `mlg reconcile` converge to the ground truth; failures are in
ops.hydration_failures; landed events are never lost or duplicated."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.chaos import harness
from tests.chaos.test_kill_points import recover_and_check

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _failures(settings) -> list[dict]:
    from deltalake import DeltaTable

    from spark_jobs import tables

    return DeltaTable(tables.table("ops.hydration_failures").path(settings)).to_pyarrow_table(
        columns=["id", "source", "resolved", "last_error", "attempts"]).to_pylist()


def test_sources_resetting_and_hanging_during_hydration(lake, spark):
    started = time.perf_counter()
    faults = {"*": {"reset_rate": 0.2, "hang_rate": 0.05, "hang_s": 4.0},
              "registry": {"reset_rate": 1.0}}  # one source resets every connection
    harness.change_sources(lake, spark, source_faults=faults)
    lake.landed_ids = harness.landing_ids(lake.settings)
    readers = harness.Readers(lake.settings).__enter__()
    faulty = harness.mlg(lake, "build")
    assert faulty.returncode == 0, faulty.stderr[-2000:]  # failed entities are recorded, not fatal
    kinds = {k for e in lake.sim.access_log() for k in e.get("fault") or ()}
    assert {"reset", "hang"} <= kinds
    failed = [f for f in _failures(lake.settings) if not f["resolved"]]
    assert failed and {f["source"] for f in failed} == {"registry"}
    assert all("onnection" in (f["last_error"] or "") for f in failed), failed[:3]

    lake.sim.faults({})  # the source recovers
    recover_and_check(lake, "sources reset connections (registry: every one) and hang during hydration",
                      None, readers, started, extra={"failures_recorded": len(failed)})
    assert all(f["resolved"] for f in _failures(lake.settings))


def test_build_killed_while_a_source_hangs(lake, spark):
    started = time.perf_counter()
    import threading

    harness.change_sources(lake, spark, source_faults={"registry": {"hang_rate": 1.0, "hang_s": 60.0}})
    lake.landed_ids = harness.landing_ids(lake.settings)
    hanging = threading.Event()
    decide = lake.sim.state.faults.decide

    def watched(platform):  # the simulator runs in this process: see a hang begin
        decision = decide(platform)
        if "hang" in decision.faults:
            hanging.set()
        return decision

    lake.sim.state.faults.decide = watched
    readers = harness.Readers(lake.settings).__enter__()
    proc = harness.start_mlg(lake, "build", MLG_HTTP_READ_TIMEOUT="45")
    assert hanging.wait(180), "no request reached the hanging source"
    time.sleep(1.0)
    os.kill(proc.pid, signal.SIGKILL)  # mid-hydration, requests outstanding
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert "  hydrate" not in out  # it died inside hydrate
    lake.sim.faults({})
    recover_and_check(lake, "SIGKILL while a source hangs (hydrate, requests in flight)",
                      harness.run_id_of(out), readers, started)


def test_sqs_endpoint_killed_during_landing(lake, spark, tmp_path):
    from infra.sqs import create_landing_queues, local_client, start_moto, stop_process
    from spark_jobs.model import PLATFORMS

    started = time.perf_counter()
    sim = lake.sim
    sim.admin("POST", "events", {"drop_rate": 0.3, "duplicate_rate": 0.2, "sns_rate": 0.3})
    sim.new_events()
    from tests.integration.hydration_support import mutations

    for m in mutations(sim.state.eco):
        sim.admin("POST", "mutations", m)
    events = sim.new_events()

    moto = start_moto(tmp_path / "moto.log")
    try:
        client = local_client(moto.endpoint_url)
        queues = create_landing_queues(client, {p: f"chaos-{p}" for p in PLATFORMS}, visibility_timeout_s=5)
        sent: set[str] = set()
        for platform, body in events:
            sent.add(client.send_message(QueueUrl=queues[platform].url, MessageBody=body)["MessageId"])
        before = set(harness.landing_ids(lake.settings))
        env = {"MLG_SQS_ENDPOINT_URL": moto.endpoint_url, "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
               **{f"MLG_SQS_QUEUE_{p.upper()}": q.url for p, q in queues.items()}}
        readers = harness.Readers(lake.settings).__enter__()
        landing = harness.start_mlg(lake, "land", "--commit-size", "10", "--budget", "60", **env)
        from spark_jobs import tables

        first = tables.version(lake.settings, "landing.events")
        deadline = time.time() + 120
        while time.time() < deadline and tables.version(lake.settings, "landing.events") == first \
                and landing.poll() is None:
            time.sleep(0.05)
        os.killpg(moto.process.pid, signal.SIGKILL)  # the endpoint dies with its messages
        out, err = landing.communicate(timeout=120)
    finally:
        stop_process(moto.process)
    landed = harness.landing_ids(lake.settings)
    new = [i for i in landed if i not in before]
    assert len(landed) == len(set(landed)), "a landed event was written twice"
    assert new and set(new) <= sent
    if landing.returncode != 0:  # the last line says why, in one line
        assert err.strip().splitlines()[-1].startswith("mlg land: ") and "endpoint" in err, err
    lake.landed_ids = landed
    recover_and_check(lake, "SQS endpoint SIGKILLed during landing (its undelivered messages lost)",
                      None, readers, started,
                      extra={"landed_before_kill": len(new), "lost_with_endpoint": len(sent) - len(new),
                             "land_rc": landing.returncode, "land_error": err.strip()[-300:]})
