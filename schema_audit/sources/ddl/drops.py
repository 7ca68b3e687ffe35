"""DROP: one small function per object type (ObjectType), each dropping what PostgreSQL drops.

``DROPPERS`` maps each modelled object type to its function; a type not in the table
(casts, operators …) holds nothing the model keeps, so dropping it changes nothing here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pglast import ast, parse_sql
from pglast.enums import DropBehavior, ObjectType

from schema_audit.model import Function, Index, Table, View, qualify
from schema_audit.sources import effects as fx
from schema_audit.sources.ddl import dependents, domains, index_links, inheritance, rules
from schema_audit.sources.ddl.alter_table import drop_column, drop_referenced_key, mentions_column
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.extension_members import MEMBERS, Members
from schema_audit.sources.ddl.nodes import strings, type_text
from schema_audit.sources.ddl.registry import handles, registrar
from schema_audit.sources.ddl.routines import functions_named
from schema_audit.sources.ddl.views import views_using_column

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


# DROP object type -> its function (interpreter, statement, object, its dotted name parts)
Dropper = Callable[["DdlInterpreter", ast.DropStmt, Any, list[str]], None]
DROPPERS: dict[ObjectType, Dropper] = {}
OT = ObjectType

_on = registrar(DROPPERS)


@handles(ast.DropStmt)
def drop(interp: DdlInterpreter, node: ast.DropStmt) -> None:
    """DROP … [, …]: each object in turn, by its type's function (others hold nothing modelled)."""
    dropper = DROPPERS.get(node.removeType)
    if dropper is not None and not _cascade(node):
        _refuse_if_depended_on(interp, node)
    for obj in node.objects or ():
        names = strings(obj) if isinstance(obj, tuple | list) else []
        if dropper is not None:
            dropper(interp, node, obj, names)


def _cascade(node: ast.DropStmt) -> bool:
    return node.behavior == DropBehavior.DROP_CASCADE


def _names(obj: Any) -> list[str]:
    return strings(obj) if isinstance(obj, tuple | list) else []


def _table_key(interp: DdlInterpreter, names: list[str]) -> str:
    return qualify(names[0] if len(names) == 2 else interp._lookup_schema(names[-1]), names[-1])


def _view_key(interp: DdlInterpreter, names: list[str]) -> str:
    schema = names[0] if len(names) == 2 else interp._lookup_schema(names[-1], views=True)
    return qualify(schema, names[-1])


def _sequence_key(interp: DdlInterpreter, names: list[str]) -> str:
    return qualify(*(names if len(names) == 2 else [interp.search_path[0], names[-1]]))


def _type_key(interp: DdlInterpreter, n: ast.TypeName) -> tuple[str, str]:
    tn = strings(n.names)
    schema, name = tn if len(tn) == 2 else [interp.search_path[0], tn[-1]]
    return schema, name


def _composite_key(interp: DdlInterpreter, n: ast.TypeName) -> str | None:
    """The key of the composite type ``DROP TYPE n`` drops: the first type of that name on
    the search_path, when it is a composite one (known by name only)."""
    tn = strings(n.names)
    model = interp.model
    for schema in tn[:1] if len(tn) == 2 else interp.search_path:
        key = qualify(schema, tn[-1])
        if interp._relations.get(key) == "composite":
            return key
        if key in model.enums or key in model.domains or key in model.tables:
            return None
    return None


def _dropped_functions(interp: DdlInterpreter, obj: Any, names: list[str]) -> list[Function]:
    if isinstance(obj, ast.ObjectWithArgs):
        return functions_named(interp, obj)
    return [
        fn
        for fn in interp.model.functions.values()
        if fn.name == names[-1] and (len(names) == 1 or fn.schema == names[0])
    ]


def _with_partitions(interp: DdlInterpreter, keys: set[str]) -> set[str]:
    """``keys`` and the partitions of each (DROP TABLE of a partitioned table drops them);
    only partitioned tables are looked under (the scan is over every table)."""
    out = set(keys)
    todo = [k for k in keys if getattr(interp.model.tables.get(k), "kind", "") == "partitioned"]
    while todo:
        parent = todo.pop()
        for key, table in interp.model.tables.items():
            if table.partition_of == parent and key not in out:
                out.add(key)
                if table.kind == "partitioned":
                    todo.append(key)
    return out


