"""CREATE RULE / DROP RULE: rules are not modelled, so each one is named as a blind spot.

A rule other than a view's ``_RETURN`` (``ON INSERT … DO INSTEAD NOTHING``, ``DO ALSO
INSERT INTO log …``) only adds a row to ``pg_rewrite``: no column, constraint, index,
policy, trigger or grant changes, and no requirement compares rules. The live reader names
each rule the database has as a blind spot; the static reading now names the same ones
(before, every such statement was "not interpreted" and could change anything, so every
later finding was DEFERRED: 2,093 on e621ng's structure.sql).

``ON SELECT … DO INSTEAD SELECT`` turns an empty table into a view (PostgreSQL 15 still
accepts it): not interpreted, listed as possibly changing anything about that relation only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import CmdType

from schema_audit.model import qualify
from schema_audit.sources import effects as fx
from schema_audit.sources.ddl.errors import ApplyError
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


def drop_rule(interp: DdlInterpreter, key: str, name: str, missing_ok: bool) -> None:
    """DROP RULE name ON relation: its blind spot goes with it."""
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
