"""The words a statement run outside a transaction block holds, and a text holding none.

Two checks read each statement of a file its runner applies in one transaction: whether
Flyway runs the file outside a transaction (``runner_transactions.flyway_outside``) and
whether PostgreSQL refuses the statement in a transaction block
(``ddl.transactions.outside_only``). Each starts by looking for its words in the
lower-cased text, and a statement holding none is done. At 1,000 tables that was two
lower-cased copies and twenty substring searches for each of 9,514 statements (≈ 0.035
CPU s of the reading process). The parsing child (``parse_ahead``) asks :func:`none_in`
once for each file's text, where a file is one lower-cased copy; a statement of a file
holding none of the words is marked (``statements.Statement.plain``) and both checks
skip it, with the answer they would have given.
"""

from __future__ import annotations

# PostgreSQL 15 refuses a statement holding one of these in a transaction block (every
# statement ``ddl.transactions.outside_only`` names holds one)
OUTSIDE_WORDS = (
    "concurrently",
    "vacuum",
    "system",
    "database",
    "tablespace",
    "discard",
    "cluster",
    "reindex",
    "subscription",
)
# every statement runner_transactions' _FLYWAY_OUTSIDE / _FLYWAY_ADD_VALUE matches holds one
FLYWAY_WORDS = (
    "database",
    "tablespace",
    "subscription",
    "system",
    "concurrently",
    "reindex",
    "vacuum",
    "discard",
    "stdin",
    "value",
)
_ALL = tuple(dict.fromkeys(OUTSIDE_WORDS + FLYWAY_WORDS))


def none_in(text: str) -> bool:
    """Whether no statement cut from ``text`` (``statements.pieces``) can hold one of the
    words: none in its lower-cased text, and no backslash. A statement is then a part of
    the text (its pieces are the text's slices, stripped, a COPY's rows blanked only where
    the text says ``stdin``, one of the words), and lower-casing goes character by
    character (for a word of ASCII letters): a word in a statement is a word in the text.
    A backslash may start psql's ``\\set``, whose values are put into the statements
    (``psqlvars.interpolate``): text the file does not hold."""
    if "\\" in text:
        return False
    low = text.lower()
    return not any(word in low for word in _ALL)
