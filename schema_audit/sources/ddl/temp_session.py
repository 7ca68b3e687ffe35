"""The session's end drops its temporary schema with CASCADE, as PostgreSQL does.

PostgreSQL removes a session's temporary objects with ``DROP SCHEMA pg_temp_N CASCADE``
(RemoveTempRelations): whatever a permanent object holds of one goes with it, though the
permanent object was never temporary itself. DefineView makes a view temporary only for
the relations it reads (``views.py``); a view that calls ``nextval('temp_seq')`` or a
pg_temp function, or casts to a temporary type, is permanent until the session ends, and
then dropped. A column of a type made in pg_temp (an enum, a domain, a temporary table's
row type, an array of one, a permanent domain over one) is dropped with its views; a
column default, CHECK, index, policy or trigger calling a pg_temp function or a temporary
sequence goes, a generated column with the column; a permanent function taking or
returning a temporary type goes. The reading kept all of them after the session: a false
PASS of each (checked against PostgreSQL 15's catalog).

What a permanent object held is found as PostgreSQL found it when the object was made
(``temp_shadows``): a cast or ``nextval`` literal written before a same-named temporary type
or sequence existed holds the permanent one, and stays.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pglast
from pglast import ast

from schema_audit.ident import split_qualified
from schema_audit.model import Function, Table, qualify
from schema_audit.pgparse import parse_sql
from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl import drops
from schema_audit.sources.ddl.dependents import regclass_literal
from schema_audit.sources.ddl.nodes import strings, type_text
from schema_audit.sources.ddl.sequence_literals import sequence_key
from schema_audit.sources.ddl.tables import searched_type
from schema_audit.sqlnorm import format_typename

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

TEMP = "pg_temp"


class _Temporary:
    """The session's temporary objects, as the texts of permanent objects name them."""

    def __init__(self, interp: DdlInterpreter) -> None:
        model = interp.model
        self.interp = interp
        self.sequences = {key for n in interp._temp if (key := qualify(TEMP, n)) in model.sequences}
        self.functions = {
            fn.name for s in interp._temp_routines if (fn := model.functions.get(s)) is not None
        }
        rowtypes = {n for n in interp._temp if qualify(TEMP, n) not in model.sequences}
        # a column's type text (tables.searched_type): pg_temp.mood, and a permanent domain
        # over one (its own text) once it is known to go too
        self.types = {type_text(TEMP, n) for n in interp._temp_types | rowtypes}
        self.words = {*self.functions, *interp._temp_types, *rowtypes, *interp._temp}

    def typed(self, text: str) -> bool:
        """Whether a column of type ``text`` is of a temporary type (or its array)."""
        return text.removesuffix("[]").removesuffix("[]") in self.types

    def used_by(self, text: str | None, holder: object, field: str, query: bool = False) -> bool:
        """Whether expression ``text``, ``holder``'s ``field`` (a view's ``query``), calls a
        pg_temp function, ``nextval`` of a temporary sequence, or casts to a temporary type;
        a bare name it held before its temporary namesake was made holds the permanent one."""
        if not text or not any(word in text for word in self.words):
            return False
        held = (id(holder), field)
        before = {n for n, made in self.interp._made_before.items() if held in made}
        try:
            tree = parse_sql(text if query else f"SELECT {text}")
        except pglast.parser.ParseError:
            return False
        for call in find_all(tree, ast.FuncCall):
            names = strings(call.funcname)
            if names[:-1] == [TEMP] and names[-1] in self.functions:
                return True
            if names[-1:] == ["nextval"] and len(call.args or ()) == 1:
                literal = regclass_literal(call.args[0])
                if literal is None or _bare(split_qualified(literal, fold=True), before):
                    continue
                if sequence_key(self.interp, literal) in self.sequences:
                    return True
        casts: list[ast.TypeCast] = find_all(tree, ast.TypeCast)
        return any(
            cast.typeName is not None
            and not _bare(strings(cast.typeName.names), before)
            and self.typed(searched_type(self.interp, format_typename(cast.typeName)))
            for cast in casts
        )


def _bare(names: list[str] | None, before: set[str]) -> bool:
    """Whether a name written unqualified was resolved before its temporary namesake."""
    return names is not None and len(names) == 1 and names[0] in before


