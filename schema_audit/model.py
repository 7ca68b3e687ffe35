"""The one schema model every source produces and every check reads.

Live introspection, the static DDL interpreter, pg_dump files and replays all
build a :class:`SchemaModel`; the audit never needs to know which source it
came from. The classes are plain (mutable, slotted) dataclasses rather than
frozen ones because the DDL interpreter applies ``ALTER`` statements in place,
one migration after another; once a source returns its model, nothing mutates
it again.

Conventions shared by every source (so that a static model and a live model of
the same database compare equal):

* Types are stored the way PostgreSQL's ``format_type()`` prints them
  (``character varying(255)``, ``timestamp with time zone``, ``numeric(6,5)``).
* Expressions (defaults, CHECK bodies, index predicates, policy clauses) are
  stored as the source printed them; comparisons go through ``sqlnorm``.
* Identifiers are stored unquoted, exactly as PostgreSQL stores them (folded
  to lower case unless they were quoted), compared exactly and printed with
  :func:`quote_ident` (see ``schema_audit.ident`` for how a spec names them).
* Role names are stored as PostgreSQL prints them; ``public`` means PUBLIC.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from operator import attrgetter
from reprlib import recursive_repr
from types import ModuleType
from typing import Any, Literal, TypeVar

from schema_audit.enums import ReferentialAction

_T = TypeVar("_T")


def _compared(cls: type[_T]) -> type[_T]:
    """``cls`` (a dataclass made with ``eq=False, repr=False``) given the ``__eq__`` and
    ``__repr__`` ``dataclass`` would have made, from the two functions below.

    Why: ``dataclass`` writes each class's methods as source text and compiles it at every
    import; the model's 28 classes' ``__eq__`` and ``__repr__`` were a third of the model's
    import (39 of its 110 M instructions), paid before the parsing child of a long history is
    forked, so by both processes. The same behaviour (tests/test_model_methods.py compares
    each with ``dataclass``'s own): equal when the other is of the very same class and the
    tuples of the compared fields are equal, else ``NotImplemented``; unhashable; printed as
    ``Name(field=value, …)`` with ``...`` where an object recurs into itself.
    """
    every = fields(cls)  # type: ignore[arg-type]
    # attrgetter of one name gives the value, not a 1-tuple (dataclass compares tuples)
    if len(every) < 2 or not all(f.compare and f.repr for f in every):
        raise TypeError(
            f"{cls.__name__}: _compared needs two fields or more, all compared and shown"
        )
    names = tuple(f.name for f in every)
    compared, shown = attrgetter(*names), names
    eq, show = _eq(compared), _repr(shown)
    eq.__qualname__, show.__qualname__ = (
        f"{cls.__qualname__}.__eq__",
        f"{cls.__qualname__}.__repr__",
    )
    cls.__eq__ = eq  # type: ignore[method-assign]
    cls.__repr__ = show  # type: ignore[method-assign]
    cls.__hash__ = None  # type: ignore[assignment]  # as dataclass sets it for eq=True
    return cls


def _eq(key: Callable[[Any], tuple[Any, ...]]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    return __eq__


def _repr(names: tuple[str, ...]) -> Callable[[Any], str]:
    @recursive_repr()
    def __repr__(self: Any) -> str:
        shown = ", ".join([f"{name}={getattr(self, name)!r}" for name in names])
        return f"{self.__class__.__qualname__}({shown})"

    return __repr__


Command = Literal["ALL", "SELECT", "INSERT", "UPDATE", "DELETE"]

TABLE_PRIVILEGES = (
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
)
# What ALL means for each kind of object (GRANT ALL, ALTER DEFAULT PRIVILEGES … ALL).
OBJECT_PRIVILEGES: dict[str, tuple[str, ...]] = {
    "tables": TABLE_PRIVILEGES,
    "sequences": ("USAGE", "SELECT", "UPDATE"),
    "functions": ("EXECUTE",),
    "types": ("USAGE",),
    "schemas": ("USAGE", "CREATE"),
}


@_compared
@dataclass(slots=True, eq=False, repr=False)
class Provenance:
    """Where an object was created or changed: a catalog, or a migration statement."""

    source: Literal["catalog", "migration", "probe"] = "migration"
    file: str | None = None
    line: int | None = None
    revision: str | None = None
    action: str = "created"  # created | altered | renamed | dropped …
    sql: str | None = None

    def where(self) -> str:
        """A short human location such as ``versions/0001_x.py:54 (rev 0001)``."""
        parts = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.revision:
            parts.append(f"(revision {self.revision})")
        return " ".join(parts) or self.source


# The type of a column a static reading cannot know: CREATE TABLE AS declares none, and the
# reader does not work out a query's result types. No catalog holds it: since PostgreSQL 10 a
# column never has the pseudo-type unknown (a query's unknown literal becomes text).
UNKNOWN_TYPE = "unknown"


@_compared
@dataclass(slots=True, eq=False, repr=False)
class Column:
    """A table's column as ``pg_attribute`` and ``pg_attrdef`` describe it."""

    name: str
    type: str
    nullable: bool = True
    default: str | None = None
    identity: Literal["always", "by default"] | None = None
    generated: str | None = None  # expression of a GENERATED ALWAYS AS (…) STORED column
    collation: str | None = None
    comment: str | None = None
    provenance: list[Provenance] = field(default_factory=list)
    # what ALTER COLUMN SET STATISTICS / STORAGE / COMPRESSION set, only where it is not the
    # default ({"statistics": 500, "storage": "external", "compression": "lz4"}); None: none
    settings: dict[str, int | str] | None = None


@_compared
@dataclass(slots=True, eq=False, repr=False)
class PrimaryKey:
    """A table's primary key constraint."""

    name: str
    columns: list[str]
    provenance: list[Provenance] = field(default_factory=list)
    comment: str | None = None  # COMMENT ON CONSTRAINT


@_compared
@dataclass(slots=True, eq=False, repr=False)
class UniqueConstraint:
    """A UNIQUE constraint (not a unique index: PostgreSQL keeps them apart in ``pg_constraint``)."""

    name: str
    columns: list[str]
    nulls_not_distinct: bool = False
    deferrable: bool = False
    initially_deferred: bool = False
    provenance: list[Provenance] = field(default_factory=list)
    comment: str | None = None  # COMMENT ON CONSTRAINT / POLICY / TRIGGER


@_compared
@dataclass(slots=True, eq=False, repr=False)
class CheckConstraint:
    """A CHECK constraint (a NOT NULL is the column's ``nullable``)."""

    name: str
    expression: str
    columns: list[str] = field(default_factory=list)  # columns the expression mentions
    validated: bool = True
    no_inherit: bool = False
    provenance: list[Provenance] = field(default_factory=list)
    comment: str | None = None  # COMMENT ON CONSTRAINT / POLICY / TRIGGER


@_compared
@dataclass(slots=True, eq=False, repr=False)
class ForeignKey:
    """A FOREIGN KEY constraint with its referenced table, columns and actions."""

    name: str
    columns: list[str]
    ref_schema: str
    ref_table: str
    ref_columns: list[str]
    on_delete: str = ReferentialAction.NO_ACTION.value  # a ReferentialAction value
    on_update: str = ReferentialAction.NO_ACTION.value
    match: Literal["SIMPLE", "FULL", "PARTIAL"] = "SIMPLE"
    deferrable: bool = False
    initially_deferred: bool = False
    validated: bool = True
    provenance: list[Provenance] = field(default_factory=list)
    comment: str | None = None  # COMMENT ON CONSTRAINT / POLICY / TRIGGER
    # ON DELETE SET NULL / SET DEFAULT (columns) (PostgreSQL 15): the only columns the action
    # sets; empty = every referencing column
    on_delete_columns: list[str] = field(default_factory=list)


@_compared
@dataclass(slots=True, eq=False, repr=False)
class IndexKey:
    """One key of an index: a column name or an expression, with its ordering."""

    expression: str  # a bare column name, or the expression text
    is_column: bool = True
    descending: bool = False
    nulls_first: bool | None = None  # None = the default for the direction
    opclass: str | None = None
    collation: str | None = None

    def render(self) -> str:
        text = quote_ident(self.expression) if self.is_column else f"({self.expression})"
        if self.collation:
            name = self.collation  # already SQL when qualified or quoted (schema_audit.collation)
            text += " COLLATE " + (name if "." in name or '"' in name else quote_ident(name))
        if self.opclass:
            text += f" {self.opclass}"
        if self.descending:
            text += " DESC"
        if self.nulls_first is not None and self.nulls_first != self.descending:
            text += " NULLS FIRST" if self.nulls_first else " NULLS LAST"
        return text


@_compared
@dataclass(slots=True, eq=False, repr=False)
class Index:
    """An index of a table or materialized view, whether or not a constraint backs it."""

    name: str
    keys: list[IndexKey]
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    include: list[str] = field(default_factory=list)
    nulls_not_distinct: bool = False
    constraint: str | None = None  # name of the PK/UNIQUE/EXCLUDE constraint it backs
    primary: bool = False
    valid: bool = True
    definition: str | None = None  # pg_get_indexdef() when read live
    provenance: list[Provenance] = field(default_factory=list)
    # storage parameters (pg_class.reloptions of the index: fillfactor=70, deduplicate_items=off)
    options: dict[str, str] = field(default_factory=dict)
    clustered: bool = False  # CLUSTER ON / CLUSTER … USING (pg_index.indisclustered)
    comment: str | None = None  # COMMENT ON INDEX
    tablespace: str | None = None  # TABLESPACE / SET TABLESPACE; None = the database's default
    # an EXCLUDE constraint's index: the operator of each key (``&&``, ``=``: pg_operator's
    # oprname, unqualified), the constraint's DEFERRABLE / INITIALLY DEFERRED and its COMMENT
    # ON CONSTRAINT (not the index's own COMMENT); empty / false / None for every other index
    exclude: list[str] = field(default_factory=list)
    deferrable: bool = False
    initially_deferred: bool = False
    constraint_comment: str | None = None

    @property
    def column_names(self) -> list[str]:
        return [k.expression for k in self.keys]


@_compared
@dataclass(slots=True, eq=False, repr=False)
class Policy:
    """A row-level security policy of a table."""

    name: str
    command: Command = "ALL"
    permissive: bool = True
    roles: list[str] = field(default_factory=lambda: ["public"])
    using: str | None = None
    with_check: str | None = None
    provenance: list[Provenance] = field(default_factory=list)
    comment: str | None = None  # COMMENT ON CONSTRAINT / POLICY / TRIGGER


@_compared
@dataclass(slots=True, eq=False, repr=False)
class Trigger:
    """A trigger of a table or view (not an internal constraint trigger)."""

    name: str
    timing: Literal["BEFORE", "AFTER", "INSTEAD OF"]
    events: list[str]  # INSERT, UPDATE, DELETE, TRUNCATE (in that order)
    level: Literal["ROW", "STATEMENT"] = "STATEMENT"
    function: str = ""  # schema-qualified when not in public: "audit.fn" / "fn"
    arguments: list[str] = field(default_factory=list)
    when: str | None = None
    update_columns: list[str] = field(default_factory=list)
    enabled: Literal["ORIGIN", "DISABLED", "REPLICA", "ALWAYS"] = "ORIGIN"
    constraint: bool = False
    provenance: list[Provenance] = field(default_factory=list)
    comment: str | None = None  # COMMENT ON CONSTRAINT / POLICY / TRIGGER
    # a CONSTRAINT TRIGGER's DEFERRABLE / INITIALLY DEFERRED (tgdeferrable, tginitdeferred)
    deferrable: bool = False
    initially_deferred: bool = False
    # REFERENCING OLD TABLE AS … / NEW TABLE AS … (tgoldtable, tgnewtable)
    old_table: str | None = None
    new_table: str | None = None
    # a CONSTRAINT TRIGGER's FROM table (tgconstrrelid), schema.name as qualify() writes it
    from_table: str | None = None

    def extra_values(self) -> list[tuple[str, Any]]:
        """CONSTRAINT, DEFERRABLE, INITIALLY DEFERRED, the transition tables and a constraint
        trigger's FROM table, each as its
        spec key and value (false / None when the trigger has not it): what the trigger kind
        compares when stated."""
        return [
            ("constraint", self.constraint),
            ("deferrable", self.deferrable),
            ("initially_deferred", self.initially_deferred),
            ("old_table", self.old_table),
            ("new_table", self.new_table),
            ("from", self.from_table),
        ]

    def extras(self) -> list[tuple[str, Any]]:
        """``extra_values`` the trigger has: what init writes and ``exactly: [triggers]``
        holds to none when unstated."""
        return [(key, value) for key, value in self.extra_values() if value]


@_compared
@dataclass(slots=True, eq=False, repr=False)
class Grant:
    """One privilege one role holds on an object (one ACL item of ``aclexplode``)."""

    grantee: str  # role name, "public" for PUBLIC
    # SELECT, INSERT, …; OWNER_LACKS + privilege ("-EXECUTE"): the owner's own ACL entry lacks
    # it (the owner REVOKEd it from itself), kept by the live reader of schemas, sequences,
    # routines, types and relations only where the owner's entry differs from the default
    privilege: str
    grantable: bool = False
    grantor: str | None = None
    # set only by a static reading while the role running the history is unknown (no SET
    # ROLE): "x" = held only if role x runs it (ALTER DEFAULT PRIVILEGES FOR ROLE x … GRANT);
    # "-x,y" = held unless x or y runs it (… FOR ROLE x REVOKE of a built-in default)
    runner: str | None = None


OWNER_LACKS = "-"


def is_mark(grant: Grant) -> bool:
    """Whether ``grant`` marks what an owner's entry lacks (never a grant: what lists grants
    to roles leaves it out)."""
    return grant.privilege.startswith(OWNER_LACKS)


def owner_lacks(grants: list[Grant], owner: str | None) -> set[str]:
    """The privileges ``owner``'s own ACL entry lacks, as the live reader marks them."""
    return {
        g.privilege[1:]
        for g in grants
        if g.grantee == owner and g.privilege.startswith(OWNER_LACKS)
    }


# The role a verdict is judged for as the one running a migration history: None = none of
# the roles that grants' ``runner`` names (the engine judges each world, audit/engine.py)
RUNNER: ContextVar[str | None] = ContextVar("schema_audit_runner", default=None)


def held(grants: list[Grant]) -> list[Grant]:
    """The grants held in the world being judged (``RUNNER``): every grant of a catalog;
    of a static reading, those that do not depend on who runs the history, and those that
    do when that role is (or is not) the one judged. Where nothing depends on it (every
    catalog, nearly every history) the list itself."""
    for grant in grants:
        if grant.runner is not None:
            break
    else:
        return grants
    runner = RUNNER.get()
    return [g for g in grants if g.runner is None or _holds_for(g.runner, runner)]


def _holds_for(condition: str, runner: str | None) -> bool:
    if condition.startswith("-"):
        return runner not in condition[1:].split(",")
    return condition == runner


def runner_roles(model: SchemaModel) -> list[str]:
    """The roles some grant of ``model`` depends on running the history (sorted): each is a
    world the verdicts are judged in, beside the world where none of them runs it."""
    found: set[str] = set()
    collections = (model.tables, model.views, model.functions, model.sequences, model.enums)
    for objects in (*collections, model.domains, model.composites, model.ranges):
        for obj in objects.values():
            for grant in obj.grants:
                if grant.runner is not None:
                    found.update(grant.runner.lstrip("-").split(","))
    for grants in model.schema_grants.values():
        for grant in grants:
            if grant.runner is not None:
                found.update(grant.runner.lstrip("-").split(","))
    return sorted(found)


@_compared
@dataclass(slots=True, eq=False, repr=False)
class DefaultPrivilege:
    """ALTER DEFAULT PRIVILEGES: what objects created later by ``owner`` will grant."""

    owner: str | None  # the creating role; None = the role running the migrations
    schema: str | None  # None = every schema
    object_type: Literal["tables", "sequences", "functions", "types", "schemas"]
    grantee: str
    privilege: str
    grantable: bool = False  # WITH GRANT OPTION


@_compared
@dataclass(slots=True, eq=False, repr=False)
class Table:
    """A table (plain, partitioned or foreign) with everything that hangs on it."""

    schema: str
    name: str
    kind: Literal["table", "partitioned", "foreign"] = "table"
    columns: dict[str, Column] = field(default_factory=dict)  # in attnum order
    primary_key: PrimaryKey | None = None
    uniques: dict[str, UniqueConstraint] = field(default_factory=dict)
    checks: dict[str, CheckConstraint] = field(default_factory=dict)
    foreign_keys: dict[str, ForeignKey] = field(default_factory=dict)
    indexes: dict[str, Index] = field(default_factory=dict)
    rls_enabled: bool = False
    rls_forced: bool = False
    policies: dict[str, Policy] = field(default_factory=dict)
    triggers: dict[str, Trigger] = field(default_factory=dict)
    grants: list[Grant] = field(default_factory=list)
    column_grants: dict[str, list[Grant]] = field(default_factory=dict)
    owner: str | None = None
    comment: str | None = None
    partition_key: str | None = None  # "RANGE (occurred_at)"
    partition_of: str | None = None  # "schema.parent" for a partition
    # REPLICA IDENTITY: "default", "full", "nothing" or "index <name>"
    replica_identity: str = "default"
    provenance: list[Provenance] = field(default_factory=list)
    # storage parameters (pg_class.reloptions: fillfactor=70 …) and UNLOGGED
    options: dict[str, str] = field(default_factory=dict)
    unlogged: bool = False
    # a partition's FOR VALUES … / DEFAULT as pg_get_expr(relpartbound) prints it
    partition_bound: str | None = None
    # CREATE RULE (not a view's _RETURN), from a catalog only: name -> its definition as
    # pg_get_ruledef(oid, true) prints it, and its state (origin/disabled/replica/always)
    rules: dict[str, tuple[str, str]] = field(default_factory=dict)
    # TABLESPACE / SET TABLESPACE (None = the database's default) and USING / SET ACCESS METHOD
    # (None = heap, the built-in default; a partitioned table has none)
    tablespace: str | None = None
    access_method: str | None = None
    # INHERITS (parents) / ALTER TABLE … [NO] INHERIT of a table that is not a partition: its
    # parents' qualified names in pg_inherits.inhseqno order
    inherits: list[str] = field(default_factory=list)

    @property
    def qualified_name(self) -> str:
        return qualify(self.schema, self.name)

    def privileges_of(self, grantee: str) -> set[str]:
        return {g.privilege for g in held(self.grants) if g.grantee == grantee}

    def lists_index(self, index: Index) -> bool:
        """Whether an ``indexes:`` entry is the one stating ``index``: every index but a
        primary key's or UNIQUE constraint's (their ``primary_key:`` / ``unique:`` entries
        hold them). An EXCLUDE constraint's index is listed: no other entry holds that
        constraint, whose drop, re-creation on other columns, tablespace or CLUSTER ON after
        ``init`` PASSed its spec before (a false PASS, confirmed on PostgreSQL 15)."""
        name = index.constraint
        if not name:
            return True
        pk = self.primary_key
        return name not in self.uniques and (pk is None or pk.name != name)


@_compared
@dataclass(slots=True, eq=False, repr=False)
class ViewColumn:
    """A column of a view or materialized view: its name and type as the view's query yields them."""

    name: str
    type: str
    # a materialized view's SET STATISTICS / STORAGE / COMPRESSION / (options), as Column's
    settings: dict[str, int | str] | None = None
    comment: str | None = None  # COMMENT ON COLUMN of a view's or materialized view's column


def setting_pairs(settings: dict[str, int | str] | None) -> list[tuple[str, int | str]]:
    """A column's settings that are not the default (SET STATISTICS / STORAGE / COMPRESSION /
    (n_distinct …)) in that order: as init writes them and the judges compare them."""
    if not settings:
        return []
    return [
        (k, settings[k])
        for k in ("statistics", "storage", "compression", "options")
        if k in settings
    ]


@_compared
@dataclass(slots=True, eq=False, repr=False)
class View:
    """A view or materialized view: its definition, columns and, when materialized, indexes."""

    schema: str
    name: str
    materialized: bool = False
    definition: str = ""
    columns: list[ViewColumn] = field(default_factory=list)
    indexes: dict[str, Index] = field(default_factory=dict)  # materialized views only
    depends_on: list[str] = field(default_factory=list)  # qualified names of base relations
    grants: list[Grant] = field(default_factory=list)
    owner: str | None = None
    comment: str | None = None
    provenance: list[Provenance] = field(default_factory=list)
    # security_invoker, security_barrier, check_option (local/cascaded) as reloptions hold them
    options: dict[str, str] = field(default_factory=dict)
    # CREATE RULE … ON INSERT TO a view DO INSTEAD …: name -> (pg_get_ruledef, state), as Table's
    rules: dict[str, tuple[str, str]] = field(default_factory=dict)
    # a materialized view's TABLESPACE and USING (access method), as Table's
    tablespace: str | None = None
    access_method: str | None = None

    @property
    def qualified_name(self) -> str:
        return qualify(self.schema, self.name)

    @property
    def security_invoker(self) -> bool:
        """WITH (security_invoker) (PostgreSQL 15+): base tables are read with the caller's
        rights and policies; without it, as the view's owner."""
        return bool(pg_bool(self.options.get("security_invoker", "false")))


@_compared
@dataclass(slots=True, eq=False, repr=False)
class Function:
    """A function or procedure, identified by its schema, name and identity arguments."""

    schema: str
    name: str
    arguments: str = ""  # identity arguments as pg_get_function_identity_arguments prints
    returns: str = ""
    language: str = "sql"
    security_definer: bool = False
    volatility: Literal["IMMUTABLE", "STABLE", "VOLATILE"] = "VOLATILE"
    strict: bool = False  # STRICT / RETURNS NULL ON NULL INPUT
    parallel: Literal["SAFE", "RESTRICTED", "UNSAFE"] = "UNSAFE"
    config: list[str] = field(default_factory=list)  # ["search_path=pg_catalog, public"]
    body: str = ""
    owner: str | None = None
    comment: str | None = None
    # EXECUTE grants; PUBLIC holds EXECUTE on a new function unless revoked
    grants: list[Grant] = field(default_factory=list)
    provenance: list[Provenance] = field(default_factory=list)
    # LEAKPROOF: the planner may run it before a row-level security policy's quals
    leakproof: bool = False
    # COST / ROWS as procost / prorows hold them, as text ("50", "0.5": no float in the model,
    # which the JSON encoder trusts without a walk); None = CREATE FUNCTION's default
    cost: str | None = None
    rows: str | None = None
    # the DEFAULT of each argument that has one (the last ones), as pg_get_expr prints
    # proargdefaults live and as written in a history (compared through sqlnorm)
    defaults: list[str] = field(default_factory=list)

    @property
    def signature(self) -> str:
        return f"{qualify(self.schema, self.name)}({self.arguments})"

    @property
    def default_cost(self) -> float:
        """CREATE FUNCTION's COST when none is given: 1 for C and internal functions, 100
        for the others (functioncmds.c)."""
        return 1.0 if self.language.lower() in ("c", "internal") else 100.0

    @property
    def default_rows(self) -> float:
        """CREATE FUNCTION's ROWS when none is given: 1000 for a set-returning function, 0
        (not applicable) for the others."""
        return 1000.0 if self.returns.startswith(("SETOF ", "TABLE(")) else 0.0

    def planner_estimates(self) -> list[tuple[str, float]]:
        """``("cost", 50.0)`` / ``("rows", 20.0)`` for each of COST and ROWS that is not the
        default: what init writes and strict.functions holds when unstated."""
        return [
            (key, float(text))
            for key, text, default in (
                ("cost", self.cost, self.default_cost),
                ("rows", self.rows, self.default_rows),
            )
            if text is not None and float(text) != default
        ]

    @property
    def raises(self) -> bool:
        """True when the body raises an exception (the guard-trigger pattern)."""
        return "raise exception" in " ".join(self.body.lower().split())


def number(value: float) -> int | float:
    """A catalog float4 as a spec writes it: ``50`` for 50.0, ``0.5`` as it is."""
    return int(value) if value.is_integer() else value


@_compared
@dataclass(slots=True, eq=False, repr=False)
class EnumType:
    """An enum type and its labels in sort order."""

    schema: str
    name: str
    labels: list[str] = field(default_factory=list)
    provenance: list[Provenance] = field(default_factory=list)
    owner: str | None = None
    grants: list[Grant] = field(default_factory=list)  # USAGE; PUBLIC's unless revoked
    comment: str | None = None  # COMMENT ON TYPE


@_compared
@dataclass(slots=True, eq=False, repr=False)
class DomainType:
    """CREATE DOMAIN: its base type, NOT NULL, DEFAULT and CHECK constraints (a catalog's,
    or a history's as ``sources/ddl/domains.py`` applies it)."""

    schema: str
    name: str
    type: str  # format_type of the base type with its typmod
    not_null: bool = False
    default: str | None = None
    checks: dict[str, str] = field(default_factory=dict)  # name -> pg_get_constraintdef
    comment: str | None = None
    owner: str | None = None
    collation: str | None = None  # only when not the base type's own
    provenance: list[Provenance] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)  # USAGE; PUBLIC's unless revoked


