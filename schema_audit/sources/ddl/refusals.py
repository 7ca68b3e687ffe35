"""What PostgreSQL refuses in a column's definition, found before the statement changes anything.

The static reading parses with a newer grammar than the servers it is compared with (pglast
follows PostgreSQL 18), and a column's expressions were taken as written. PostgreSQL 15
refuses two things pagila's dump holds (confirmed with psql): a generated column that is not
STORED (`GENERATED ALWAYS AS (…) VIRTUAL`, or with neither word: PostgreSQL 18's virtual
columns; "syntax error at or near "VIRTUAL""), which was read as a stored one; and a DEFAULT
calling a function it does not have (`DEFAULT uuidv7()`: "function uuidv7() does not exist"),
which was kept. Either made a spec requiring the column PASS a history no PostgreSQL 15 to 17
database can be built from. Such a statement is now refused as PostgreSQL refuses it: not
applied, its reason said, what it touches DEFERRED. Not a syntax error of the history (those
stop the command, exit 2): PostgreSQL 18 accepts both, so such a target gets DEFERRED
findings naming the reason, not a refusal to read.

A function is taken as missing only where the reading can know it: as a CREATE TRIGGER's
function is (``cannot_find``: no extension installed, no function of that name among the
history's in the schemas looked in, every one of them a schema the history knows, and not a
name of PostgreSQL 15's catalog), and no statement the reading could not apply names it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, cast

import pglast
from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.function_schemas import builtin_names
from schema_audit.sources.ddl.nodes import deparse, strings

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

# a name called, maybe schema-qualified: the last identifier before "(" and the one before it
_CALL = re.compile(r'(?<![\w$"])(?:([A-Za-z_][\w$]*)\.)?([A-Za-z_][\w$]*)\(')


def cannot_find(interp: DdlInterpreter, schema: str | None, name: str) -> bool:
    """Whether PostgreSQL cannot find a function ``[schema.]name`` here: no function of that
    name in the schema (or, unqualified, in pg_catalog and the search_path's schemas), every
    schema looked in is one the history knows, and no extension could have brought it."""
    model = interp.model
    if model.extensions:
        return False  # an extension's functions are not modelled
    if schema is not None:
        return schema in model.schemas and not model.functions_named(name, schema)
    if name in builtin_names():
        return False
    # public is in every new database; another schema the history does not make may hold it.
    # pg_temp is never searched for a function, even where the search_path names it
    path = [s for s in interp.search_path if s != "pg_temp"]
    if not all(s in model.schemas or s == "public" for s in path):
        return False
    return not any(f.name == name and f.schema in path for f in model.functions.values())


# printed expressions whose every call is of a built-in name, unqualified: never refused,
# whatever the history holds (pg_catalog is searched first)
_BUILT_IN_ONLY: set[str] = set()


def missing_call(interp: DdlInterpreter, text: str | None) -> str | None:
    """``function name(…) does not exist`` for the first call in the printed expression
    ``text`` of a function PostgreSQL cannot find, else None. Cheap where every name called
    is a built-in or the history's (a text scan; the expression is parsed only otherwise)."""
    if not text or "(" not in text or text in _BUILT_IN_ONLY:
        return None
    calls = _CALL.findall(text)
    builtin = builtin_names()
    if all(not schema and name in builtin for schema, name in calls):
        if len(_BUILT_IN_ONLY) < 65536:  # (the same defaults recur on every table)
            _BUILT_IN_ONLY.add(text)
        return None
    candidates = [
        (schema, name) for schema, name in calls if cannot_find(interp, schema or None, name)
    ]
    if not candidates:
        return None
    try:
        select = cast(ast.SelectStmt, pglast.parse_sql(f"SELECT {text}")[0].stmt)
    except pglast.parser.ParseError:
        return None
    for call in find_all(select, ast.FuncCall):
        names = strings(call.funcname)
        key = (names[-2] if len(names) > 1 else "", names[-1])
        if key in candidates and not _unapplied_names(interp, key[1]):
            args = "…" if call.args or call.agg_star else ""
            qualified = f"{key[0]}.{key[1]}" if key[0] else key[1]
            return f"function {qualified}({args}) does not exist"
    return None


def _unapplied_names(interp: DdlInterpreter, name: str) -> bool:
    """Whether a statement the reading could not apply may have made ``name``: one naming it,
    or one that runs statements the reading does not have (psql's ``\\gexec``); one refused
    as PostgreSQL refuses it made nothing."""
    name = name.lower()
    return any(
        u.kind == "dynamic" or (u.kind != "error" and name in (u.sql or "").lower())
        for u in interp.model.unapplied
    )


def refuse_column(interp: DdlInterpreter, cd: ast.ColumnDef) -> None:
    """ApplyError where PostgreSQL refuses the column definition ``cd`` (module docstring)."""
    for con in cd.constraints or ():
        if con.contype == ConstrType.CONSTR_GENERATED and con.generated_kind == "v":
            written = "VIRTUAL" in interp._stmt.sql.upper() if interp._stmt else False
            near = ' at or near "VIRTUAL"' if written else ""
            raise ApplyError(
                f"generated column {cd.colname} is not STORED: PostgreSQL 15 to 17 refuse it "
                f"(syntax error{near}; a virtual generated column is PostgreSQL 18's)",
                "syntax_error",
            )
        if con.contype in (ConstrType.CONSTR_DEFAULT, ConstrType.CONSTR_GENERATED):
            refuse_expression(interp, con.raw_expr)


def refuse_expression(interp: DdlInterpreter, expr: ast.Node | None) -> None:
    """ApplyError where ``expr`` (a DEFAULT or generation expression) calls a function
    PostgreSQL cannot find."""
    message = missing_call(interp, deparse(expr)) if expr is not None else None
    if message is not None:
        raise ApplyError(message, "undefined_function")


def refuse_subcommand(interp: DdlInterpreter, cmd: ast.AlterTableCmd) -> None:
    """ALTER TABLE … ADD COLUMN / ALTER COLUMN … SET DEFAULT PostgreSQL refuses (the whole
    statement: checked before any of its subcommands changes the model)."""
    if cmd.subtype == AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
        refuse_column(interp, cmd.def_)
    elif cmd.subtype == AlterTableType.AT_ColumnDefault and isinstance(cmd.def_, ast.Node):
        refuse_expression(interp, cmd.def_)
