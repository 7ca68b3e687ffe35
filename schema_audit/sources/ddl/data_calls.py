"""A data statement calling a function PostgreSQL 15 does not have: refused, as PostgreSQL refuses it.

memos's upgrade files (``UPDATE memo SET payload = … WHERE pg_input_is_valid(…, 'jsonb')``)
call ``pg_input_is_valid``, which PostgreSQL 16 added: PostgreSQL 15 refuses the statement
(``ERROR: function pg_input_is_valid(text, unknown) does not exist``, undefined_function)
and a runner stops there, so none of the later files run. The static reading took every data
statement as data and applied the later files without a word. Such a statement is now
refused with its file:line and the function named (in a transaction, the rest of it is named
as perhaps rolled back, as for any refusal), and a blind spot says that a runner stopping at
the error applies nothing after it while this reading goes on (as ``psql -f`` does).

A function is taken as missing only where the reading can know it (``refusals.cannot_find``:
not a name of PostgreSQL 15's catalog, no function of the history of that name in the
schemas looked in, no extension that may bring it, no statement the reading could not apply
naming it). The statement's text is scanned first: one calling only built-ins (every INSERT
of a long history) is not walked.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from pglast import ast

from schema_audit.model import qualify
from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl.data_targets import named_unapplied
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.function_schemas import builtin_names
from schema_audit.sources.ddl.nodes import strings
from schema_audit.sources.ddl.refusals import _CALL, cannot_find

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


def refuse_missing_call(interp: DdlInterpreter, node: ast.Node) -> None:
    """ApplyError (undefined_function) when the data statement ``node`` calls a function
    PostgreSQL 15 cannot find here (module docstring); the first blind spot it causes."""
    stmt = interp._stmt
    if stmt is None or not _may_call_missing(interp, stmt.sql):
        return
    for call in find_all(node, ast.FuncCall):
        names = strings(call.funcname)
        schema, name = (names[-2] if len(names) > 1 else None), names[-1]
        if len(call.args or ()) == 1 and _is_type(interp, schema, name):
            continue  # a function-style cast: mood('a'), uuid('…') (review18)
        if "multirange" in name.lower():
            continue  # CREATE TYPE … AS RANGE's multirange constructor, not modelled (review18)
        if cannot_find(interp, schema, name) and not named_unapplied(interp, name):
            qualified = f"{schema}.{name}" if schema else name
            where = f"{interp._file}:{stmt.line}" if interp._file and stmt else "a statement"
            _note(interp, where, qualified)
            raise ApplyError(
                f"function {qualified}({'…' if call.args else ''}) does not exist: PostgreSQL 15 "
                "refuses the statement (no such function in its catalog or in the history; "
                "unless something outside this source made it, an extension the platform installs)",
                "undefined_function",
            )


def _may_call_missing(interp: DdlInterpreter, text: str) -> bool:
    """A text test before the tree is walked: whether a name before "(" may be a function
    PostgreSQL cannot find — not a built-in's name, not a relation of the model (``INSERT
    INTO t0(id, …)`` names its columns so), and one ``cannot_find`` finds missing."""
    if "(" not in text:
        return False
    builtin = builtin_names()
    relations = interp._relations
    path = interp.search_path or ["public"]
    for schema, name in _CALL.findall(text):
        if not schema and name.lower() in builtin:
            continue
        schemas = [schema] if schema else path
        if any(qualify(s, name) in relations for s in schemas):
            continue
        if cannot_find(interp, schema or None, name):
            return True
    return False


def _is_type(interp: DdlInterpreter, schema: str | None, name: str) -> bool:
    """Whether ``[schema.]name`` is a type a one-argument call casts to (PostgreSQL takes
    ``name(x)`` as ``x::name`` when no function has that name): one of the model's enums and
    domains, or a built-in type of PostgreSQL 15 (``pg_catalog_types.txt``)."""
    model = interp.model
    schemas = [schema] if schema else interp.search_path or ["public"]
    if any(qualify(s, name) in model.enums or qualify(s, name) in model.domains for s in schemas):
        return True
    return schema in (None, "pg_catalog") and name.lower() in _builtin_types()


@cache
def _builtin_types() -> frozenset[str]:
    text = Path(__file__).with_name("pg_catalog_types.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


# how the blind spot starts (cli/init says it too)
BLIND_SPOT = "a data statement PostgreSQL 15 refuses"


def _note(interp: DdlInterpreter, where: str, name: str) -> None:
    """The blind spot of a refused data statement, said once per history."""
    spots = interp.model.blind_spots
    if any(s.startswith(BLIND_SPOT) for s in spots):
        return
    spots.append(
        f"{BLIND_SPOT} (first at {where}: function {name} does not exist, unless something "
        "outside this source made it): a migration runner stops at it and applies no later "
        "migration, which this reading applies (as psql -f goes on): on PostgreSQL 15 what "
        "they make may be missing"
    )
