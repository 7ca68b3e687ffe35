"""CREATE RULE / DROP RULE: rules are not modelled, so each one is named as a blind spot.

A rule other than a view's ``_RETURN`` (``ON INSERT … DO INSTEAD NOTHING``, ``DO ALSO
INSERT INTO log …``) only adds a row to ``pg_rewrite``: no column, constraint, index,
policy, trigger or grant changes, and no requirement compares rules. The live reader names
each rule the database has as a blind spot; the static reading now names the same ones
(before, every such statement was "not interpreted" and could change anything, so every
later finding was DEFERRED: 2,093 on e621ng's structure.sql).

``CREATE RULE "_RETURN" AS ON SELECT … DO INSTEAD SELECT`` turns an empty table into a
view (old pg_dump output; PostgreSQL 15 still accepts it): applied so, with PostgreSQL's
refusals; where the SELECT's columns are not known it is not interpreted, listed as possibly
changing anything about that relation only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import CmdType

from schema_audit.model import Table, qualify
from schema_audit.pgvisit import find_all
from schema_audit.sources import effects as fx
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.nodes import strings
from schema_audit.sources.ddl.registry import handles

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


def _rules(interp: DdlInterpreter) -> dict[tuple[str, str], str]:
    """(relation, rule name) -> the blind spot naming it."""
    rules: dict[tuple[str, str], str] | None = getattr(interp, "_rules", None)
    if rules is None:
        rules = {}
        interp._rules = rules  # type: ignore[attr-defined]
    return rules


@handles(ast.RuleStmt)
def create_rule(interp: DdlInterpreter, node: ast.RuleStmt) -> None:
    """CREATE [OR REPLACE] RULE name AS ON event TO relation …: checked as PostgreSQL checks
    it (the relation exists and is no materialized view; the name is free unless OR REPLACE),
    then named as a blind spot, as a live read names it."""
    rv, name = node.relation, node.rulename or ""
    assert rv is not None and rv.relname  # the grammar requires both
    key = qualify(interp._schema_of(rv), rv.relname)
    view = interp.model.views.get(key)
    if key not in interp.model.tables and view is None:
        raise ApplyError(f"relation {key} does not exist at this point of the history")
    if view is not None and view.materialized:
        raise ApplyError(f'rules on materialized views are not supported: "{key}"')
    if node.event == CmdType.CMD_SELECT:
        table = interp.model.tables.get(key)
        if table is None or not _table_to_view(interp, table, node):
            interp._unapplied(
                "unsupported",
                "CREATE RULE … ON SELECT (a table turned into a view) is not interpreted",
                effects=[fx.Effect("*", key)],
            )
        return
    rules = _rules(interp)
    if (key, name) in rules:
        if not node.replace:
            raise ApplyError(f'rule "{name}" for relation "{key}" already exists')
        return
    prov = interp._prov()
    spot = (
        f"{prov.file or 'SQL'}:{prov.line or 1}: rule {name} on {key} is not "
        "modelled: no requirement checks what it rewrites (CREATE RULE … DO INSTEAD can "
        "replace a table's INSERT, UPDATE or DELETE)"
    )
    rules[(key, name)] = spot
    interp.model.blind_spots.append(spot)
    _all_uses(interp)[(key, name)] = _uses_of(interp, key, node)


def _all_uses(interp: DdlInterpreter) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(relation, rule name) -> what the rule uses: (relation, column; "" the relation)."""
    uses: dict[tuple[str, str], list[tuple[str, str]]] | None = getattr(interp, "_rule_uses", None)
    if uses is None:
        uses = {}
        interp._rule_uses = uses  # type: ignore[attr-defined]
    return uses


def _uses_of(interp: DdlInterpreter, key: str, node: ast.RuleStmt) -> list[tuple[str, str]]:
    """What PostgreSQL records the rule as depending on, as far as read with certainty: the
    columns ``NEW.x`` / ``OLD.x`` name, each relation its actions read or write, the columns
    an INSERT / UPDATE writes and the target's columns its WHERE names (a DROP COLUMN of
    one is refused without CASCADE, an ALTER TYPE always)."""
    from schema_audit.sources.ddl.views import read_relation

    own = _columns_of(interp, key)
    uses: set[tuple[str, str]] = set()
    for ref in find_all((node.whereClause, node.actions), ast.ColumnRef):
        fields = strings(ref.fields or ())
        if len(fields) == 2 and fields[0] in ("new", "old") and fields[1] in own:
            uses.add((key, fields[1]))
    for action in node.actions or ():
        for rv in find_all(action, ast.RangeVar):
            target = read_relation(interp, rv)
            if target in interp.model.tables or target in interp.model.views:
                uses.add((target, ""))
        relation = getattr(action, "relation", None)
        if not isinstance(relation, ast.RangeVar) or isinstance(action, ast.SelectStmt):
            continue
        target = read_relation(interp, relation)
        columns = _columns_of(interp, target)
        written: list[str] = []
        if isinstance(action, ast.InsertStmt):
            written = [t.name or "" for t in action.cols or () if isinstance(t, ast.ResTarget)]
            values = getattr(action.selectStmt, "valuesLists", None)
            if not written and values:
                written = columns[: len(values[0])]
        elif isinstance(action, ast.UpdateStmt):
            written = [
                t.name or "" for t in action.targetList or () if isinstance(t, ast.ResTarget)
            ]
        uses.update((target, c) for c in written if c in columns)
        alias = relation.alias.aliasname if relation.alias is not None else relation.relname
        where = getattr(action, "whereClause", None)
        for ref in find_all((where, getattr(action, "targetList", None)), ast.ColumnRef):
            fields = strings(ref.fields or ())
            named = fields[-1] if len(fields) == 1 or fields[:1] == [alias] else None
            if named in columns and len(fields) <= 2:
                uses.add((target, named))
    return sorted(uses)


