"""Provider registry, request building, rate limiting and hydration settings (no services)."""

from __future__ import annotations

import threading
import time

import pytest

from spark_jobs.hydration.client import RateLimiter
from spark_jobs.uris import url_path_segment as segment
from spark_jobs.hydration.config import HydrationConfig
from spark_jobs.model import PLATFORMS, EntityType
from spark_jobs.providers import PROVIDERS, target
from spark_jobs.providers.events import EVENT_SPECS


def test_registry_has_one_provider_per_platform_and_every_event():
    assert set(PROVIDERS) == set(PLATFORMS)
    assert len(EVENT_SPECS) == 19
    assert EVENT_SPECS["model_instance_created"].id_field == "instance_id"
    assert EVENT_SPECS["ab_test_updated"].entity_type is EntityType.AB_TEST
    for spec in EVENT_SPECS.values():  # every announced entity can be hydrated
        assert target(spec.entity_type, "k") is not None


def test_cells_are_hydrated_through_their_test():
    prov, kind, key = target("AbTestCell", "12345:2")
    assert (prov.platform, kind.collection, key) == ("abtest", "tests", "12345")
    assert target("Model", "a/b")[1].collection == "models"


def test_batch_endpoints_are_declared_where_sources_have_them():
    batch = {k.collection: k.batch_path for p in PROVIDERS.values() for k in p.kinds if k.batch_path}
    assert batch == {"instances": "instances:batchGet", "features": "features:batchGet",
                     "users": "users:batchGet"}


@pytest.mark.parametrize("hostile", ["../../admin", "a/b", "%2e%2e", "?x=1", "..", ".", "#f&y=2",
                                     "ünïcødé", "with space", "x" * 500])
def test_segment_never_adds_path_query_or_dot_segment(hostile):
    from urllib.parse import unquote

    enc = segment(hostile)
    assert not set(enc) & set("/?#&% ") - {"%"}
    assert enc not in (".", "..")
    assert unquote(enc) == hostile


def test_rate_limiter_is_shared_by_threads():
    limiter = RateLimiter(50)
    limiter._tokens = 0.0  # start empty so the window measures the rate, not the burst
    start = time.monotonic()
    threads = [threading.Thread(target=lambda: [limiter.acquire() for _ in range(10)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert limiter.acquired == 40
    assert time.monotonic() - start >= 39 / 50 * 0.95  # 40 tokens at 50/s, never more


def test_hydration_config_from_env_and_options():
    env = {"MLG_SOURCE_REGISTRY_RATE": "20", "MLG_HYDRATE_WORKERS": "4", "MLG_BOOTSTRAP": "never"}
    cfg = HydrationConfig.load({"enrich_limit": 5, "rate": {"abtest": 3}}, env=env)
    assert cfg.rate("registry") == 20 and cfg.rate("abtest") == 3 and cfg.rate("identity") == 50
    assert (cfg.workers, cfg.bootstrap, cfg.enrich_limit) == (4, "never", 5)
    with pytest.raises(ValueError, match="bootstrap"):
        HydrationConfig.load({"bootstrap": "sometimes"}, env={})