def _refuse_if_depended_on(interp: DdlInterpreter, node: ast.DropStmt) -> None:
    """DROP without CASCADE: PostgreSQL refuses the whole statement while an object outside
    it depends on one it names (``dependents``); nothing of it is applied then."""
    kind, objects = node.removeType, list(node.objects or ())
    if kind in (OT.OBJECT_TABLE, OT.OBJECT_FOREIGN_TABLE):
        named = {_table_key(interp, _names(o)) for o in objects}
        keys = _with_partitions(interp, {k for k in named if k in interp.model.tables})
        for key in sorted(named & keys):
            table = interp.model.tables[key]
            if (
                dependents.views_reading(interp, keys)
                or dependents.referencing_keys(interp, table, keys)
                or set(inheritance.descendant_keys(interp, table)) - keys
                or any(r[0] not in keys for r in rules.rules_using(interp, key))
            ):
                raise dependents.refused("table", key)
    elif kind in (OT.OBJECT_VIEW, OT.OBJECT_MATVIEW):
        keys = {_view_key(interp, _names(o)) for o in objects}
        if reading := dependents.views_reading(interp, keys):
            gone = next(k for k in sorted(keys) if k in interp.model.views[reading[0]].depends_on)
            raise dependents.refused("view", gone)
        for key in sorted(keys):
            if any(r[0] not in keys for r in rules.rules_using(interp, key)):
                raise dependents.refused("view", key)
    elif kind == OT.OBJECT_SEQUENCE:
        keys = {_sequence_key(interp, _names(o)) for o in objects}
        keys &= set(interp.model.sequences)
        if keys and dependents.columns_calling_nextval(interp, keys):
            raise dependents.refused("sequence", min(keys))
    elif kind == OT.OBJECT_TYPE:
        for obj in objects:
            for n in obj if isinstance(obj, tuple | list) else [obj]:
                if isinstance(n, ast.TypeName):
                    schema, name = _type_key(interp, n)
                    typed = type_text(schema, name)
                    if dependents.columns_of_types(interp, {typed}, set()) or (
                        qualify(schema, name) in interp.model.enums
                        and dependents.defaults_of_type(interp, schema, name)
                    ):
                        raise dependents.refused("type", typed)
    elif kind in (OT.OBJECT_FUNCTION, OT.OBJECT_PROCEDURE):
        dropped = [fn for o in objects for fn in _dropped_functions(interp, o, _names(o))]
        homes = dependents.certain_homes(interp, dropped)
        for _what, _table, _name in dependents.function_users(interp, homes):
            raise dependents.refused("function", dropped[0].signature)


@_on(OT.OBJECT_TABLE, OT.OBJECT_FOREIGN_TABLE)
def _table(interp: DdlInterpreter, node: ast.DropStmt, obj: Any, names: list[str]) -> None:
    key = _table_key(interp, names)
    if key in interp.model.tables and _cascade(node):  # inheritance children, deepest first
        for child in reversed(inheritance.descendant_keys(interp, interp.model.tables[key])):
            if child in interp.model.tables:
                drop_table(interp, child.split(".", 1), False, True)
    if key in interp.model.tables:  # its partitions go with it, deepest first
        for part in sorted(_with_partitions(interp, {key}) - {key}, reverse=True):
            if part in interp.model.tables:
                drop_table(interp, part.split(".", 1), False, _cascade(node))
    drop_table(interp, names, bool(node.missing_ok), _cascade(node))


@_on(OT.OBJECT_VIEW, OT.OBJECT_MATVIEW)
def _view(interp: DdlInterpreter, node: ast.DropStmt, obj: Any, names: list[str]) -> None:
    key = _view_key(interp, names)
    view = interp.model.views.pop(key, None)
    if view is None and not node.missing_ok:
        raise ApplyError(f"view {key} does not exist")
    _forget_view(interp, key, view)
    rules.forget_relation(interp, key)
    rules.drop_rules(interp, rules.rules_using(interp, key))  # (refused before without CASCADE)
    if view is not None and _cascade(node):
        drop_dependent_views(interp, key)


