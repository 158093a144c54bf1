"""The shared ranking rules and the Elasticsearch DSL built from them (pure functions)."""

from __future__ import annotations

import json

import pytest

from spark_jobs.search import dsl
from spark_jobs.search.ranking import FILTERS, RULES, SearchQuery, fuzzy_distance, owner_keys_for, tokens


def clauses(body):
    return body["query"]["bool"]["must"][0]["bool"]["should"]


def test_name_rules_are_tiered_exact_prefix_fuzzy():
    best = {}
    for r in RULES:
        best[r.why] = best.get(r.why, 0) + r.boost
    assert [r.why for r in RULES[:4]] == ["exact", "prefix", "fuzzy", "fuzzy"]
    # one tier always beats everything below it, even all lower rules matching at once
    assert best["exact"] > sum(v for k, v in best.items() if k != "exact")
    assert best["prefix"] > sum(v for k, v in best.items() if k not in ("exact", "prefix"))
    assert best["fuzzy"] > max(v for k, v in best.items() if k not in ("exact", "prefix", "fuzzy"))


def test_every_rule_is_one_named_constant_score_clause_with_its_boost():
    body = dsl.search_body(SearchQuery(text="Ranking-V5"))
    named = [(c["constant_score"]["_name"], c["constant_score"]["boost"]) for c in clauses(body)]
    # unique names (a server keeps one query per name), read back as the rules' why-labels
    assert named == [(f"{r.why}#{n}", r.boost) for n, r in enumerate(RULES)]
    assert dsl.why_labels(["prefix#1", "fuzzy#2", "exact#0", "fuzzy#3"]) == ["prefix", "fuzzy", "exact"]
    exact = clauses(body)[0]["constant_score"]["filter"]["bool"]["should"][0]
    assert exact == {"term": {"name.keyword": {"value": "Ranking-V5", "case_insensitive": True}}}
    whole = clauses(body)[2]["constant_score"]["filter"]["bool"]["should"][0]
    assert whole == {"fuzzy": {"name.keyword": {"value": "ranking-v5", "fuzziness": "AUTO", "transpositions": True}}}
    fuzzy = clauses(body)[3]["constant_score"]["filter"]["bool"]["should"][0]["match"]["name"]
    assert fuzzy["fuzziness"] == "AUTO" and fuzzy["operator"] == "and"
    prefix = clauses(body)[1]["constant_score"]["filter"]["bool"]["should"][1]
    assert prefix == {"match_phrase": {"aliases.prefix": {"query": "Ranking-V5"}}}
    tag = next(c for c in clauses(body) if c["constant_score"]["_name"].startswith("tag#"))
    assert "tags.text" in tag["constant_score"]["filter"]["match"]


def test_boosts_are_written_only_in_the_rules():
    text = json.dumps(dsl.search_body(SearchQuery(text="x")))
    for rule in RULES:
        assert text.count(f'"boost": {rule.boost}') >= 1
    assert "100.0" not in open(dsl.__file__).read()


def test_filters_are_non_scoring_terms():
    q = SearchQuery(text="m", entity_type="Model", tags=("team::a", "env::prod"), owner="Alice", limit=3)
    body = dsl.search_body(q)
    assert body["size"] == 3
    assert body["query"]["bool"]["filter"] == [
        {"term": {"entity_type": "Model"}}, {"term": {"tags": "team::a"}}, {"term": {"tags": "env::prod"}},
        {"term": {"owner_keys": "alice"}}]
    assert set(FILTERS.values()) == {"entity_type", "tags", "owner_keys"}


def test_empty_text_matches_everything_the_filters_let_through():
    body = dsl.search_body(SearchQuery(text="  ", entity_type="Feature"))
    assert body["query"]["bool"]["must"] == [{"match_all": {}}]
    assert body["query"]["bool"]["filter"] == [{"term": {"entity_type": "Feature"}}]


def test_quality_bounds_are_a_range_filter_on_the_score():
    body = dsl.search_body(SearchQuery(text="", max_quality=60))
    assert body["query"]["bool"]["filter"] == [{"range": {"quality_score": {"lte": 60.0}}}]
    body = dsl.search_body(SearchQuery(text="m", min_quality=40, max_quality=80))
    assert body["query"]["bool"]["filter"] == [{"range": {"quality_score": {"gte": 40.0, "lte": 80.0}}}]
    for bounds in ({"max_quality": 101}, {"min_quality": -1}, {"min_quality": 70, "max_quality": 60}):
        with pytest.raises(ValueError, match="0-100"):
            SearchQuery(text="", **bounds)


def test_owner_filter_keeps_uris_and_lowercases_names():
    assert owner_keys_for("aip://user/identity/Alice") == ("aip://user/identity/Alice",)
    assert owner_keys_for("Alice") == ("alice",)


@pytest.mark.parametrize(("text", "expected"), [
    ("Ranking-Model_v5 (2026)", ["ranking", "model", "v5", "2026"]),
    ("team::growth", ["team", "growth"]),
    ("Élodie Ünal", ["élodie", "ünal"]),
    ("", []),
])
def test_tokens_split_on_non_alphanumerics(text, expected):
    assert tokens(text) == expected


def test_fuzziness_follows_elasticsearch_auto():
    assert [fuzzy_distance("x" * n) for n in (1, 2, 3, 5, 6, 12)] == [0, 0, 1, 1, 2, 2]


def test_bad_queries_are_rejected():
    with pytest.raises(ValueError, match="key::value"):
        SearchQuery(text="x", tags=("team",))
    with pytest.raises(ValueError, match="limit"):
        SearchQuery(text="x", limit=0)


def test_template_defines_the_analysers_the_rules_use():
    template = dsl.index_template("mlg")
    assert template["index_patterns"] == ["mlg-entities-*", "mlg-owners-*"]
    analysis = template["template"]["settings"]["analysis"]
    assert analysis["tokenizer"]["mlg_tokens"]["pattern"] == r"[^\p{L}\p{N}]+"
    assert analysis["analyzer"]["mlg_prefix"]["filter"] == ["lowercase", "mlg_edge"]
    props = template["template"]["mappings"]["properties"]
    assert props["aliases"]["fields"]["prefix"]["search_analyzer"] == "mlg_text"
