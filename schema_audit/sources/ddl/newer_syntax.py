"""Statements only PostgreSQL 16 and later accept: a subquery in FROM without an alias.

pglast parses with PostgreSQL 18's grammar, where ``FROM (SELECT …)`` and ``FROM (VALUES …)``
need no alias. PostgreSQL 15's parser refuses both ("subquery in FROM must have an alias",
confirmed with psql), whatever the statement (a view, CREATE TABLE AS, INSERT … SELECT, a
BEGIN ATOMIC body). Lemmy's migrations use it (trial13): the static reading made the tables
and views PostgreSQL 15 never makes, so a spec requiring them PASSed. Such a statement is
refused here as ``refusals`` refuses PostgreSQL 18's virtual columns: not applied, the reason
said, what it touches DEFERRED; not a syntax error of the history (which stops the command),
because PostgreSQL 16 and later accept it.

Only statements the tree handlers apply are looked at: the fast path's shapes (CREATE
TABLE, CREATE INDEX, GRANT, ALTER TABLE, CREATE POLICY) hold no subquery in FROM save
through a policy's own subquery, which is left as read. A text test comes first, so the
tree is walked only when a parenthesis follows FROM, JOIN, LATERAL or a comma. A function
body written as a string is not looked at (PostgreSQL checks it only while
``check_function_bodies`` is on, which pg_dump turns off).
"""

from __future__ import annotations

import re

from pglast import ast

from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl.errors import ApplyError

# "(" right after FROM / JOIN / LATERAL / a comma: where a subquery in FROM may start
_MAYBE = re.compile(r"(?i)(?:\bfrom|\bjoin|\blateral|,)\s*\(")


def refuse_newer_syntax(sql: str, node: ast.Node | None) -> None:
    """ApplyError when ``node`` (of statement text ``sql``) holds a subquery or VALUES in
    FROM without an alias, which PostgreSQL 15 refuses."""
    if node is None or not _MAYBE.search(sql):
        return
    for sub in find_all(node, ast.RangeSubselect):
        if sub.alias is None:
            what = (
                "VALUES"
                if isinstance(sub.subquery, ast.SelectStmt) and sub.subquery.valuesLists
                else "subquery"
            )
            raise ApplyError(
                f"{what} in FROM must have an alias: PostgreSQL 15 refuses it (syntax error; "
                "a subquery without an alias is PostgreSQL 16's)",
                "syntax_error",
            )
