"""Synthesize valid rows for any table, so probes can exercise a schema they have never seen.

A value is chosen per NOT NULL column without a default: for a foreign key, a
parent row created recursively (composite keys too: columns already chosen, such
as the tenant, are passed down so ``(org_id, project_id) REFERENCES projects
(org_id, id)`` stays consistent; a NOT NULL self-reference points the row at
itself), the first value of a ``col IN (…)`` CHECK, a number inside a CHECK's
simple bounds (``qty > 0``, ``rating BETWEEN 1 AND 5``), a text of the length a
CHECK asks for, the first label of an enum, a domain's base type within the
domain's own bounds, else something that satisfies common CHECKs for the
column's type (1 for numbers, a short unique text, now() for times).
Only probes on a scratch database ever call this.
"""

from __future__ import annotations

import itertools
import re
import uuid

import psycopg
from psycopg import sql

from schema_audit.model import SchemaModel, Table, qualify


class SynthesisError(Exception):
    """No valid row could be made; the message says which table and why."""


_counter = itertools.count(1)
_BUILTIN_TYPES = {
    "integer",
    "bigint",
    "smallint",
    "numeric",
    "real",
    "double precision",
    "text",
    "boolean",
    "uuid",
    "jsonb",
    "json",
    "date",
    "timestamp with time zone",
    "timestamp without time zone",
    "character varying",
    "bytea",
    "interval",
    "inet",
}


def _in_list_value(table: Table, column: str) -> str | None:
    """The first literal of a CHECK (column IN (...)) / = ANY (ARRAY[...]) on the column."""
    for check in table.checks.values():
        if column not in check.columns:
            continue
        match = re.search(r"'((?:[^']|'')*)'", check.expression)
        if match and ("ANY" in check.expression.upper() or " IN " in check.expression.upper()):
            return match.group(1).replace("''", "'")
    return None


_NUMBER = r"\(?(-?\d+(?:\.\d+)?)\)?(?:::[a-z ]+)?"
_FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "=": "="}


def _bounds(expressions: list[str], column: str) -> tuple[float | None, float | None]:
    """(lowest, highest) allowed value of ``column`` by simple comparisons with constants."""
    name = rf'(?:"{re.escape(column)}"|\b{re.escape(column)}\b)'
    low: float | None = None
    high: float | None = None
    for text in expressions:
        found = [
            (op, float(num)) for op, num in re.findall(rf"{name}\s*(>=|<=|>|<|=)\s*{_NUMBER}", text)
        ]
        found += [
            (_FLIPPED[op], float(num))
            for num, op in re.findall(rf"{_NUMBER}\s*(>=|<=|>|<|=)\s*{name}", text)
        ]
        for num_lo, num_hi in re.findall(
            rf"{name}\s+BETWEEN\s+{_NUMBER}\s+AND\s+{_NUMBER}", text, re.IGNORECASE
        ):
            found += [(">=", float(num_lo)), ("<=", float(num_hi))]
        for op, value in found:
            if op in (">", ">="):
                value = value + 1 if op == ">" else value
                low = value if low is None else max(low, value)
            if op in ("<", "<="):
                value = value - 1 if op == "<" else value
                high = value if high is None else min(high, value)
            if op == "=":
                low = high = value
    return low, high


def _length(expressions: list[str], column: str) -> int | None:
    """A text length a CHECK asks for (``length(code) = 3``, ``char_length(name) >= 3``)."""
    name = rf'(?:"{re.escape(column)}"|{re.escape(column)})'
    for text in expressions:
        for op, num in re.findall(
            rf"(?:char_|octet_)?length\({name}(?:::text)?\)\s*(>=|>|=)\s*{_NUMBER}", text
        ):
            return int(float(num)) + (1 if op == ">" else 0)
    return None


