"""A text holding none of the words of a statement run outside a transaction block
(sources/outside_words.py): its statements skip Flyway's and PostgreSQL's checks, which
must give the answer they would have given."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_audit.sources.ddl.transactions import outside_only
from schema_audit.sources.outside_words import FLYWAY_WORDS, OUTSIDE_WORDS, none_in
from schema_audit.sources.runner_transactions import flyway_outside
from schema_audit.sources.statements import split_statements

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.mark.parametrize("word", sorted(set(OUTSIDE_WORDS + FLYWAY_WORDS)))
def test_any_word_in_any_case_is_held(word: str) -> None:
    for written in (word, word.upper(), word.capitalize()):
        assert not none_in(f"CREATE TABLE t (id int);\n-- {written}\nSELECT 1;")


def test_a_backslash_may_put_text_into_a_statement() -> None:
    """psql's \\set values are put into the statements, joined: a word the file does not
    hold (``CONCUR`` and ``RENTLY`` make CREATE INDEX CONCURRENTLY)."""
    for text in (
        "\\set a CONCUR\n\\set b RENTLY\nCREATE INDEX :a:b i ON t (id);",
        "\\set a 'CONCUR' 'RENTLY'\nCREATE INDEX :a i ON t (id);",
    ):
        (stmt,) = split_statements(text, True)
        assert outside_only(stmt) == "CREATE INDEX CONCURRENTLY"
        assert not none_in(text)
    assert none_in("CREATE TABLE t (id bigint PRIMARY KEY, name text DEFAULT 'x');")


def test_every_statement_of_a_text_holding_none_gets_the_checks_answer_for_none() -> None:
    """Over every SQL file of the fixtures and texts written for the words (each statement
    kind, a dotted capital I, a word split by a comment): where the text holds none of them,
    no statement of it is one Flyway runs outside a transaction or PostgreSQL refuses in
    one, so skipping both checks gives their answer."""
    texts = [path.read_text(errors="replace") for path in sorted(FIXTURES.rglob("*.sql"))]
    texts += [
        "VACUUM t; CREATE INDEX CONCURRENTLY i ON t (id); DROP DATABASE d;",
        "REINDEX TABLE t; DISCARD ALL; CLUSTER t USING i; ALTER SYSTEM SET work_mem = 1;",
        "ALTER TYPE e ADD VALUE 'x'; COPY t FROM STDIN;\n\\.\n",
        "CREATE TABLE d\u0130scard (id int);",  # DOTTED CAPITAL I: "di̇scard", not "discard"
        "CREATE INDEX CONCURR/* */ENTLY i ON t (id);",
    ]
    checked = 0
    for text in texts:
        if not none_in(text):
            continue
        for stmt in split_statements(text, True):
            checked += 1
            assert not flyway_outside(stmt.sql), stmt.sql
            assert outside_only(stmt) is None, stmt.sql
    assert checked > 100
    assert not any(map(none_in, texts[-5:-2]))  # the statements run outside: held
