"""An unqualified call of one of the history's functions outside public, as the catalog prints it.

ruleutils prints a function's name bare only when the reader's search_path finds it, and the
live reader (like pg_dump) reads with an empty one: ``CHECK (controlled_for_whitespace(name))``
written under ``SET search_path = musicbrainz, public`` is printed
``musicbrainz.controlled_for_whitespace((name)::text)`` (public's functions are compared bare).
The static reading kept the written name, so every such CHECK, index expression, default and
generated column differed from the catalog (a false FAIL of a static audit against the
catalog's spec; metabrainz/musicbrainz-server), and so did policies' USING and WITH CHECK
and views' queries (``viewdef.stored_definition``). Here such a call gets the schema the
search_path finds the function in, when exactly one schema of the path holds a function of
that name (several: PostgreSQL picks by argument types, left as written). A name PostgreSQL
has a built-in function of (``lower``, ``gen_random_uuid``) is left as written too: pg_catalog
is searched first, so ``lower(name)`` calls the built-in even where ``util.lower(text)`` is on
the path (printed bare; qualifying it was a false FAIL), and another argument type may call
either: not guessed.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pglast
from pglast import ast

from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl.nodes import deparse

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

# (its functions' keys, the search_path) when made -> function name -> the schema to print
_HOMES: dict[int, tuple[frozenset[str], tuple[str, ...], dict[str, str]]] = {}
# a name called: an identifier followed by "(", not after a qualifier's "."
_CALLED = re.compile(r'(?<![.\w$"])([A-Za-z_][\w$]*)\(')


@cache
def builtin_names() -> frozenset[str]:
    """The names of PostgreSQL's built-in functions (``pg_catalog_functions.txt``), read once,
    only when a history has a function outside public."""
    text = Path(__file__).with_name("pg_catalog_functions.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def _homes(interp: DdlInterpreter) -> dict[str, str]:
    """Function name -> the schema to print before it: the one schema of the search_path
    holding a function of that name, when it is not public (none for other names)."""
    functions = interp.model.functions
    keys, path = frozenset(functions), tuple(interp.search_path)
    cached = _HOMES.get(id(functions))
    if cached is not None and cached[0] == keys and cached[1] == path:
        return cached[2]
    held: dict[str, set[str]] = {}
    for function in functions.values():
        if function.schema in path:
            held.setdefault(function.name, set()).add(function.schema)
    homes = {
        name: next(iter(schemas))
        for name, schemas in held.items()
        if len(schemas) == 1 and not schemas & {"public", "pg_catalog"}
    }
    if homes:
        builtin = builtin_names()
        homes = {name: schema for name, schema in homes.items() if name not in builtin}
    _HOMES.clear()  # one model read at a time: keep only its entry
    _HOMES[id(functions)] = (keys, path, homes)
    return homes


def qualify_calls(interp: DdlInterpreter, node: ast.Node | None) -> bool:
    """Qualify, in place, each unqualified call in ``node`` of a function the search_path
    finds outside public; whether any was."""
    if node is None or not interp.model.functions:
        return False
    homes = _homes(interp)
    if not homes:
        return False
    changed = False
    for call in find_all(node, ast.FuncCall):
        names = list(call.funcname or ())
        if len(names) == 1 and (home := homes.get(names[0].sval)) is not None:
            call.funcname = (ast.String(sval=home), names[0])
            changed = True
    return changed


def qualified_calls(interp: DdlInterpreter, text: str | None) -> str | None:
    """``text`` (a printed expression) with :func:`qualify_calls` applied; the same text
    when no function outside public is named in it (the usual case: nothing parsed)."""
    if not text or not interp.model.functions:
        return text
    homes = _homes(interp)
    if not homes or not any(name in homes for name in _CALLED.findall(text)):
        return text
    try:
        select = cast(ast.SelectStmt, pglast.parse_sql(f"SELECT {text}")[0].stmt)
    except pglast.parser.ParseError:  # (printed by pglast: parses) left as printed
        return text
    target = (select.targetList or (ast.ResTarget(),))[0]
    if not qualify_calls(interp, target.val):
        return text
    return deparse(target.val) or text