def _bounded(
    type_name: str, expressions: list[str], column: str, n: int, bulk: bool
) -> sql.Composable | None:
    """A value inside the CHECK bounds on ``column``, or None when no bound applies."""
    base = re.sub(r"\(.*\)", "", type_name.lower()).strip()
    if base in ("integer", "bigint", "smallint", "numeric", "real", "double precision", "decimal"):
        low, high = _bounds(expressions, column)
        if low is None and high is None:
            return None
        start = low if low is not None else min(1.0, high)  # type: ignore[type-var]
        if high is not None and start > high:
            return None
        if bulk and base in ("integer", "bigint", "smallint") and low is not None:
            span = int(min(100, (high - low + 1) if high is not None else 100))
            return sql.SQL("({} + i % {})").format(sql.Literal(int(low)), sql.Literal(max(span, 1)))
        return sql.Literal(int(start) if start == int(start) else start)
    if base in ("text", "character varying", "citext", "character"):
        length = _length(expressions, column)
        if length is not None:
            return sql.Literal((f"p{n}x" * (length // 3 + 2))[:length])
        if any("@" in e for e in expressions if column in e):
            return sql.Literal(f"p{n}@example.com")
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
        self._domains: dict[str, tuple[str, list[str]] | None] = {}

    def _domain(self, type_name: str) -> tuple[str, list[str]] | None:
        """(base type, CHECK expressions with VALUE) when ``type_name`` is a domain."""
        if type_name not in self._domains:
            row = self.conn.execute(
                "SELECT format_type(t.typbasetype, t.typtypmod), "
                "coalesce(array_agg(pg_get_constraintdef(c.oid)) "
                "FILTER (WHERE c.contype = 'c'), '{}') "
                "FROM pg_type t LEFT JOIN pg_constraint c ON c.contypid = t.oid "
                "WHERE t.typtype = 'd' AND t.oid = to_regtype(%s) GROUP BY 1",
                (type_name,),
            ).fetchone()
            self._domains[type_name] = (row[0], list(row[1])) if row else None
        return self._domains[type_name]

    def _foreign_keys(self, table: Table, out: dict, raw: dict, needs, depth: int) -> None:  # type: ignore[no-untyped-def]
        """Parents for the foreign keys that must be filled, single-column keys first so a
        composite key reuses columns already chosen (the tenant) for its parent row."""
        for fk in sorted(table.foreign_keys.values(), key=lambda f: (len(f.columns), f.name)):
            if not any(c in table.columns and needs(table.columns[c]) for c in fk.columns):
                continue
            parent = self.model.tables.get(qualify(fk.ref_schema, fk.ref_table))
            if parent is None or depth > 4:
                raise SynthesisError(
                    f"{table.name}.{', '.join(fk.columns)} references {fk.ref_table}, "
                    "which cannot be filled"
                )
            if parent is table:
                self._self_reference(table, fk, out, raw)
                continue
            chosen = {
                ref: raw[col]
                for col, ref in zip(fk.columns, fk.ref_columns, strict=False)
                if col in raw
            }
            row = self.insert(parent, chosen, depth=depth + 1)
            for col, ref in zip(fk.columns, fk.ref_columns, strict=False):
                if col not in out:
                    out[col], raw[col] = sql.Literal(row[ref]), row[ref]

    def _self_reference(self, table: Table, fk, out: dict, raw: dict) -> None:  # type: ignore[no-untyped-def]
        """A NOT NULL self-reference: the row points at itself (its key given explicitly)."""
        for col, ref in zip(fk.columns, fk.ref_columns, strict=False):
            column = table.columns[ref]
            if column.identity == "always" or column.generated:
                raise SynthesisError(
                    f"{table.name}.{col} must reference its own table, whose {ref} cannot be given"
                )
            if ref not in raw:
                value = str(uuid.uuid4()) if column.type == "uuid" else 900000 + next(_counter)
                out[ref], raw[ref] = sql.Literal(value), value
            out[col], raw[col] = out[ref], raw[ref]

    def values(
        self, table: Table, overrides: dict[str, object], *, bulk: bool = False, depth: int = 0
    ) -> dict[str, sql.Composable]:
        out: dict[str, sql.Composable] = {
            name: value if isinstance(value, sql.Composable) else sql.Literal(value)
            for name, value in overrides.items()
        }
        raw = {k: v for k, v in overrides.items() if not isinstance(v, sql.Composable)}
        n = next(_counter)

        def needs(column) -> bool:  # type: ignore[no-untyped-def]
            return not (
                column.name in out
                or column.nullable
                or column.default is not None
                or column.identity
                or column.generated
            )

        self._foreign_keys(table, out, raw, needs, depth)
        checks = [c.expression for c in table.checks.values()]
        for column in table.columns.values():
            if not needs(column):
                continue
            choice = _in_list_value(table, column.name)
            if choice is not None:
                out[column.name] = sql.Literal(choice)
                continue
            value = _bounded(column.type, checks, column.name, n, bulk)
            if value is None and column.type not in _BUILTIN_TYPES:
                domain = self._domain(column.type)
                if domain is not None:
                    base, domain_checks = domain
                    value = _bounded(base, domain_checks, "VALUE", n, bulk) or _type_value(
                        base, self.model, n, bulk
                    )
            out[column.name] = (
                value if value is not None else _type_value(column.type, self.model, n, bulk)
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
        values = self.values(table, dict(overrides), bulk=True)
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