@_compared
@dataclass(slots=True, eq=False, repr=False)
class CompositeType:
    """CREATE TYPE … AS (…): its attributes in order, each ``name type [COLLATE c]`` (read
    from a catalog only: the static reader does not model composite types)."""

    schema: str
    name: str
    attributes: list[str] = field(default_factory=list)
    comment: str | None = None
    owner: str | None = None
    provenance: list[Provenance] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)  # USAGE; PUBLIC's unless revoked


@_compared
@dataclass(slots=True, eq=False, repr=False)
class RangeType:
    """CREATE TYPE … AS RANGE: its subtype and what orders, canonicalises and measures it,
    as the catalog prints them (read from a catalog only, as composite types: the static
    reader does not model range types). Each option is None when CREATE TYPE's default."""

    schema: str
    name: str
    subtype: str  # format_type of rngsubtype
    subtype_opclass: str | None = None  # only when not the subtype's default btree class
    collation: str | None = None  # only when not the subtype's own
    canonical: str | None = None  # rngcanonical as regproc prints it (qualified unless visible)
    subtype_diff: str | None = None  # rngsubdiff, likewise
    multirange: str | None = None  # its multirange type's name (PostgreSQL 14+)
    comment: str | None = None
    owner: str | None = None
    provenance: list[Provenance] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)  # USAGE; PUBLIC's unless revoked

    def options(self) -> list[tuple[str, str]]:
        """Its options that are set, as init writes them and strict compares them."""
        return [
            (key, value)
            for key, value in (
                ("subtype_opclass", self.subtype_opclass),
                ("collation", self.collation),
                ("canonical", self.canonical),
                ("subtype_diff", self.subtype_diff),
                ("multirange", self.multirange),
            )
            if value is not None
        ]