def _columns_of(interp: DdlInterpreter, key: str) -> list[str]:
    table = interp.model.tables.get(key)
    if table is not None:
        return list(table.columns)
    view = interp.model.views.get(key)
    return [c.name for c in view.columns] if view is not None else []


def rules_using(interp: DdlInterpreter, key: str, column: str = "") -> list[tuple[str, str]]:
    """The rules (relation, name) that use relation ``key`` (``column``: that column of it);
    a relation's own rules go with it and are not named for the relation itself."""
    uses = getattr(interp, "_rule_uses", None) or {}
    return [
        rule for rule, used in uses.items() if (key, column) in used and (column or rule[0] != key)
    ]


def drop_rules(interp: DdlInterpreter, rules: list[tuple[str, str]]) -> None:
    """Rules a CASCADE takes along."""
    for key, name in rules:
        drop_rule(interp, key, name, True)


def renamed_column(interp: DdlInterpreter, key: str, old: str, new: str) -> None:
    """A column renamed: the rules using it still do (PostgreSQL holds it by number)."""
    for rule, used in (getattr(interp, "_rule_uses", None) or {}).items():
        _all_uses(interp)[rule] = sorted((k, new if (k, c) == (key, old) else c) for k, c in used)


def _table_to_view(interp: DdlInterpreter, table: Table, node: ast.RuleStmt) -> bool:
    """``CREATE RULE "_RETURN" AS ON SELECT TO t DO INSTEAD SELECT …`` (old pg_dump output):
    PostgreSQL turns the empty table into a view, keeping its grants, owner and comment.
    Refused as PostgreSQL refuses it (the rule's name, its action, the table's indexes,
    triggers, row security, the SELECT's columns against the table's, by name and number);
    False where the SELECT's columns are not known (then not interpreted). Not checked: that
    the table is empty and the columns' types match (a history doing otherwise fails there)."""
    name = table.name
    if node.rulename != "_RETURN":
        raise ApplyError(f'view rule for "{name}" must be named "_RETURN"')
    if node.whereClause is not None:
        raise ApplyError("event qualifications are not implemented for rules on SELECT")
    actions = list(node.actions or ())
    if not node.instead or len(actions) != 1 or not isinstance(actions[0], ast.SelectStmt):
        raise ApplyError("rules on SELECT must have action INSTEAD SELECT")
    if table.kind == "partitioned":
        raise ApplyError(f'cannot convert partitioned table "{name}" to a view')
    for has, what in (
        (table.indexes or table.primary_key or table.uniques, "indexes"),
        (table.triggers or table.foreign_keys, "triggers"),
        (table.rls_enabled, "row security enabled"),
        (table.policies, "row security policies"),
    ):
        if has:
            raise ApplyError(f'could not convert table "{name}" to a view because it has {what}')
    from schema_audit.sources.ddl.view_columns import output_names
    from schema_audit.sources.ddl.views import define_view

    names, columns = output_names(interp, actions[0]), list(table.columns)
    if names is None:
        return False
    if len(names) != len(columns):
        few = "few" if len(names) < len(columns) else "many"
        raise ApplyError(f"SELECT rule's target list has too {few} entries")
    for i, (given, column) in enumerate(zip(names, columns, strict=True), start=1):
        if given != column:
            raise ApplyError(
                f'SELECT rule\'s target entry {i} has different column name from column "{column}"'
            )
    key = table.qualified_name
    del interp.model.tables[key]
    interp._relations.pop(key, None)
    rv = node.relation
    assert rv is not None  # (the grammar requires it)
    define_view(interp, rv, actions[0], materialized=False, replace=False, aliases=[])
    view = interp.model.views[key]
    view.grants, view.owner, view.comment = table.grants, table.owner, table.comment
    view.provenance = [*table.provenance, *view.provenance]
    return True


def drop_rule(interp: DdlInterpreter, key: str, name: str, missing_ok: bool) -> None:
    """DROP RULE name ON relation: its blind spot goes with it."""
    (getattr(interp, "_rule_uses", None) or {}).pop((key, name), None)
    spot = _rules(interp).pop((key, name), None)
    if spot is None:
        if key not in interp.model.tables and key not in interp.model.views:
            if missing_ok:
                return
            raise ApplyError(f"relation {key} does not exist at this point of the history")
        if not missing_ok:
            raise ApplyError(f'rule "{name}" for relation "{key}" does not exist')
        return
    if spot in interp.model.blind_spots:
        interp.model.blind_spots.remove(spot)


def forget_relation(interp: DdlInterpreter, key: str) -> None:
    """A relation dropped: its rules are gone too (nothing left to name)."""
    rules = getattr(interp, "_rules", None)
    if not rules:
        return
    for rule_key in [k for k in rules if k[0] == key]:
        (getattr(interp, "_rule_uses", None) or {}).pop(rule_key, None)
        spot = rules.pop(rule_key)
        if spot in interp.model.blind_spots:
            interp.model.blind_spots.remove(spot)


def renamed_relation(interp: DdlInterpreter, old: str, new: str) -> None:
    """A relation renamed: its rules follow it (a later DROP RULE … ON new finds them)."""
    rules = getattr(interp, "_rules", None)
    if not rules:
        return
    for rule_key in [k for k in rules if k[0] == old]:
        rules[(new, rule_key[1])] = rules.pop(rule_key)
    uses = getattr(interp, "_rule_uses", None) or {}
    for rule_key in list(uses):
        used = sorted((new if k == old else k, c) for k, c in uses.pop(rule_key))
        uses[(new if rule_key[0] == old else rule_key[0], rule_key[1])] = used
