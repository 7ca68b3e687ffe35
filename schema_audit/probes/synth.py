"""Synthesize valid rows for any table, so probes can exercise a schema they have never seen.

A value is chosen per NOT NULL column without a default: a parent row for a
foreign key (created recursively), the first value of a ``col IN (…)`` CHECK,
the first label of an enum, else something that satisfies common CHECKs for
the column's type (1 for numbers, a short unique text, now() for times).
Only probes on a scratch database ever call this.
"""

from __future__ import annotations

import itertools
import re

import psycopg
from psycopg import sql

from schema_audit.model import SchemaModel, Table, qualify


class SynthesisError(Exception):
    """No valid row could be made; the message says which table and why."""


_counter = itertools.count(1)


def _in_list_value(table: Table, column: str) -> str | None:
    """The first literal of a CHECK (column IN (...)) / = ANY (ARRAY[...]) on the column."""
    for check in table.checks.values():
        if column not in check.columns:
            continue
        match = re.search(r"'((?:[^']|'')*)'", check.expression)
        if match and ("ANY" in check.expression.upper() or " IN " in check.expression.upper()):
            return match.group(1).replace("''", "'")
    return None


def _type_value(type_name: str, model: SchemaModel, n: int, bulk: bool) -> sql.Composable:
    t = type_name.lower()
    base = re.sub(r"\(.*\)", "", t).strip()
    length = re.search(r"\((\d+)\)", t)
    if t.endswith("[]"):
        return sql.SQL("'{}'")
    if base == "uuid":
        return sql.SQL("gen_random_uuid()")
    if base in ("text", "character varying", "character", "citext", "name"):
        limit = int(length.group(1)) if length else 32
        if bulk:
            return sql.SQL("left('v' || i::text || md5(i::text), {})").format(sql.Literal(limit))
        return sql.Literal(f"p{n}x"[:limit])
    if base in ("integer", "bigint", "smallint", "numeric", "real", "double precision", "decimal"):
        return sql.SQL("(i % 100)") if bulk else sql.Literal(1)
    if base == "boolean":
        return sql.SQL("false")
    if base.startswith("timestamp") or base == "date":
        return sql.SQL("now() - i * interval '1 minute'") if bulk else sql.SQL("now()")
    if base.startswith("time"):
        return sql.SQL("localtime")
    if base in ("json", "jsonb"):
        return sql.SQL("'{}'")
    if base == "interval":
        return sql.SQL("interval '1 second'")
    if base in ("inet", "cidr"):
        return sql.Literal("127.0.0.1")
    for enum in model.enums.values():
        if enum.name == base.split(".")[-1] and enum.labels:
            return sql.Literal(enum.labels[0])
    return sql.SQL("DEFAULT")


class RowMaker:
    """Inserts synthesized rows (as the connection's role) and remembers what it made."""

    def __init__(self, conn: psycopg.Connection, model: SchemaModel) -> None:
        self.conn = conn
        self.model = model
        self.statements: list[str] = []

    def values(
        self, table: Table, overrides: dict[str, object], *, bulk: bool = False, depth: int = 0
    ) -> dict[str, sql.Composable]:
        out: dict[str, sql.Composable] = {
            name: sql.Literal(value) for name, value in overrides.items()
        }
        n = next(_counter)
        for column in table.columns.values():
            if (
                column.name in out
                or column.nullable
                or column.default is not None
                or column.identity
                or column.generated
            ):
                continue
            fk = next((f for f in table.foreign_keys.values() if f.columns == [column.name]), None)
            if fk is not None:
                parent = self.model.tables.get(qualify(fk.ref_schema, fk.ref_table))
                if parent is None or depth > 4:
                    raise SynthesisError(
                        f"{table.name}.{column.name} references {fk.ref_table}, which cannot be filled"
                    )
                row = self.insert(parent, {}, depth=depth + 1)
                out[column.name] = sql.Literal(row[fk.ref_columns[0]])
                continue
            choice = _in_list_value(table, column.name)
            out[column.name] = (
                sql.Literal(choice)
                if choice is not None
                else _type_value(column.type, self.model, n, bulk)
            )
        return out

    def insert(
        self, table: Table, overrides: dict[str, object] | None = None, *, depth: int = 0
    ) -> dict:
        values = self.values(table, overrides or {}, depth=depth)
        query = self._insert_sql(table, values)
        self.statements.append(query.as_string(self.conn))
        try:
            with self.conn.transaction():
                cur = self.conn.execute(query)
                row = cur.fetchone()
                names = [d.name for d in cur.description or []]
        except psycopg.Error as exc:
            raise SynthesisError(
                f"cannot insert a synthetic row into {table.name}: {str(exc).splitlines()[0]}"
            ) from None
        return dict(zip(names, row or (), strict=False))

    def insert_many(self, table: Table, count: int, overrides: dict[str, sql.Composable]) -> None:
        """``count`` rows in one INSERT … SELECT over generate_series (column expressions may use i)."""
        values = self.values(table, {}, bulk=True)
        values.update(overrides)
        columns = list(values)
        query = sql.SQL("INSERT INTO {} ({}) SELECT {} FROM generate_series(1, {}) AS i").format(
            sql.Identifier(table.schema, table.name),
            sql.SQL(", ").join(sql.Identifier(c) for c in columns),
            sql.SQL(", ").join(values[c] for c in columns),
            sql.Literal(count),
        )
        self.statements.append(query.as_string(self.conn))
        try:
            with self.conn.transaction():
                self.conn.execute(query)
        except psycopg.Error as exc:
            raise SynthesisError(
                f"cannot insert {count} synthetic rows into {table.name}: {str(exc).splitlines()[0]}"
            ) from None

    @staticmethod
    def _insert_sql(
        table: Table, values: dict[str, sql.Composable], returning: bool = True
    ) -> sql.Composed:
        """INSERT of one row. Without RETURNING for probes: RETURNING also applies SELECT policies."""
        target = sql.Identifier(table.schema, table.name)
        tail = sql.SQL(" RETURNING *" if returning else "")
        if not values:
            return sql.SQL("INSERT INTO {} DEFAULT VALUES{}").format(target, tail)
        return sql.SQL("INSERT INTO {} ({}) VALUES ({}){}").format(
            target,
            sql.SQL(", ").join(sql.Identifier(c) for c in values),
            sql.SQL(", ").join(values.values()),
            tail,
        )
