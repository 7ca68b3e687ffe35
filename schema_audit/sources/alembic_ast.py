"""Read an Alembic revision's ``op.*`` calls from its Python syntax tree, without running it.

Rendering a revision (``alembic.py``) imports it, which fails when it imports something
this environment lacks (``import sqlmodel.sql.sqltypes``), and runs whatever code it holds.
This reader runs nothing: it walks ``upgrade()``'s statements, evaluates only literals
(strings, f-strings, lists, module constants, ``for`` loops over literal lists) and turns
each ``op.*`` call it knows into the SQL Alembic would emit for PostgreSQL. Whatever it
cannot read literally is a *blind spot* naming its line, never a guess.

It serves two callers: the fallback when rendering fails (so a revision that cannot be
imported is still read as far as its literal calls go, and ``lint-migrations`` still sees
its ``drop_table``), and a no-exec mode that reads revisions without running any Python.
"""

from __future__ import annotations

import ast as pyast
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from schema_audit.model import qualify, quote_ident

MAX_ITERATIONS = 10_000  # literal loops unrolled at most this far (a loop over range(10**9) is not)


class _Blind(Exception):
    """An expression or statement that cannot be read without running code."""


@dataclass(slots=True)
class AstReading:
    """What the syntax tree of ``upgrade()`` says: SQL with the line of its call, and blind spots."""

    statements: list[tuple[str, int]] = field(default_factory=list)
    blind_spots: list[tuple[int, str]] = field(default_factory=list)

    def describe_blind_spots(self, display: str) -> str:
        return "; ".join(f"{display}:{line}: {reason}" for line, reason in self.blind_spots)


# -- values the evaluator produces ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Text:
    """``sa.text("…")``, ``sa.func.now()``, ``sa.true()``: SQL written out, not a string value."""

    sql: str


@dataclass(frozen=True, slots=True)
class _Type:
    """A column type as an ``sa.*`` type call renders it, with the enum it needs created first."""

    sql: str
    enum: tuple[str, tuple[str, ...]] | None = None  # (type name, labels) to create first
    integer: str | None = None  # smallserial | serial | bigserial when an autoincrement key


@dataclass(slots=True)
class _Column:
    """An ``sa.Column(...)`` call read from a revision's syntax tree."""

    name: str
    type: _Type | None
    type_line: int
    nullable: bool | None = None
    primary_key: bool = False
    unique: bool = False
    index: bool = False
    server_default: Any = None
    foreign_keys: list[_ForeignKey] = field(default_factory=list)
    identity: str | None = None
    computed: str | None = None
    autoincrement: Any = "auto"
    comment: str | None = None


@dataclass(slots=True)
class _ForeignKey:
    """An ``sa.ForeignKey`` or ``ForeignKeyConstraint`` read from a revision's syntax tree."""

    columns: list[str]
    target: list[str]  # "table.column" or "schema.table.column"
    name: str | None = None
    ondelete: str | None = None
    onupdate: str | None = None
    deferrable: bool | None = None
    initially: str | None = None


@dataclass(slots=True)
class _Constraint:
    """A primary key, unique or check constraint read from a revision's syntax tree."""

    kind: str  # primary | unique | check
    columns: list[str]
    name: str | None = None
    sqltext: str | None = None
    nulls: str = ""  # " NULLS NOT DISTINCT" of a unique constraint
    timing: str = ""  # " DEFERRABLE INITIALLY DEFERRED"


_INTEGERS = {
    "Integer": ("INTEGER", "serial"),
    "INTEGER": ("INTEGER", "serial"),
    "INT": ("INTEGER", "serial"),
    "BigInteger": ("BIGINT", "bigserial"),
    "BIGINT": ("BIGINT", "bigserial"),
    "SmallInteger": ("SMALLINT", "smallserial"),
    "SMALLINT": ("SMALLINT", "smallserial"),
}
_SIMPLE = {
    "Text": "TEXT",
    "TEXT": "TEXT",
    "UnicodeText": "TEXT",
    "Boolean": "BOOLEAN",
    "BOOLEAN": "BOOLEAN",
    "Date": "DATE",
    "DATE": "DATE",
    "Interval": "INTERVAL",
    "INTERVAL": "INTERVAL",
    "JSON": "JSON",
    "JSONB": "JSONB",
    "UUID": "UUID",
    "Uuid": "UUID",
    "LargeBinary": "BYTEA",
    "BYTEA": "BYTEA",
    "INET": "INET",
    "CIDR": "CIDR",
    "MACADDR": "MACADDR",
    "REAL": "REAL",
    "Double": "DOUBLE PRECISION",
    "DOUBLE_PRECISION": "DOUBLE PRECISION",
    "Float": "FLOAT",
    "FLOAT": "FLOAT",
    "TSVECTOR": "TSVECTOR",
    "CITEXT": "CITEXT",
    "HSTORE": "HSTORE",
    "MONEY": "MONEY",
    "OID": "OID",
}
_STRINGS = {"String", "VARCHAR", "Unicode", "AutoString", "NVARCHAR"}
_TIMESTAMPS = {"DateTime", "TIMESTAMP", "DATETIME"}


