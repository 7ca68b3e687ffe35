"""Expressions a static reading cannot decide: a date/time literal without a UTC offset
(``'2020-01-01 00:00'::timestamptz``), ``'now'``, a day/month order, a named zone. PostgreSQL
stores the value such a literal has in the TimeZone/DateStyle of the session that ran the
migration, so a CHECK, a policy's USING / WITH CHECK or an index's WHERE that differs from the
spec only in such literals is DEFERRED (decided by ``audit --dsn``), never a guessed PASS or
FAIL. One test and one wording for every kind (the column default and the named CHECK had
it; the unnamed CHECK, policies and partial indexes judged it statically).
"""

from __future__ import annotations

from collections.abc import Iterable

from schema_audit import sqlnorm, sqltime
from schema_audit.audit.findings import Diff


def side(expected: str | None, actual: str | None) -> str | None:
    """Whose date/time literal the session that ran it decided ("the spec's" or "the
    migration's"), when only such literals make the expressions differ; else None (any
    other difference is one a file can tell)."""
    if not expected or not actual:
        return None
    want, have = sqlnorm.canonical_expr(expected), sqlnorm.canonical_expr(actual)
    if not sqltime.undecidable(want, have):
        return None
    return "the spec's" if sqltime.depends_on_session(want) else "the migration's"


def undecided(diffs: Iterable[Diff], properties: tuple[str, ...]) -> str | None:
    """The side of the first diff, when every diff is of one of ``properties`` and each is
    undecidable as above; None when a diff is decidable (the finding FAILs)."""
    found = None
    for diff in diffs:
        if diff.property not in properties:
            return None
        who = side(diff.expected, diff.actual)
        if who is None:
            return None
        found = found or who
    return found


def reason(who: str) -> str:
    """Why it cannot be decided, and what settles it."""
    return (
        f"cannot be decided: {who} date/time literal has no UTC offset (or is 'now'/'today', "
        "a day/month order, a named zone), so PostgreSQL stores the value it has in the "
        "TimeZone/DateStyle of the session that runs it "
        + (
            "(write the spec's literal with an offset, e.g. '2024-01-01 00:00:00+00')"
            if who == "the spec's"
            else "(audit the live database or --replay)"
        )
    )
