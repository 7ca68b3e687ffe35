"""Online-safety rules for ``lint-migrations --online``: locks and rewrites that stop production.

squawk lints each file on its own; these rules are judged with what the history
says at that point: a table created earlier in the same migration holds no rows
and no one else can be waiting on it, so none of the lock rules fire on it; a
``SET NOT NULL`` is free when a validated ``CHECK (col IS NOT NULL)`` exists; a
``lock_timeout`` set earlier in the migration covers what follows. Each rule
returns (rule, message) pairs; ``lint.py`` attributes, suppresses and reports them.
"""

from __future__ import annotations

import re

from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType

from schema_audit.model import SchemaModel, qualify

ONLINE_RULES: dict[str, tuple[str, str]] = {
    "SA101": (
        "create-index-blocking",
        "CREATE INDEX without CONCURRENTLY blocks writes to an existing table while it builds",
    ),
    "SA102": (
        "add-foreign-key-validating",
        "ADD FOREIGN KEY without NOT VALID scans the table and locks both tables meanwhile",
    ),
    "SA103": (
        "add-check-validating",
        "ADD CHECK without NOT VALID scans the table under an ACCESS EXCLUSIVE lock",
    ),
    "SA104": (
        "set-not-null-scan",
        "SET NOT NULL scans the table under an ACCESS EXCLUSIVE lock unless a validated "
        "CHECK (col IS NOT NULL) proves it",
    ),
    "SA105": (
        "add-unique-without-index",
        "ADD PRIMARY KEY / UNIQUE builds its index under an ACCESS EXCLUSIVE lock; build it "
        "CONCURRENTLY and add the constraint USING INDEX",
    ),
    "SA106": (
        "volatile-default-rewrite",
        "ADD COLUMN with a volatile default (gen_random_uuid(), clock_timestamp(), serial …) "
        "rewrites the whole table",
    ),
    "SA107": (
        "exclusive-lock-statement",
        "VACUUM FULL, CLUSTER and LOCK TABLE … ACCESS EXCLUSIVE hold the table for their duration",
    ),
    "SA108": (
        "no-lock-timeout",
        "a statement that takes a strong lock on an existing table, with no lock_timeout set "
        "earlier in the migration: it queues behind a long query and blocks everyone after it",
    ),
}

_VOLATILE = {
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "random",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "txid_current",
}
_SERIALS = {"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"}