def _forget_view(interp: DdlInterpreter, key: str, view: View | None) -> None:
    """The names a dropped view (and a materialized view's indexes) held are free again."""
    interp._relations.pop(key, None)
    for index_name in view.indexes if view is not None else ():
        interp._relations.pop(qualify(view.schema, index_name), None)


def drop_dependent_views(interp: DdlInterpreter, key: str) -> None:
    """DROP … CASCADE of relation ``key``: the views reading it go, and the views reading
    those (Lemmy's ``DROP VIEW user_view CASCADE`` took ``user_mview`` built on it along)."""
    todo = [key]
    while todo:
        gone = todo.pop()
        for vkey, view in list(interp.model.views.items()):
            if gone in view.depends_on:
                del interp.model.views[vkey]
                _forget_view(interp, vkey, view)
                todo.append(vkey)


@_on(OT.OBJECT_INDEX)
def _index(interp: DdlInterpreter, node: ast.DropStmt, obj: Any, names: list[str]) -> None:
    found = interp._index_owner(names[0] if len(names) == 2 else None, names[-1])
    if found is None:
        if not node.missing_ok:
            raise ApplyError(f"index {names[-1]} does not exist")
        return
    relation, index = found
    parent = index_links.parent_of(interp, index)
    if parent is not None:  # (CASCADE or not: a partition dependency)
        raise ApplyError(
            f"cannot drop index {index.name} because index {parent[1].name} requires it",
            "dependent_objects_still_exist",
        )
    if (
        isinstance(relation, Table)
        and index.unique
        and not index.constraint
        and not index.where
        and all(k.is_column for k in index.keys)
    ):
        cascade = node.behavior == DropBehavior.DROP_CASCADE
        keys = [k.expression for k in index.keys]
        drop_referenced_key(interp, relation, index.name, keys, cascade)
    _drop_with_attached(interp, relation, index)


def _drop_with_attached(interp: DdlInterpreter, relation: Table | View, index: Index) -> None:
    """``index`` dropped, and every partition index attached to it, down the tree (as
    PostgreSQL drops them: they were left behind statically)."""
    for child, attached in index_links.attached_to(interp, index):
        _drop_with_attached(interp, child, attached)
    del relation.indexes[index.name]
    interp._relations.pop(qualify(relation.schema, index.name), None)


@_on(OT.OBJECT_POLICY, OT.OBJECT_TRIGGER)
def _policy_or_trigger(
    interp: DdlInterpreter, node: ast.DropStmt, obj: Any, names: list[str]
) -> None:
    kind = node.removeType
    table_names, object_name = names[:-1], names[-1]
    key = qualify(
        *(
            table_names
            if len(table_names) == 2
            else [interp._lookup_schema(table_names[-1]), table_names[-1]]
        )
    )
    table = interp.model.tables.get(key)
    if table is None and kind == OT.OBJECT_TRIGGER:
        schema = table_names[0] if len(table_names) == 2 else None
        view = qualify(schema or interp._lookup_schema(table_names[-1], views=True), names[-2])
        if view in interp.model.views:
            return  # a trigger on a view: not modelled (named when it was created)
    group = (table.policies if kind == OT.OBJECT_POLICY else table.triggers) if table else None
    if group is None or group.pop(object_name, None) is None:
        if not node.missing_ok:
            raise ApplyError(
                f"{'policy' if kind == OT.OBJECT_POLICY else 'trigger'} {object_name} on {key} does not exist"
            )
    elif table is not None:
        table.provenance.append(interp._prov("altered"))


@_on(OT.OBJECT_RULE)
def _rule(interp: DdlInterpreter, node: ast.DropStmt, obj: Any, names: list[str]) -> None:
    """DROP RULE name ON relation (not modelled: only its blind spot goes)."""
    relation = names[:-1]
    schema = relation[0] if len(relation) == 2 else interp._lookup_schema(relation[-1], views=True)
    rules.drop_rule(interp, qualify(schema, relation[-1]), names[-1], bool(node.missing_ok))


