"""One lakehouse for the portal tests: the session simulator (scale 1, seed 7) bootstrapped
and built through every stage once (~25 s), plus an entity whose name is a script tag."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

INSTANCE = "aip://model-instance/registry/ranking-model-v5-20XX0101"
MODEL = "aip://model/registry/ranking-v5"
RUN = "aip://pipeline-run/orchestrator/train-weekly-ranking-20XX0101"
PIPELINE = "aip://pipeline/orchestrator/weekly-ranking-trainer"
TEST = "aip://ab-test/abtest/12345"
FEATURE = "aip://feature/featurestore/title_embedding"
DATASET = "aip://dataset/datasets/warehouse.title_catalog"
ALICE = "aip://user/identity/alice"
SCRIPT_NAME = "<script>alert(1)</script>"
SCRIPT_URI = "aip://dataset/datasets/%3Cscript%3Ealert%281%29%3C%2Fscript%3E"


@pytest.fixture(scope="session")
def portal_lakehouse(tmp_path_factory):
    """Settings of a built lakehouse (graph, closure, quality, search snapshot) shared by the
    portal tests; read-only for them. Its own simulator (the session one must not be mutated),
    with one dataset named like a script created at the source, so that name travels the whole
    pipeline (hydrate -> merge -> search) like any hostile name would."""
    from infra.simulator.launch import start_simulator
    from spark_jobs.build import run_build
    from spark_jobs.config import Settings

    root = tmp_path_factory.mktemp("portal")
    sim = start_simulator(seed=7, scale=1)
    try:
        sim.client.mutate("create", "datasets", SCRIPT_NAME, {"description": f"{SCRIPT_NAME} <b>bold</b>",
                                                              "owner_emails": ["alice@example.com"]})
        settings = sim.settings(Settings.load(env={}, lakehouse=str(root / "lakehouse"),
                                              state_dir=str(root / "state"), reports_dir=str(root / "reports")))
        report = run_build(settings)
    finally:
        sim.stop()
    assert report.gate_passed
    return settings


@pytest.fixture(scope="session")
def portal_client(portal_lakehouse):
    """An in-process client of the app over that lakehouse (lifespan run: one engine session)."""
    from fastapi.testclient import TestClient

    from spark_jobs.portal import create_app

    with TestClient(create_app(portal_lakehouse), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="session")
def served(portal_lakehouse, tmp_path_factory):
    """A real `mlg serve` child process over the portal lakehouse, stopped by pid at the end."""
    from spark_jobs.portal.launch import start_serve

    handle = start_serve(portal_lakehouse, tmp_path_factory.mktemp("serve") / "serve.log")
    try:
        yield handle
    finally:
        handle.stop()
