"""Partition bounds (``FOR VALUES …``, ``DEFAULT``) compared as PostgreSQL stores them.

One reading for the audit's ``partition_bound`` (kinds/table) and ``diff`` (modeldiff), which
sit in different layers: ``diff`` did not compare bounds at all, and said "0 differences"
where the audit FAILed a partition's bound.
"""

from __future__ import annotations

import re

from schema_audit.sqlspace import words

_QUOTED_NUMBER = re.compile(r"'(-?\d+(?:\.\d+)?)'")
_DATE = re.compile(r"'(\d{4})-(\d{1,2})-(\d{1,2})")
_MIDNIGHT = re.compile(r"(?<=\d) 00:00:00(?:\+00(?::00)?)?'")
_KEYWORDS = frozenset(
    {"for", "values", "from", "to", "in", "with", "default", "minvalue", "maxvalue", "null"}
)


def _bound_words(text: str) -> list[str]:
    """A bound's text with a number's quotes dropped (``'10'`` for an integer key is stored,
    and printed, as 10; for a text key both print '10'), a date's month and day padded
    (``'2020-1-1'`` is stored as 2020-01-01) and a timestamp's midnight UTC dropped (a
    history's ``'2025-01-01'`` for a timestamptz key prints as ``'2025-01-01 00:00:00+00'``
    when the migration ran in UTC), split into words."""
    text = _QUOTED_NUMBER.sub(r"\1", text)
    text = _DATE.sub(lambda m: f"'{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}", text)
    # midnight (UTC) of a timestamp key, as the catalog prints '2025-01-01' read into one
    text = _MIDNIGHT.sub("'", text)
    return words(text.replace("(", " ( ").replace(")", " ) ").replace(",", " , "))


def bound_key(text: str) -> list[str]:
    """``text``'s words as compared: keywords in lower case, the rest as ``_bound_words``."""
    return [w.lower() if w.lower() in _KEYWORDS else w for w in _bound_words(text)]


def same_bound(expected: str, actual: str | None) -> bool:
    """Partition bounds (FOR VALUES …, DEFAULT) equal as PostgreSQL stores them: keywords'
    case, spacing, a number's quotes and a date's padding aside."""
    return actual is not None and bound_key(expected) == bound_key(actual)
