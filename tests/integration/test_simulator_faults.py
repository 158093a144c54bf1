"""HTTP faults of a real simulator process: token bucket -> 429 + Retry-After, 5xx at the
configured share, latency, hanging requests; configurable at start and at run time."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request

import pytest


def fetch(url: str, *, timeout: float = 30):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read() or b"null")


def model_url(sim, model_id: str = "ranking-v5") -> str:
    return f"{sim.source_urls['registry']}/api/v1/models/{model_id}"


def test_error_rate_at_start_gives_that_share_of_5xx(simulator_factory):
    sim = simulator_factory(faults={"registry": {"error_rate": 0.2, "error_statuses": [500, 503]}})
    statuses = [fetch(model_url(sim))[0] for _ in range(400)]
    errors = [s for s in statuses if s != 200]
    assert set(errors) == {500, 503}
    assert 0.13 <= len(errors) / len(statuses) <= 0.27  # 0.2 +- ~3.5 sigma over 400 draws
    # other sources are untouched
    assert all(fetch(f"{sim.source_urls['identity']}/api/v1/teams/personalization")[0] == 200
               for _ in range(30))
    log = sim.client.access_log(platform="registry")
    assert sum("error" in e["fault"] for e in log) == len(errors)
    assert {e["status"] for e in log if "error" in e["fault"]} == {500, 503}


def test_same_seed_same_fault_sequence(simulator_factory):
    config = {"*": {"error_rate": 0.3}}
    runs = []
    for _ in range(2):
        sim = simulator_factory(seed=11, faults=config, in_process=True)
        runs.append([fetch(model_url(sim))[0] for _ in range(60)])
        sim.stop()
    assert runs[0] == runs[1] and 500 <= max(runs[0])


def test_token_bucket_answers_429_with_retry_after_then_recovers(simulator_factory):
    sim = simulator_factory()
    sim.client.configure_faults({"abtest": {"rate_limit_rps": 2, "rate_limit_burst": 4}})
    url = f"{sim.source_urls['abtest']}/api/v1/tests/12345"
    results = [fetch(url) for _ in range(12)]
    statuses = [s for s, _h, _b in results]
    assert statuses[:4] == [200] * 4  # the burst
    limited = [(h, b) for s, h, b in results if s == 429]
    assert len(limited) >= 6
    for headers, body in limited:
        assert int(headers["Retry-After"]) >= 1 and body["simulated"] is True
    time.sleep(int(limited[-1][0]["Retry-After"]))
    assert fetch(url)[0] == 200  # waiting as told is enough
    assert fetch(model_url(sim))[0] == 200  # per source: registry has no limit


def test_latency_delays_every_request(simulator_factory):
    sim = simulator_factory(faults={"datasets": {"latency_ms": 150}})
    url = f"{sim.source_urls['datasets']}/api/v1/datasets?page_size=1"
    started = time.monotonic()
    for _ in range(3):
        assert fetch(url)[0] == 200
    assert time.monotonic() - started >= 3 * 0.15  # a lower bound only: never flaky on slow hosts
    assert all(e["fault"] == ["latency"] for e in sim.client.access_log(platform="datasets"))


def test_hanging_requests_time_out_and_runtime_reconfiguration_clears_them(simulator_factory):
    sim = simulator_factory()
    sim.client.configure_faults({"orchestrator": {"hang_rate": 1.0, "hang_s": 5}})
    url = f"{sim.source_urls['orchestrator']}/api/v1/pipelines/weekly-ranking-trainer"
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        urllib.request.urlopen(url, timeout=0.5)
    assert sim.client.faults()["orchestrator"]["hang_rate"] == 1.0
    sim.client.clear_faults()
    assert fetch(url, timeout=5)[0] == 200
    assert sim.client.faults()["orchestrator"]["hang_rate"] == 0.0


def test_bad_fault_config_is_refused_with_the_reason(simulator_factory):
    from infra.simulator.client import SimulatorError

    sim = simulator_factory(in_process=True)
    with pytest.raises(SimulatorError, match="error_rate") as exc:
        sim.client.configure_faults({"registry": {"error_rate": 2}})
    assert exc.value.status == 400
    with pytest.raises(SimulatorError, match="unknown source"):
        sim.client.configure_faults({"nowhere": {}})
