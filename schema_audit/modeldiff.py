"""Compare two schema models object by object, property by property, canonically.

Used by ``schema-audit diff A B`` ("does production match what the migrations
say?") and by the tests that prove the static interpreter builds the same
model the live catalog shows. Each difference names one SQL-level property
(``index public.t_email_idx: operator class of email``) with both sides
printed as SQL, never as Python values; equality is decided on canonical
forms (``sqlnorm``), the text shown is each side's own.

Properties a source cannot know are left out of the comparison on purpose,
and each such choice is named here:

* the owner's own privileges (the catalog lists them, SQL files rarely say
  who the owner is), so grants are compared for every other grantee;
* a view's query as text: it is compared as PostgreSQL would store it
  (``viewtext.views_equal``); a difference only in casts (PostgreSQL spells out
  casts it adds, a migration's text does not) is undecided, not drift;
* view column types (only the catalog knows them);
* who the creating role of default privileges is (ALTER DEFAULT PRIVILEGES
  without FOR ROLE belongs to whoever runs the migrations);
* an extension's version (a migration rarely pins one), and plpgsql, which
  every database has from its template.

What a static reading cannot decide is kept apart by ``audit/undecided.py``, as ``audit``
DEFERs it: a date/time literal whose stored value depends on the session that ran it
(``sqltime``), and a property a statement the static reader could not apply may have
changed (``audit.deferral``). Each difference records what it reads for that test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from schema_audit import boundtext, sqlbody, sqlnorm, sqltime
from schema_audit.domaincheck import base_type, value_type, without_value_casts
from schema_audit.ident import setting_key
from schema_audit.model import (
    RUNNER,
    UNKNOWN_TYPE,
    CheckConstraint,
    Column,
    DomainType,
    Function,
    Grant,
    Index,
    IndexKey,
    Policy,
    SchemaModel,
    Sequence,
    Table,
    Trigger,
    View,
    held,
    is_mark,
    pg_bool,
    qualify,
    quote_ident,
)
from schema_audit.sqlspace import folded, stored_body

ABSENT = "(absent)"

# What a difference reads from the model, as audit.deferral.Facet's (kind, target, name):
# an unapplied statement with an open effect on one of them may have made it.
Reads = tuple[tuple[str, str, str], ...]


@dataclass(frozen=True, slots=True)
class Difference:
    """One property of one object that differs; ``None`` on a side means the object is not there."""

    object: str  # "table public.t", "index public.t_email_idx"
    property: str  # "type", "operator class of email", "exists"
    left: str | None
    right: str | None
    # not shown, not compared: what decides whether a static reading can tell it
    reads: Reads = field(default=(), compare=False, repr=False)
    # "left"/"right": that side's value is a date/time literal the session decides
    session: str | None = field(default=None, compare=False, repr=False)
    # why the two may still be what PostgreSQL stores alike (then undecided, not drift)
    unsure: str | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.object}: {self.property}: {_shown(self.left)} vs {_shown(self.right)}"

    def to_data(self) -> dict[str, str | None]:
        return {
            "object": self.object,
            "property": self.property,
            "left": self.left,
            "right": self.right,
        }


def _shown(value: str | None) -> str:
    if value is None:
        return ABSENT
    return value if value != "" else "(none)"


_SHOWN = object()  # compare the shown text itself (no separate canonical key)


@dataclass(frozen=True, slots=True)
class Undecided:
    """A difference a static reading cannot decide, and why (``audit``'s DEFERRED)."""

    difference: Difference
    reason: str

    def __str__(self) -> str:
        return f"undecided: {self.difference}: {self.reason}"

    def to_data(self) -> dict[str, str | None]:
        return {**self.difference.to_data(), "reason": self.reason}


@dataclass(frozen=True, slots=True)
class ModelComparison:
    """The differences between two models, and those a static reading cannot decide."""

    differences: list[Difference]
    undecided: list[Undecided]


class _Collector:
    """Gathers differences; a property differs when its canonical forms differ.

    ``reads`` is what the properties being compared read from the model; the code that
    walks an object sets it before comparing the object's properties.
    """

    def __init__(self) -> None:
        self.out: list[Difference] = []
        self.reads: Reads = ()

    def __call__(
        self,
        obj: str,
        prop: str,
        left: str | None,
        right: str | None,
        left_key: object = _SHOWN,
        right_key: object = _SHOWN,
    ) -> None:
        a = left if left_key is _SHOWN else left_key
        b = right if right_key is _SHOWN else right_key
        if a != b:
            session = _session_side(a, b)
            self.out.append(Difference(obj, prop, left, right, self.reads, session))

    def presence(
        self,
        kind: str,
        left: Iterable[str],
        right: Iterable[str],
        label: Callable[[str], str],
        reads: Callable[[str], Reads],
    ) -> list[str]:
        """Objects on one side only, reported as such; returns the keys present on both.
        ``reads``: what the existence of the object under a key reads from the model."""
        a, b = set(left), set(right)
        for key in sorted(a - b):
            self.out.append(
                Difference(f"{kind} {label(key)}", "exists", "present", None, reads(key))
            )
        for key in sorted(b - a):
            self.out.append(
                Difference(f"{kind} {label(key)}", "exists", None, "present", reads(key))
            )
        return sorted(a & b)


def _session_side(a: object, b: object) -> str | None:
    """The side whose date/time literal the session decided, when only such literals make
    two compared forms differ (``sqltime.undecidable``); None otherwise."""
    if not (isinstance(a, str) and isinstance(b, str) and sqltime.undecidable(a, b)):
        return None
    return "left" if sqltime.depends_on_session(a) else "right"


# why a column's type the static reading does not know is undecided, not a difference
_UNTYPED = (
    "the table was made by CREATE TABLE AS, which declares no column types, and a static "
    "reading does not work out its query's"
)


def _canon_type(text: str) -> str:
    try:
        return sqlnorm.canonical_type(text)
    except ValueError:
        return text


def _expr(text: str | None) -> str:
    return sqlnorm.canonical_expr(text or "")


def _names(columns: Iterable[str]) -> str:
    return ", ".join(quote_ident(c) for c in columns)


def _same(name: str) -> str:
    return name


# -- indexes ---------------------------------------------------------------------


def _opclass(key: IndexKey) -> str:
    """The operator class as compared: ``public.`` dropped (pg_dump and a migration spell it apart)."""
    text = key.opclass or ""
    return text.removeprefix("public.")


def _key_text(key: IndexKey) -> str:
    return key.expression if key.is_column else f"({key.expression})"


def _diff_index(obj: str, a: Index, b: Index, add: _Collector) -> None:
    add(obj, "method", a.method, b.method)
    add(obj, "unique", _flag(a.unique, "UNIQUE"), _flag(b.unique, "UNIQUE"))
    add(obj, "primary key", _flag(a.primary, "PRIMARY KEY"), _flag(b.primary, "PRIMARY KEY"))
    if len(a.keys) != len(b.keys) or any(
        _key_id(x) != _key_id(y) for x, y in zip(a.keys, b.keys, strict=False)
    ):
        add(
            obj,
            "key columns",
            ", ".join(_key_text(k) for k in a.keys),
            ", ".join(_key_text(k) for k in b.keys),
        )
    else:
        for x, y in zip(a.keys, b.keys, strict=True):
            label = _key_text(x)
            add(obj, f"order of {label}", _order(x), _order(y))
            add(
                obj,
                f"operator class of {label}",
                x.opclass or "",
                y.opclass or "",
                _opclass(x),
                _opclass(y),
            )
            add(obj, f"collation of {label}", x.collation or "", y.collation or "")
    add(obj, "predicate", a.where or "", b.where or "", _expr(a.where), _expr(b.where))
    add(obj, "INCLUDE", _names(a.include), _names(b.include))
    add(
        obj,
        "NULLS NOT DISTINCT",
        _flag(a.nulls_not_distinct, "NULLS NOT DISTINCT"),
        _flag(b.nulls_not_distinct, "NULLS NOT DISTINCT"),
    )
    add(obj, "tablespace", a.tablespace or "pg_default", b.tablespace or "pg_default")
    if a.exclude or b.exclude:  # an EXCLUDE constraint's operators, DEFERRABLE and comment
        add(obj, "EXCLUDE operators", ", ".join(a.exclude), ", ".join(b.exclude))
        add(obj, "DEFERRABLE", _deferrable(a), _deferrable(b))
        add(obj, "constraint comment", a.constraint_comment or "", b.constraint_comment or "")


def _deferrable(index: Index) -> str:
    return ("DEFERRABLE" if index.deferrable else "") + (
        " INITIALLY DEFERRED" if index.initially_deferred else ""
    )


def _storage(obj: str, a: Table | View, b: Table | View, add: _Collector) -> None:
    """Where a table or materialized view is stored: its tablespace and access method."""
    add(obj, "tablespace", a.tablespace or "pg_default", b.tablespace or "pg_default")
    add(obj, "access method", a.access_method or "heap", b.access_method or "heap")


def _key_id(key: IndexKey) -> tuple[bool, str]:
    return (key.is_column, key.expression if key.is_column else _expr(key.expression))


def _order(key: IndexKey) -> str:
    text = "DESC" if key.descending else "ASC"
    nulls_first = key.nulls_first if key.nulls_first is not None else key.descending
    return text + (" NULLS FIRST" if nulls_first else " NULLS LAST")


def _flag(value: bool, word: str) -> str:
    return word if value else f"not {word}"


def _diff_indexes(owner: str, a: dict[str, Index], b: dict[str, Index], add: _Collector) -> None:
    schema = owner.split(".", 1)[0]

    def reads(name: str) -> Reads:
        return tuple((kind, owner, name) for kind in ("index", "unique", "primary_key"))

    for name in add.presence(
        "index", a, b, lambda n: f"{schema}.{quote_ident(n)} on {owner}", reads
    ):
        add.reads = reads(name)
        _diff_index(f"index {schema}.{quote_ident(name)}", a[name], b[name], add)


# -- privileges ------------------------------------------------------------------


def _privileges(grants: list[Grant], owner: str | None) -> dict[str, str]:
    """grantee → "INSERT, SELECT" for every grantee but the owner."""
    out: dict[str, set[str]] = {}
    for g in grants:
        if g.grantee != owner and not is_mark(g):
            out.setdefault(g.grantee, set()).add(
                g.privilege + (" WITH GRANT OPTION" if g.grantable else "")
            )
    return {k: ", ".join(sorted(v)) for k, v in out.items()}


def _grant_reads(target: str) -> Reads:
    """What an object's grants read: its privileges, its owner, and roles (memberships)."""
    return (("privilege", target, "*"), ("owner", target, "*"), ("role", "*", "*"))


def _diff_grants(
    obj: str, a: list[Grant], b: list[Grant], owner: str | None, add: _Collector
) -> None:
    left, right = _privileges(held(a), owner), _privileges(held(b), owner)
    worlds = _runner_worlds(
        a + b, lambda: (_privileges(held(a), owner), _privileges(held(b), owner))
    )
    for grantee in sorted(set(left) | set(right) | {g.grantee for g in a + b if g.runner}):
        who = "PUBLIC" if grantee == "public" else quote_ident(grantee)
        mine, theirs = left.get(grantee, ""), right.get(grantee, "")
        other = [(w[0].get(grantee, ""), w[1].get(grantee, "")) for w in worlds]
        if any((x == y) != (mine == theirs) for x, y in other):  # depends on who runs it
            unsure = (
                "it depends on the role that runs the history (ALTER DEFAULT PRIVILEGES FOR "
                "ROLE, or OWNER TO from what that role would own)"
            )
            add.out.append(
                Difference(obj, f"privileges of {who}", mine, theirs, add.reads, None, unsure)
            )
        else:
            add(obj, f"privileges of {who}", mine, theirs)


_Acls = tuple[dict[str, str], dict[str, str]]


def _runner_worlds(grants: list[Grant], read: Callable[[], _Acls]) -> list[_Acls]:
    """``read()`` once per role some of ``grants`` depend on running the history
    (model.Grant.runner): none for a catalog's grants."""
    roles = sorted({r for g in grants if g.runner for r in g.runner.lstrip("-").split(",")})
    out: list[_Acls] = []
    for role in roles:
        token = RUNNER.set(role)
        try:
            out.append(read())
        finally:
            RUNNER.reset(token)
    return out


# -- the models ------------------------------------------------------------------


def diff_models(left: SchemaModel, right: SchemaModel) -> list[Difference]:
    """Every difference between two models, in a stable order (objects by kind and name)."""
    add = _Collector()
    for key in add.presence("table", left.tables, right.tables, _same, _exists):
        _diff_table(left.tables[key], right.tables[key], add, (left.domains, right.domains))
    for key in add.presence("view", left.views, right.views, _same, _exists):
        _diff_view(key, left.views[key], right.views[key], add)

    def function_reads(key: str) -> Reads:
        fn = left.functions.get(key) or right.functions[key]
        return (("function", qualify(fn.schema, fn.name), "*"),)

    for key in add.presence("function", left.functions, right.functions, _same, function_reads):
        add.reads = function_reads(key)
        _diff_function(key, left.functions[key], right.functions[key], add)
    for key in add.presence(
        "sequence", _sequences(left), _sequences(right), _same, _reads_of("sequence")
    ):
        _diff_sequence(key, left.sequences[key], right.sequences[key], add)
    # plpgsql is in every database made from template1: a history never creates it
    builtin = {"plpgsql"}
    for name in add.presence(
        "extension",
        set(left.extensions) - builtin,
        set(right.extensions) - builtin,
        _same,
        _reads_of("extension"),
    ):
        add.reads = _reads_of("extension")(name)
        add(
            f"extension {name}",
            "schema",
            left.extensions[name].schema,
            right.extensions[name].schema,
        )
    for key in add.presence("type", left.enums, right.enums, _same, _reads_of("type")):
        add.reads = _reads_of("type")(key)
        add(
            f"type {key}",
            "enum labels",
            ", ".join(sqlnorm_literal(v) for v in left.enums[key].labels),
            ", ".join(sqlnorm_literal(v) for v in right.enums[key].labels),
        )
    for key in add.presence("domain", left.domains, right.domains, _same, _reads_of("type")):
        add.reads = _reads_of("type")(key)
        a, b = left.domains[key], right.domains[key]
        bases = (base_type(left.domains, a.type), base_type(right.domains, b.type))
        _diff_domain(key, a, b, add, bases)
    for name in sorted(set(left.schema_grants) & set(right.schema_grants)):
        owner = left.schemas.get(name) or right.schemas.get(name)
        add.reads = _grant_reads(quote_ident(name))
        _diff_grants(
            f"schema {quote_ident(name)}",
            left.schema_grants[name],
            right.schema_grants[name],
            owner,
            add,
        )

    def defaults(model: SchemaModel) -> dict[str, str]:
        out: dict[str, set[str]] = {}
        for d in model.default_privileges:  # who creates is left out: a history rarely says
            where = f"IN SCHEMA {quote_ident(d.schema)} " if d.schema else ""
            who = "PUBLIC" if d.grantee == "public" else quote_ident(d.grantee)
            out.setdefault(f"{where}ON {d.object_type.upper()} TO {who}", set()).add(
                d.privilege + (" WITH GRANT OPTION" if d.grantable else "")
            )
        return {k: ", ".join(sorted(v)) for k, v in out.items()}

    da, db = defaults(left), defaults(right)
    add.reads = (("privilege", "*", "*"), ("role", "*", "*"))
    for key in sorted(set(da) | set(db)):
        add("default privileges", key, da.get(key, ""), db.get(key, ""))
    return add.out


def _exists(key: str) -> Reads:
    """What a relation's existence (and kind) reads: whatever may create, drop or rename it."""
    return (("exists", key, "*"),)


def _reads_of(kind: str) -> Callable[[str], Reads]:
    """What an object of ``kind`` under a key reads: that kind of object on that target."""
    return lambda key: ((kind, key, "*"),)


def _sequences(model: SchemaModel) -> list[str]:
    """Sequences compared as objects: not those behind identity columns (a history creates them
    implicitly; the column's identity is compared instead)."""
    out = []
    for key, seq in model.sequences.items():
        table_name, _, column = (seq.owned_by or "").partition(".")
        table = model.tables.get(f"{quote_ident(seq.schema)}.{quote_ident(table_name)}")
        col = table.columns.get(column) if table is not None else None
        if col is None or not col.identity:
            out.append(key)
    return out


def sqlnorm_literal(value: str) -> str:
    """A string as an SQL literal (enum labels)."""
    return "'" + value.replace("'", "''") + "'"


def _diff_domain(
    key: str, a: DomainType, b: DomainType, add: _Collector, bases: tuple[str, str]
) -> None:
    """A domain's base type, NOT NULL, DEFAULT, collation, comment and CHECKs by name;
    ``bases``: the type under each (VALUE's casts to it left out of the CHECKs)."""
    obj = f"domain {key}"
    add(obj, "type", a.type, b.type, _canon_type(a.type), _canon_type(b.type))
    add(obj, "nullable", _null(not a.not_null), _null(not b.not_null))
    add(obj, "default", a.default, b.default, _expr(a.default), _expr(b.default))
    add(obj, "collation", a.collation or "", b.collation or "")
    add(obj, "comment", a.comment or "", b.comment or "")
    for name in sorted(set(a.checks) | set(b.checks)):
        x, y = a.checks.get(name), b.checks.get(name)
        add(obj, f"check {name}", x, y, _domain_check(x, bases[0]), _domain_check(y, bases[1]))


def _domain_check(text: str | None, base: str) -> str | None:
    """``CHECK ((VALUE > 0)) [NOT VALID]`` compared as its canonical expression."""
    if text is None:
        return None
    body = text.strip().removeprefix("CHECK").strip()
    valid = not body.endswith(" NOT VALID")
    body = without_value_casts(body.removesuffix(" NOT VALID"), base)
    return _expr(body) + ("" if valid else " NOT VALID")


def _diff_view(key: str, a: View, b: View, add: _Collector) -> None:
    obj = f"{'materialized view' if a.materialized else 'view'} {key}"
    add.reads = (("view", key, "*"),)
    add(
        obj,
        "kind",
        "MATERIALIZED VIEW" if a.materialized else "VIEW",
        "MATERIALIZED VIEW" if b.materialized else "VIEW",
    )
    add(obj, "columns", _names(c.name for c in a.columns), _names(c.name for c in b.columns))
    add(obj, "reads", ", ".join(sorted(a.depends_on)), ", ".join(sorted(b.depends_on)))
    _diff_query(obj, a.definition, b.definition, add)
    add.reads = (("comment", key, "*"),)
    add(obj, "comment", a.comment or "", b.comment or "")
    add(obj, "column comments", _column_comments(a), _column_comments(b))
    add.reads = (("view", key, "*"),)
    add(
        obj,
        "options",
        _options(a.options),
        _options(b.options),
        _opt_key(a.options),
        _opt_key(b.options),
    )
    _storage(obj, a, b, add)
    _diff_indexes(key, a.indexes, b.indexes, add)
    add.reads = _grant_reads(key)
    _diff_grants(obj, a.grants, b.grants, a.owner or b.owner, add)


def _column_comments(view: View) -> str:
    """COMMENT ON COLUMN of a view's columns, ``name: text`` in column order."""
    return "; ".join(f"{quote_ident(c.name)}: {c.comment}" for c in view.columns if c.comment)


def _diff_query(obj: str, a: str, b: str, add: _Collector) -> None:
    """The view's query, compared as PostgreSQL stores it: init's text of the same catalog
    or the same canonical query is equal; one that differs only in casts is undecided (a
    cast PostgreSQL adds by itself is printed by the catalog, not written in a migration)."""
    from schema_audit.viewtext import session_side, unframed_query, views_equal

    if not a or not b:  # a source that does not hold the query (nothing to compare)
        return
    same = views_equal(a, b)
    if same is True:
        return
    session = None if same is False else session_side(a, b)
    unsure = (
        None
        if same is False or session
        else "the queries differ only in casts, which PostgreSQL adds"
    )
    add.out.append(
        Difference(obj, "query", unframed_query(a), unframed_query(b), add.reads, session, unsure)
    )


def _diff_function(key: str, a: Function, b: Function, add: _Collector) -> None:
    obj = f"function {key}"
    add(obj, "language", a.language, b.language)
    add(obj, "returns", a.returns, b.returns, _returns(a.returns), _returns(b.returns))
    add(
        obj,
        "security",
        "SECURITY DEFINER" if a.security_definer else "SECURITY INVOKER",
        "SECURITY DEFINER" if b.security_definer else "SECURITY INVOKER",
    )
    add(obj, "volatility", a.volatility, b.volatility)
    add(
        obj,
        "argument defaults",
        ", ".join(a.defaults),
        ", ".join(b.defaults),
        [sqlnorm.argument_default(d) for d in a.defaults],
        [sqlnorm.argument_default(d) for d in b.defaults],
    )
    add(obj, "strictness", _strict(a.strict), _strict(b.strict))
    add(obj, "parallel safety", f"PARALLEL {a.parallel}", f"PARALLEL {b.parallel}")
    add(
        obj,
        "SET options",
        "; ".join(f"SET {c}" for c in sorted(a.config)),
        "; ".join(f"SET {c}" for c in sorted(b.config)),
        sorted(setting_key(c) for c in a.config),
        sorted(setting_key(c) for c in b.config),
    )
    standard = a.language.lower() == "sql" and (
        sqlbody.is_standard(a.body) or sqlbody.is_standard(b.body)
    )
    if standard and a.body and b.body:  # BEGIN ATOMIC / RETURN: as far as decidable
        printed = all(f.provenance and f.provenance[0].source == "catalog" for f in (a, b))
        same = sqlbody.same_body(a.body, b.body, printed=printed)
        if same is False:
            add(obj, "body", _abridge(a.body), _abridge(b.body), a.body, b.body)
        elif same is None:  # said as undecided, not left out (it may be a changed body)
            unsure = "PostgreSQL prints a BEGIN ATOMIC body in its own form"
            add.out.append(
                Difference(obj, "body", _abridge(a.body), _abridge(b.body), add.reads, None, unsure)
            )
    elif a.body and b.body:  # PostgreSQL 13 and older show no BEGIN ATOMIC body
        add(obj, "body", _abridge(a.body), _abridge(b.body), _body(a), _body(b))
    add(obj, "comment", a.comment or "", b.comment or "")
    add.reads += _grant_reads(qualify(a.schema, a.name))
    _diff_grants(obj, a.grants, b.grants, a.owner or b.owner, add)


def _strict(value: bool) -> str:
    return "STRICT" if value else "CALLED ON NULL INPUT"


def _returns(text: str) -> str:
    if text.upper().startswith(("SETOF ", "TABLE(", "TABLE (")):
        return folded(text)  # (quoted names kept: "Id" is not "ID")
    return _canon_type(text) if text else ""


def _abridge(body: str) -> str:
    text = " ".join(body.split())
    return text if len(text) <= 200 else text[:197] + "..."


def _body(fn: Function) -> str:
    """A body as compared: as PostgreSQL stores it (prosrc keeps the text between the dollar
    quotes as written, SQL bodies too), line endings aside, the audit's own judgement
    (``stored_body``). Collapsing its whitespace made `diff` say "0 differences" for
    bodies the audit FAILed, and hid a literal changed in its spaces (a false PASS)."""
    return stored_body(fn.body)


def _diff_sequence(key: str, a: Sequence, b: Sequence, add: _Collector) -> None:
    obj = f"sequence {key}"
    add.reads = _reads_of("sequence")(key)
    add(obj, "owned by", a.owned_by or "", b.owned_by or "")
    for prop in ("data_type", "start", "increment", "minvalue", "maxvalue", "cache", "cycle"):
        add(obj, prop.replace("data_", ""), str(getattr(a, prop)), str(getattr(b, prop)))
    add.reads += _grant_reads(key)
    _diff_grants(obj, a.grants, b.grants, a.owner or b.owner, add)


def _diff_table(
    a: Table, b: Table, add: _Collector, domains: tuple[Mapping[str, DomainType], ...]
) -> None:
    t = a.qualified_name
    obj = f"table {t}"
    add.reads = _exists(t)
    add(obj, "kind", a.kind, b.kind)
    add.reads = (("comment", t, "*"),)
    add(obj, "comment", a.comment or "", b.comment or "")
    add.reads = _exists(t)
    add(obj, "replica identity", a.replica_identity, b.replica_identity)
    add(obj, "persistence", _persistence(a), _persistence(b))
    _storage(obj, a, b, add)
    add(
        obj,
        "storage options",
        _options(a.options),
        _options(b.options),
        _opt_key(a.options),
        _opt_key(b.options),
    )
    key_a, key_b = a.partition_key or "", b.partition_key or ""
    same_key = key_a == key_b or (
        bool(key_a) and bool(key_b) and boundtext.same_partition_key(key_a, key_b)
    )
    add(obj, "partition key", key_a, key_b, same_key, True)
    add(obj, "INHERITS", ", ".join(a.inherits), ", ".join(b.inherits))
    add(obj, "partition of", a.partition_of or "", b.partition_of or "")
    add.reads = _exists(t) + (("partition_bound", t, "*"),)
    add(
        obj,
        "partition bound",
        a.partition_bound or "",
        b.partition_bound or "",
        boundtext.bound_key(a.partition_bound or ""),
        boundtext.bound_key(b.partition_bound or ""),
    )
    add.reads = (("column", t, "*"),)
    add(
        obj,
        "column order",
        _names(a.columns),
        _names(b.columns),
        [c for c in a.columns if c in b.columns],
        [c for c in b.columns if c in a.columns],
    )

    def column_reads(name: str) -> Reads:
        return (("column", t, name),)

    for name in add.presence(
        "column", a.columns, b.columns, lambda n: f"{t}.{quote_ident(n)}", column_reads
    ):
        ca, cb = a.columns[name], b.columns[name]
        cobj = f"column {t}.{quote_ident(name)}"
        add.reads = column_reads(name)
        if UNKNOWN_TYPE in (ca.type, cb.type) and ca.type != cb.type:
            add.out.append(Difference(cobj, "type", ca.type, cb.type, add.reads, None, _UNTYPED))
        else:
            add(cobj, "type", ca.type, cb.type, _canon_type(ca.type), _canon_type(cb.type))
        add(cobj, "nullability", _null(ca.nullable), _null(cb.nullable))
        add(
            cobj,
            "default",
            ca.default or "",
            cb.default or "",
            sqlnorm.normalize_default(ca.default, value_type(domains[0], ca.type)),
            sqlnorm.normalize_default(cb.default, value_type(domains[1], cb.type)),
        )
        add(cobj, "identity", _identity(ca.identity), _identity(cb.identity))
        add(
            cobj,
            "generated expression",
            ca.generated or "",
            cb.generated or "",
            sqlnorm.normalize_default(ca.generated),
            sqlnorm.normalize_default(cb.generated),
        )
        add(cobj, "collation", ca.collation or "", cb.collation or "")
        for key in ("statistics", "storage", "compression"):
            add(cobj, key, _setting_of(ca, key), _setting_of(cb, key))
        add.reads = (("comment", t, "*"),)
        add(cobj, "comment", ca.comment or "", cb.comment or "")

    def pk(t: Table) -> str:
        if t.primary_key is None:
            return ""
        return f"CONSTRAINT {quote_ident(t.primary_key.name)} PRIMARY KEY ({_names(t.primary_key.columns)})"

    add.reads = tuple((kind, t, "*") for kind in ("primary_key", "index", "unique"))
    add(obj, "primary key", pk(a), pk(b))

    def on_table(*kinds: str) -> Callable[[str], Reads]:
        return lambda name: tuple((kind, t, name) for kind in kinds)

    def label(name: str) -> str:
        return f"{quote_ident(name)} on {t}"

    for name in add.presence(
        "constraint", a.uniques, b.uniques, label, on_table("unique", "index")
    ):
        add.reads = on_table("unique", "index")(name)
        add(
            f"constraint {quote_ident(name)} on {a.qualified_name}",
            "UNIQUE",
            _unique(a, name),
            _unique(b, name),
        )
    for name in add.presence("constraint", a.checks, b.checks, label, on_table("check")):
        x, y = a.checks[name], b.checks[name]
        add.reads = on_table("check")(name)
        add(
            f"constraint {quote_ident(name)} on {a.qualified_name}",
            "CHECK",
            x.expression,
            y.expression,
            _expr(x.expression),
            _expr(y.expression),
        )
        add(
            f"constraint {quote_ident(name)} on {a.qualified_name}",
            "CHECK options",
            _check_options(x),
            _check_options(y),
        )
    for name in add.presence(
        "constraint", a.foreign_keys, b.foreign_keys, label, on_table("foreign_key")
    ):
        x, y = a.foreign_keys[name], b.foreign_keys[name]
        add.reads = on_table("foreign_key")(name)
        add(f"constraint {quote_ident(name)} on {a.qualified_name}", "FOREIGN KEY", _fk(x), _fk(y))
    _diff_indexes(a.qualified_name, a.indexes, b.indexes, add)
    add.reads = (("rls", t, "*"),)
    add(
        obj,
        "row level security",
        _rls(a.rls_enabled, a.rls_forced),
        _rls(b.rls_enabled, b.rls_forced),
    )
    for name in add.presence("policy", a.policies, b.policies, label, on_table("policy")):
        add.reads = on_table("policy")(name)
        _diff_policy(
            f"policy {quote_ident(name)} on {a.qualified_name}",
            a.policies[name],
            b.policies[name],
            add,
        )
    for name in add.presence("trigger", a.triggers, b.triggers, label, on_table("trigger")):
        add.reads = on_table("trigger")(name)
        _diff_trigger(
            f"trigger {quote_ident(name)} on {a.qualified_name}",
            a.triggers[name],
            b.triggers[name],
            add,
        )
    owner = a.owner or b.owner
    add.reads = _grant_reads(t)
    _diff_grants(obj, a.grants, b.grants, owner, add)
    for column in sorted(set(a.column_grants) | set(b.column_grants)):
        _diff_grants(
            f"column {a.qualified_name}.{quote_ident(column)}",
            a.column_grants.get(column, []),
            b.column_grants.get(column, []),
            owner,
            add,
        )


def _null(nullable: bool) -> str:
    return "NULL" if nullable else "NOT NULL"


def _identity(value: str | None) -> str:
    return f"GENERATED {value.upper()} AS IDENTITY" if value else ""


def _rls(enabled: bool, forced: bool) -> str:
    return ("ENABLED" if enabled else "DISABLED") + (", FORCED" if forced else "")


def _unique(t: Table, name: str) -> str:
    u = t.uniques[name]
    text = f"UNIQUE ({_names(u.columns)})"
    if u.nulls_not_distinct:
        text = f"UNIQUE NULLS NOT DISTINCT ({_names(u.columns)})"
    if u.deferrable:
        text += " DEFERRABLE" + (" INITIALLY DEFERRED" if u.initially_deferred else "")
    return text


def _fk(f) -> str:
    text = (
        f"FOREIGN KEY ({_names(f.columns)}) REFERENCES {qualify(f.ref_schema, f.ref_table)}"
        f"({_names(f.ref_columns)})"
    )
    if f.on_delete != "NO ACTION":
        text += f" ON DELETE {f.on_delete}"
        if f.on_delete_columns:  # SET NULL (a) (PostgreSQL 15)
            text += f" ({_names(f.on_delete_columns)})"
    if f.on_update != "NO ACTION":
        text += f" ON UPDATE {f.on_update}"
    if f.match != "SIMPLE":
        text += f" MATCH {f.match}"
    if f.deferrable:
        text += " DEFERRABLE" + (" INITIALLY DEFERRED" if f.initially_deferred else "")
    if not f.validated:
        text += " NOT VALID"
    return text


def _check_options(check: CheckConstraint) -> str:
    """What a CHECK is beside its expression: NO INHERIT, NOT VALID (else empty)."""
    return " ".join(
        word
        for word, present in (("NO INHERIT", check.no_inherit), ("NOT VALID", not check.validated))
        if present
    )


def _setting_of(column: Column, key: str) -> str:
    """A column's SET STATISTICS / STORAGE / COMPRESSION, empty when it is the default."""
    return str((column.settings or {}).get(key, ""))


def _persistence(table: Table) -> str:
    return "UNLOGGED" if table.unlogged else "LOGGED"


def _options(options: dict[str, str]) -> str:
    """Storage parameters as ``WITH (…)`` prints them, by name (empty: none)."""
    return ", ".join(f"{name}={value}" for name, value in sorted(options.items()))


def _opt_key(options: dict[str, str]) -> str:
    """The options' canonical form: booleans however spelt (``off`` = ``false``)."""
    return ", ".join(f"{name}={_option_value(value)}" for name, value in sorted(options.items()))


def _option_value(value: str) -> str:
    """A reloption's value as PostgreSQL reads it: a boolean as true/false (parse_bool)."""
    flag = pg_bool(value)
    return value.strip().lower() if flag is None else str(flag).lower()


def _diff_policy(obj: str, x: Policy, y: Policy, add: _Collector) -> None:
    add(obj, "command", f"FOR {x.command}", f"FOR {y.command}")
    add(
        obj,
        "kind",
        "PERMISSIVE" if x.permissive else "RESTRICTIVE",
        "PERMISSIVE" if y.permissive else "RESTRICTIVE",
    )
    add(obj, "roles", _roles(x.roles), _roles(y.roles))
    add(obj, "USING", x.using or "", y.using or "", _expr(x.using), _expr(y.using))
    add(
        obj,
        "WITH CHECK",
        x.with_check or "",
        y.with_check or "",
        _expr(x.with_check),
        _expr(y.with_check),
    )


def _roles(roles: list[str]) -> str:
    return ", ".join("PUBLIC" if r == "public" else quote_ident(r) for r in sorted(roles))


def _diff_trigger(obj: str, x: Trigger, y: Trigger, add: _Collector) -> None:
    def when(t: Trigger) -> str:
        events = " OR ".join(
            f"UPDATE OF {_names(t.update_columns)}" if e == "UPDATE" and t.update_columns else e
            for e in sorted(t.events)
        )
        return f"{t.timing} {events} FOR EACH {t.level}"

    add(obj, "firing", when(x), when(y))
    add(obj, "function", x.function, y.function)
    add(obj, "WHEN", x.when or "", y.when or "", _expr(x.when), _expr(y.when))
    add(obj, "enabled", x.enabled, y.enabled)