@_on(OT.OBJECT_FUNCTION, OT.OBJECT_PROCEDURE)
def _routine(interp: DdlInterpreter, node: ast.DropStmt, obj: Any, names: list[str]) -> None:
    """DROP FUNCTION / PROCEDURE: the overload its argument types name (every one without them),
    and with CASCADE the triggers that call it (PostgreSQL drops them; without CASCADE it
    refuses while one does)."""
    dropped = _dropped_functions(interp, obj, names)
    if _cascade(node):
        _drop_function_users(interp, dependents.certain_homes(interp, dropped))
    homes = {(fn.schema, fn.name) for fn in dropped}
    calling = [
        (table, trigger)
        for table in interp.model.tables.values()
        for trigger in table.triggers.values()
        if _trigger_home(trigger.function) in homes
    ]
    if calling and not _cascade(node):
        table, trigger = calling[0]
        raise ApplyError(
            f"cannot drop function {trigger.function}: trigger {trigger.name} on "
            f"{table.qualified_name} depends on it"
        )
    for fn in dropped:
        interp.model.functions.pop(fn.signature, None)
    for table, trigger in calling:
        table.triggers.pop(trigger.name, None)
        table.provenance.append(interp._prov("altered"))


def _drop_function_users(interp: DdlInterpreter, homes: set[tuple[str, str]]) -> None:
    """DROP FUNCTION … CASCADE: the views, column defaults, CHECKs and indexes calling it go
    (a column keeps its place without the default, as PostgreSQL drops only the default)."""
    for what, table, name in list(dependents.function_users(interp, homes)):
        if what == "view":
            view = interp.model.views.pop(name, None)
            _forget_view(interp, name, view)
            drop_dependent_views(interp, name)
            continue
        assert table is not None
        if what == "default":
            table.columns[name].default = None
        elif what == "check":
            table.checks.pop(name, None)
        elif table.indexes.pop(name, None) is not None:
            interp._relations.pop(qualify(table.schema, name), None)
        table.provenance.append(interp._prov("altered"))


def _trigger_home(function: str) -> tuple[str, str]:
    """A trigger's function as (schema, name): the model names one in public bare."""
    schema, _, name = function.rpartition(".")
    return (schema or "public", name)


@_on(OT.OBJECT_TYPE)
def _type(interp: DdlInterpreter, node: ast.DropStmt, obj: Any, names: list[str]) -> None:
    """DROP TYPE; with CASCADE PostgreSQL drops the columns of that type too (and their arrays'),
    and the defaults holding a value of it: for an enum the model holds they go; for another
    type they are not known, so listed."""
    for n in obj if isinstance(obj, tuple | list) else [obj]:
        if isinstance(n, ast.TypeName):
            schema, name = _type_key(interp, n)
            composite = _composite_key(interp, n)
            if composite is not None:  # its name is free again (schemas.create_composite)
                del interp._relations[composite]
            if (typed := domains.drop_domain(interp, node, n, True)) is not None:
                _drop_typed_columns(interp, typed)
                continue
            enum = interp.model.enums.pop(qualify(schema, name), None)
            if not _cascade(node):
                continue
            if enum is None and _type_unused(interp, name):
                continue  # nothing the model holds can be of that type: nothing to drop
            if enum is None:
                interp._unapplied(
                    "unsupported",
                    "DROP TYPE … CASCADE of a type the model does not hold: the columns it drops "
                    "are not known",
                )
                continue
            _drop_typed_columns(interp, type_text(schema, name))
            for table, column in dependents.defaults_of_type(interp, schema, name):
                column.default = None  # a value of the enum (a former column of it)
                table.provenance.append(interp._prov("altered"))


@_on(OT.OBJECT_DOMAIN)
def _domain(interp: DdlInterpreter, node: ast.DropStmt, obj: Any, names: list[str]) -> None:
    """DROP DOMAIN [IF EXISTS] … [CASCADE]: with CASCADE its columns go too."""
    for n in obj if isinstance(obj, tuple | list) else [obj]:
        if isinstance(n, ast.TypeName):
            typed = domains.drop_domain(interp, node, n, bool(node.missing_ok))
            if typed is not None:
                _drop_typed_columns(interp, typed)


