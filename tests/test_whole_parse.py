"""A file cut and parsed by one parse in the parsing child (sources/whole_parse.py): every
record is the one the scanner's cut and a parse of each statement alone make (text, line,
body, read, positions), and a file where they could differ is cut as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pglast import ast

from schema_audit.pgparse import Parsed, Pending, parse_sql
from schema_audit.sources import whole_parse
from schema_audit.sources.ddl.fast_data import _Lazy
from schema_audit.sources.parse_ahead import _parse
from schema_audit.sources.statements import pieces

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# every attribute pglast types as a parse position (the JSON's name: no trailing underscore)
_POSITIONS = {
    name.removesuffix("_")
    for cls in vars(ast).values()
    if isinstance(cls, type) and isinstance(getattr(cls, "__slots__", None), dict)
    for name, info in cls.__slots__.items()
    if info.c_type == "ParseLoc"
}


def _counted_from(value: Any, base: int) -> Any:
    """``value`` with its positions counted from ``base`` (0 omitted, as libpg_query does)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in _POSITIONS and isinstance(item, int) and item >= 0:
                item -= base
                if item == 0:
                    continue
            out[key] = _counted_from(item, base)
        return out
    if isinstance(value, (list, tuple)):
        return type(value)(_counted_from(item, base) for item in value)
    return value


def _as_alone(records: list) -> list:
    """Records of the whole parse with each read's positions counted from its statement."""
    out = []
    for body, line, parsed, error in records:
        if parsed is not None and isinstance(parsed[1], int) and parsed[2] is not None:
            parsed = (parsed[0], None, _counted_from(parsed[2], parsed[1]))
        out.append((body, line, parsed, error))
    return out


def _fixture_sql() -> list[Path]:
    return sorted(FIXTURES.rglob("*.sql"))


def test_every_fixture_file_cut_whole_gives_the_records_of_the_statement_by_statement_cut() -> None:
    whole = 0
    for path in _fixture_sql():
        try:
            text = path.read_text()
        except (UnicodeDecodeError, ValueError):
            continue
        records = whole_parse.pieces(text, _parse)
        if records is None:
            continue
        whole += 1
        assert _as_alone(records) == list(pieces(text, _parse, True)), path
    assert whole >= 50  # the fixtures are mostly plain files


TABLES = "".join(
    f"\n\n-- table {n}\nCREATE TABLE t{n} (id bigint PRIMARY KEY, amount numeric(10, 2)"
    f" CHECK (amount > 0), kind text CHECK (kind IN ('a', 'b')));\n"
    f"/* its index */ CREATE INDEX t{n}_kind ON t{n} (lower(kind));\n"
    f"GRANT SELECT ON t{n} TO PUBLIC;"
    for n in range(3)
)


@pytest.mark.parametrize(
    "text",
    [
        TABLES,
        TABLES + "\nCREATE INDEX last_one ON t1 (amount)\n-- no semicolon, a comment after\n",
        "CREATE TABLE a (x int) -- a comment before its semicolon\n;\n" + TABLES,
        "COMMENT ON TABLE t1 IS 'one; two';\nCREATE TABLE b (note text DEFAULT 'x;y');",
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;" + TABLES,
        "CREATE TABLE e (v text DEFAULT '');\nCREATE TABLE f (id int);",
        TABLES.replace("\n", "\r\n") + "\r\nCREATE TABLE g (id int) -- its note\r\n;\r\n",
    ],
    ids=[
        "plain",
        "last-without-semicolon",
        "comment-before-semicolon",
        "semicolons-in-literals",
        "function-body",
        "empty-string",
        "crlf",
    ],
)
def test_a_plain_file_is_cut_whole_into_the_same_records(text: str) -> None:
    records = whole_parse.pieces(text, _parse)
    assert records is not None  # cut whole
    assert _as_alone(records) == list(pieces(text, _parse, True))


@pytest.mark.parametrize(
    "text",
    [
        # BEGIN ATOMIC: the scanner cuts its body, ``pieces`` parses its parts and joins them
        "CREATE FUNCTION one() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;"
        + TABLES,
        # a nested comment: ``_skip_leading`` ends it at the first */, the parser at the last
        TABLES + "\n/* outer /* inner */ still a comment */ CREATE TABLE n (id int);",
        # a -- comment ended by a carriage return: the parser's next token, a skipped line here
        TABLES + "\n-- note\rCREATE TABLE r (id int);\nCREATE TABLE s (id int);",
        # an empty statement: no statement for the parser, a piece for the scanner
        TABLES + ";;\nCREATE TABLE m (id int);",
        TABLES + "\nCREATE TABLE broken (id int,;",  # a syntax error
        TABLES + "\nCREATE TABLE caf\u00e9 (id int);",  # not ASCII: byte offsets
        TABLES + "\n\\set x 1\nCREATE TABLE v (id int);",  # psql: the text is transformed
    ],
    ids=[
        "begin-atomic",
        "nested-comment",
        "carriage-return",
        "empty-statement",
        "syntax-error",
        "non-ascii",
        "psql-meta",
    ],
)
def test_a_file_the_whole_parse_could_cut_otherwise_is_cut_as_before(text: str) -> None:
    assert whole_parse.pieces(text, _parse) is None


def test_a_statement_longer_than_the_limit_leaves_the_file_to_the_cut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCHEMA_AUDIT_MAX_STATEMENT_CHARS", "100")
    assert whole_parse.pieces(TABLES, _parse) is None


def _positions(node: Any) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(node, ast.Node):
        for name, info in type(node).__slots__.items():  # type: ignore[union-attr]
            value = getattr(node, name, None)
            if info.c_type == "ParseLoc":
                found.append((f"{type(node).__name__}.{name}", value))
            else:
                found += _positions(value)
    elif isinstance(node, tuple):
        for item in node:
            found += _positions(item)
    return found


def test_a_node_built_in_this_process_from_a_whole_parse_read_has_the_statement_positions() -> None:
    """The read of a CHECK crosses with its data, whose positions count from the file: the
    node this process builds of it (``Pending.base``) has the positions of the statement's
    own tree, as every reader of a node's position (a printer, an error) expects."""
    records = whole_parse.pieces(TABLES, _parse)
    assert records is not None
    body, line, (statement, base, ahead), error = records[3]  # the second CREATE TABLE
    assert base > 0 and ahead[0] == "CreateStmt"
    check = next(
        con
        for column in ahead[1][2]
        for step in column[4]
        if step[0] == "constraint" and (con := step[1][1]) is not None
    )
    pending = Pending(statement, None, ahead, base)
    built = _Lazy(pending, pending.base).node({"Constraint": check})
    own = parse_sql(statement)[0].stmt.tableElts[1].constraints[0]
    assert _positions(built) == _positions(own)
    assert any(position for _, position in _positions(own))  # the test sees positions


def test_a_slice_builds_its_tree_from_its_own_text() -> None:
    records = whole_parse.pieces(TABLES, _parse)
    assert records is not None
    statement, base = records[3][2][0], records[3][2][1]
    data = {"stmts": [{"stmt": {"CreateStmt": {}}}]}
    sliced = whole_parse._Slice(statement, data, base)
    assert sliced.tree() == Parsed(statement, None).tree()  # type: ignore[arg-type]