def _type(name: str, args: list[Any], kwargs: dict[str, Any]) -> _Type:
    """The PostgreSQL DDL spelling of a SQLAlchemy type constructor, as Alembic renders it."""
    if name in _INTEGERS:
        sql, serial = _INTEGERS[name]
        return _Type(sql, integer=serial)
    if name in _SIMPLE:
        return _Type(_SIMPLE[name])
    length = args[0] if args else kwargs.get("length")
    if name in _STRINGS:
        return _Type(f"VARCHAR({int(length)})" if length else "VARCHAR")
    if name in ("CHAR", "Char", "NCHAR"):
        return _Type(f"CHAR({int(length)})" if length else "CHAR")
    if name in _TIMESTAMPS or name in ("Time", "TIME"):
        zone = kwargs.get("timezone", args[0] if args and isinstance(args[0], bool) else False)
        base = "TIME" if name in ("Time", "TIME") else "TIMESTAMP"
        precision = kwargs.get("precision")
        head = f"{base}({int(precision)})" if precision is not None else base
        return _Type(f"{head} {'WITH' if zone else 'WITHOUT'} TIME ZONE")
    if name in ("Numeric", "NUMERIC", "DECIMAL"):
        precision = args[0] if args else kwargs.get("precision")
        scale = args[1] if len(args) > 1 else kwargs.get("scale")
        if precision is None:
            return _Type("NUMERIC")
        return _Type(f"NUMERIC({int(precision)}, {int(scale or 0)})")
    if name == "ARRAY":
        item = args[0] if args else kwargs.get("item_type")
        if not isinstance(item, _Type):
            raise _Blind("ARRAY of a type that is not read literally")
        return _Type(item.sql + "[]")
    if name in ("Enum", "ENUM"):
        type_name = kwargs.get("name")
        labels = tuple(a for a in args if isinstance(a, str))
        if not isinstance(type_name, str) or len(labels) != len(args):
            raise _Blind("an Enum without a literal name and labels")
        create = kwargs.get("create_type", True) is not False
        return _Type(quote_ident(type_name), enum=(type_name, labels) if create else None)
    raise _Blind(f"type {name} is not one this reader knows")


# -- the evaluator -------------------------------------------------------------------


