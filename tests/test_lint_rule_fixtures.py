"""One lint rule, one fixture: each registered SA rule flags exactly what its fixture says (issue 12).

``tests/lint_fixtures/<ID>/`` is a small history of numbered SQL migrations that
triggers the rule (and look-alikes that must not) with ``expected.txt``: the rule's
violations in order, ``file:line: RULE message``, and optionally ``options:
assume_populated``. Online rules are linted with ``online=True``. Each history is also
applied to a real PostgreSQL, statement by statement: a fixture PostgreSQL refuses
would test the linter on SQL no one can run.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from schema_audit.lint import RULES, lint
from schema_audit.lint.rules import registry
from schema_audit.lint.rules._docs import render
from schema_audit.sources.ddl import split_statements

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "lint_fixtures"
LINT_RULES = registry()


def _expected(rule_id: str) -> tuple[list[str], set[str]]:
    folder = FIXTURES / rule_id
    path = folder / "expected.txt"
    assert path.exists(), f"lint rule {rule_id} has no fixture: write {path.relative_to(ROOT)}"
    lines = [x for x in path.read_text().splitlines() if x.strip() and not x.startswith("#")]
    options = {o for x in lines if x.startswith("options:") for o in x[8:].split()}
    expected = [x for x in lines if not x.startswith("options:")]
    assert expected, f"{path.relative_to(ROOT)} names no expected violation"
    assert all(re.match(rf"\d\d\d_\w+\.sql:\d+: {rule_id} ", x) for x in expected), expected
    return expected, options


@pytest.mark.parametrize("rule_id", list(LINT_RULES))
def test_the_lint_rule_flags_exactly_its_fixture(rule_id: str) -> None:
    expected, options = _expected(rule_id)
    result = lint(
        FIXTURES / rule_id,
        online=LINT_RULES[rule_id].group == "online",
        assume_populated="assume_populated" in options,
    )
    assert result.unread == []
    found = [
        f"{Path(v.file or '').name}:{v.line}: {v.rule} {v.message}"
        for v in result.violations
        if v.rule == rule_id
    ]
    assert found == expected


@pytest.mark.parametrize("rule_id", list(LINT_RULES))
def test_the_lint_fixture_is_sql_postgresql_runs(rule_id: str, make_db) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db(f"lint_{rule_id.lower()}")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for path in sorted((FIXTURES / rule_id).glob("*.sql")):
            for stmt in split_statements(path.read_text()):
                assert stmt.node is not None, (path.name, stmt.line, stmt.error)
                conn.execute(stmt.sql)  # type: ignore[arg-type]


def test_every_lint_fixture_belongs_to_a_rule() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(LINT_RULES)


def test_every_lint_rule_has_its_metadata_and_documentation() -> None:
    for r in LINT_RULES.values():
        assert re.fullmatch(r"SA\d{3}", r.id), r.id
        assert r.name and r.summary and r.hint and r.doc, r.id
        assert "Fires on:" in r.doc, f"{r.id}: the docstring shows what it fires on"
    assert {r.id: (r.name, r.summary) for r in LINT_RULES.values()} == RULES
    assert len({r.name for r in LINT_RULES.values()}) == len(LINT_RULES)


def test_the_lint_rules_page_is_generated_from_the_registry() -> None:
    assert (ROOT / "docs" / "lint-rules.md").read_text() == render(), (
        "docs/lint-rules.md is out of date: make docs"
    )