@_compared
@dataclass(slots=True, eq=False, repr=False)
class Extension:
    """An installed extension."""

    name: str
    schema: str = "public"
    version: str | None = None
    provenance: list[Provenance] = field(default_factory=list)


def option_text(options: list[str] | tuple[str, ...] | dict[str, str]) -> str:
    """A column's attoptions as one setting (``n_distinct=100, n_distinct_inherited=-0.5``):
    ``name=value`` as pg_attribute keeps them, ordered by name so every reading agrees."""
    pairs = (
        options.items() if isinstance(options, dict) else (o.partition("=")[::2] for o in options)
    )
    return ", ".join(f"{k}={v}" for k, v in sorted(pairs))


@_compared
@dataclass(slots=True, eq=False, repr=False)
class Sequence:
    """A sequence, with the column that owns it (serial and identity columns) and its options."""

    schema: str
    name: str
    owned_by: str | None = None  # "table.column"
    owner: str | None = None
    grants: list[Grant] = field(default_factory=list)  # USAGE, SELECT, UPDATE
    provenance: list[Provenance] = field(default_factory=list)
    # pg_sequence's options; the defaults are CREATE SEQUENCE's without options
    data_type: str = "bigint"
    start: int = 1
    increment: int = 1
    minvalue: int = 1
    maxvalue: int = 2**63 - 1
    cache: int = 1
    cycle: bool = False
    comment: str | None = None


