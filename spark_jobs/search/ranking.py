"""Ranking rules and filters, declared once for both engines.

A rule is (why-label, how, fields, boost). Each rule contributes a constant score (its boost)
when it matches, so "exact name" always outranks "prefix", which outranks "fuzzy", whatever
the term statistics of a snapshot. Every rule needs all of the query's tokens in one field
("team growth" matches a `team::growth` tag, not every asset owned by some team). A light BM25
match on the name breaks ties, so shorter names (closer to the query) come first.
`spark_jobs.search.dsl` turns the rules into Elasticsearch query DSL and
`spark_jobs.search.embedded` into tantivy queries: boosts live only here.

Text is split the same way in both engines: runs of letters and digits, lower-cased (tantivy's
`default` tokenizer; Elasticsearch gets `TOKEN_SPLIT_JAVA` as a `pattern` tokenizer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

RuleKind = Literal["exact", "prefix", "fuzzy_whole", "fuzzy", "match"]
"""exact: the whole name, case-insensitive; prefix: the query's tokens, in order and adjacent, each
a prefix of a name token ("weekly rank" -> "weekly-ranking-trainer"); fuzzy_whole: the whole name
within AUTO edits of the whole query; fuzzy: every token within AUTO edits of a name token (any
order); match: every token in the field."""

#: Token separators: anything that is not a letter or a digit (Java regex for ES, and Python).
TOKEN_SPLIT_JAVA = r"[^\p{L}\p{N}]+"
_TOKEN_RE = re.compile(r"[^\W_]+")
#: Longest prefix indexed by the edge-ngram subfield (and the longest prefix query we build).
MAX_PREFIX = 20


@dataclass(frozen=True)
class Rule:
    """One way a query can match: `why` is what `mlg search` prints."""

    why: str
    kind: RuleKind
    fields: tuple[str, ...]
    boost: float


#: Best first. Name rules also apply to `aliases` (a person's username, an A/B test's id).
#: Two rules may share a why-label (both fuzzy rules say "fuzzy"); their boosts add up.
RULES: tuple[Rule, ...] = (
    Rule("exact", "exact", ("name", "aliases"), 100.0),
    Rule("prefix", "prefix", ("name", "aliases"), 40.0),
    Rule("fuzzy", "fuzzy_whole", ("name", "aliases"), 6.0),
    Rule("fuzzy", "fuzzy", ("name", "aliases"), 12.0),
    Rule("owner", "match", ("owner_names",), 4.0),
    Rule("tag", "match", ("tags",), 4.0),
    Rule("related", "match", ("related",), 2.0),
    Rule("description", "match", ("description",), 1.0),
)

#: Tie-break inside a tier: BM25 of the name itself (prefers shorter names), scaled down so it
#: stays far below the smallest gap between tiers.
TIEBREAK_FIELD = "name"
TIEBREAK_BOOST = 0.1

#: Filters: CLI option -> keyword field (exact, case-sensitive values as stored).
FILTERS: dict[str, str] = {"type": "entity_type", "tag": "tags", "owner": "owner_keys"}
#: Range filter on the asset's metadata quality score (0-100, quality.entity_scores' newest run):
#: `min_quality` / `max_quality`; entities that are not scored (runs, cells, people) never pass it.
QUALITY_FIELD = "quality_score"


def tokens(text: str) -> list[str]:
    """Lower-cased runs of letters and digits, the same split both engines index with."""
    return _TOKEN_RE.findall(text.lower())


def fuzzy_distance(token: str) -> int:
    """Elasticsearch's `fuzziness: AUTO`: 0 edits up to 2 chars, 1 up to 5, else 2."""
    n = len(token)
    return 0 if n <= 2 else 1 if n <= 5 else 2


@dataclass(frozen=True, kw_only=True)
class SearchQuery:
    """What the user asked: free text plus optional filters."""

    text: str
    entity_type: str | None = None
    tags: tuple[str, ...] = ()
    owner: str | None = None
    limit: int = 10
    min_quality: float | None = None
    max_quality: float | None = None
    filters: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("limit must be at least 1")
        bounds = [b for b in (self.min_quality, self.max_quality) if b is not None]
        if any(not 0 <= b <= 100 for b in bounds) or (len(bounds) == 2 and bounds[0] > bounds[1]):
            raise ValueError("quality bounds must be 0-100 with min <= max")
        for tag in self.tags:
            if "::" not in tag:
                raise ValueError(f"tag filter {tag!r} must look like key::value")
        filters = {"type": (self.entity_type,) if self.entity_type else (),
                   "tag": tuple(self.tags), "owner": owner_keys_for(self.owner) if self.owner else ()}
        object.__setattr__(self, "filters", {FILTERS[k]: v for k, v in filters.items() if v})

    @property
    def quality_range(self) -> tuple[float | None, float | None] | None:
        """(min, max) of the quality score filter (None for an open side), or None without one."""
        if self.min_quality is None and self.max_quality is None:
            return None
        return (None if self.min_quality is None else float(self.min_quality),
                None if self.max_quality is None else float(self.max_quality))


def owner_keys_for(owner: str) -> tuple[str, ...]:
    """An owner filter value: an AIP URI, or a username / team name (matched case-insensitively)."""
    return (owner,) if owner.startswith("aip://") else (owner.lower(),)