def drop_dependents(interp: DdlInterpreter) -> None:
    """Before the session's temporary objects go (``end_session``): the permanent objects,
    and the parts of them, that PostgreSQL's CASCADE drops with them."""
    if not (interp._temp or interp._temp_routines or interp._temp_types):
        return
    temp = _Temporary(interp)
    model = interp.model
    _domains_over(temp)
    for key, view in list(model.views.items()):
        if (
            view.schema != TEMP
            and key in model.views
            and temp.used_by(view.definition, view, "definition", True)
        ):
            drops._forget_view(interp, key, model.views.pop(key))
            drops.drop_dependent_views(interp, key)
    for table in [t for t in model.tables.values() if t.schema != TEMP]:
        _table(interp, temp, table)
    for signature, fn in list(model.functions.items()):
        if fn.schema != TEMP and (
            _signature_typed(temp, fn.arguments, fn.returns) or _body_uses(temp, fn)
        ):
            del model.functions[signature]
    for domain in [d for d in model.domains.values() if d.schema != TEMP]:
        for name, check in list(domain.checks.items()):
            if temp.used_by(check.removeprefix("CHECK "), domain, f"check {name}"):
                del domain.checks[name]  # (the constraint goes, the domain stays)


def _domains_over(temp: _Temporary) -> None:
    """Permanent domains over a temporary type (or over such a domain) go, and their
    columns with them (their type text joins ``temp.types``)."""
    domains = temp.interp.model.domains
    gone: set[str] = set()
    while found := [
        key
        for key, domain in domains.items()
        if key not in gone and domain.schema != TEMP and temp.typed(domain.type)
    ]:
        for key in found:
            gone.add(key)
            temp.types.add(type_text(domains[key].schema, domains[key].name))
    for key in gone:
        del domains[key]


def _table(interp: DdlInterpreter, temp: _Temporary, table: Table) -> None:
    """What ``table`` holds of a temporary object goes: columns of a temporary type and
    generated columns calling a pg_temp function (with what reads them), defaults, CHECKs,
    indexes, policies, and triggers calling one."""
    altered = False
    for column in list(table.columns.values()):
        if temp.typed(column.type) or temp.used_by(column.generated, column, "generated"):
            drops.drop_column_and_views(interp, table, column.name)
            altered = True
        elif temp.used_by(column.default, column, "default"):
            column.default = None
            altered = True
    for name, check in list(table.checks.items()):
        if temp.used_by(check.expression, check, "expression"):
            del table.checks[name]
            altered = True
    for name, index in list(table.indexes.items()):
        texts = [k.expression for k in index.keys if not k.is_column] + [index.where]
        if any(temp.used_by(text, index, "index") for text in texts):
            del table.indexes[name]
            interp._relations.pop(qualify(table.schema, name), None)
            altered = True
    for name, policy in list(table.policies.items()):
        if temp.used_by(policy.using, policy, "using") or temp.used_by(
            policy.with_check, policy, "with_check"
        ):
            del table.policies[name]
            altered = True
    for name, trigger in list(table.triggers.items()):
        schema, _, function = trigger.function.rpartition(".")
        if (schema == TEMP and function in temp.functions) or temp.used_by(
            trigger.when, trigger, "when"
        ):
            del table.triggers[name]
            altered = True
    if altered:
        table.provenance.append(interp._prov("altered"))


def _body_uses(temp: _Temporary, fn: Function) -> bool:
    """Whether ``fn``'s SQL-standard body (``BEGIN ATOMIC …``, ``RETURN …``) calls a
    temporary object: PostgreSQL records those calls as dependencies, not a quoted body's."""
    if id(fn) not in temp.interp._standard_bodies:
        return False
    if fn.body.startswith("RETURN "):
        return temp.used_by(fn.body.removeprefix("RETURN "), fn, "body")
    return temp.used_by(fn.body, fn, "body", True)


def _signature_typed(temp: _Temporary, arguments: str, returns: str) -> bool:
    """Whether a function's identity arguments or result name a temporary type: the type
    ends each argument (``x pg_temp.mood``, ``VARIADIC xs pg_temp.mood[]``)."""
    types = [re.escape(t) for t in temp.types]
    if not types:
        return False
    alternatives = "|".join(sorted(types))
    argument = re.compile(rf"(?:^|[ ,])(?:{alternatives})(?:\[\])*(?=,|$)")
    result = re.compile(rf"(?:SETOF )?(?:{alternatives})(?:\[\])*")
    return bool(argument.search(arguments)) or bool(result.fullmatch(returns))
