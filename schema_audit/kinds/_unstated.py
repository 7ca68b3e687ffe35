"""``exactly:`` about each matched object's definition, not only its presence: a foreign key,
column or trigger an exact requirement matched that has a property the requirement does not
state, and that differs from PostgreSQL's default, is not exactly what the spec requires.

``init`` writes every such property it sees (ON UPDATE, MATCH FULL, DEFERRABLE, NOT VALID, a
column's COLLATE / DEFAULT / identity / generation, a trigger's WHEN, arguments and UPDATE
OF), so a change after init that adds one FAILs here; before, each passed (a requirement
compares only the keys it states). Indexes have their own check in ``strict``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schema_audit.audit.context import AuditContext
from schema_audit.enums import ReferentialAction, Status
from schema_audit.model import Column, ForeignKey, Table, Trigger
from schema_audit.spec.model import Requirement


def _fk(fk: ForeignKey, props: dict[str, Any]) -> list[str]:
    return [
        text
        for key, present, text in (
            ("on_delete", fk.on_delete != ReferentialAction.NO_ACTION, f"ON DELETE {fk.on_delete}"),
            ("on_update", fk.on_update != ReferentialAction.NO_ACTION, f"ON UPDATE {fk.on_update}"),
            ("match", fk.match != "SIMPLE", f"MATCH {fk.match}"),
            ("deferrable", fk.deferrable, "DEFERRABLE"),
            ("initially_deferred", fk.initially_deferred, "INITIALLY DEFERRED"),
            ("validated", not fk.validated, "NOT VALID"),
        )
        if present and key not in props
    ]


def _column(column: Column, props: dict[str, Any]) -> list[str]:
    return [
        text
        for key, present, text in (
            ("collation", column.collation is not None, f"COLLATE {column.collation}"),
            ("default", column.default is not None, f"DEFAULT {column.default}"),
            ("identity", column.identity is not None, f"GENERATED {column.identity} AS IDENTITY"),
            ("generated", column.generated is not None, f"GENERATED AS ({column.generated})"),
        )
        if present and key not in props
    ]


def _trigger(trigger: Trigger, props: dict[str, Any]) -> list[str]:
    out = [
        text
        for key, present, text in (
            ("when", bool(trigger.when), f"WHEN ({trigger.when})"),
            ("arguments", bool(trigger.arguments), f"arguments ({', '.join(trigger.arguments)})"),
            (
                "update_of",
                bool(trigger.update_columns),
                f"UPDATE OF {', '.join(trigger.update_columns)}",
            ),
        )
        if present and key not in props
    ]
    # a requirement's events are those it must fire on: under exactly, only those
    events = props.get("events")
    if isinstance(events, list) and (more := [e for e in trigger.events if e not in events]):
        out.insert(0, "also ON " + " OR ".join(more))
    return out


_OBJECTS: dict[str, tuple[str, Callable[[Table], dict[str, Any]], Callable[..., list[str]]]] = {
    "foreign_keys": ("foreign_key", lambda t: t.foreign_keys, _fk),
    "columns": ("column", lambda t: t.columns, _column),
    "triggers": ("trigger", lambda t: t.triggers, _trigger),
}


def unstated_properties(req: Requirement, ctx: AuditContext, table: Table) -> list[str]:
    """``name (PROPERTY …)`` for each object of ``exactly:``'s kind that a requirement of this
    table matched (PASS) and that has properties the requirement does not state."""
    entry = _OBJECTS.get(req.props["what"])
    if entry is None:
        return []
    kind, objects_of, extras_of = entry
    objects = objects_of(table)
    out: list[str] = []
    for f in ctx.judged.get((kind, req.table), ()):
        other = ctx.requirements.get(f.id)
        obj = objects.get(f.name or "")
        if f.status != Status.PASS or not f.id.startswith(f"{req.parent}.") or other is None:
            continue
        if obj is not None and (extras := extras_of(obj, other.props)):
            out.append(f"{f.name} ({', '.join(extras)})")
    return sorted(out)
