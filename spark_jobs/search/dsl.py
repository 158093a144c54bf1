"""The one place Elasticsearch query DSL is built, from `ranking.RULES` and `ranking.FILTERS`.

Each rule becomes a named `constant_score` clause (`_name` = `<why-label>#<rule number>`, so a
hit's `matched_queries` says why it matched; `why_labels` turns them back into why-labels). The
names must be unique: two rules share the why-label "fuzzy", and a server keeps one query per
name, so with a shared name a whole-name typo match (`churnpredictor`) reported no reason at all
on OpenSearch. Filters are `term` clauses in `bool.filter`, which do
not score. The index template (`index_template`) defines the analysers the rules rely on:
`name.keyword` (lower-case normaliser) for exact and whole-name fuzzy, `name.prefix` (edge n-grams,
at their token's position) for prefix phrases, and `name` (letters-and-digits tokens) for token
fuzzy and the other fields.
"""

from __future__ import annotations

from typing import Any

from spark_jobs.search.ranking import (
    FILTERS, MAX_PREFIX, QUALITY_FIELD, RULES, TIEBREAK_BOOST, TIEBREAK_FIELD, TOKEN_SPLIT_JAVA, Rule, SearchQuery,
    tokens,
)

#: Text fields with keyword + prefix subfields (the name rules run on them).
NAME_FIELDS = ("name", "aliases")
TEXT_FIELDS = ("description", "owner_names", "related")
KEYWORD_FIELDS = ("id", "entity_type", "domain", "owners", "owner_keys", "state", "source_status")
LONG_FIELDS = ("owned_count", "entities_version", "edges_version", "impact_version")


def clause_name(number: int, rule: Rule) -> str:
    return f"{rule.why}#{number}"


def why_labels(matched_queries) -> list[str]:
    """The why-labels of a hit's `matched_queries` (each once, in the order given)."""
    return list(dict.fromkeys(str(name).partition("#")[0] for name in matched_queries or ()))


def _rule_clause(rule: Rule, text: str, name: str) -> dict[str, Any]:
    if rule.kind == "exact":
        inner = [{"term": {f"{f}.keyword": {"value": text.strip(), "case_insensitive": True}}} for f in rule.fields]
    elif rule.kind == "prefix":  # edge n-grams keep their token's position: a phrase of prefixes
        inner = [{"match_phrase": {f"{f}.prefix": {"query": text}}} for f in rule.fields]
    elif rule.kind == "fuzzy_whole":
        inner = [{"fuzzy": {f"{f}.keyword": {"value": text.strip().lower(), "fuzziness": "AUTO",
                                             "transpositions": True}}} for f in rule.fields]
    elif rule.kind == "fuzzy":
        inner = [{"match": {f: {"query": text, "operator": "and", "fuzziness": "AUTO",
                                "prefix_length": 0, "fuzzy_transpositions": True}}} for f in rule.fields]
    else:
        inner = [{"match": {(f"{f}.text" if f == "tags" else f): {"query": text, "operator": "and"}}}
                 for f in rule.fields]
    query = inner[0] if len(inner) == 1 else {"bool": {"should": inner, "minimum_should_match": 1}}
    return {"constant_score": {"filter": query, "boost": rule.boost, "_name": name}}


def search_body(query: SearchQuery) -> dict[str, Any]:
    """The `_search` request body for a query (ranking rules + filters + size)."""
    filters = [{"term": {field: value}} for field, values in query.filters.items() for value in values]
    if query.quality_range is not None:
        low, high = query.quality_range
        filters.append({"range": {QUALITY_FIELD: {k: v for k, v in (("gte", low), ("lte", high)) if v is not None}}})
    if not tokens(query.text):  # filters only: every document that passes them
        bool_query: dict[str, Any] = {"must": [{"match_all": {}}], "filter": filters}
    else:
        should = [_rule_clause(rule, query.text, clause_name(n, rule)) for n, rule in enumerate(RULES)]
        # the tie-break scores but is not a reason on its own: at least one named rule must match
        tiebreak = {"match": {TIEBREAK_FIELD: {"query": query.text, "boost": TIEBREAK_BOOST}}}
        bool_query = {"must": [{"bool": {"should": should, "minimum_should_match": 1}}],
                      "should": [tiebreak], "filter": filters}
    return {"size": query.limit, "query": {"bool": bool_query}, "_source": {"excludes": ["related_ids"]}}


def index_settings() -> dict[str, Any]:
    return {
        "number_of_shards": 1,
        # one replica where there is a second node to hold it, none on a single node (which then
        # reports green, not yellow for ever)
        "auto_expand_replicas": "0-1",
        "analysis": {
            "tokenizer": {"mlg_tokens": {"type": "pattern", "pattern": TOKEN_SPLIT_JAVA}},
            "filter": {"mlg_edge": {"type": "edge_ngram", "min_gram": 1, "max_gram": MAX_PREFIX}},
            "normalizer": {"mlg_lower": {"type": "custom", "filter": ["lowercase"]}},
            "analyzer": {
                "mlg_text": {"type": "custom", "tokenizer": "mlg_tokens", "filter": ["lowercase"]},
                "mlg_prefix": {"type": "custom", "tokenizer": "mlg_tokens", "filter": ["lowercase", "mlg_edge"]},
            },
        },
    }


def mappings() -> dict[str, Any]:
    """Shared by the entities and owners indices (their documents have the same columns)."""
    props: dict[str, Any] = {f: {"type": "keyword"} for f in KEYWORD_FIELDS}
    for f in NAME_FIELDS:
        props[f] = {"type": "text", "analyzer": "mlg_text", "fields": {
            "keyword": {"type": "keyword", "normalizer": "mlg_lower", "ignore_above": 512},
            "prefix": {"type": "text", "analyzer": "mlg_prefix", "search_analyzer": "mlg_text"},
        }}
    for f in TEXT_FIELDS:
        props[f] = {"type": "text", "analyzer": "mlg_text"}
    props["tags"] = {"type": "keyword", "fields": {"text": {"type": "text", "analyzer": "mlg_text"}}}
    props["related_ids"] = {"type": "keyword", "index": False}
    props.update({f: {"type": "long"} for f in LONG_FIELDS})
    props[QUALITY_FIELD] = {"type": "float"}  # metadata score (quality.entity_scores): filter / sort
    for f in ("last_enriched_at", "updated_at"):
        props[f] = {"type": "date"}
    return {"dynamic": "strict", "properties": props}


def index_template(prefix: str) -> dict[str, Any]:
    """Body of `PUT _index_template/<prefix>-search`: every snapshot index gets these."""
    return {
        "index_patterns": [f"{prefix}-entities-*", f"{prefix}-owners-*"],
        "priority": 200,
        "template": {"settings": index_settings(), "mappings": mappings()},
        "_meta": {"managed_by": "mlg", "description": "search snapshot indices (spark_jobs.search)"},
    }


assert set(FILTERS.values()) <= set(KEYWORD_FIELDS) | {"tags"}
