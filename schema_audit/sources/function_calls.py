"""Calls of the history's own functions from statements the reader otherwise takes as data.

rudderlabs/rudder-server's warehouse migrations define a PL/pgSQL helper and call it::

    create or replace function create_constraint_if_not_exists (t_name text, c_name text,
        constraint_sql text) returns void AS $$ begin
        if not exists (select … from information_schema.constraint_column_usage …) then
            execute constraint_sql; end if; end; $$ language 'plpgsql';
    SELECT create_constraint_if_not_exists('wh_table_uploads', 'unique_table_upload_wh_upload',
        'ALTER TABLE wh_table_uploads ADD CONSTRAINT … UNIQUE (wh_upload_id, table_name);')

Read as "SELECT: does not alter the schema", the constraint was missing from the static model:
init --dsn's spec FAILed the history, and a spec saying the table has no such constraint would
have PASSed it (false FAIL, false PASS). PostgreSQL runs the body, so here:

* ``SELECT f(args)`` alone (one call, no FROM: it runs exactly once) with ``f`` a PL/pgSQL
  function of the history is run as a DO block would be (sources/plpgsql.py), its parameters
  declared as variables holding the arguments: what it does is applied, what it cannot
  decide is listed as a DO block's is.
* any other statement read as data (a SELECT with FROM calls ``f`` once per row, an INSERT's
  VALUES …) that calls a VOLATILE function of the history whose body may change the schema is
  listed as not applied, with that body's effects: what it may touch is DEFERRED, not judged.

An IMMUTABLE or STABLE function cannot change the schema (PostgreSQL refuses DDL in a
non-volatile function: "ALTER TABLE is not allowed in a non-volatile function"), nor can a
body made of queries and row changes only: those calls stay data, as before.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pglast
from pglast import ast
from pglast.keywords import COL_NAME_KEYWORDS, RESERVED_KEYWORDS

from schema_audit import ident
from schema_audit.exprlist import split_expressions
from schema_audit.model import Function
from schema_audit.pgparse import parse_sql
from schema_audit.pgvisit import find_all
from schema_audit.sources import effects as fx
from schema_audit.sources.ddl.function_schemas import builtin_names

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

_BODY_LANGUAGES = ("plpgsql", "sql")
# keywords no function can be named without quotes: what precedes "(" in VALUES (…), IN (…)
_NOT_FUNCTION_NAMES = frozenset(RESERVED_KEYWORDS | COL_NAME_KEYWORDS)
# statements of a body that change rows or read, not the schema
_DATA_NODES = (ast.SelectStmt, ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt)


# a name right before "(" (spaces allowed); a quoted one; a qualifier right before a name
_NAME_CALLED = re.compile(r"[A-Za-z_][\w$]*(?=\s*\()")
_QUOTED_CALLED = re.compile(r'"(?:[^"]|"")+"(?=\s*\()')
_QUALIFIER = re.compile(r'(?:[A-Za-z_][\w$]*|"(?:[^"]|"")+")\s*\.\s*\Z')
_INTO = re.compile(r"(?i)\binto\s*\Z")


def may_call_history(interp: DdlInterpreter, text: str) -> bool:
    """Whether SQL ``text`` may call a function of the history: a name before "(" that is
    quoted, qualified by a schema other than pg_catalog, or neither a built-in function's
    name nor a keyword no function can have (VALUES, IN …); a relation after INTO is not a
    call. A text test, so the statements that call only built-ins (the INSERTs of a data
    load) are not walked; it errs on "may"."""
    if not interp.model.functions or "(" not in text:
        return False
    builtin = builtin_names()
    for match in _NAME_CALLED.finditer(text):
        qualified = _qualifier(text, match.start())
        if qualified is None:
            name = match.group().lower()
            if name in builtin or name in _NOT_FUNCTION_NAMES:
                continue
        elif qualified.group().rstrip(" .").lower() == "pg_catalog":
            continue
        if not _after_into(text, qualified.start() if qualified else match.start()):
            return True
    if '"' not in text:
        return False
    for match in _QUOTED_CALLED.finditer(text):
        qualified = _qualifier(text, match.start())
        if not _after_into(text, qualified.start() if qualified else match.start()):
            return True
    return False


def _qualifier(text: str, start: int) -> re.Match[str] | None:
    """The ``schema.`` right before the name at ``start``, if any."""
    end = start - 1
    while end >= 0 and text[end] in " \t\n":
        end -= 1
    if end < 0 or text[end] != ".":
        return None
    return _QUALIFIER.search(text, max(0, end - 130), start)


def _after_into(text: str, position: int) -> bool:
    """Whether the name at ``position`` follows INTO (a relation: INSERT INTO t (…))."""
    return _INTO.search(text, max(0, position - 16), position) is not None


def follow_calls(interp: DdlInterpreter, node: ast.Node, what: str) -> bool:
    """Apply or list a data statement that calls the history's schema-changing functions;
    False when it calls none (the caller records it as data)."""
    stmt = interp._stmt
    if stmt is None or not may_call_history(interp, stmt.sql):
        return False
    calls = schema_calls(interp, node)
    if not calls:
        return False
    if isinstance(node, ast.SelectStmt | ast.CallStmt) and len(calls) == 1:
        call, function, _ = calls[0]
        if call is _lone_call(node) and _runnable(interp, call, function):
            block = _as_block(function, call)
            if block is not None:
                _run(interp, block, function)
                return True
    names = ", ".join(sorted({f.signature for _, f, _ in calls}))
    effects = fx.dedupe(e for _, _, found in calls for e in found)
    interp._unapplied(
        "dynamic",
        f"{what} calls {names}, a function of the history that may change the schema: "
        "its body is not run statically (it runs once a row, the call may reach another "
        "function, or the function has settings of its own)",
        effects=effects,
    )
    return True


def calls_schema_changing(interp: DdlInterpreter, text: str) -> str | None:
    """The signature of a history function that may change the schema which SQL ``text``
    (a PERFORM's or an EXECUTE's query) calls, or None."""
    if not may_call_history(interp, text):
        return None
    for statement in query_statements(text) or ():
        calls = schema_calls(interp, statement)
        if calls:
            return calls[0][1].signature
    return None


def query_statements(text: str) -> list[ast.Node] | None:
    """A PERFORM's or an EXECUTE's query (``f(x)`` or ``SELECT f(x) FROM t``) as parsed
    statements; None when it does not parse."""
    try:
        parsed = parse_sql(text if text.lstrip()[:6].lower() == "select" else f"SELECT {text}")
    except pglast.parser.ParseError:
        return None
    return [raw.stmt for raw in parsed if raw.stmt is not None]


def schema_calls(
    interp: DdlInterpreter, node: ast.Node
) -> list[tuple[ast.FuncCall, Function, list[fx.Effect]]]:
    """Each call in ``node`` of a VOLATILE PL/pgSQL or SQL function of the history whose body
    may change the schema, with the effects of that body (a call that may reach several such
    functions: each of them)."""
    functions = interp.model.functions
    if not functions:
        return []
    calls = find_all(node, ast.FuncCall)
    if not calls:
        return []
    out = []
    for call in calls:
        for function in candidates(interp, call):
            if function.volatility != "VOLATILE":
                continue  # PostgreSQL refuses DDL in a non-volatile function
            if function.language.lower() not in _BODY_LANGUAGES:
                continue
            if function.strict and any(_is_null(arg) for arg in call.args or ()):
                continue  # STRICT: a NULL argument returns NULL without running the body
            found = body_effects(interp, function)
            if found:
                out.append((call, function, found))
    return out


def _is_null(node: ast.Node | None) -> bool:
    """A NULL constant, cast or not (``NULL``, ``NULL::text``)."""
    while isinstance(node, ast.TypeCast):
        node = node.arg
    return isinstance(node, ast.A_Const) and bool(node.isnull)


def _is_constant(node: ast.Node | None) -> bool:
    while isinstance(node, ast.TypeCast):
        node = node.arg
    return isinstance(node, ast.A_Const)


def candidates(interp: DdlInterpreter, call: ast.FuncCall) -> list[Function]:
    """The history's functions a call may reach: of its name, in its schema or (unqualified)
    in a schema of the search_path. Argument types are not compared: the reading cannot type
    every argument, so a call may name several (each one's effects count)."""
    names = [getattr(n, "sval", "") for n in call.funcname or ()]
    if len(names) == 2 and names[0] != "pg_catalog":
        schemas = {names[0]}
    elif len(names) == 1 and names[0] not in builtin_names():
        # PostgreSQL never looks an unqualified function name up in pg_temp, not even where
        # the search_path names it; a built-in's name (now(), lower(…)) calls pg_catalog's,
        # searched first, for the argument types it takes: a history's function of that
        # name reached by other types is not followed (the walk below stays off every data
        # statement's built-in calls)
        schemas = set(interp.search_path) - {"pg_temp"}
    else:
        return []
    return [
        f for f in interp.model.functions.values() if f.name == names[-1] and f.schema in schemas
    ]


def own_search_path(function: Function) -> list[str] | None:
    """The search_path ``function``'s own ``SET search_path = x`` gives its body while it runs
    (PostgreSQL sets it at the call and puts the caller's back at the end); None when it has
    none. ``[]`` when the value is empty: ``SET search_path = ''`` (kept as ``""``) and
    ``FROM CURRENT`` (kept as ``search_path=``, routines.setting_text), so the path is not
    known. The value is read as PostgreSQL reads the list (``"other, public"`` is one schema)."""
    for entry in function.config:
        name, _, value = entry.partition("=")
        if name.lower() == "search_path":
            names = ident.split_identifier_list(value) or []
            return [v for v in names if v and v not in ("$user", "pg_catalog")]
    return None


def _schema_known(interp: DdlInterpreter, schema: str) -> bool:
    model = interp.model
    return schema in model.schemas or schema in model.schema_grants or schema == "pg_temp"


def settings_followed(function: Function) -> bool:
    """Whether ``function``'s own settings are ones a run of its body follows: none, or a
    ``SET search_path`` of a known value (the body runs with it)."""
    return all(e.partition("=")[0].lower() == "search_path" for e in function.config) and (
        not function.config or bool(own_search_path(function))
    )


def _runnable(interp: DdlInterpreter, call: ast.FuncCall, function: Function) -> bool:
    """Whether ``call`` surely reaches ``function`` and its body runs as a DO block's would:
    the only function of its name the call may reach, not a built-in's name (pg_catalog comes
    first), its arguments one each, no setting of its own but a known ``SET search_path``
    (the body runs with that path: ``_run``)."""
    return (
        function.language.lower() == "plpgsql"
        and candidates(interp, call) == [function]
        and function.name not in builtin_names()
        and settings_followed(function)
        # a schema of its path the history never made: PostgreSQL skips it (and creates in
        # the next one, or refuses), where the reading would create in it
        and all(_schema_known(interp, schema) for schema in own_search_path(function) or ())
        # a plain SET search_path in such a body outlasts the call, a SET LOCAL does not
        # (PostgreSQL 15): the reading does not tell them apart
        and not (function.config and "search_path" in function.body.lower())
        and not ends_transactions(function.body)
        and not function.defaults
        and len(split_expressions(function.arguments)) == len(call.args or ())
        # STRICT returns NULL without running the body when an argument is NULL: only
        # constants tell (a NULL one was left out by schema_calls)
        and (not function.strict or all(_is_constant(arg) for arg in call.args or ()))
        and _arguments_fit(function, call)
    )


# a COMMIT / ROLLBACK statement in a PL/pgSQL body (a word of a string or a comment too:
# then the call is only left unjudged)
_TRANSACTION_CONTROL = re.compile(r"\b(?:commit|rollback)\b", re.IGNORECASE)


def ends_transactions(body: str) -> bool:
    """Whether a body may end its transaction: PostgreSQL 15 refuses that in a function and
    in a procedure CALLed inside a transaction block ("invalid transaction termination"),
    undoing what the body did before it; outside one the procedure commits as it goes. Such
    a body is not run for a call (review18: run as a DO block's, what it added PASSed): a
    function's call leaves what it may change DEFERRED, a CALL is not interpreted."""
    return _TRANSACTION_CONTROL.search(body) is not None


# the parameter types an integer / a decimal literal reaches by PostgreSQL's implicit casts
_INTEGER_REACHES = frozenset({"integer", "bigint", "numeric", "real", "double precision"})
_DECIMAL_REACHES = frozenset({"numeric", "real", "double precision"})


def _arguments_fit(function: Function, call: ast.FuncCall) -> bool:
    """Whether each argument surely reaches its parameter, so PostgreSQL finds this function
    for the call: a quoted literal (of type unknown) or NULL anywhere, an integer literal
    only where an implicit cast takes it, a boolean only to boolean, a cast only to the
    parameter's own type. ``mk(42)`` for ``mk(t text)`` is refused ("function mk(integer)
    does not exist"): it was run (review17)."""
    from schema_audit.sqlnorm import canonical_type, format_typename

    params = split_expressions(function.arguments)
    for param, arg in zip(params, call.args or (), strict=False):
        wanted = canonical_type(param.split(None, 1)[-1])
        if isinstance(arg, ast.TypeCast) and arg.typeName is not None:
            if canonical_type(format_typename(arg.typeName)) != wanted:
                return False
            continue
        if not isinstance(arg, ast.A_Const):
            return False
        value = arg.val
        if arg.isnull or isinstance(value, ast.String):
            continue
        if isinstance(value, ast.Integer) and wanted in _INTEGER_REACHES:
            continue
        if isinstance(value, ast.Float) and wanted in _DECIMAL_REACHES:
            continue
        if isinstance(value, ast.Boolean) and wanted == "boolean":
            continue
        return False
    return True


# the functions whose bodies are being read: a body that calls itself (or back) stops there
_VISITING: set[str] = set()


def body_effects(interp: DdlInterpreter, function: Function) -> list[fx.Effect]:
    """What ``function``'s body may change in the schema: none when it only reads and
    changes rows."""
    # not cached: the answer depends on the history's other functions at this point (a body
    # calling a helper redefined later: review17); only calls of the history's functions
    # get here (may_call_history keeps built-in-only statements off this path)
    if function.signature in _VISITING:
        return []  # a body calling itself: what it may change is counted at the outer call
    _VISITING.add(function.signature)
    path = own_search_path(function)
    caller = interp.search_path
    # its own SET search_path decides what the body's names reach, not the caller's; a
    # schema of it the history never made is skipped by PostgreSQL: both readings count
    paths = [path] if path else [caller]
    if path and not all(_schema_known(interp, schema) for schema in path):
        paths.append([schema for schema in path if _schema_known(interp, schema)] or path)
    found = []
    try:
        for searched in paths:
            interp.search_path = searched
            found += _body_effects(interp, function)
    finally:
        _VISITING.discard(function.signature)
        interp.search_path = caller
    found = fx.dedupe(found)
    if path == [] and found:
        # its path is not known (SET search_path = '' or FROM CURRENT): the names the body
        # changes may be anywhere
        return [fx.Effect("*", "*")]
    return found


def _body_effects(interp: DdlInterpreter, function: Function) -> list[fx.Effect]:
    body = function.body
    if function.language.lower() == "sql":
        from schema_audit.sources.statements import split_statements

        out: list[fx.Effect] = []
        for piece in split_statements(body):
            if piece.node is None:
                out += fx.text_effects(piece.sql)
            elif not isinstance(piece.node, _DATA_NODES):
                out += fx.statement_effects(piece.node, interp)
            else:  # rows only, unless it calls such a function in turn
                out += [e for _, _, found in schema_calls(interp, piece.node) for e in found]
        return fx.dedupe(out)
    from schema_audit.sources.plpgsql import plpgsql_effects

    return plpgsql_effects(interp, body, function.returns)


def _lone_call(node: ast.SelectStmt | ast.CallStmt) -> ast.FuncCall | None:
    """The call of ``SELECT f(…)`` with nothing else (no FROM, WHERE, set operation), or of
    ``CALL p(…)`` (lakekeeper's ``call add_time_columns('tabular')``: runs once, like it)."""
    if isinstance(node, ast.CallStmt):
        return node.funccall
    if (
        node.fromClause
        or node.whereClause
        or node.groupClause
        or node.havingClause
        or node.op not in (None, 0)
        or node.valuesLists
        or not node.targetList
        or len(node.targetList) != 1
    ):
        return None
    value = node.targetList[0].val
    return value if isinstance(value, ast.FuncCall) else None


def _as_block(function: Function, call: ast.FuncCall) -> str | None:
    """``function``'s body as a DO block's: each parameter a variable declared with its
    argument (None when a parameter has no name, is not IN, or an argument is not plain)."""
    from pglast.stream import RawStream

    declarations = []
    params = split_expressions(function.arguments)
    for param, arg in zip(params, call.args or (), strict=True):
        words = param.split(None, 1)
        if words[0].lower() in ("in",):
            words = words[1].split(None, 1)
        if len(words) != 2 or words[0].lower() in ("out", "inout", "variadic"):
            return None
        if isinstance(arg, ast.NamedArgExpr) or find_all(arg, ast.FuncCall, ast.SubLink):
            return None
        declarations.append(f"{words[0]} {words[1]} := {RawStream()(arg)};")
    body = function.body.rstrip().rstrip(";")
    if "$" in body.replace("$$", ""):
        return None  # $1 … references: the parameters' positional names are not declared
    return f"DECLARE {' '.join(declarations)} BEGIN {body}; END"


def _run(interp: DdlInterpreter, block: str, function: Function) -> None:
    from schema_audit.sources.plpgsql import DoRunner

    do = ast.DoStmt(args=(ast.DefElem(defname="as", arg=ast.String(sval=block)),))
    path = own_search_path(function)
    caller = interp.search_path
    if path:  # the function's own SET search_path, while its body runs; the caller's after
        interp.search_path = path
    try:
        DoRunner(interp, label=f"call of {function.signature}").run(do)
    finally:
        if path:
            interp.search_path = caller