class OnlineChecker:
    """Per-migration state for the online rules; ``check`` is called before each statement applies."""

    def __init__(self) -> None:
        self.lock_timeout = False
        self.told = False  # SA108 is said once per migration, at its first lock

    def new_migration(self) -> None:
        self.lock_timeout = False
        self.told = False

    def check(
        self, node: ast.Node, model: SchemaModel, created_here: set[str]
    ) -> list[tuple[str, str]]:
        if isinstance(node, ast.VariableSetStmt) and (node.name or "").lower() == "lock_timeout":
            self.lock_timeout = True
            return []
        out: list[tuple[str, str]] = []
        locked: str | None = None  # the existing table a strong lock is taken on

        def existing(rv: ast.RangeVar | None) -> str | None:
            if rv is None:
                return None
            key = qualify(rv.schemaname or "public", rv.relname)
            return key if key in model.tables and key not in created_here else None

        if isinstance(node, ast.IndexStmt):
            key = existing(node.relation)
            if key and not node.concurrent:
                out.append(
                    (
                        "SA101",
                        f"creates index {node.idxname or '(unnamed)'} on {node.relation.relname} "
                        "without CONCURRENTLY",
                    )
                )
                locked = key
        elif isinstance(node, ast.AlterTableStmt) and node.objtype == ObjectType.OBJECT_TABLE:
            key = existing(node.relation)
            if key is None:
                return []
            name = node.relation.relname
            table = model.tables[key]
            locked = key
            for cmd in node.cmds or ():
                if cmd.subtype == AlterTableType.AT_AddConstraint and isinstance(
                    cmd.def_, ast.Constraint
                ):
                    con = cmd.def_
                    label = con.conname or "(unnamed)"
                    if con.contype == ConstrType.CONSTR_FOREIGN and not con.skip_validation:
                        out.append(
                            ("SA102", f"adds foreign key {label} on {name} without NOT VALID")
                        )
                    elif con.contype == ConstrType.CONSTR_CHECK and not con.skip_validation:
                        out.append(("SA103", f"adds check {label} on {name} without NOT VALID"))
                    elif (
                        con.contype in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE)
                        and not con.indexname
                    ):
                        kind = (
                            "primary key" if con.contype == ConstrType.CONSTR_PRIMARY else "unique"
                        )
                        out.append(("SA105", f"adds {kind} {label} on {name} without USING INDEX"))
                elif cmd.subtype == AlterTableType.AT_SetNotNull:
                    proven = any(
                        c.validated
                        and re.fullmatch(
                            rf"\(*\s*\"?{re.escape(cmd.name)}\"?\s+IS\s+NOT\s+NULL\s*\)*",
                            c.expression,
                            re.IGNORECASE,
                        )
                        for c in table.checks.values()
                    )
                    if not proven:
                        out.append(
                            (
                                "SA104",
                                f"sets {name}.{cmd.name} NOT NULL without a validated "
                                f"CHECK ({cmd.name} IS NOT NULL)",
                            )
                        )
                elif cmd.subtype == AlterTableType.AT_AddColumn and isinstance(
                    cmd.def_, ast.ColumnDef
                ):
                    volatile = _volatile_default(cmd.def_)
                    if volatile:
                        out.append(
                            (
                                "SA106",
                                f"adds column {name}.{cmd.def_.colname} with {volatile}: "
                                "rewrites the table",
                            )
                        )
        elif isinstance(node, ast.VacuumStmt):
            full = any(getattr(o, "defname", "") == "full" for o in node.options or ())
            for rel in node.rels or ():
                key = existing(getattr(rel, "relation", None))
                if full and key:
                    out.append(("SA107", f"VACUUM FULL {rel.relation.relname}"))
                    locked = key
        elif isinstance(node, ast.ClusterStmt):
            key = existing(node.relation)
            if key:
                out.append(("SA107", f"CLUSTER {node.relation.relname}"))
                locked = key
        elif isinstance(node, ast.LockStmt) and (node.mode or 0) >= 8:
            for rv in node.relations or ():
                key = existing(rv)
                if key:
                    out.append(("SA107", f"LOCK TABLE {rv.relname} IN ACCESS EXCLUSIVE MODE"))
                    locked = key
        if locked and not self.lock_timeout and not self.told:
            self.told = True
            table = locked.split(".", 1)[1]
            out.append(
                (
                    "SA108",
                    f"takes a lock on {table} with no lock_timeout set earlier in this migration",
                )
            )
        return out


def _volatile_default(column: ast.ColumnDef) -> str | None:
    names = [s.sval for s in column.typeName.names or () if isinstance(s, ast.String)]
    if names and names[-1].lower() in _SERIALS:
        return f"type {names[-1]} (a nextval() default)"
    for con in column.constraints or ():
        if con.contype == ConstrType.CONSTR_DEFAULT and con.raw_expr is not None:
            for found in _function_names(con.raw_expr):
                if found in _VOLATILE:
                    return f"default {found}()"
    return None


def _function_names(node: object) -> list[str]:
    out: list[str] = []
    if isinstance(node, ast.FuncCall):
        out.append(node.funcname[-1].sval.lower())
    if isinstance(node, ast.Node):
        for value in node:  # pglast nodes iterate over their attribute names
            out += _function_names(getattr(node, value, None))
    elif isinstance(node, tuple | list):
        for item in node:
            out += _function_names(item)
    return out
