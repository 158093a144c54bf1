"""What counts as a placeholder description (`TODO`, `tbd`, `n/a`, `-`): present, but saying nothing.

Three patterns over the lower-cased, trimmed text. sql/views/01_current_entities.sql spells the same
patterns in SQL (`live_assets.has_description`); tests/unit/test_quality_scores.py checks they agree.
"""

from __future__ import annotations

import re

PLACEHOLDER_PATTERNS: tuple[str, ...] = (
    # nothing but punctuation
    r"^[-_.?!*#/ ]*$",
    # a to-do marker, alone or followed by more words ("TODO: describe", "tbd - ask Bob")
    r"^[^a-z0-9]*(todo|tbd|tba|fixme|wip|xxx)([^a-z].*)?$",
    # a word that stands for nothing, alone
    r"^[^a-z0-9]*(n/a|na|none|null|nil|placeholder|description|desc|coming soon|"
    r"to be (added|defined|documented|written))[^a-z0-9]*$",
)
_COMPILED = tuple(re.compile(p) for p in PLACEHOLDER_PATTERNS)


def is_placeholder(text: str | None) -> bool:
    """True for a present description that is a placeholder (None and blank are simply missing)."""
    if text is None or not text.strip():
        return False
    value = text.strip().lower()
    return any(p.search(value) for p in _COMPILED)
