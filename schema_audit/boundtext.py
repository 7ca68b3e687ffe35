"""Partition bounds (``FOR VALUES …``, ``DEFAULT``) and keys compared as PostgreSQL stores them.

One reading for the audit's ``partition_bound`` / ``partition_key`` (kinds/table) and ``diff``
(modeldiff), which sit in different layers: ``diff`` did not compare bounds at all, and said
"0 differences" where the audit FAILed a partition's bound; it compared keys as text, so a
key's literal (``COALESCE(region, 'eu west')``, stored ``'eu west'::text``) was a difference
the audit PASSes.
"""

from __future__ import annotations

import re
from typing import Any

from schema_audit import sqlnorm
from schema_audit.sqlspace import words


def same_partition_key(expected: str, actual: str | None) -> bool:
    """Partition keys: the same strategy and, key by key, the same column, or expressions
    PostgreSQL reads the same (``((a + 1))`` = ``(a+1)``), COLLATE and operator class;
    text that does not parse as a key is compared spacing aside (a literal's or a quoted
    name's spaces kept, being part of its value)."""
    if actual is None:
        return False
    if words(expected) == words(actual):
        return True
    mine, theirs = _partition_spec(expected), _partition_spec(actual)
    if mine is None or theirs is None or mine[0] != theirs[0] or len(mine[1]) != len(theirs[1]):
        return False
    for a, b in zip(mine[1], theirs[1], strict=True):
        if (a.name, a.collation, a.opclass) != (b.name, b.collation, b.opclass):
            return False
        if (a.expr is None) != (b.expr is None) or (
            a.expr is not None and not sqlnorm.exprs_equal(_deparse(a.expr), _deparse(b.expr))
        ):
            return False
    return True


def _partition_spec(key: str) -> tuple[str, list[Any]] | None:
    """(strategy, partition elements) of ``RANGE (…)`` as PostgreSQL's grammar reads it."""
    import pglast  # only when a stated key differs in its text

    try:
        stmt = pglast.parse_sql(f"CREATE TABLE t () PARTITION BY {key}")[0].stmt
        spec = stmt.partspec  # type: ignore[union-attr]
        return str(spec.strategy), list(spec.partParams)
    except Exception:  # noqa: BLE001 - not a key: compared as text
        return None


def _deparse(node: Any) -> str:
    from schema_audit.pgparse import deparse

    return deparse(node) or ""


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
