"""``exactly:`` about each matched object's definition, not only its presence: a foreign key,
column or trigger an exact requirement matched that has a property the requirement does not
state, and that differs from PostgreSQL's default, is not exactly what the spec requires.

``init`` writes every such property it sees (ON UPDATE, MATCH FULL, DEFERRABLE, NOT VALID, a
column's COLLATE / DEFAULT / identity / generation, a trigger's WHEN, arguments and UPDATE
OF, a UNIQUE constraint's NULLS NOT DISTINCT / DEFERRABLE / INITIALLY DEFERRED, a CHECK's
NOT VALID / NO INHERIT), so a change after init that adds one FAILs here; before, each passed (a requirement
compares only the keys it states). Indexes have their own check in ``strict``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schema_audit.enums import ReferentialAction
from schema_audit.model import (
    CheckConstraint,
    Column,
    ForeignKey,
    Policy,
    Table,
    Trigger,
    UniqueConstraint,
)
from schema_audit.sqlnorm import normalize_default


def _fk(fk: ForeignKey, props: dict[str, Any]) -> list[str]:
    # each text is made only for a property that is set and unstated (most are neither: this
    # runs for every foreign key an exact requirement matched)
    out: list[str] = []
    if fk.on_delete != ReferentialAction.NO_ACTION and "on_delete" not in props:
        out.append(f"ON DELETE {fk.on_delete}")
    if fk.on_delete_columns and "on_delete_columns" not in props:
        out.append(f"ON DELETE {fk.on_delete} ({', '.join(fk.on_delete_columns)})")
    if fk.on_update != ReferentialAction.NO_ACTION and "on_update" not in props:
        out.append(f"ON UPDATE {fk.on_update}")
    if fk.match != "SIMPLE" and "match" not in props:
        out.append(f"MATCH {fk.match}")
    if fk.deferrable and "deferrable" not in props:
        out.append("DEFERRABLE")
    if fk.initially_deferred and "initially_deferred" not in props:
        out.append("INITIALLY DEFERRED")
    if not fk.validated and "validated" not in props:
        out.append("NOT VALID")
    if fk.comment and "comment" not in props:
        out.append("COMMENT")
    return out


def _column(column: Column, props: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if column.collation is not None and "collation" not in props:
        out.append(f"COLLATE {column.collation}")
    # a NULL default is none (PostgreSQL stores no pg_attrdef row for `DEFAULT NULL`)
    if column.default is not None and "default" not in props and normalize_default(column.default):
        out.append(f"DEFAULT {column.default}")
    if column.identity is not None and "identity" not in props:
        out.append(f"GENERATED {column.identity} AS IDENTITY")
    if column.generated is not None and "generated" not in props:
        out.append(f"GENERATED AS ({column.generated})")
    if column.comment and "comment" not in props:
        out.append("COMMENT")
    if column.settings:
        for key, word in (
            ("statistics", "STATISTICS"),
            ("storage", "STORAGE"),
            ("compression", "COMPRESSION"),
        ):
            if key in column.settings and key not in props:
                out.append(f"SET {word} {column.settings[key]}")
        if "options" in column.settings and "options" not in props:
            out.append(f"SET ({column.settings['options']})")  # attoptions (n_distinct …)
    return out


def _check(check: CheckConstraint, props: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if not check.validated and "validated" not in props:
        out.append("NOT VALID")
    if check.no_inherit and "no_inherit" not in props:
        out.append("NO INHERIT")
    if check.comment and "comment" not in props:
        out.append("COMMENT")
    return out


def _unique(unique: UniqueConstraint, props: dict[str, Any]) -> list[str]:
    return [
        text
        for key, present, text in (
            ("nulls_not_distinct", unique.nulls_not_distinct, "NULLS NOT DISTINCT"),
            ("deferrable", unique.deferrable, "DEFERRABLE"),
            ("initially_deferred", unique.initially_deferred, "INITIALLY DEFERRED"),
            ("comment", bool(unique.comment), "COMMENT"),
        )
        if present and key not in props
    ]


_EXTRA_TEXT = {  # Trigger.extras()'s keys as CREATE TRIGGER writes them
    "constraint": "CONSTRAINT",
    "deferrable": "DEFERRABLE",
    "initially_deferred": "INITIALLY DEFERRED",
    "old_table": "REFERENCING OLD TABLE AS {}",
    "new_table": "REFERENCING NEW TABLE AS {}",
    "from": "FROM {}",
}


def _trigger(trigger: Trigger, props: dict[str, Any]) -> list[str]:
    out: list[str] = []
    if trigger.when and "when" not in props:
        out.append(f"WHEN ({trigger.when})")
    if trigger.arguments and "arguments" not in props:
        out.append(f"arguments ({', '.join(trigger.arguments)})")
    if trigger.update_columns and "update_of" not in props:
        out.append(f"UPDATE OF {', '.join(trigger.update_columns)}")
    if trigger.comment and "comment" not in props:
        out.append("COMMENT")
    for key, value in (
        trigger.extras() if trigger.constraint or trigger.new_table or trigger.old_table else ()
    ):
        if key not in props:
            out.append(_EXTRA_TEXT[key].format(value))
    if trigger.enabled == "ALWAYS" and props.get("enabled") != "always":
        out.append("ENABLE ALWAYS")  # fires under session_replication_role = replica too
    # a requirement's events are those it must fire on: under exactly, only those
    events = props.get("events")
    if isinstance(events, list) and (more := [e for e in trigger.events if e not in events]):
        out.insert(0, "also ON " + " OR ".join(more))
    return out


def _policy(policy: Policy, props: dict[str, Any]) -> list[str]:
    return ["COMMENT"] if policy.comment and "comment" not in props else []


OBJECTS: dict[str, tuple[str, Callable[[Table], dict[str, Any]], Callable[..., list[str]]]] = {
    "foreign_keys": ("foreign_key", lambda t: t.foreign_keys, _fk),
    "columns": ("column", lambda t: t.columns, _column),
    "triggers": ("trigger", lambda t: t.triggers, _trigger),
    "unique": ("unique", lambda t: t.uniques, _unique),
    "checks": ("check", lambda t: t.checks, _check),
    "policies": ("policy", lambda t: t.policies, _policy),
}
