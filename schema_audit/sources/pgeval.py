"""Evaluate the constant expressions and catalog queries a ``DO`` block decides with.

Idempotent migrations ask the catalog before acting (``IF NOT EXISTS (SELECT 1 FROM
pg_roles WHERE rolname = 'anon')``), loop over literal arrays or over the tables of a
schema, and build statements with ``format('… %I …', t)``. Those answers follow from the
schema model the history has built so far, so they are computed here: expressions over
constants and variables, and SELECTs over the catalog relations a model can answer
(``pg_roles``, ``pg_type``, ``pg_class``, ``pg_constraint``, ``pg_policies``, ``pg_tables``,
``pg_indexes``, ``information_schema.*`` …), ``unnest(ARRAY[…])`` and ``VALUES``.

Anything else raises :class:`Undecidable`; a value that is unknown (a variable the block
could not compute) is an :class:`Unknown` that keeps a *sketch* of the text it stands in,
so the statement it ends up in can still say which kinds of object it may touch.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import pglast
from pglast import ast
from pglast.enums import A_Expr_Kind, BoolExprType, NullTestType, SubLinkType

from schema_audit.model import SchemaModel, qualify, quote_ident
from schema_audit.pgparse import parse_sql
from schema_audit.sources.ddl.function_schemas import builtin_names
from schema_audit.sources.effects import HOLE


class Undecidable(Exception):
    """The static reader cannot know this value or this branch."""


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value the block cannot compute; ``sketch`` is the text with the unknown part as a hole.

    ``sql``: text that stands for the value where it is only run as SQL, though its exact
    characters are not known (``information_schema.views.view_definition``: PostgreSQL's
    printing of the query differs from the model's, but either, run as ``CREATE VIEW … AS
    <it>``, makes the same view). Spliced into text by ``format('%s')`` or ``||``; compared
    or quoted, it stays unknown."""

    reason: str
    sketch: str | None = None
    sql: str | None = None


def _sketch(value: Any, quoted: bool = False) -> str | None:
    if isinstance(value, Unknown):
        return value.sketch
    if value is None:
        return "NULL"
    return str(value)