@_compared
@dataclass(slots=True, eq=False, repr=False)
class Role:
    """A role and the memberships and attributes a privilege check needs."""

    name: str
    login: bool = False
    superuser: bool = False
    bypass_rls: bool = False
    member_of: list[str] = field(default_factory=list)
    inherit: bool = True  # rolinherit: memberships pass privileges on without SET ROLE
    # parent role -> (inherit, set) where a membership says so (PostgreSQL 16+, GRANT … WITH …)
    membership_options: dict[str, tuple[bool, bool]] = field(default_factory=dict)
    # a static reading met it only as the grantee of GRANT role TO: the history assumes it
    # exists (PostgreSQL refuses a GRANT to a missing role), so it may be the one running
    # the history (supabase/postgres: `GRANT supabase_auth_admin TO postgres`)
    assumed: bool = False


def history_creates(model: SchemaModel, role: str) -> bool:
    """Whether a static reading's history CREATEs ``role`` (ROLE / USER / GROUP), which
    makes it a role other than the one running the history; a role it only GRANTs a role
    to is in ``model.roles`` too (``Role.assumed``) and may run it."""
    found = model.roles.get(role)
    return found is not None and not found.assumed


def may_run_history(model: SchemaModel, role: str | None) -> bool:
    """Whether ``role`` may be the one that runs a history read statically, and so own what
    it creates without naming an owner: any named role but PUBLIC and those the history creates (supabase/auth, run as postgres,
    owns its schema auth; a role granted table privileges has USAGE on it then). A role the
    history only GRANTs a role to may run it (supabase/postgres: `GRANT supabase_auth_admin
    TO postgres`, postgres never created). The audit's runner worlds and the ownership's
    ACL passing (``owner_acl``) ask it; the static reader's ALTER DEFAULT PRIVILEGES does
    not exclude created roles (``DdlInterpreter._may_run``)."""
    return role is not None and role != "public" and not history_creates(model, role)


