"""Every threshold and severity of the quality gate, in one typed object.

Defaults live here; `QualityConfig.load` overrides them from `MLG_QUALITY_<FIELD>` environment
variables and then from a mapping (the build's `ctx.options["quality"]`, `mlg quality --set`).
Severity `critical` blocks publishing; `warning` is only reported.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from spark_jobs.errors import UsageError

Severity = Literal["critical", "warning"]
SEVERITIES: tuple[str, ...] = get_args(Severity)

# Checks whose severity can be changed; the names match the `expectation` column of quality.results.
DEFAULT_SEVERITIES: dict[str, Severity] = {
    "id_unique": "critical",
    "id_not_null": "critical",
    "id_is_aip_uri": "critical",
    "id_matches_type": "critical",
    "entity_type_in_vocabulary": "critical",
    "state_in_vocabulary": "critical",
    "name_present": "critical",
    "owners_present": "warning",
    "timestamp_not_in_future": "critical",
    "edge_key_unique": "critical",
    "edge_ends_are_aip_uris": "critical",
    "relation_in_vocabulary": "critical",
    "provenance_in_vocabulary": "critical",
    "inferred_edge_has_rule": "warning",
    "edge_ends_exist": "critical",
    "edge_ends_not_deleted": "warning",
    "relation_legal_for_types": "critical",
    "hydrated_within_window": "warning",
    "owners_active": "warning",
    "share_with_description": "warning",
    "share_with_owners": "warning",
    "share_with_tags": "warning",
    "entity_count_drop": "critical",
    "inferred_edge_count_drop": "critical",
    # a domain's mean metadata score fell by more than `score_drop_max` points since the previous run
    "score_drop": "warning",
}

_DEFAULT_FRESHNESS_HOURS = {"*": 24.0 * 7}

# The parts of an entity's metadata score and their weights (the score is their weighted share, 0-100).
SCORE_PARTS: tuple[str, ...] = ("description", "owner", "owners_known", "fresh", "lineage", "tags", "checks")
_DEFAULT_SCORE_WEIGHTS = {"description": 25.0, "owner": 25.0, "owners_known": 10.0, "fresh": 15.0,
                          "lineage": 10.0, "tags": 10.0, "checks": 5.0}
# Days since the source last changed an asset's metadata before it is stale ("*" = any other type).
_DEFAULT_SCORE_FRESHNESS_DAYS = {"*": 180.0, "ModelInstance": 90.0, "Dataset": 90.0, "AbTest": 120.0}
_MAPPINGS = {"score_weights": _DEFAULT_SCORE_WEIGHTS, "score_freshness_days": _DEFAULT_SCORE_FRESHNESS_DAYS,
             "score_drop_max": {}}


@dataclass(frozen=True, kw_only=True)
class QualityConfig:
    """Thresholds of the quality suites (shares are 0..1)."""

    # Clock skew tolerated before a timestamp counts as "in the future".
    future_tolerance_hours: float = 1.0
    # Share of live ownable entities that must have an owner for `owners_present` to pass.
    owners_required_share: float = 1.0
    # Hours since last hydration before an entity is stale, per entity type ("*" = any other type).
    freshness_hours: Mapping[str, float] = field(default_factory=lambda: dict(_DEFAULT_FRESHNESS_HOURS))
    # Most stale share per type tolerated by `hydrated_within_window`.
    freshness_max_stale_share: float = 0.0
    # Most assets owned by inactive users tolerated by `owners_active`.
    inactive_owned_max: int = 0
    # Minimum coverage shares over live ownable entities.
    min_description_share: float = 0.5
    min_owner_share: float = 0.9
    min_tag_share: float = 0.3
    # Drift: most share a per-type count may fall against the baseline version ...
    drift_max_drop_share: float = 0.3
    # ... counted only when the baseline had at least this many (tiny types are noise).
    drift_min_baseline: int = 10
    # Metadata score: weight of each part (SCORE_PARTS), freshness window per type in days, and the
    # types whose sources carry descriptions / labels (only those lose points for having none).
    score_weights: Mapping[str, float] = field(default_factory=lambda: dict(_DEFAULT_SCORE_WEIGHTS))
    score_freshness_days: Mapping[str, float] = field(default_factory=lambda: dict(_DEFAULT_SCORE_FRESHNESS_DAYS))
    score_description_types: tuple[str, ...] = ("Model", "Pipeline", "Feature", "Dataset")
    score_tag_types: tuple[str, ...] = ("Model", "ModelInstance")
    # Score drift gate: most points a domain's mean score may fall between two runs, per domain
    # ("*" = every domain); empty = not judged. Severity of `score_drop` decides fail or warn.
    score_drop_max: Mapping[str, float] = field(default_factory=dict)
    # Retention of quality.entity_scores (one row per live asset per run, so it grows with every build):
    # after each run, rows of runs beyond the newest `score_keep_runs` or scored more than
    # `score_keep_days` days before the run are deleted (0 = no such limit; the current run always
    # stays). 50 runs is what the quality trend shows; the drift gate needs only the previous run.
    score_keep_runs: int = 50
    score_keep_days: float = 365.0
    # Retention of the GE Data Docs site: each run adds a validation page per suite (~100 KB) and
    # the site index links only the newest run's, so each run removes the pages of runs beyond the
    # newest `docs_keep_runs` (0 = keep every page; the current run always stays).
    docs_keep_runs: int = 50
    severities: Mapping[str, Severity] = field(default_factory=lambda: dict(DEFAULT_SEVERITIES))
    # How many example values a failed expectation keeps in quality.results.
    examples: int = 5

    def severity(self, check: str) -> Severity:
        return self.severities.get(check, DEFAULT_SEVERITIES.get(check, "critical"))

    def freshness_window(self, entity_type: str) -> float:
        return float(self.freshness_hours.get(entity_type, self.freshness_hours.get("*", 168.0)))

    def score_drop_limit(self, domain: str) -> float | None:
        """Most points `domain`'s score may fall between runs, or None when not judged."""
        limit = self.score_drop_max.get(domain, self.score_drop_max.get("*"))
        return None if limit is None else float(limit)

    @classmethod
    def load(cls, options: Mapping[str, Any] | None = None, *,
             env: Mapping[str, str] | None = None) -> QualityConfig:
        """Defaults < `MLG_QUALITY_<FIELD>` environment < `options` (field name -> value)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"MLG_QUALITY_{f.name.upper()}")
            if raw not in (None, ""):
                values[f.name] = raw
        values.update(options or {})
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> QualityConfig:
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = set(values) - set(known)
        if unknown:
            raise UsageError(f"unknown quality setting(s): {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(known)}")
        parsed: dict[str, Any] = {}
        defaults = cls()
        for name, value in values.items():
            parsed[name] = _parse(name, value, getattr(defaults, name))
        if "severities" in parsed:
            parsed["severities"] = {**DEFAULT_SEVERITIES, **parsed["severities"]}
        return cls(**parsed)


def _parse(name: str, value: Any, default: Any) -> Any:
    """Coerce one setting (strings come from env vars and `--set name=value`)."""
    try:
        if name == "severities":
            pairs = _pairs(value)
            bad = {k: v for k, v in pairs.items() if v not in SEVERITIES or k not in DEFAULT_SEVERITIES}
            if bad:
                raise ValueError(f"expected check=critical|warning with a known check, got {bad}")
            return pairs
        if name == "freshness_hours":
            return {**_DEFAULT_FRESHNESS_HOURS, **{k: float(v) for k, v in _pairs(value).items()}}
        if name in _MAPPINGS:
            numbers = {k: float(v) for k, v in _pairs(value).items()}
            if name == "score_weights" and (set(numbers) - set(SCORE_PARTS) or any(v < 0 for v in numbers.values())):
                raise ValueError(f"expected part=weight >= 0 with parts from {', '.join(SCORE_PARTS)}")
            if any(v < 0 for v in numbers.values()):
                raise ValueError("values must be >= 0")
            merged = {**_MAPPINGS[name], **numbers}
            if name == "score_weights" and not sum(merged.values()):
                raise ValueError("at least one weight must be > 0")
            return merged
        if isinstance(default, tuple):
            items = value if isinstance(value, (list, tuple)) else str(value).split(",")
            return tuple(str(v).strip() for v in items if str(v).strip())
        if isinstance(default, bool):
            return str(value).lower() in ("1", "true", "yes")
        if isinstance(default, int):
            number = int(value)
            if name == "score_keep_runs" and (number < 0 or number == 1):
                raise ValueError("must be 0 (keep every run) or >= 2 (the drift gate compares with the previous run)")
            if number < 0:
                raise ValueError("must be >= 0")
            return number
        if isinstance(default, float):
            number = float(value)
            if name.endswith("_share") and not 0.0 <= number <= 1.0:
                raise ValueError("a share must be between 0 and 1")
            if name == "score_keep_days" and number < 0:
                raise ValueError("must be >= 0 (0 = no age limit)")
            return number
    except (TypeError, ValueError) as exc:
        raise UsageError(f"quality setting {name}={value!r}: {exc}") from None
    return value


def _pairs(value: Any) -> dict[str, str]:
    """A mapping, or text like `Model=24,*=168`."""
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    out = {}
    for part in str(value).split(","):
        key, sep, val = part.strip().partition("=")
        if not sep:
            raise ValueError(f"expected key=value pairs separated by commas, got {value!r}")
        out[key.strip()] = val.strip()
    return out