def _short(node: pyast.AST) -> str:
    """The expression as written, cut short: blind spots quote what they could not read."""
    text = " ".join(pyast.unparse(node).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _dotted(node: pyast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, pyast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, pyast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


_BUILTINS = {"reversed", "sorted", "list", "tuple", "str", "len", "range", "enumerate", "zip"}


class _Evaluator:
    """Literal values only: constants, containers, f-strings, names bound to literals."""

    def __init__(self, env: dict[str, Any]) -> None:
        self.env = env

    def value(self, node: pyast.AST) -> Any:
        if isinstance(node, pyast.Constant):
            return node.value
        if isinstance(node, pyast.JoinedStr):
            out = []
            for part in node.values:
                if isinstance(part, pyast.Constant):
                    out.append(str(part.value))
                elif isinstance(part, pyast.FormattedValue):
                    value = self.value(part.value)
                    if part.conversion == ord("r"):
                        value = repr(value)
                    spec = self.value(part.format_spec) if part.format_spec else ""
                    out.append(format(value, spec))
            return "".join(out)
        if isinstance(node, pyast.List | pyast.Tuple | pyast.Set):
            items: list[Any] = []
            for element in node.elts:
                if isinstance(element, pyast.Starred):
                    items.extend(self.value(element.value))
                else:
                    items.append(self.value(element))
            return items if isinstance(node, pyast.List) else tuple(items)
        if isinstance(node, pyast.Dict):
            return {
                self.value(k): self.value(v)
                for k, v in zip(node.keys, node.values, strict=True)
                if k is not None
            }
        if isinstance(node, pyast.Name):
            if node.id in self.env:
                return self.env[node.id]
            if node.id in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[node.id]
            raise _Blind(f"{node.id} is not bound to a literal")
        if isinstance(node, pyast.BinOp):
            left, right = self.value(node.left), self.value(node.right)
            if isinstance(node.op, pyast.Add):
                return left + right
            if isinstance(node.op, pyast.Mod) and isinstance(left, str):
                return left % right
            if isinstance(node.op, pyast.Mult):
                return left * right
            raise _Blind("an arithmetic expression")
        if isinstance(node, pyast.Subscript):
            container = self.value(node.value)
            key = self.value(node.slice)
            try:
                return container[key]
            except (KeyError, IndexError, TypeError):
                raise _Blind("a subscript that does not resolve") from None
        if isinstance(node, pyast.Attribute):
            dotted = _dotted(node) or ""
            last = node.attr
            if last in _INTEGERS or last in _SIMPLE or last in _STRINGS or last in _TIMESTAMPS:
                return _type(last, [], {})  # a type class used without calling it
            raise _Blind(f"{dotted or _short(node)} is not a literal")
        if isinstance(node, pyast.Call):
            return self.call(node)
        raise _Blind(f"{_short(node)} is not a literal")

    def arguments(self, node: pyast.Call) -> tuple[list[Any], dict[str, Any]]:
        args = []
        for arg in node.args:
            if isinstance(arg, pyast.Starred):
                args.extend(self.value(arg.value))
            else:
                args.append(self.value(arg))
        kwargs = {}
        for kw in node.keywords:
            if kw.arg is None:
                kwargs.update(self.value(kw.value))
            else:
                kwargs[kw.arg] = self.value(kw.value)
        return args, kwargs

    def call(self, node: pyast.Call) -> Any:
        func = node.func
        # string methods on literals: "…".format(…), ", ".join(…), .strip() …
        if isinstance(func, pyast.Attribute) and func.attr in (
            "format",
            "join",
            "strip",
            "lstrip",
            "rstrip",
            "upper",
            "lower",
            "replace",
            "items",
            "keys",
            "values",
        ):
            target = _dotted(func.value)
            if target is None or target.split(".")[0] not in ("sa", "sqlalchemy", "op"):
                base = self.value(func.value)
                if isinstance(base, str) and func.attr not in ("items", "keys", "values"):
                    args, kwargs = self.arguments(node)
                    return getattr(base, func.attr)(*args, **kwargs)
                if isinstance(base, dict) and func.attr in ("items", "keys", "values"):
                    return [
                        list(x) if isinstance(x, tuple) else x for x in getattr(base, func.attr)()
                    ]
        dotted = _dotted(func) or ""
        last = dotted.rsplit(".", 1)[-1]
        args, kwargs = self.arguments(node)
        if dotted in _BUILTINS:
            result = {
                "reversed": lambda *a: list(reversed(*a)),
                "sorted": sorted,
                "list": list,
                "tuple": tuple,
                "str": str,
                "len": len,
                "range": lambda *a: list(range(*a)),
                "enumerate": lambda *a: list(enumerate(*a)),
                "zip": lambda *a: list(zip(*a, strict=False)),
            }[dotted](*args, **kwargs)
            if isinstance(result, list) and len(result) > MAX_ITERATIONS:
                raise _Blind("a sequence too long to unroll")
            return result
        if last == "dedent":
            return textwrap.dedent(args[0])
        if last == "f" and dotted in ("op.f", "f"):
            return args[0]  # op.f("name"): the name exactly as written
        if last == "text" and dotted.split(".")[0] in ("sa", "sqlalchemy", "text"):
            return _Text(args[0])
        if dotted.endswith(("func.now", "func.current_timestamp")):
            return _Text("now()" if last == "now" else "CURRENT_TIMESTAMP")
        if last in ("true", "false") and dotted.split(".")[0] in ("sa", "sqlalchemy"):
            return _Text(last)
        if last == "Column":
            return self.column(node, args, kwargs)
        if last == "ForeignKey":
            return _ForeignKey(
                [],
                [args[0]],
                kwargs.get("name"),
                kwargs.get("ondelete"),
                kwargs.get("onupdate"),
                kwargs.get("deferrable"),
                kwargs.get("initially"),
            )
        if last == "ForeignKeyConstraint":
            return _ForeignKey(
                list(args[0]),
                list(args[1]),
                kwargs.get("name"),
                kwargs.get("ondelete"),
                kwargs.get("onupdate"),
                kwargs.get("deferrable"),
                kwargs.get("initially"),
            )
        if last == "PrimaryKeyConstraint":
            return _Constraint("primary", list(args), kwargs.get("name"))
        if last == "UniqueConstraint":
            return _Constraint(
                "unique", list(args), kwargs.get("name"), None, *_unique_options(kwargs)
            )
        if last == "CheckConstraint":
            text = args[0].sql if isinstance(args[0], _Text) else args[0]
            return _Constraint("check", [], kwargs.get("name"), text)
        if last == "Identity":
            always = kwargs.get("always", False)
            return ("identity", "ALWAYS" if always else "BY DEFAULT")
        if last == "Computed":
            text = args[0].sql if isinstance(args[0], _Text) else args[0]
            return ("computed", text)
        if last[:1].isupper():
            return _type(last, args, kwargs)
        raise _Blind(f"{_short(func)}() is not read without running it")

    def column(self, node: pyast.Call, args: list[Any], kwargs: dict[str, Any]) -> _Column:
        if not args or not isinstance(args[0], str):
            raise _Blind("a Column without a literal name")
        column = _Column(args[0], None, node.lineno)
        for arg in args[1:]:
            if isinstance(arg, _Type):
                column.type = arg
            elif isinstance(arg, _ForeignKey):
                arg.columns = [column.name]
                column.foreign_keys.append(arg)
            elif isinstance(arg, tuple) and arg and arg[0] == "identity":
                column.identity = arg[1]
            elif isinstance(arg, tuple) and arg and arg[0] == "computed":
                column.computed = arg[1]
        if "type_" in kwargs:
            column.type = kwargs["type_"]
        if column.type is None:
            raise _Blind(f"column {column.name} has no type this reader can read")
        column.nullable = kwargs.get("nullable")
        column.primary_key = bool(kwargs.get("primary_key", False))
        column.unique = bool(kwargs.get("unique", False))
        column.index = bool(kwargs.get("index", False))
        column.server_default = kwargs.get("server_default")
        column.autoincrement = kwargs.get("autoincrement", "auto")
        column.comment = kwargs.get("comment")
        return column


# -- SQL for each operation ----------------------------------------------------------


def _name(table: str, schema: str | None) -> str:
    return qualify(schema, table) if schema else quote_ident(table)


def _default_sql(value: Any) -> str:
    if isinstance(value, _Text):
        return value.sql
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"'{value}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise _Blind("a server_default that is not a literal")


def _column_sql(column: _Column, serial: bool = False) -> str:
    assert column.type is not None
    type_sql = column.type.integer.upper() if serial and column.type.integer else column.type.sql
    parts = [quote_ident(column.name), type_sql]
    if column.computed is not None:
        parts.append(f"GENERATED ALWAYS AS ({column.computed}) STORED")
    if column.identity:
        parts.append(f"GENERATED {column.identity} AS IDENTITY")
    if column.server_default is not None:
        parts.append("DEFAULT " + _default_sql(column.server_default))
    not_null = column.nullable is False or (column.nullable is None and column.primary_key)
    if not_null:
        parts.append("NOT NULL")
    return " ".join(parts)


def _fk_sql(fk: _ForeignKey, schema: str | None) -> str:
    tables = {".".join(t.split(".")[:-1]) for t in fk.target}
    if len(tables) != 1:
        raise _Blind("a foreign key to several tables")
    target = tables.pop()
    ref_schema, _, ref_table = target.rpartition(".")
    columns = ", ".join(quote_ident(t.split(".")[-1]) for t in fk.target)
    sql = (
        (f"CONSTRAINT {quote_ident(fk.name)} " if fk.name else "")
        + f"FOREIGN KEY({', '.join(quote_ident(c) for c in fk.columns)}) REFERENCES "
        + f"{_name(ref_table, ref_schema or None)} ({columns})"
    )
    if fk.ondelete:
        sql += f" ON DELETE {fk.ondelete}"
    if fk.onupdate:
        sql += f" ON UPDATE {fk.onupdate}"
    if fk.deferrable is not None:
        sql += " DEFERRABLE" if fk.deferrable else " NOT DEFERRABLE"
    if fk.initially:
        sql += f" INITIALLY {fk.initially}"
    return sql


def _enum_sql(types: list[_Type]) -> Iterator[str]:
    for t in types:
        if t.enum:
            name, labels = t.enum
            quoted = ", ".join("'" + label.replace("'", "''") + "'" for label in labels)
            yield f"CREATE TYPE {quote_ident(name)} AS ENUM ({quoted})"


def _create_table(args: list[Any], kwargs: dict[str, Any]) -> list[str]:
    table, schema = args[0], kwargs.get("schema")
    columns = [a for a in args[1:] if isinstance(a, _Column)]
    constraints = [a for a in args[1:] if isinstance(a, _Constraint | _ForeignKey)]
    if len(columns) + len(constraints) != len(args) - 1:
        raise _Blind("create_table with an element this reader cannot read")
    primary = [c.name for c in columns if c.primary_key]
    pk_constraint = next(
        (c for c in constraints if isinstance(c, _Constraint) and c.kind == "primary"), None
    )
    if pk_constraint:
        primary = pk_constraint.columns
        for column in columns:
            if column.name in primary:
                column.primary_key = True
    # SQLAlchemy makes a lone integer primary key SERIAL unless something else fills it
    serial_column = None
    if len(primary) == 1:
        column = next((c for c in columns if c.name == primary[0]), None)
        fk_columns = {
            col for fk in constraints if isinstance(fk, _ForeignKey) for col in fk.columns
        }
        if (
            column is not None
            and column.type is not None
            and column.type.integer
            and column.autoincrement in ("auto", True)
            and not column.foreign_keys
            and column.name not in fk_columns
            and column.server_default is None
            and column.identity is None
            and column.computed is None
        ):
            serial_column = column.name
    out = list(_enum_sql([c.type for c in columns if c.type]))
    body = [_column_sql(c, c.name == serial_column) for c in columns]
    if primary:
        name = pk_constraint.name if pk_constraint and pk_constraint.name else None
        body.append(
            (f"CONSTRAINT {quote_ident(name)} " if name else "")
            + f"PRIMARY KEY ({', '.join(quote_ident(c) for c in primary)})"
        )
    for column in columns:
        if column.unique:
            body.append(f"UNIQUE ({quote_ident(column.name)})")
    for item in constraints:
        if isinstance(item, _Constraint) and item.kind == "unique":
            body.append(
                (f"CONSTRAINT {quote_ident(item.name)} " if item.name else "")
                + f"UNIQUE{item.nulls} ({', '.join(quote_ident(c) for c in item.columns)})"
                + item.timing
            )
        elif isinstance(item, _Constraint) and item.kind == "check":
            body.append(
                (f"CONSTRAINT {quote_ident(item.name)} " if item.name else "")
                + f"CHECK ({item.sqltext})"
            )
    for column in columns:
        for fk in column.foreign_keys:
            body.append(_fk_sql(fk, schema))
    for item in constraints:
        if isinstance(item, _ForeignKey):
            body.append(_fk_sql(item, schema))
    out.append(f"CREATE TABLE {_name(table, schema)} ({', '.join(body)})")
    for column in columns:
        if column.index:
            out.append(
                f"CREATE INDEX {quote_ident(f'ix_{table}_{column.name}')} ON "
                f"{_name(table, schema)} ({quote_ident(column.name)})"
            )
        if column.comment:
            out.append(
                f"COMMENT ON COLUMN {_name(table, schema)}.{quote_ident(column.name)} IS "
                + _default_sql(column.comment)
            )
    return out


def _index_columns(columns: list[Any], ops: dict[str, Any] | None = None) -> str:
    out = []
    for c in columns:
        if isinstance(c, _Text):
            out.append(c.sql)
        elif isinstance(c, str):
            opclass = (ops or {}).get(c)
            out.append(quote_ident(c) + (f" {opclass}" if opclass else ""))
        else:
            raise _Blind("an index column that is not a name or sa.text()")
    return ", ".join(out)


# create_index keywords this reader renders; any other postgresql_* one changes the index in a
# way it does not (a blind spot), while other dialects' keywords (mysql_length) do nothing here
_INDEX_KWARGS = {
    "schema",
    "unique",
    "if_not_exists",
    "columns",
    "table_name",
    "info",
    "quote",
    "postgresql_concurrently",
    "postgresql_using",
    "postgresql_include",
    "postgresql_where",
    "postgresql_ops",
    "postgresql_nulls_not_distinct",
    "postgresql_with",
}


def _unique_options(kwargs: dict[str, Any]) -> tuple[str, str]:
    """NULLS NOT DISTINCT and DEFERRABLE / INITIALLY of a unique constraint, as SQLAlchemy
    renders them; another postgresql_* keyword is a blind spot."""
    unknown = sorted(
        k for k in kwargs if k.startswith("postgresql_") and k != "postgresql_nulls_not_distinct"
    )
    if unknown:
        raise _Blind(f"a unique constraint's {unknown[0]}= is not read literally")
    nulls = kwargs.get("postgresql_nulls_not_distinct")
    timing = ""
    if kwargs.get("deferrable") is not None:
        timing += " DEFERRABLE" if kwargs["deferrable"] else " NOT DEFERRABLE"
    if kwargs.get("initially") is not None:
        timing += f" INITIALLY {kwargs['initially']}"
    return (
        "" if nulls is None else " NULLS NOT DISTINCT" if nulls else " NULLS DISTINCT",
        timing,
    )


def _create_index(name: Any, table: str, columns: list[Any], kwargs: dict[str, Any]) -> list[str]:
    if not isinstance(name, str):
        raise _Blind("an index without a literal name")
    unknown = sorted(
        k
        for k in kwargs
        if k not in _INDEX_KWARGS and (k.startswith("postgresql_") or "_" not in k)
    )
    if unknown:
        raise _Blind(f"create_index {unknown[0]}= is not read literally")
    ops = kwargs.get("postgresql_ops") or {}
    storage = kwargs.get("postgresql_with") or {}
    if not isinstance(ops, dict) or not isinstance(storage, dict):
        raise _Blind("create_index postgresql_ops/postgresql_with that is not a literal dict")
    schema = kwargs.get("schema")
    sql = "CREATE UNIQUE INDEX " if kwargs.get("unique") else "CREATE INDEX "
    if kwargs.get("postgresql_concurrently"):
        sql += "CONCURRENTLY "
    if kwargs.get("if_not_exists"):
        sql += "IF NOT EXISTS "
    sql += f"{quote_ident(name)} ON {_name(table, schema)}"
    if kwargs.get("postgresql_using"):
        sql += f" USING {kwargs['postgresql_using']}"
    sql += f" ({_index_columns(list(columns), ops)})"
    include = kwargs.get("postgresql_include")
    if include:
        sql += f" INCLUDE ({', '.join(quote_ident(c) for c in include)})"
    nulls = kwargs.get("postgresql_nulls_not_distinct")
    if nulls is not None:  # as SQLAlchemy renders it: False is NULLS DISTINCT (the default)
        sql += " NULLS NOT DISTINCT" if nulls else " NULLS DISTINCT"
    if storage:
        sql += f" WITH ({', '.join(f'{k} = {v}' for k, v in storage.items())})"
    where = kwargs.get("postgresql_where")
    if where is not None:
        sql += f" WHERE {where.sql if isinstance(where, _Text) else where}"
    return [sql]


def _alter_column(table: str, column: str, kwargs: dict[str, Any]) -> list[str]:
    target = f"ALTER TABLE {_name(table, kwargs.get('schema'))} "
    col = quote_ident(column)
    out = []
    if kwargs.get("type_") is not None:
        new = kwargs["type_"]
        if not isinstance(new, _Type):
            raise _Blind("alter_column to a type this reader cannot read")
        using = kwargs.get("postgresql_using")
        out.append(
            f"{target}ALTER COLUMN {col} TYPE {new.sql}" + (f" USING {using}" if using else "")
        )
    if kwargs.get("nullable") is not None:
        out.append(f"{target}ALTER COLUMN {col} {'DROP' if kwargs['nullable'] else 'SET'} NOT NULL")
    if "server_default" in kwargs and kwargs["server_default"] is not False:
        default = kwargs["server_default"]
        out.append(
            f"{target}ALTER COLUMN {col} DROP DEFAULT"
            if default is None
            else f"{target}ALTER COLUMN {col} SET DEFAULT {_default_sql(default)}"
        )
    if kwargs.get("new_column_name"):
        out.append(f"{target}RENAME COLUMN {col} TO {quote_ident(kwargs['new_column_name'])}")
    return out


def _operation(
    name: str, args: list[Any], kwargs: dict[str, Any], batch: tuple[str, str | None] | None
) -> list[str]:
    """The SQL one ``op.<name>(…)`` (or ``batch_op.<name>(…)`` inside ``batch``) emits."""
    if batch is not None:
        table, schema = batch
        kwargs = {"schema": schema, **kwargs}
        if name in (
            "add_column",
            "drop_column",
            "alter_column",
            "drop_constraint",
            "create_unique_constraint",
            "create_check_constraint",
            "create_primary_key",
        ):
            # the table goes where op.<name>() takes it: second for a constraint's calls
            # (op.drop_constraint(constraint_name, table_name); batch_op's omits the table),
            # first for a column's. Put first, PrefectHQ/prefect's
            # batch_op.drop_constraint("uq_work_queue__name") read as ALTER TABLE
            # uq_work_queue__name DROP CONSTRAINT work_queue
            if name in (
                "drop_constraint",
                "create_unique_constraint",
                "create_check_constraint",
                "create_primary_key",
            ):
                args = [args[0], table, *args[1:]]
            else:
                args = [table, *args]
        elif name == "create_index":
            args = [args[0], table, *args[1:]]
        elif name == "drop_index":
            kwargs.setdefault("table_name", table)
        elif name == "create_foreign_key":
            args = [args[0], table, *args[1:]]
            kwargs.setdefault("source_schema", schema)
    schema = kwargs.get("schema")
    if name == "execute":
        sql = args[0] if args else kwargs.get("sqltext")
        if isinstance(sql, _Text):
            sql = sql.sql
        if not isinstance(sql, str):
            raise _Blind("op.execute() of something that is not SQL text")
        return [sql.strip()]  # as Alembic sends it: a dollar body keeps its indentation (prosrc)
    if name == "create_table":
        return _create_table(args, kwargs)
    if name == "drop_table":
        exists = "IF EXISTS " if kwargs.get("if_exists") else ""
        return [f"DROP TABLE {exists}{_name(args[0], schema)}"]
    if name == "add_column":
        column = args[1]
        if not isinstance(column, _Column):
            raise _Blind("add_column of a column this reader cannot read")
        out = list(_enum_sql([column.type] if column.type else []))
        out.append(f"ALTER TABLE {_name(args[0], schema)} ADD COLUMN {_column_sql(column)}")
        for fk in column.foreign_keys:
            out.append(f"ALTER TABLE {_name(args[0], schema)} ADD {_fk_sql(fk, schema)}")
        if column.primary_key:
            out.append(
                f"ALTER TABLE {_name(args[0], schema)} ADD PRIMARY KEY ({quote_ident(column.name)})"
            )
        if column.unique:
            out.append(
                f"ALTER TABLE {_name(args[0], schema)} ADD UNIQUE ({quote_ident(column.name)})"
            )
        return out
    if name == "drop_column":
        return [f"ALTER TABLE {_name(args[0], schema)} DROP COLUMN {quote_ident(args[1])}"]
    if name == "alter_column":
        return _alter_column(args[0], args[1], kwargs)
    if name == "create_index":
        columns = args[2] if len(args) > 2 else kwargs.get("columns")
        return _create_index(
            args[0], args[1] if len(args) > 1 else kwargs["table_name"], columns, kwargs
        )
    if name == "drop_index":
        table_schema = schema or None
        exists = "IF EXISTS " if kwargs.get("if_exists") else ""
        concurrently = "CONCURRENTLY " if kwargs.get("postgresql_concurrently") else ""
        return [f"DROP INDEX {concurrently}{exists}{_name(args[0], table_schema)}"]
    if name == "create_foreign_key":
        fk = _ForeignKey(
            list(args[3]),
            [
                f"{kwargs['referent_schema']}.{args[2]}.{c}"
                if kwargs.get("referent_schema")
                else f"{args[2]}.{c}"
                for c in args[4]
            ],
            args[0],
            kwargs.get("ondelete"),
            kwargs.get("onupdate"),
            kwargs.get("deferrable"),
            kwargs.get("initially"),
        )
        return [
            f"ALTER TABLE {_name(args[1], kwargs.get('source_schema'))} ADD {_fk_sql(fk, None)}"
        ]
    if name == "drop_constraint":
        # if_exists=True (Alembic 1.16): Alembic renders the guard
        exists = "IF EXISTS " if kwargs.get("if_exists") else ""
        return [
            f"ALTER TABLE {_name(args[1], schema)} DROP CONSTRAINT {exists}{quote_ident(args[0])}"
        ]
    if name == "create_unique_constraint":
        nulls, timing = _unique_options({k: v for k, v in kwargs.items() if k != "schema"})
        return [
            f"ALTER TABLE {_name(args[1], schema)} ADD "
            + (f"CONSTRAINT {quote_ident(args[0])} " if args[0] else "")
            + f"UNIQUE{nulls} ({', '.join(quote_ident(c) for c in args[2])}){timing}"
        ]
    if name == "create_primary_key":
        return [
            f"ALTER TABLE {_name(args[1], schema)} ADD "
            + (f"CONSTRAINT {quote_ident(args[0])} " if args[0] else "")
            + f"PRIMARY KEY ({', '.join(quote_ident(c) for c in args[2])})"
        ]
    if name == "create_check_constraint":
        condition = args[2].sql if isinstance(args[2], _Text) else args[2]
        return [
            f"ALTER TABLE {_name(args[1], schema)} ADD "
            + (f"CONSTRAINT {quote_ident(args[0])} " if args[0] else "")
            + f"CHECK ({condition})"
        ]
    if name == "rename_table":
        return [f"ALTER TABLE {_name(args[0], schema)} RENAME TO {quote_ident(args[1])}"]
    if name in ("get_bind", "get_context"):
        raise _Blind(f"op.{name}() works on the database connection")
    raise _Blind(f"op.{name}() is not an operation this reader knows")


# -- walking upgrade() -----------------------------------------------------------------


class _Reader:
    def __init__(self, env: dict[str, Any]) -> None:
        self.evaluator = _Evaluator(env)
        self.reading = AstReading()
        self.iterations = 0

    def block(self, body: list[pyast.stmt], batch: dict[str, tuple[str, str | None]]) -> None:
        for stmt in body:
            try:
                self.statement(stmt, batch)
            except _Blind as exc:
                self.reading.blind_spots.append((stmt.lineno, str(exc)))
            except (TypeError, ValueError, IndexError, KeyError, AttributeError) as exc:
                self.reading.blind_spots.append(
                    (stmt.lineno, f"not read literally ({type(exc).__name__})")
                )

    def statement(self, stmt: pyast.stmt, batch: dict[str, tuple[str, str | None]]) -> None:
        if isinstance(stmt, pyast.Pass | pyast.Import | pyast.ImportFrom):
            return
        if isinstance(stmt, pyast.Expr):
            if isinstance(stmt.value, pyast.Constant):
                return  # a docstring or ...
            if isinstance(stmt.value, pyast.Call):
                self.call(stmt.value, batch)
                return
        if isinstance(stmt, pyast.Assign) and all(isinstance(t, pyast.Name) for t in stmt.targets):
            value = self.evaluator.value(stmt.value)
            for target in stmt.targets:
                self.evaluator.env[target.id] = value  # type: ignore[attr-defined]
            return
        if isinstance(stmt, pyast.For) and not stmt.orelse:
            items = self.evaluator.value(stmt.iter)
            for item in items:
                self.iterations += 1
                if self.iterations > MAX_ITERATIONS:
                    raise _Blind("a loop too long to unroll")
                self.bind(stmt.target, item)
                self.block(stmt.body, batch)
            return
        if isinstance(stmt, pyast.If):
            test = self.evaluator.value(stmt.test)
            self.block(stmt.body if test else stmt.orelse, batch)
            return
        if isinstance(stmt, pyast.With) and len(stmt.items) == 1:
            item = stmt.items[0]
            call = item.context_expr
            if (
                isinstance(call, pyast.Call)
                and (_dotted(call.func) or "").endswith("batch_alter_table")
                and isinstance(item.optional_vars, pyast.Name)
            ):
                args, kwargs = self.evaluator.arguments(call)
                table = args[0] if args else kwargs.get("table_name")
                if not isinstance(table, str):
                    raise _Blind("batch_alter_table of a table name that is not literal")
                inner = {**batch, item.optional_vars.id: (table, kwargs.get("schema"))}
                self.block(stmt.body, inner)
                return
            if (
                isinstance(call, pyast.Call)
                and isinstance(call.func, pyast.Attribute)
                and call.func.attr == "autocommit_block"
                and item.optional_vars is None
            ):
                # its body's op.* calls, at their lines: alembic_transactions puts them
                # outside Alembic's transaction (autocommit_lines), as a rendering does
                self.block(stmt.body, batch)
                return
        raise _Blind(f"`{_short(stmt)}` is not read without running it")

    def bind(self, target: pyast.AST, value: Any) -> None:
        if isinstance(target, pyast.Name):
            self.evaluator.env[target.id] = value
        elif isinstance(target, pyast.Tuple | pyast.List):
            values = list(value)
            if len(values) != len(target.elts):
                raise _Blind("a loop target that does not unpack")
            for element, item in zip(target.elts, values, strict=True):
                self.bind(element, item)
        else:
            raise _Blind("a loop target that is not a name")

    def call(self, node: pyast.Call, batch: dict[str, tuple[str, str | None]]) -> None:
        func = node.func
        if not isinstance(func, pyast.Attribute) or not isinstance(func.value, pyast.Name):
            raise _Blind("a call that is not an op.* operation")
        owner = func.value.id
        if owner == "op":
            context = None
        elif owner in batch:
            context = batch[owner]
        else:
            raise _Blind(f"{owner}.{func.attr}() is not an op.* operation")
        if func.attr in ("get_bind", "get_context"):
            raise _Blind(f"op.{func.attr}() works on the database connection")
        args, kwargs = self.evaluator.arguments(node)
        for sql in _operation(func.attr, args, kwargs, context):
            line = node.lineno
            if func.attr == "execute" and node.args:
                first = node.args[0]
                line = first.lineno + _leading_newlines(first)
            self.reading.statements.append((sql, line))


def _leading_newlines(node: pyast.AST) -> int:
    if isinstance(node, pyast.Call) and node.args:  # sa.text("…") / dedent("…")
        node = node.args[0]
    head = (
        node.value
        if isinstance(node, pyast.Constant)
        else next(
            (v.value for v in getattr(node, "values", []) if isinstance(v, pyast.Constant)), ""
        )
    )
    if not isinstance(head, str):
        return 0
    stripped = head.lstrip()
    return head[: len(head) - len(stripped)].count("\n")


def module_constants(tree: pyast.Module) -> dict[str, Any]:
    """Module-level names bound to literals (``TABLES = ["a", "b"]``), for the evaluator."""
    env: dict[str, Any] = {}
    evaluator = _Evaluator(env)
    for node in tree.body:
        if isinstance(node, pyast.Assign) and all(isinstance(t, pyast.Name) for t in node.targets):
            try:
                value = evaluator.value(node.value)
            except (_Blind, TypeError, ValueError, IndexError, KeyError, AttributeError):
                continue
            for target in node.targets:
                env[target.id] = value  # type: ignore[attr-defined]
    return env


def read_upgrade(tree: pyast.Module) -> AstReading:
    """The SQL of ``upgrade()``'s literal ``op.*`` calls, in order, and every blind spot."""
    upgrade = next(
        (n for n in tree.body if isinstance(n, pyast.FunctionDef) and n.name == "upgrade"), None
    )
    if upgrade is None:
        return AstReading([], [(1, "no upgrade() function")])
    reader = _Reader(module_constants(tree))
    reader.block(upgrade.body, {})
    return reader.reading
