"""A real browser (Debian's chromium, headless, driven by Playwright) against a running `mlg serve`,
walking the article's journey: search "ranking-model-v5" -> the instance page -> its pipeline
run -> A/B test 12345 -> back to feature title_embedding -> its dataset -> the impact tab lists
the instance and the test with their owners. Screenshots go to reports/portal/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.portal.conftest import DATASET, FEATURE, INSTANCE, RUN, SCRIPT_NAME, SCRIPT_URI, TEST

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHROMIUM = os.environ.get("MLG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(__file__).resolve().parents[2] / "reports" / "portal"


@pytest.fixture(scope="module")
def browser_page(served):
    if not shutil.which(CHROMIUM):
        pytest.fail(f"no chromium at {CHROMIUM}: run `make browser` (apt-get install chromium) first")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            page.problems = []  # console errors (a CSP violation is one), dialogs (an alert() that ran)
            page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
            page.on("dialog", lambda d: (page.problems.append(f"dialog: {d.message}"), d.dismiss()))
            page.on("pageerror", lambda e: page.problems.append(f"pageerror: {e}"))
            yield page
        finally:
            browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def entity_href(uri: str) -> str:
    return f'/entity?uri={quote(uri, safe="")}'


def test_the_article_journey_in_a_browser(served, browser_page):
    page = browser_page
    page.goto(served.url + "/")
    page.fill("input[name=q]", "ranking-model-v5")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/search?q=ranking-model-v5")
    first_hit = page.locator("li.hit").first
    assert "ranking-model-v5-20XX0101" in first_hit.inner_text() and "prefix" in first_hit.inner_text()
    assert page.locator(".facets").inner_text().count("ModelInstance") >= 1
    shot(page, "1-search")

    first_hit.locator("a.hit-name").click()
    page.wait_for_url("**" + entity_href(INSTANCE))
    assert page.locator("h1").inner_text() == "ranking-model-v5-20XX0101"
    assert "DEPLOYED" in page.locator(".badges").inner_text()
    assert "inferred by instance_tested_in_ab_test" in page.locator(".relationships").inner_text()
    shot(page, "2-instance")

    page.locator(f'.typeview a[href="{entity_href(RUN)}"]').first.click()
    page.wait_for_url("**" + entity_href(RUN))
    assert page.locator(".kind").inner_text().startswith("PipelineRun")
    shot(page, "3-pipeline-run")

    page.locator(f'.typeview a[href="{entity_href(TEST)}"]').first.click()
    page.wait_for_url("**" + entity_href(TEST))
    assert page.locator("h1").inner_text() == "Ranking Model v5 vs v4"
    assert "ranking-model-v5-20XX0101" in page.locator(".typeview").inner_text()  # the instance it tests
    shot(page, "4-ab-test")

    page.go_back()
    page.go_back()
    page.wait_for_url("**" + entity_href(INSTANCE))
    page.locator(f'.typeview a[href="{entity_href(FEATURE)}"]').first.click()
    page.wait_for_url("**" + entity_href(FEATURE))
    assert page.locator("h1").inner_text() == "title_embedding"
    shot(page, "5-feature")

    page.locator(f'.typeview a[href="{entity_href(DATASET)}"]').first.click()
    page.wait_for_url("**" + entity_href(DATASET))
    assert page.locator("h1").inner_text() == "warehouse.title_catalog"
    shot(page, "6-dataset")

    page.locator("nav.tabs a", has_text="Impact").click()
    page.wait_for_url("**/impact?uri=*")
    table = page.locator("table.impact")
    instance_row = table.locator("tr", has=page.locator(f'a[href="{entity_href(INSTANCE)}"]'))
    test_row = table.locator("tr", has=page.locator(f'a[href="{entity_href(TEST)}"]'))
    assert "Alice" in instance_row.inner_text() and "Alice" in test_row.inner_text()  # their owner, by name
    assert "personalization" in page.locator(".teams").inner_text().lower()
    shot(page, "7-impact")

    page.locator("nav.tabs a", has_text="Lineage").click()
    page.wait_for_url("**/lineage?uri=*")
    assert page.locator("svg.graph a").count() > 3  # the picture's nodes are links
    shot(page, "8-lineage")
    assert page.problems == []


def test_a_script_name_renders_as_text(served, browser_page):
    page = browser_page
    page.goto(served.url + entity_href(SCRIPT_URI))
    assert page.locator("h1").inner_text() == SCRIPT_NAME
    assert page.locator("main script").count() == 0
    page.goto(served.url + "/search?q=" + quote(SCRIPT_NAME))
    assert SCRIPT_NAME in page.locator("ol.hits").inner_text()
    shot(page, "9-script-name")
    assert page.problems == []


def test_time_travel_shows_a_banner(served, browser_page):
    import httpx

    page = browser_page
    version = httpx.get(f"{served.url}/api/v1/entities", params={"uri": INSTANCE}, timeout=30).json()[
        "snapshot"]["versions"]["graph.entities"]
    page.goto(served.url + entity_href(INSTANCE) + f"&as_of={version}")
    banner = page.locator(".banner.timetravel")
    assert f"graph.entities version {version}" in banner.inner_text()
    page.locator(f'.typeview a[href="{entity_href(FEATURE)}&as_of={version}"]').first.click()  # links keep as_of
    assert page.locator("h1").inner_text() == "title_embedding" and page.locator(".banner.timetravel").count() == 1
    shot(page, "10-time-travel")
    page.locator(".banner.timetravel a").click()
    page.wait_for_url("**" + entity_href(FEATURE))
    assert page.locator(".banner.timetravel").count() == 0
    assert page.problems == []