def _drop_typed_columns(interp: DdlInterpreter, typed: str) -> None:
    """The columns of type ``typed`` or its array (a DROP TYPE / DOMAIN … CASCADE's)."""
    for table in list(interp.model.tables.values()):
        for column in list(table.columns.values()):
            if column.type in (typed, typed + "[]"):
                drop_column(interp, table, column.name, False)


# an unapplied statement that may have made a type wrapping another (a domain over it, a
# composite with an attribute of it): a column of that wrapper goes with a DROP TYPE … CASCADE
_WRAPPING_TYPE = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:DOMAIN|TYPE)\b", re.IGNORECASE)


def _type_unused(interp: DdlInterpreter, name: str) -> bool:
    """Whether nothing the model holds can depend on type ``name`` the model does not hold, so
    that ``DROP TYPE IF EXISTS name CASCADE`` drops nothing it holds (listmonk's schema.sql
    starts with fourteen of them, before it creates anything). The name must appear in no
    column type, default, generation, CHECK, index, view or function signature, and in no
    statement left unapplied; an unapplied CREATE DOMAIN / CREATE TYPE may wrap it unseen."""
    word = re.compile(r"(?<![\w$])" + re.escape(name) + r"(?![\w$])", re.IGNORECASE)
    for unapplied in interp.model.unapplied:
        if word.search(unapplied.sql) or _WRAPPING_TYPE.match(unapplied.sql):
            return False
    texts: list[str | None] = []
    for table in interp.model.tables.values():
        for column in table.columns.values():
            texts += (column.type, column.default, column.generated)
        texts += (check.expression for check in table.checks.values())
        for index in table.indexes.values():
            texts.append(index.where)
            texts += (key.expression for key in index.keys)
    texts += (view.definition for view in interp.model.views.values())
    for fn in interp.model.functions.values():
        texts += (fn.arguments, fn.returns)
    return not any(text and word.search(text) for text in texts)


@_on(OT.OBJECT_SEQUENCE)
def _sequence(interp: DdlInterpreter, node: ast.DropStmt, obj: Any, names: list[str]) -> None:
    """DROP SEQUENCE; with CASCADE the column defaults calling nextval on it go too."""
    key = _sequence_key(interp, names)
    if _cascade(node) and key in interp.model.sequences:
        for table, column in dependents.columns_calling_nextval(interp, {key}):
            column.default = None
            table.provenance.append(interp._prov("altered"))
    interp.model.sequences.pop(key, None)
    interp._relations.pop(key, None)


@_on(OT.OBJECT_ACCESS_METHOD)
def _access_method(interp: DdlInterpreter, node: ast.DropStmt, obj: Any, names: list[str]) -> None:
    """DROP ACCESS METHOD (access methods are not modelled: CREATE ACCESS METHOD is applied as
    nothing): refused while a table, materialized view or index uses it, as PostgreSQL refuses
    it; with CASCADE what it drops is left open (named, not applied: dropping those relations
    takes their dependents along). Before, either was applied as nothing: a table PostgreSQL
    dropped stayed in the model (a spec requiring it PASSed)."""
    name = obj.sval if isinstance(obj, ast.String) else (names[-1] if names else "")
    model = interp.model
    relations = [
        (f"TABLE {t.qualified_name}", t.qualified_name)
        for t in model.tables.values()
        if t.access_method == name
    ] + [
        (f"MATERIALIZED VIEW {v.qualified_name}", v.qualified_name)
        for v in model.views.values()
        if v.access_method == name
    ]
    holders: list[Table | View] = [*model.tables.values(), *model.views.values()]
    indexes = [
        (f"INDEX {qualify(relation.schema, index)}", index)
        for relation in holders
        for index, found in relation.indexes.items()
        if found.method == name
    ]
    users = relations + indexes
    if not users:
        return
    listed = ", ".join(u[1] for u in users[:3]) + (" …" if len(users) > 3 else "")
    if not _cascade(node):
        raise ApplyError(
            f"cannot drop access method {name} because other objects depend on it ({listed})",
            "dependent_objects_still_exist",
        )
    effects = [
        effect
        for what, _ in users
        for effect in fx.statement_effects(parse_sql(f"DROP {what} CASCADE")[0].stmt, interp)
    ]
    interp._unapplied(
        "unsupported",
        f"DROP ACCESS METHOD {name} CASCADE drops what uses it ({listed}) and what depends "
        "on those: not applied here",
        effects,
    )