@_compared
@dataclass(slots=True, eq=False, repr=False)
class Effect:
    """What a statement the static reader could not apply may have changed.

    ``kind`` is a kind of object (column, foreign_key, index, rls, policy, trigger, privilege,
    owner, comment, view, function, type, role, schema, extension, sequence) or ``*`` for
    everything on the target (the relation was created, dropped or renamed); ``target`` a
    qualified relation, function or type name, or a role, ``*`` when it cannot be known;
    ``name`` the column, constraint, index, policy or trigger, ``*`` when any.
    """

    kind: str
    target: str = "*"
    name: str = "*"
    # a wildcard effect that also reaches relations created after it (default privileges)
    sticky: bool = False
    # relations created afresh after the statement: a wildcard target no longer reaches them
    spared: list[str] = field(default_factory=list)

    def describe(self) -> str:
        what = "anything" if self.kind == "*" else self.kind.replace("_", " ")
        name = "" if self.name == "*" else f" {self.name}"
        where = "any object" if self.target == "*" else self.target
        return f"{what}{name} on {where}"


@_compared
@dataclass(slots=True, eq=False, repr=False)
class UnappliedStatement:
    """A statement a static source could not apply to the model: evidence, never dropped."""

    sql: str
    reason: str
    file: str | None = None
    line: int | None = None
    revision: str | None = None
    # "runner": not a statement, the migration runner's own table (sources/runner_tables)
    kind: Literal["dynamic", "data", "unsupported", "error", "runner"] = "unsupported"
    # Targets (qualified; ``*`` = unknown) of the effects still open at the end of the history.
    may_affect: list[str] = field(default_factory=list)
    # What it may have changed and a later plain statement has not settled again.
    effects: list[Effect] = field(default_factory=list)
    # What later statements settled again (``foreign_key x on public.t at m/0002.sql:4``).
    settled: list[str] = field(default_factory=list)