def _text(value: Any) -> Any:
    """A value as text, as PostgreSQL casts it (booleans as true/false)."""
    if value is None or isinstance(value, Unknown | str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "{" + ",".join("NULL" if v is None else str(_text(v)) for v in value) + "}"
    return str(value)


def quote_literal(value: str) -> str:
    """PostgreSQL's quote_literal: E'' when the text holds a backslash."""
    text = value.replace("'", "''")
    if "\\" in value:
        return "E'" + text.replace("\\", "\\\\") + "'"
    return "'" + text + "'"


def _unknown_of(*values: Any) -> Unknown | None:
    for v in values:
        if isinstance(v, Unknown):
            return v
    return None


def _concat(parts: list[Any], hole: str = HOLE) -> Any:
    """Join text parts; an unknown part makes the result unknown, with a sketch when possible
    (one that stands for SQL is spliced in as that SQL)."""
    parts = [p.sql if isinstance(p, Unknown) and p.sql is not None else p for p in parts]
    unknown = _unknown_of(*parts)
    if unknown is None:
        return "".join(str(_text(p)) for p in parts)
    sketches = [p.sketch if isinstance(p, Unknown) else _text(p) for p in parts]
    if any(s is None for s in sketches):
        return Unknown(unknown.reason)
    return Unknown(unknown.reason, "".join(str(s) for s in sketches))


def format_text(fmt: Any, args: list[Any]) -> Any:
    """PostgreSQL's format(): %s, %I, %L, %% and positional %n$ forms."""
    if isinstance(fmt, Unknown):
        return Unknown(fmt.reason)
    if fmt is None:
        return None
    parts: list[Any] = []
    i, n, position = 0, len(fmt), 0
    while i < n:
        ch = fmt[i]
        if ch != "%":
            j = fmt.find("%", i)
            j = n if j < 0 else j
            parts.append(fmt[i:j])
            i = j
            continue
        m = re.match(r"%(?:(\d+)\$)?([-]?\d*)([sIL%])", fmt[i:])
        if not m:
            raise Undecidable(f"format() conversion {fmt[i : i + 3]!r} is not understood")
        i += m.end()
        if m.group(3) == "%":
            parts.append("%")
            continue
        if m.group(2):
            raise Undecidable("format() with a field width is not interpreted")
        if m.group(1):
            position = int(m.group(1)) - 1
        if position >= len(args):
            raise Undecidable("format() has too few arguments")
        value = args[position]
        position += 1
        kind = m.group(3)
        if isinstance(value, Unknown) and value.sql is not None and kind == "s":
            parts.append(value.sql)
        elif isinstance(value, Unknown):
            parts.append(Unknown(value.reason, f"'{HOLE}'" if kind == "L" else HOLE))
        elif kind == "I":
            if value is None:
                raise Undecidable("format() %I of NULL raises an error")
            parts.append(quote_ident(str(_text(value))))
        elif kind == "L":
            parts.append("NULL" if value is None else quote_literal(str(_text(value))))
        else:
            parts.append("" if value is None else _text(value))
    return _concat(parts)


# -- the catalog a model can answer -------------------------------------------------------

Row = dict[str, Any]


def _oid(kind: str, name: str) -> str:
    """A stand-in object id: equal for the same object, comparable across catalog relations."""
    return f"{kind}:{name}"


_QUOTED_OR_DOTTED = re.compile(r'[".]')


@cache
def _builtin_overloaded() -> frozenset[str]:
    """The built-in names with more than one overload (``pg_catalog_overloaded.txt``)."""
    from pathlib import Path

    path = Path(__file__).parent / "ddl" / "pg_catalog_overloaded.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


@cache
def _builtin_procs() -> tuple[Row, ...]:
    """One pg_proc row for each name of PostgreSQL 15's built-in functions (pg_catalog)."""

    namespace = _oid("namespace", "pg_catalog")
    return tuple(
        {
            "oid": _oid("proc", f"pg_catalog.{name}"),
            "proname": name,
            "pronamespace": namespace,
            "prosecdef": False,
        }
        for name in sorted(builtin_names())
    )


class Catalog:
    """Catalog relations computed from a model, by name (``pg_catalog.`` optional)."""

    def __init__(self, model: SchemaModel, search_path: list[str]) -> None:
        self.model = model
        self.search_path = search_path

    # which kinds of object each relation reflects (to ask whether an unapplied statement
    # may have changed the answer)
    KINDS: dict[str, set[str]] = {
        "pg_roles": {"role"},
        "pg_user": {"role"},
        "pg_authid": {"role"},
        "pg_auth_members": {"role"},
        "pg_namespace": {"schema"},
        "information_schema.schemata": {"schema"},
        "pg_class": {"table", "index", "view", "sequence", "rls"},
        "pg_tables": {"table", "rls", "owner"},
        "information_schema.tables": {"table", "view"},
        "information_schema.views": {"view"},
        "pg_views": {"view"},
        "pg_matviews": {"view"},
        "pg_indexes": {"index", "unique", "primary_key"},
        "pg_index": {"index", "unique", "primary_key"},
        "pg_type": {"type", "table", "view"},
        "pg_enum": {"type"},
        "pg_constraint": {"primary_key", "unique", "check", "foreign_key", "index"},
        "information_schema.constraint_column_usage": {
            "primary_key",
            "unique",
            "check",
            "foreign_key",
        },
        "information_schema.table_constraints": {
            "primary_key",
            "unique",
            "check",
            "foreign_key",
        },
        "pg_policies": {"policy"},
        "pg_policy": {"policy"},
        "pg_trigger": {"trigger"},
        "information_schema.triggers": {"trigger"},
        "pg_proc": {"function"},
        "information_schema.routines": {"function"},
        "pg_extension": {"extension"},
        "pg_attribute": {"column"},
        "information_schema.columns": {"column"},
        "pg_sequences": {"sequence"},
        "information_schema.sequences": {"sequence"},
    }

    def rows(self, name: str) -> list[Row]:
        builder = getattr(self, "_" + name.replace(".", "__"), None)
        if builder is None:
            if self._history_relation(name):
                # lukevella/rallly's `FOR poll_record IN SELECT id, "time_zone" FROM polls`: a
                # loop over the project's rows, not a catalog question this reader lacks
                raise Undecidable(
                    f"it reads the rows of {name}, a relation of the history: its rows are "
                    "data a migration history does not hold"
                )
            raise Undecidable(f"the catalog relation {name} is not modelled")
        return builder()

    def _history_relation(self, name: str) -> bool:
        """Whether ``name`` is a table or view the history made (by the search_path)."""
        schemas = [name.split(".", 1)[0]] if "." in name else self.search_path
        relation = name.rsplit(".", 1)[-1]
        return any(
            qualify(schema, relation) in self.model.tables
            or qualify(schema, relation) in self.model.views
            for schema in schemas
        )

    def _pg_roles(self) -> list[Row]:
        return [
            {
                "oid": _oid("role", r.name),
                "rolname": r.name,
                "rolsuper": r.superuser,
                "rolcanlogin": r.login,
                "rolbypassrls": r.bypass_rls,
                "rolinherit": r.inherit,
                "usename": r.name,
            }
            for r in self.model.roles.values()
        ]

    _pg_authid = _pg_roles

    def _pg_user(self) -> list[Row]:
        return [r for r in self._pg_roles() if r["rolcanlogin"]]

    def _schemas(self) -> list[str]:
        names = dict.fromkeys(["public", "pg_catalog", "information_schema"])
        names.update(dict.fromkeys(self.model.schemas))
        for table in self.model.tables.values():
            names.setdefault(table.schema)
        return list(names)

    def _pg_namespace(self) -> list[Row]:
        return [{"oid": _oid("namespace", s), "nspname": s} for s in self._schemas()]

    def _information_schema__schemata(self) -> list[Row]:
        return [{"schema_name": s, "schema_owner": Unknown("owner")} for s in self._schemas()]

    def _pg_class(self) -> list[Row]:
        out = []
        for t in self.model.tables.values():
            kind = {"partitioned": "p", "foreign": "f"}.get(t.kind, "r")
            out.append(self._class_row(t.schema, t.name, kind, t.rls_enabled, t.rls_forced))
            for index in t.indexes:
                out.append(self._class_row(t.schema, index, "i", False, False))
        for v in self.model.views.values():
            out.append(self._class_row(v.schema, v.name, "m" if v.materialized else "v"))
            for index in v.indexes:
                out.append(self._class_row(v.schema, index, "i", False, False))
        for s in self.model.sequences.values():
            out.append(self._class_row(s.schema, s.name, "S", False, False))
        return out

    @staticmethod
    def _class_row(
        schema: str, name: str, kind: str, rls: bool = False, forced: bool = False
    ) -> Row:
        return {
            "oid": _oid("class", f"{schema}.{name}"),
            "relname": name,
            "relnamespace": _oid("namespace", schema),
            "relkind": kind,
            "relrowsecurity": rls,
            "relforcerowsecurity": forced,
        }

    def _pg_tables(self) -> list[Row]:
        return [
            {
                "schemaname": t.schema,
                "tablename": t.name,
                "tableowner": t.owner if t.owner else Unknown("the table's owner"),
                "rowsecurity": t.rls_enabled,
            }
            for t in self.model.tables.values()
            if t.kind != "foreign"
        ]

    def _information_schema__tables(self) -> list[Row]:
        rows = [
            {
                "table_schema": t.schema,
                "table_name": t.name,
                "table_type": "FOREIGN" if t.kind == "foreign" else "BASE TABLE",
            }
            for t in self.model.tables.values()
        ]
        rows += [
            {"table_schema": v.schema, "table_name": v.name, "table_type": "VIEW"}
            for v in self.model.views.values()
            if not v.materialized
        ]
        for row in rows:
            row["table_catalog"] = Unknown("the database's name")
        return rows

    def _information_schema__views(self) -> list[Row]:
        """Views (not materialized ones); ``view_definition`` stands for its query as SQL
        (``Unknown.sql``), the options as the model holds them."""
        rows: list[Row] = []
        for v in self.model.views.values():
            if v.materialized:
                continue
            check = v.options.get("check_option")
            rows.append(
                {
                    "table_catalog": Unknown("the database's name"),
                    "table_schema": v.schema,
                    "table_name": v.name,
                    "view_definition": Unknown(
                        "a view's definition as PostgreSQL prints it",
                        sql=v.definition or None,
                    ),
                    "check_option": check.upper() if check else "NONE",
                    "is_updatable": Unknown("whether a view is updatable"),
                    "is_insertable_into": Unknown("whether a view is insertable"),
                }
            )
        return rows

    def _pg_views(self) -> list[Row]:
        return [
            {"schemaname": v.schema, "viewname": v.name}
            for v in self.model.views.values()
            if not v.materialized
        ]

    def _pg_matviews(self) -> list[Row]:
        return [
            {"schemaname": v.schema, "matviewname": v.name}
            for v in self.model.views.values()
            if v.materialized
        ]

    def _pg_indexes(self) -> list[Row]:
        out = []
        for relation in [*self.model.tables.values(), *self.model.views.values()]:
            for index in relation.indexes:
                out.append(
                    {
                        "schemaname": relation.schema,
                        "tablename": relation.name,
                        "indexname": index,
                        "indexdef": Unknown("an index definition as PostgreSQL prints it"),
                    }
                )
        return out

    def _pg_index(self) -> list[Row]:
        """One row a modelled index (primary keys' and unique constraints' too): DO blocks
        ask whether an index exists, is unique or backs the primary key before making one
        (``IF NOT EXISTS (SELECT FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relname = … AND i.indisunique)``); the relation was not modelled, so such a
        block was not applied at all. Column numbers and expressions are not known."""
        out = []
        for relation in [*self.model.tables.values(), *self.model.views.values()]:
            uniques = getattr(relation, "uniques", {})
            for name, index in relation.indexes.items():
                out.append(
                    {
                        "indexrelid": _oid("class", f"{relation.schema}.{name}"),
                        "indrelid": _oid("class", f"{relation.schema}.{relation.name}"),
                        "indnatts": len(index.keys) + len(index.include),
                        "indnkeyatts": len(index.keys),
                        "indisunique": index.unique or index.primary,
                        "indnullsnotdistinct": index.nulls_not_distinct,
                        "indisprimary": index.primary,
                        "indisexclusion": bool(index.constraint)
                        and not index.primary
                        and name not in uniques,
                        "indisvalid": index.valid,
                        "indisready": True,
                        "indislive": True,
                        "indkey": Unknown("an index's column numbers"),
                        "indexprs": Unknown("an index's expressions"),
                        "indpred": Unknown("an index's predicate") if index.where else None,
                    }
                )
        return out

    def _pg_type(self) -> list[Row]:
        out = [
            {
                "oid": _oid("type", f"{e.schema}.{e.name}"),
                "typname": e.name,
                "typnamespace": _oid("namespace", e.schema),
                "typtype": "e",
            }
            for e in self.model.enums.values()
        ] + [  # (domains are modelled: one a history made is found, as in the catalog)
            {
                "oid": _oid("type", f"{d.schema}.{d.name}"),
                "typname": d.name,
                "typnamespace": _oid("namespace", d.schema),
                "typtype": "d",
            }
            for d in self.model.domains.values()
        ]
        for relation in [*self.model.tables.values(), *self.model.views.values()]:
            out.append(
                {
                    "oid": _oid("type", f"{relation.schema}.{relation.name}"),
                    "typname": relation.name,
                    "typnamespace": _oid("namespace", relation.schema),
                    "typtype": "c",
                }
            )
        return out

    def _pg_enum(self) -> list[Row]:
        return [
            {
                "enumtypid": _oid("type", f"{e.schema}.{e.name}"),
                "enumlabel": label,
                "enumsortorder": position + 1,
            }
            for e in self.model.enums.values()
            for position, label in enumerate(e.labels)
        ]

    def _constraints(self) -> Iterator[tuple[Any, str, str, Any]]:
        for t in self.model.tables.values():
            if t.primary_key:
                yield t, t.primary_key.name, "p", None
            for name in t.uniques:
                yield t, name, "u", None
            for name in t.checks:
                yield t, name, "c", None
            for name, fk in t.foreign_keys.items():
                yield t, name, "f", f"{fk.ref_schema}.{fk.ref_table}"
            for name, index in t.indexes.items():
                if index.constraint and not index.primary and name not in t.uniques:
                    yield t, name, "x", None

    def _pg_constraint(self) -> list[Row]:
        return [
            {
                "oid": _oid("constraint", f"{t.schema}.{t.name}.{name}"),
                "conname": name,
                "connamespace": _oid("namespace", t.schema),
                "contype": kind,
                "conrelid": _oid("class", f"{t.schema}.{t.name}"),
                "confrelid": _oid("class", ref) if ref else 0,
                "contypid": 0,
            }
            for t, name, kind, ref in self._constraints()
        ] + [  # a domain's CHECKs (conrelid 0, contypid the domain)
            {
                "oid": _oid("constraint", f"{d.schema}.{d.name}.{name}"),
                "conname": name,
                "connamespace": _oid("namespace", d.schema),
                "contype": "c",
                "conrelid": 0,
                "confrelid": 0,
                "contypid": _oid("type", f"{d.schema}.{d.name}"),
            }
            for d in self.model.domains.values()
            for name in d.checks
        ]

    def _information_schema__table_constraints(self) -> list[Row]:
        names = {"p": "PRIMARY KEY", "u": "UNIQUE", "c": "CHECK", "f": "FOREIGN KEY"}
        return [
            {
                "constraint_schema": t.schema,
                "constraint_name": name,
                "table_schema": t.schema,
                "table_name": t.name,
                "constraint_type": names[kind],
            }
            for t, name, kind, _ in self._constraints()
            if kind in names
        ]

    def _information_schema__constraint_column_usage(self) -> list[Row]:
        """One row per column a table's PRIMARY KEY, UNIQUE or CHECK uses, and per column a
        FOREIGN KEY references (the referenced table's, as PostgreSQL's view lists it); the
        catalog filters rows by the tables' owners, which the model does not (as
        table_constraints above). rudderlabs/rudder-server's helper asks it whether a
        constraint exists before adding it."""
        rows: list[Row] = []
        for t in self.model.tables.values():
            used: list[tuple[str, str, str, list[str]]] = []
            if t.primary_key:
                used.append((t.schema, t.name, t.primary_key.name, t.primary_key.columns))
            used += [(t.schema, t.name, n, u.columns) for n, u in t.uniques.items()]
            used += [(t.schema, t.name, n, c.columns) for n, c in t.checks.items()]
            for name, fk in t.foreign_keys.items():
                if not fk.ref_columns:
                    raise Undecidable(f"the columns foreign key {name} references")
                used.append((fk.ref_schema, fk.ref_table, name, fk.ref_columns))
            rows += [
                {
                    "table_schema": schema,
                    "table_name": table,
                    "column_name": column,
                    "constraint_schema": t.schema,
                    "constraint_name": name,
                }
                for schema, table, name, columns in used
                for column in dict.fromkeys(columns)
            ]
        for row in rows:
            row["table_catalog"] = row["constraint_catalog"] = Unknown("the database's name")
        return rows

    def _pg_policies(self) -> list[Row]:
        return [
            {
                "schemaname": t.schema,
                "tablename": t.name,
                "policyname": p.name,
                "permissive": "PERMISSIVE" if p.permissive else "RESTRICTIVE",
                "roles": list(p.roles),
                "cmd": p.command,
                "qual": Unknown("a policy expression as PostgreSQL prints it"),
                "with_check": Unknown("a policy expression as PostgreSQL prints it"),
            }
            for t in self.model.tables.values()
            for p in t.policies.values()
        ]

    def _pg_policy(self) -> list[Row]:
        return [
            {
                "polname": p.name,
                "polrelid": _oid("class", f"{t.schema}.{t.name}"),
                "polcmd": {"ALL": "*", "SELECT": "r", "INSERT": "a", "UPDATE": "w"}.get(
                    p.command, "d"
                ),
                "polpermissive": p.permissive,
            }
            for t in self.model.tables.values()
            for p in t.policies.values()
        ]

    def _pg_trigger(self) -> list[Row]:
        return [
            {
                "tgname": name,
                "tgrelid": _oid("class", f"{t.schema}.{t.name}"),
                "tgisinternal": False,
            }
            for t in self.model.tables.values()
            for name in t.triggers
        ]

    def _information_schema__triggers(self) -> list[Row]:
        return [
            {
                "trigger_schema": t.schema,
                "trigger_name": name,
                "event_object_schema": t.schema,
                "event_object_table": t.name,
            }
            for t in self.model.tables.values()
            for name in t.triggers
        ]

    def _pg_proc(self) -> list[Row]:
        """The history's functions, then PostgreSQL 15's built-in ones by name (one row a
        name, in pg_catalog): a DO block looping over ``SELECT … FROM pg_proc WHERE proname =
        'gen_random_uuid'`` to create ``uuidv7()`` found no row and created nothing, so a later
        ``DEFAULT uuidv7()`` was refused statically though PostgreSQL ran it."""
        return (
            self._history_procs()
            + [dict(row) for row in _builtin_procs()]
            + self._extension_procs()
        )

    def _extension_procs(self) -> list[Row]:
        """One row a callable function name of each installed extension whose members are
        known (``extension_members``), in its schema: ``IF EXISTS (SELECT FROM pg_proc WHERE
        proname = 'crypt')`` after ``CREATE EXTENSION pgcrypto`` is true in PostgreSQL."""
        from schema_audit.sources.ddl.extension_members import MEMBERS

        return [
            {
                "oid": _oid("proc", f"{extension.schema}.{name}"),
                "proname": name,
                "pronamespace": _oid("namespace", extension.schema),
                "prosecdef": False,
            }
            for extension in self.model.extensions.values()
            if extension.name in MEMBERS
            for name in sorted(MEMBERS[extension.name].functions)
        ]

    def _history_procs(self) -> list[Row]:
        """The history's functions (``to_regproc`` looks here only: whether a built-in name
        is overloaded, which makes it NULL, is not known here)."""
        return [
            {
                "oid": _oid("proc", f.signature),
                "proname": f.name,
                "pronamespace": _oid("namespace", f.schema),
                "prosecdef": f.security_definer,
            }
            for f in self.model.functions.values()
        ]

    def _information_schema__routines(self) -> list[Row]:
        return [
            {"routine_schema": f.schema, "routine_name": f.name, "specific_schema": f.schema}
            for f in self.model.functions.values()
        ]

    def _pg_extension(self) -> list[Row]:
        return [
            {
                "extname": e.name,
                "extnamespace": _oid("namespace", e.schema),
                "extversion": e.version or Unknown("an extension's version"),
            }
            for e in self.model.extensions.values()
        ]

    def _pg_attribute(self) -> list[Row]:
        return [
            {
                "attrelid": _oid("class", f"{t.schema}.{t.name}"),
                "attname": c.name,
                "attnum": position,
                "attisdropped": False,
                "attnotnull": not c.nullable,
            }
            for t in self.model.tables.values()
            for position, c in enumerate(t.columns.values(), start=1)
        ]

    def _information_schema__columns(self) -> list[Row]:
        return [
            {
                "table_schema": t.schema,
                "table_name": t.name,
                "column_name": c.name,
                "ordinal_position": position,
                "is_nullable": "YES" if c.nullable else "NO",
                "data_type": Unknown("a column type as information_schema prints it"),
                "udt_name": Unknown("a column type as information_schema prints it"),
                "column_default": Unknown("a default as PostgreSQL prints it"),
            }
            for t in self.model.tables.values()
            for position, c in enumerate(t.columns.values(), start=1)
        ]

    def _pg_sequences(self) -> list[Row]:
        return [
            {"schemaname": s.schema, "sequencename": s.name} for s in self.model.sequences.values()
        ]

    def _information_schema__sequences(self) -> list[Row]:
        return [
            {"sequence_schema": s.schema, "sequence_name": s.name}
            for s in self.model.sequences.values()
        ]

    # lookups for casts and to_reg*()
    def relation_oid(self, text: str) -> str | None:
        schema, name = self._split(text)
        for candidate in [schema] if schema else self.search_path:
            key = f"{candidate}.{name}"
            if any(
                f"{r.schema}.{r.name}" == key
                for r in [*self.model.tables.values(), *self.model.views.values()]
            ) or any(f"{s.schema}.{s.name}" == key for s in self.model.sequences.values()):
                return _oid("class", key)
            for relation in [*self.model.tables.values(), *self.model.views.values()]:
                if relation.schema == candidate and name in relation.indexes:
                    return _oid("class", key)
        return None

    def type_oid(self, text: str) -> str | None:
        schema, name = self._split(text)
        for candidate in [schema] if schema else [*self.search_path, "public"]:
            key = f"{candidate}.{name}"
            if any(f"{e.schema}.{e.name}" == key for e in self.model.enums.values()):
                return _oid("type", key)
        return None

    def proc_oid(self, text: str) -> str | None:
        """``to_regproc(text)`` as PostgreSQL 15 answers it: the one function of that name
        the search_path finds (pg_catalog first), NULL when there is none or more than one
        (``lower`` is overloaded in pg_catalog, ``now`` is not: a DO block guarded by
        ``to_regproc('now') IS NOT NULL`` made its table in PostgreSQL and not statically).
        An extension's functions are counted when its members are known; their overloads are
        not, so such a name, or one an extension of unknown members may hold, is undecidable.
        So are functions of the name found one in each of several schemas: PostgreSQL counts a
        function hidden by one of the same arguments earlier in the path once (a history's
        ``public.gen_random_uuid()`` beside the built-in: found), which the reading does not
        compare; two or more in one schema differ in their arguments: NULL."""
        from schema_audit.sources.ddl.extension_members import MEMBERS

        schema, name = self._split(text) if _QUOTED_OR_DOTTED.search(text) else (None, text.lower())
        schemas = [schema] if schema else ["pg_catalog", *self.search_path]
        found: list[str] = []
        for home in dict.fromkeys(schemas):
            here: list[str] = []
            if home == "pg_catalog" and name in builtin_names():
                here += [_oid("proc", f"pg_catalog.{name}")] * (
                    2 if name in _builtin_overloaded() else 1
                )
            here += [
                _oid("proc", f.signature)
                for f in self.model.functions.values()
                if f.schema == home and f.name == name
            ]
            if len(here) > 1:
                return None  # overloads in one schema: more than one candidate whatever hides
            found += here
            for extension in self.model.extensions.values():
                members = MEMBERS.get(extension.name)
                if extension.schema == home and (members is None or name in members.functions):
                    raise Undecidable(
                        f"to_regproc({text!r}): extension {extension.name} in {home} may hold "
                        "overloads of that name, which the static reading does not know"
                    )
        if len(found) > 1:
            raise Undecidable(
                f"to_regproc({text!r}): a function of that name in each of several schemas of "
                "the path; PostgreSQL counts one when they take the same arguments (the first "
                "hides the others), which the static reading does not compare"
            )
        return found[0] if found else None

    @staticmethod
    def _split(text: str) -> tuple[str | None, str]:
        try:
            names = [
                s.sval
                for s in parse_sql(f"SELECT 1::{text}")[0].stmt.targetList[0].val.typeName.names
            ]  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001 - not a name: no such object
            return None, text
        return (names[-2] if len(names) > 1 else None), names[-1]


# -- expressions and queries --------------------------------------------------------------


class Evaluator:
    """Values of expressions over variables, constants and the model's catalog."""

    MAX_ROWS = 100_000

    def __init__(
        self,
        catalog: Catalog,
        variable: Callable[[list[str]], Any],
        uncertain: Callable[[set[str]], str | None],
    ) -> None:
        self.catalog = catalog
        self.variable = variable  # ["t"] or ["r", "tablename"] -> value; KeyError if unknown
        self.uncertain = uncertain  # kinds -> why the model may not know them, or None

    def expression(self, text: str) -> Any:
        try:
            stmt = parse_sql(f"SELECT {text}")[0].stmt
        except pglast.parser.ParseError as exc:
            raise Undecidable(f"expression {text!r} does not parse: {exc}") from None
        if not isinstance(stmt, ast.SelectStmt) or len(stmt.targetList or ()) != 1:
            raise Undecidable(f"expression {text!r} is not one value")
        if stmt.fromClause or stmt.whereClause:
            return self.scalar(stmt)
        return self.value(stmt.targetList[0].val, {})

    def query(self, text: str) -> tuple[list[str], list[list[Any]]]:
        """Column names and rows of a SELECT (or VALUES) over the model's catalog."""
        try:
            parsed = parse_sql(text)
        except pglast.parser.ParseError as exc:
            raise Undecidable(f"query does not parse: {exc}") from None
        if len(parsed) != 1 or not isinstance(parsed[0].stmt, ast.SelectStmt):
            raise Undecidable("not a single SELECT")
        return self.select(parsed[0].stmt, {})

    def scalar(self, stmt: ast.SelectStmt, outer: dict[str, Any] | None = None) -> Any:
        _, rows = self.select(stmt, outer or {})
        if len(rows) > 1:
            raise Undecidable("a scalar subquery returns more than one row")
        return rows[0][0] if rows else None

    # -- SELECT ----------------------------------------------------------------------
    def select(
        self, stmt: ast.SelectStmt, outer: dict[str, Any]
    ) -> tuple[list[str], list[list[Any]]]:
        if stmt.op and getattr(stmt.op, "value", stmt.op) != 0:
            raise Undecidable("UNION / INTERSECT / EXCEPT is not interpreted")
        if stmt.withClause or stmt.groupClause or stmt.havingClause or stmt.distinctClause:
            raise Undecidable("WITH / GROUP BY / DISTINCT is not interpreted")
        if stmt.valuesLists:
            rows = [[self.value(v, outer) for v in row] for row in stmt.valuesLists]
            return [f"column{i + 1}" for i in range(len(rows[0]) if rows else 0)], rows
        scopes = self._from(stmt.fromClause or (), outer)
        where = stmt.whereClause
        kept = [s for s in scopes if where is None or _truth(self.value(where, s))]
        if stmt.sortClause:
            keys = []
            for sort in stmt.sortClause:
                keys.append(sort)
            for sort in reversed(keys):
                desc = int(getattr(sort.sortby_dir, "value", sort.sortby_dir) or 0) == 2
                kept.sort(key=lambda s, e=sort.node: _sort_key(self.value(e, s)), reverse=desc)
        targets = stmt.targetList or ()
        if len(targets) == 1 and _is_count(targets[0].val):
            return ["count"], [[len(kept)]]
        names: list[str] = []
        rows: list[list[Any]] = []
        for scope in kept:
            row: list[Any] = []
            for target in targets:
                val = target.val
                if isinstance(val, ast.ColumnRef) and isinstance(val.fields[-1], ast.A_Star):
                    for key, value in scope.items():
                        if "." not in key and not key.startswith("@"):
                            row.append(value)
                    continue
                row.append(self.value(val, scope))
            rows.append(row)
        for target in targets:
            if target.name:
                names.append(target.name)
            elif isinstance(target.val, ast.ColumnRef) and isinstance(
                target.val.fields[-1], ast.String
            ):
                names.append(target.val.fields[-1].sval)
            elif isinstance(target.val, ast.FuncCall):
                names.append(target.val.funcname[-1].sval)
            else:
                names.append("?column?")
        if stmt.limitCount is not None:
            limit = self.value(stmt.limitCount, outer)
            if isinstance(limit, int):
                rows = rows[:limit]
        return names, rows

    def _from(self, items, outer: dict[str, Any]) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
        scopes: list[dict[str, Any]] = [dict(outer)]
        for item in items:
            scopes = self._join(scopes, item, outer)
        return scopes

    def _join(self, scopes: list[dict[str, Any]], item, outer) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
        if isinstance(item, ast.JoinExpr):
            if int(getattr(item.jointype, "value", item.jointype) or 0) != 0 or item.usingClause:
                raise Undecidable("only inner joins with ON are interpreted")
            left = self._join(scopes, item.larg, outer)
            both = self._join(left, item.rarg, outer)
            if item.quals is not None:
                both = [s for s in both if _truth(self.value(item.quals, s))]
            return both
        alias, rows = self._relation(item, outer)
        out = []
        for scope in scopes:
            for row in rows:
                merged = dict(scope)
                for key, value in row.items():
                    merged[key] = value
                    merged[f"{alias}.{key}"] = value
                out.append(merged)
                if len(out) > self.MAX_ROWS:
                    raise Undecidable("a catalog query the static reader would take too long on")
        return out

    def _relation(self, item, outer) -> tuple[str, list[Row]]:  # type: ignore[no-untyped-def]
        if isinstance(item, ast.RangeVar):
            schema = item.schemaname
            name = item.relname if schema in (None, "pg_catalog") else f"{schema}.{item.relname}"
            why = self.uncertain(self.catalog.KINDS.get(name, {"*"}))
            if why:
                raise Undecidable(f"{name} may differ from the model: {why}")
            alias = item.alias.aliasname if item.alias else item.relname
            return alias, self.catalog.rows(name)
        if isinstance(item, ast.RangeFunction) and len(item.functions or ()) == 1:
            call = item.functions[0][0]
            if isinstance(call, ast.FuncCall) and call.funcname[-1].sval == "unnest":
                values = self.value(call.args[0], outer) if call.args else None
                if isinstance(values, Unknown):
                    raise Undecidable(values.reason)
                alias = item.alias.aliasname if item.alias else "unnest"
                column = (
                    item.alias.colnames[0].sval if item.alias and item.alias.colnames else alias
                )
                return alias, [{column: v} for v in values or []]
        if isinstance(item, ast.RangeSubselect) and isinstance(item.subquery, ast.SelectStmt):
            names, rows = self.select(item.subquery, outer)
            alias = item.alias.aliasname if item.alias else "subquery"
            return alias, [dict(zip(names, r, strict=False)) for r in rows]
        raise Undecidable(f"FROM {type(item).__name__} is not interpreted")

    # -- expressions -----------------------------------------------------------------
    def value(self, node, scope: dict[str, Any]) -> Any:  # type: ignore[no-untyped-def]
        if isinstance(node, ast.A_Const):
            if node.isnull:
                return None
            val = node.val
            if isinstance(val, ast.String):
                return val.sval
            if isinstance(val, ast.Integer):
                return val.ival
            if isinstance(val, ast.Boolean):
                return bool(val.boolval)
            if isinstance(val, ast.Float):
                return float(val.fval)
            raise Undecidable(f"constant {val!r}")
        if isinstance(node, ast.ColumnRef):
            names = [f.sval for f in node.fields if isinstance(f, ast.String)]
            key = ".".join(names)
            if key in scope:
                return scope[key]
            try:
                return self.variable(names)
            except KeyError:
                raise Undecidable(f"{key} is not a value the static reader knows") from None
        if isinstance(node, ast.TypeCast):
            return self._cast(self.value(node.arg, scope), node.typeName)
        if isinstance(node, ast.A_ArrayExpr):
            return [self.value(e, scope) for e in node.elements or ()]
        if isinstance(node, ast.BoolExpr):
            return self._bool(node, scope)
        if isinstance(node, ast.NullTest):
            value = self.value(node.arg, scope)
            if isinstance(value, Unknown):
                raise Undecidable(value.reason)
            is_null = value is None
            return is_null if node.nulltesttype == NullTestType.IS_NULL else not is_null
        if isinstance(node, ast.A_Expr):
            return self._operator(node, scope)
        if isinstance(node, ast.FuncCall):
            return self._call(node, scope)
        if isinstance(node, ast.SubLink):
            return self._sublink(node, scope)
        if isinstance(node, ast.CoalesceExpr):
            for arg in node.args:
                value = self.value(arg, scope)
                if value is not None:
                    return value
            return None
        if isinstance(node, ast.SQLValueFunction):
            op = int(getattr(node.op, "value", node.op))
            if op == 12:  # SVFOP_CURRENT_SCHEMA
                return self.catalog.search_path[0] if self.catalog.search_path else None
            return Unknown("the role running the migrations")
        raise Undecidable(f"{type(node).__name__} expressions are not interpreted")

    def _bool(self, node: ast.BoolExpr, scope) -> Any:  # type: ignore[no-untyped-def]
        if node.boolop == BoolExprType.NOT_EXPR:
            value = self.value(node.args[0], scope)
            _known(value)
            return None if value is None else not value
        results = []
        for arg in node.args:
            value = self.value(arg, scope)
            if isinstance(value, Unknown):
                raise Undecidable(value.reason)
            if node.boolop == BoolExprType.AND_EXPR and value is False:
                return False
            if node.boolop == BoolExprType.OR_EXPR and value is True:
                return True
            results.append(value)
        return None if None in results else node.boolop == BoolExprType.AND_EXPR

    def _operator(self, node: ast.A_Expr, scope) -> Any:  # type: ignore[no-untyped-def]
        op = node.name[-1].sval if node.name else ""
        kind = node.kind
        left = self.value(node.lexpr, scope) if node.lexpr is not None else None
        if kind == A_Expr_Kind.AEXPR_IN:
            items = [self.value(e, scope) for e in node.rexpr]
            _known(left, *items)
            found = left in items
            return found if op == "=" else not found
        right = self.value(node.rexpr, scope)
        if kind in (A_Expr_Kind.AEXPR_OP_ANY, A_Expr_Kind.AEXPR_OP_ALL):
            _known(left, right)
            if not isinstance(right, list):
                raise Undecidable("ANY/ALL over something that is not an array")
            hits = [_compare(op, left, r) for r in right]
            return any(hits) if kind == A_Expr_Kind.AEXPR_OP_ANY else all(hits)
        if kind in (A_Expr_Kind.AEXPR_LIKE, A_Expr_Kind.AEXPR_ILIKE):
            _known(left, right)
            if left is None or right is None:
                return None
            pattern = str(right).replace("[", "[[]").replace("%", "*").replace("_", "?")
            a, b = (str(left), pattern)
            if kind == A_Expr_Kind.AEXPR_ILIKE:
                a, b = a.lower(), b.lower()
            hit = fnmatch.fnmatchcase(a, b)
            return hit if op in ("~~", "~~*") else not hit
        if kind == A_Expr_Kind.AEXPR_DISTINCT:
            _known(left, right)
            return left != right
        if kind != A_Expr_Kind.AEXPR_OP:
            raise Undecidable(f"operator kind {kind!r} is not interpreted")
        if op == "||":
            if isinstance(left, list) or isinstance(right, list):
                _known(left, right)
                return (left or []) + (right if isinstance(right, list) else [right])
            if left is None or right is None:
                return None
            return _concat([left, right])
        _known(left, right)
        if node.lexpr is None:  # a prefix operator: no left operand (not a NULL one)
            return _prefix(op, right)
        if left is None or right is None:
            return None
        if op in ("+", "-", "*") and isinstance(left, int) and isinstance(right, int):
            return {"+": left + right, "-": left - right, "*": left * right}[op]
        return _compare(op, left, right)

    def _call(self, node: ast.FuncCall, scope) -> Any:  # type: ignore[no-untyped-def]
        names = [n.sval for n in node.funcname]
        name = names[-1].lower()
        if len(names) > 1 and names[0] != "pg_catalog":
            raise Undecidable(f"function {'.'.join(names)} is not interpreted")
        if node.agg_star or node.agg_order or node.over:
            raise Undecidable(f"{name}() as an aggregate is not interpreted")
        args = [self.value(a, scope) for a in node.args or ()]
        if name == "format":
            return format_text(args[0], args[1:])
        if name in ("concat", "concat_ws"):
            sep, items = (args[0], args[1:]) if name == "concat_ws" else ("", args)
            items = [a for a in items if a is not None]
            joined: list[Any] = []
            for i, item in enumerate(items):
                if i:
                    joined.append(sep)
                joined.append(item)
            return _concat(joined) if joined else ""
        if name in (
            "quote_ident",
            "quote_literal",
            "quote_nullable",
            "lower",
            "upper",
            "btrim",
            "trim",
        ):
            value = args[0] if args else None
            if isinstance(value, Unknown):
                return Unknown(value.reason, f"'{HOLE}'" if name.startswith("quote_l") else HOLE)
            if value is None:
                return "NULL" if name == "quote_nullable" else None
            text = str(_text(value))
            return {
                "quote_ident": lambda: quote_ident(text),
                "quote_literal": lambda: quote_literal(text),
                "quote_nullable": lambda: quote_literal(text),
                "lower": text.lower,
                "upper": text.upper,
                "btrim": text.strip,
                "trim": text.strip,
            }[name]()
        if name == "replace" and len(args) == 3:
            _known(*args)
            return None if None in args else str(args[0]).replace(str(args[1]), str(args[2]))
        if name in ("to_regclass", "to_regtype", "to_regnamespace", "to_regrole", "to_regproc"):
            value = args[0] if args else None
            _known(value)
            return self._reg(name[6:], value)
        if name in ("array_length", "cardinality") and args:
            _known(args[0])
            return len(args[0]) if args[0] else None
        if name == "current_schema":
            return self.catalog.search_path[0] if self.catalog.search_path else None
        if name == "coalesce":
            return next((a for a in args if a is not None), None)
        raise Undecidable(f"function {name}() is not interpreted")

    def _reg(self, kind: str, value: Any) -> Any:
        if value is None:
            return None
        text = str(value)
        kinds = {"class": {"table", "view", "index", "sequence"}, "type": {"type", "table"}}
        why = self.uncertain(kinds.get(kind, {kind if kind != "namespace" else "schema"}))
        if why:
            raise Undecidable(f"whether {text} exists may differ from the model: {why}")
        if kind == "class":
            return self.catalog.relation_oid(text)
        if kind == "type":
            return self.catalog.type_oid(text)
        if kind == "namespace":
            return _oid("namespace", text) if text in self.catalog._schemas() else None
        if kind == "role":
            return _oid("role", text) if text in self.catalog.model.roles else None
        if "(" in text:  # a signature: not interpreted (no function is found)
            return next(
                (r["oid"] for r in self.catalog._history_procs() if r["proname"] == text), None
            )
        return self.catalog.proc_oid(text)

    def _cast(self, value: Any, type_name: ast.TypeName) -> Any:
        names = [n.sval for n in type_name.names]
        name = names[-1]
        if type_name.arrayBounds:
            if isinstance(value, str):
                raise Undecidable("an array literal in text form is not interpreted")
            return value
        if isinstance(value, Unknown) or value is None:
            return value
        if name in ("text", "varchar", "name", "bpchar"):
            return str(_text(value))
        if name in ("int4", "int8", "int2", "integer", "bigint"):
            try:
                return int(value)
            except (TypeError, ValueError):
                raise Undecidable(f"{value!r}::{name}") from None
        if name == "bool":
            return (
                value
                if isinstance(value, bool)
                else str(value).lower() in ("t", "true", "on", "yes", "1")
            )
        if name in ("regclass", "regtype", "regnamespace", "regrole", "regproc", "regprocedure"):
            found = self._reg(name[3:].replace("procedure", "proc"), value)
            if found is None:
                raise Undecidable(f"{value!r}::{name} raises an error: no such object")
            return found
        if name == "oid":
            return value
        raise Undecidable(f"a cast to {name} is not interpreted")

    def _sublink(self, node: ast.SubLink, scope) -> Any:  # type: ignore[no-untyped-def]
        kind = node.subLinkType
        if not isinstance(node.subselect, ast.SelectStmt):
            raise Undecidable("subquery is not a SELECT")
        if kind == SubLinkType.EXISTS_SUBLINK:
            _, rows = self.select(node.subselect, scope)
            return bool(rows)
        if kind == SubLinkType.EXPR_SUBLINK:
            return self.scalar(node.subselect, scope)
        if kind == SubLinkType.ARRAY_SUBLINK:
            _, rows = self.select(node.subselect, scope)
            return [r[0] for r in rows]
        if kind == SubLinkType.ANY_SUBLINK:
            left = self.value(node.testexpr, scope)
            _, rows = self.select(node.subselect, scope)
            _known(left, *[r[0] for r in rows])
            return left in [r[0] for r in rows]
        raise Undecidable("this kind of subquery is not interpreted")


def _is_count(node) -> bool:  # type: ignore[no-untyped-def]
    return (
        isinstance(node, ast.FuncCall)
        and node.funcname[-1].sval == "count"
        and (node.agg_star or len(node.args or ()) == 1)
    )


def _known(*values: Any) -> None:
    for value in values:
        if isinstance(value, Unknown):
            raise Undecidable(value.reason)


def _truth(value: Any) -> bool:
    if isinstance(value, Unknown):
        raise Undecidable(value.reason)
    return value is True


def _compare(op: str, left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    if isinstance(left, bool) and isinstance(right, str):
        right = right.lower() in ("t", "true", "on", "yes", "1")
    if isinstance(right, bool) and isinstance(left, str):
        left = left.lower() in ("t", "true", "on", "yes", "1")
    if isinstance(left, int) and isinstance(right, str) and right.lstrip("-").isdigit():
        right = int(right)
    if isinstance(right, int) and isinstance(left, str) and left.lstrip("-").isdigit():
        left = int(left)
    try:
        return {
            "=": left == right,
            "<>": left != right,
            "!=": left != right,
            "<": left < right,
            ">": left > right,
            "<=": left <= right,
            ">=": left >= right,
        }[op]
    except KeyError:
        raise Undecidable(f"operator {op} is not interpreted") from None
    except TypeError:
        raise Undecidable(f"{left!r} {op} {right!r} compares different types") from None


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, Unknown):
        raise Undecidable(value.reason)
    return (1, "") if value is None else (0, value if not isinstance(value, bool) else int(value))


def _prefix(op: str, value: Any) -> Any:
    """``-x`` / ``+x`` of a number (NULL stays NULL); any other prefix operator: undecided.
    ``-m`` was read as NULL (the missing left operand taken for one): ``format('u_%s', -m)``
    gave 'u_' where PostgreSQL gives 'u_3'."""
    if value is None:
        return None
    if op in ("-", "+") and isinstance(value, int | float) and not isinstance(value, bool):
        return -value if op == "-" else value
    raise Undecidable(f"prefix operator {op} is not interpreted")