@_on(OT.OBJECT_EXTENSION)
def _extension(interp: DdlInterpreter, node: ast.DropStmt, obj: Any, names: list[str]) -> None:
    """DROP EXTENSION; with CASCADE also what uses its types, functions and operator classes
    (``extension_members``): columns of its types (and the views reading them), defaults,
    CHECKs, indexes and views calling its functions, triggers executing them, indexes with
    its operator classes. For an extension not in that table, or one the model does not
    hold (its schema unknown), what goes is not known: listed."""
    name = obj.sval if isinstance(obj, ast.String) else (names[-1] if names else "")
    extension = interp.model.extensions.pop(name, None)
    if not _cascade(node):
        return
    members = MEMBERS.get(name)
    if extension is None or members is None:
        interp._unapplied(
            "unsupported",
            f"DROP EXTENSION {name} CASCADE also drops what uses the extension's types and "
            "functions, which are not known here",
        )
        return
    drop_extension_users(interp, extension.schema, members)


def drop_extension_users(interp: DdlInterpreter, schema: str, members: Members) -> None:
    """What DROP EXTENSION … CASCADE takes along of the model (see ``_extension``)."""
    homes = {(schema, f) for f in members.functions}
    _drop_function_users(interp, homes)
    for table in list(interp.model.tables.values()):
        for trigger in list(table.triggers.values()):
            if _trigger_home(trigger.function) in homes:
                del table.triggers[trigger.name]
                table.provenance.append(interp._prov("altered"))
        for index in list(table.indexes.values()):
            if any((k.opclass or "").rpartition(".")[2] in members.opclasses for k in index.keys):
                del table.indexes[index.name]
                interp._relations.pop(qualify(table.schema, index.name), None)
                table.provenance.append(interp._prov("altered"))
    typed = {type_text(schema, t) for t in members.types}
    for fn in list(interp.model.functions.values()):
        used = [fn.returns, *(a.rsplit(" ", 1)[-1] for a in fn.arguments.split(", ") if a)]
        if any(u.removesuffix("[]") in typed for u in used):
            del interp.model.functions[fn.signature]
    for table, column in dependents.columns_of_types(interp, typed, set()):
        drop_column_and_views(interp, table, column.name)


def column_users(interp: DdlInterpreter, table: Table, name: str) -> list[tuple[str, str]]:
    """What depends on column ``name`` beyond its table's own constraints and indexes (which
    go with it): views certainly reading it, the table's policies and triggers reading it
    (``UPDATE OF`` it, or its WHEN), other tables' foreign keys referencing it. A policy
    with a subquery may name another table's column of that name: not claimed."""
    users = [("view", key) for key in views_using_column(interp, table, name)]
    for pname, policy in table.policies.items():
        texts = [t for t in (policy.using, policy.with_check) if t]
        if any("select" not in t.lower() and mentions_column(t, name) for t in texts):
            users.append(("policy", pname))
    for tname, trigger in table.triggers.items():
        if name in trigger.update_columns or (trigger.when and mentions_column(trigger.when, name)):
            users.append(("trigger", tname))
    users += [
        ("foreign key", f"{fk.name} on {other.qualified_name}")
        for other in interp._tables_referencing(table.schema, table.name)
        if other is not table
        for fk in other.foreign_keys.values()
        if (fk.ref_schema, fk.ref_table) == (table.schema, table.name) and name in fk.ref_columns
    ]
    return users