@_compared
@dataclass(slots=True, eq=False, repr=False)
class DynamicBlock:
    """A ``DO`` block as the static reader ran it: what it executed, or what stopped it."""

    file: str | None
    line: int | None
    revision: str | None
    applied: bool
    executed: list[str] = field(default_factory=list)  # statements it ran, in order
    skipped: list[str] = field(default_factory=list)  # statements an exception handler absorbed
    stopped_by: str | None = None  # the statement or expression it could not decide, and why


@_compared
@dataclass(slots=True, eq=False, repr=False)
class Revision:
    """One step of a migration history, for the report's lineage."""

    revision: str
    file: str
    message: str = ""
    down_revision: list[str] = field(default_factory=list)
    has_downgrade: bool = True


@_compared
@dataclass(slots=True, eq=False, repr=False)
class SchemaModel:
    """The whole schema one source yields; the audit judges it without knowing the source."""

    tables: dict[str, Table] = field(default_factory=dict)  # key: qualified name
    views: dict[str, View] = field(default_factory=dict)  # views and materialized views
    functions: dict[str, Function] = field(default_factory=dict)  # key: signature
    enums: dict[str, EnumType] = field(default_factory=dict)
    domains: dict[str, DomainType] = field(default_factory=dict)
    composites: dict[str, CompositeType] = field(default_factory=dict)  # from a catalog only
    ranges: dict[str, RangeType] = field(default_factory=dict)  # from a catalog only
    extensions: dict[str, Extension] = field(default_factory=dict)
    sequences: dict[str, Sequence] = field(default_factory=dict)
    schemas: dict[str, str | None] = field(default_factory=dict)  # name -> owner
    roles: dict[str, Role] = field(default_factory=dict)
    # schema -> grants on it (USAGE, CREATE); a schema missing here has unknown privileges
    schema_grants: dict[str, list[Grant]] = field(default_factory=dict)
    schema_comments: dict[str, str] = field(default_factory=dict)  # COMMENT ON SCHEMA, where set
    default_privileges: list[DefaultPrivilege] = field(default_factory=list)
    unapplied: list[UnappliedStatement] = field(default_factory=list)
    revisions: list[Revision] = field(default_factory=list)
    server_version: str | None = None
    # Facts the source could not see (e.g. a catalog it has no privilege on).
    blind_spots: list[str] = field(default_factory=list)
    # DO blocks a static source interpreted (or could not), in history order.
    dynamic_blocks: list[DynamicBlock] = field(default_factory=list)

    def table(self, name: str, schema: str = "public") -> Table | None:
        return self.tables.get(qualify(schema, name))

    def statements_unapplied(self) -> list[UnappliedStatement]:
        """The history's statements the static reader could not apply (not the runner's own
        table, which is no statement: it is named as a blind spot)."""
        return [u for u in self.unapplied if u.kind != "runner"]

    def view(self, name: str, schema: str = "public") -> View | None:
        return self.views.get(qualify(schema, name))

    def functions_named(self, name: str, schema: str | None = None) -> list[Function]:
        return [
            f
            for f in self.functions.values()
            if f.name == name and (schema is None or f.schema == schema)
        ]


