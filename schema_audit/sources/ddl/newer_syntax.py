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
tree is walked only when a parenthesis follows FROM, JOIN, LATERAL or a comma.

A body written as a string is parsed by PostgreSQL too while ``check_function_bodies`` is
on (the default; pg_dump turns it off): a SQL or PL/pgSQL function's or procedure's when it
is created, and a DO block's before it runs (so even a branch never taken is refused).
Confirmed with psql on PostgreSQL 15: each is refused with the same error while the setting
is on, and accepted while it is off. The SQL of such a body is read
with the same test (a PL/pgSQL body through PostgreSQL's PL/pgSQL parser, each statement's or
expression's SQL); a body that cannot be parsed here is left as read.
"""

from __future__ import annotations

import re

from pglast import ast

from schema_audit.pgparse import parse_sql
from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl.errors import ApplyError

# "(" right after FROM / JOIN / LATERAL / a comma: where a subquery in FROM may start
_MAYBE = re.compile(r"(?i)(?:\bfrom|\bjoin|\blateral|,)\s*\(")


def refuse_newer_syntax(sql: str, node: ast.Node | None, check_bodies: bool = True) -> None:
    """ApplyError when ``node`` (of statement text ``sql``) holds a subquery or VALUES in
    FROM without an alias, which PostgreSQL 15 refuses; in a string body too, where
    PostgreSQL parses it (``check_bodies``: ``check_function_bodies`` is on)."""
    if node is None or not _MAYBE.search(sql):
        return
    _refuse_tree(node)
    language, body = _string_body(node, check_bodies)
    if body is None or not _MAYBE.search(body):
        return
    whole = None if isinstance(node, ast.DoStmt) else sql  # a function: its own signature
    for text in [body] if language == "sql" else _plpgsql_sql(body, whole):
        try:
            statements = parse_sql(text)
        except Exception:  # noqa: BLE001 - not SQL this parser reads: left as read
            continue
        for statement in statements:
            _refuse_tree(statement)


def _string_body(node: ast.Node, check_bodies: bool) -> tuple[str | None, str | None]:
    """(language, body) of a DO block or of a SQL / PL/pgSQL routine written ``AS '…'``,
    while PostgreSQL checks bodies; (None, None) otherwise."""
    if not check_bodies:
        return None, None
    if isinstance(node, ast.DoStmt):
        options = {o.defname: o.arg for o in node.args or ()}
        language, body = options.get("language"), options.get("as")
    elif isinstance(node, ast.CreateFunctionStmt) and node.sql_body is None:
        options = {o.defname: o.arg for o in node.options or ()}
        language, body = options.get("language"), options.get("as")
        if isinstance(body, tuple | list):
            body = body[0] if len(body) == 1 else None  # C: (file, symbol)
    else:
        return None, None
    name = getattr(language, "sval", "plpgsql" if isinstance(node, ast.DoStmt) else None)
    text = getattr(body, "sval", None)
    if name not in ("sql", "plpgsql") or not isinstance(text, str):
        return None, None
    return name, text


def _plpgsql_sql(body: str, statement: str | None) -> list[str]:
    """The SQL of each statement and expression of a PL/pgSQL body (PostgreSQL's parser),
    read from the CREATE FUNCTION ``statement`` (its result type decides what RETURN may
    say), or as a DO block's."""
    import json

    import pglast

    from schema_audit.sources.plpgsql import parse_do_body

    try:
        if statement is None:
            function = parse_do_body(body)
        else:
            function = json.loads(pglast.parser.parse_plpgsql_json(statement))
    except Exception:  # noqa: BLE001 - not PL/pgSQL this parser reads: left as read
        return []
    out: list[str] = []
    stack: list[object] = [function]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            expr = item.get("PLpgSQL_expr")
            if isinstance(expr, dict) and isinstance(expr.get("query"), str):
                query = expr["query"]
                if expr.get("parseMode", 0) == 0:
                    out.append(query)
                else:  # an expression, or an assignment `x := expr`
                    out.append("SELECT " + query.split(":=", 1)[-1])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return out


def _refuse_tree(node: ast.Node) -> None:
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
