"""GE's Data Docs views share compiled templates: a page renders the same, compiled once."""

from __future__ import annotations

import pytest
from jinja2 import DictLoader, Environment

from quality.ge_templates import SHARED, MemoryBytecodeCache, share_compiled_templates


def _env(cache: MemoryBytecodeCache, source: str) -> Environment:
    return Environment(loader=DictLoader({"page.html": source}), bytecode_cache=cache)


def test_a_second_environment_loads_the_compiled_template(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = MemoryBytecodeCache()
    first = _env(cache, "<h1>{{ title | upper }}</h1>").get_template("page.html").render(title="edges")

    second = _env(cache, "<h1>{{ title | upper }}</h1>")
    monkeypatch.setattr(second, "compile", lambda *a, **k: pytest.fail("compiled again"))
    assert second.get_template("page.html").render(title="edges") == first == "<h1>EDGES</h1>"
    assert len(cache) == 1


def test_a_changed_template_compiles_again() -> None:
    cache = MemoryBytecodeCache()
    assert _env(cache, "a {{ x }}").get_template("page.html").render(x=1) == "a 1"
    assert _env(cache, "b {{ x }}").get_template("page.html").render(x=1) == "b 1"  # checksum differs


def test_ge_views_use_the_shared_cache_once_installed() -> None:
    from great_expectations.render.view.view import DefaultJinjaPageView

    share_compiled_templates()
    share_compiled_templates()  # idempotent: one wrapper, not two
    view = DefaultJinjaPageView()
    assert view.env.bytecode_cache is SHARED
    assert view.env.filters["render_content_block"]  # GE's own set-up still ran