def qualify(schema: str, name: str) -> str:
    """``schema.name`` with each part quoted only when PostgreSQL would need it."""
    return f"{quote_ident(schema)}.{quote_ident(name)}"


def _pglast_keywords() -> ModuleType:
    """``pglast.keywords``, a data module, loaded without the ``pglast`` package when that is
    not imported yet: its ``__init__`` loads the parser and node classes (a sixth of a live
    ``inspect``'s start-up), which reading a live catalog never uses."""
    module = sys.modules.get("pglast.keywords")
    if module is not None:
        return module
    package = importlib.util.find_spec("pglast")
    locations = package.submodule_search_locations if package else None
    if not locations:  # an unusual install: import it the ordinary way
        import pglast.keywords

        return pglast.keywords
    spec = importlib.util.spec_from_file_location(
        "schema_audit._pglast_keywords", f"{next(iter(locations))}/keywords.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# quote_identifier() quotes every keyword that is not unreserved. pglast follows a newer grammar
# than PostgreSQL 11-15, whose quote_identifier does not know the JSON/MERGE words it added.
_WORDS = _pglast_keywords()
_KEYWORDS = (
    frozenset(_WORDS.RESERVED_KEYWORDS)
    | frozenset(_WORDS.TYPE_FUNC_NAME_KEYWORDS)
    | frozenset(k for k in _WORDS.COL_NAME_KEYWORDS if not k.startswith(("json", "merge_")))
)
del _WORDS
# a name quote_ident() leaves bare: a lower-case ASCII letter or "_", then those or digits (a "$"
# is quoted, as ruleutils' quote_identifier takes only a-z, 0-9 and _ as safe)
# (matched in C: each of a read's distinct names is checked once, 7,686 for the 1,000-table
# history, and a character loop in Python cost 2–3 µs a name, ≈ 0.02 CPU s of that read)
_BARE = re.compile(r"[a-z_][a-z0-9_]*")


@functools.lru_cache(maxsize=65536)
def quote_ident(name: str) -> str:
    """Quote an identifier the way PostgreSQL's ``quote_ident()`` does (cached: it is on every lookup)."""
    if _BARE.fullmatch(name) is not None and name not in _KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def to_data(value: object) -> object:
    """The model as plain dicts and lists, for JSON.

    ``dataclasses.asdict`` deep-copies every leaf and took 1.4 s of a 1,000-table
    ``inspect``; this walks the slots once (0.5 s) and gives the same document.
    """
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {key: to_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_data(item) for item in value]
    names = _FIELD_NAMES.get(type(value))
    if names is None:
        names = _FIELD_NAMES[type(value)] = tuple(f.name for f in fields(value))  # type: ignore[arg-type]
    return {name: to_data(getattr(value, name)) for name in names}


def pg_bool(text: str | None) -> bool | None:
    """A boolean option value as PostgreSQL's parse_bool reads it (on, t, yes, 1, …); None if not one."""
    value = (text or "").strip().lower()
    if value in ("1", "on") or (value and ("true".startswith(value) or "yes".startswith(value))):
        return True
    if value in ("0", "of", "off") or (
        value and ("false".startswith(value) or "no".startswith(value))
    ):
        return False
    return None