def drop_column_with_users(interp: DdlInterpreter, table: Table, name: str, cascade: bool) -> None:
    """ALTER TABLE … DROP COLUMN (or a CASCADE dropping the column): PostgreSQL refuses
    without CASCADE while ``column_users`` finds something, and drops those with it."""
    users = column_users(interp, table, name) if name in table.columns else []
    used_by = rules.rules_using(interp, table.qualified_name, name) if name in table.columns else []
    if (users or used_by) and not cascade:
        raise dependents.refused("column", f"{name} of table {table.qualified_name}")
    rules.drop_rules(interp, used_by)
    for kind, key in users:
        if kind == "view" and key in interp.model.views:
            _forget_view(interp, key, interp.model.views.pop(key))
            drop_dependent_views(interp, key)
        elif kind == "policy":
            table.policies.pop(key, None)
        elif kind == "trigger":
            table.triggers.pop(key, None)
    drop_column(interp, table, name, False)


def drop_column_and_views(interp: DdlInterpreter, table: Table, name: str) -> None:
    """A column dropped by a CASCADE (an extension's, the session's end: temp_session), with
    what uses it. A view that reads the table and may name the column without certainly
    doing so (``*`` over it) is listed as not known (the name as a word: ``d`` is not in
    ``t3.id``)."""
    drop_column_with_users(interp, table, name, True)
    word = re.compile(r"(?<![\w$])" + re.escape(name) + r"(?![\w$])")
    for vkey, view in list(interp.model.views.items()):
        if table.qualified_name in view.depends_on and (
            word.search(view.definition) or "*" in view.definition
        ):
            interp._unapplied(
                "unsupported",
                f"view {vkey} may read column {name} of {table.qualified_name}, dropped by "
                "this CASCADE: whether the view went with it is not known",
                effects=[fx.Effect("view", vkey)],
            )


@_on(OT.OBJECT_SCHEMA)
def _schema(interp: DdlInterpreter, node: ast.DropStmt, obj: Any, names: list[str]) -> None:
    """DROP SCHEMA: refused while it holds anything, unless CASCADE, which drops its tables
    (with the foreign keys and views elsewhere that need them), views, functions,
    sequences and enums, as PostgreSQL does."""
    name = obj.sval if isinstance(obj, ast.String) else ""
    model = interp.model
    held = [
        key
        for group in (model.tables, model.views, model.sequences, model.enums)
        for key in group
        if key.split(".", 1)[0] == name
    ] + [fn.signature for fn in model.functions.values() if fn.schema == name]
    if held and not _cascade(node):
        raise dependents.refused("schema", name)
    model.schemas.pop(name, None)
    model.schema_grants.pop(name, None)
    model.schema_comments.pop(name, None)
    for key in held:
        if key in model.tables:
            drop_table(interp, key.split(".", 1), True, True)
        elif key in model.views:
            _forget_view(interp, key, model.views.pop(key))
            drop_dependent_views(interp, key)
        elif key in model.sequences:
            del model.sequences[key]
            interp._relations.pop(key, None)
        else:
            model.enums.pop(key, None)
            model.functions.pop(key, None)


def drop_table(interp: DdlInterpreter, names: list[str], missing_ok: bool, cascade: bool) -> None:
    schema = names[0] if len(names) == 2 else interp._lookup_schema(names[-1])
    key = qualify(schema, names[-1])
    table = interp.model.tables.pop(key, None)
    if table is None:
        if missing_ok:
            return
        raise ApplyError(f"table {key} does not exist")
    interp._relations.pop(key, None)
    rules.forget_relation(interp, key)
    rules.drop_rules(interp, rules.rules_using(interp, key))  # (refused before without CASCADE)
    for name in table.indexes:
        interp._relations.pop(qualify(table.schema, name), None)
    for other in interp._tables_referencing(table.schema, table.name):
        for cname, fk in list(other.foreign_keys.items()):
            if (fk.ref_schema, fk.ref_table) == (table.schema, table.name):
                del other.foreign_keys[cname]
    if cascade:
        drop_dependent_views(interp, key)
    for skey, seq in list(interp.model.sequences.items()):
        if seq.owned_by and seq.schema == table.schema and seq.owned_by.split(".")[0] == table.name:
            del interp.model.sequences[skey]
            interp._relations.pop(skey, None)  # its name is free again (a new SERIAL reuses it)
