"""Compare two schema models object by object, property by property, canonically.

Used by ``schema-audit diff A B`` ("does production match what the migrations
say?") and by the tests that prove the static interpreter builds the same
model the live catalog shows. Properties a source cannot know are left out of
the comparison on purpose, and each such choice is named here:

* the owner's own privileges (the catalog lists them, SQL files rarely say
  who the owner is), so grants are compared for every other grantee;
* view definitions as text (pg_get_viewdef and a deparser print the same
  query differently); a view's columns and the relations it reads are compared;
* view column types (only the catalog knows them);
* who the creating role of default privileges is (ALTER DEFAULT PRIVILEGES
  without FOR ROLE belongs to whoever runs the migrations).
"""

from __future__ import annotations

from dataclasses import dataclass

from schema_audit import sqlnorm
from schema_audit.model import Function, Grant, Index, SchemaModel, Sequence, Table, View


@dataclass(frozen=True, slots=True)
class Difference:
    object: str  # "table public.t", "index public.t.idx"
    property: str
    left: object
    right: object

    def __str__(self) -> str:
        return f"{self.object}: {self.property}: {self.left!r} != {self.right!r}"


def _canon_type(text: str) -> str:
    try:
        return sqlnorm.canonical_type(text)
    except ValueError:
        return text


def _index_shape(index: Index) -> tuple:
    keys = tuple(
        (
            k.expression if k.is_column else sqlnorm.canonical_expr(k.expression),
            k.descending,
            k.nulls_first,
            k.opclass,
        )
        for k in index.keys
    )
    return (
        keys,
        index.unique,
        index.method,
        sqlnorm.canonical_expr(index.where or ""),
        tuple(index.include),
        index.primary,
        index.nulls_not_distinct,
    )


def _grants(
    relation: Table | View | Function | Sequence, owner: str | None
) -> set[tuple[str, str]]:
    return {(g.grantee, g.privilege) for g in relation.grants if g.grantee != owner}


def _acl(grants: list[Grant], owner: str | None) -> list[tuple[str, str]]:
    return sorted({(g.grantee, g.privilege) for g in grants if g.grantee != owner})


def diff_models(left: SchemaModel, right: SchemaModel) -> list[Difference]:
    out: list[Difference] = []

    def add(obj: str, prop: str, a: object, b: object) -> None:
        if a != b:
            out.append(Difference(obj, prop, a, b))

    add("schema", "tables", sorted(left.tables), sorted(right.tables))
    for key in sorted(set(left.tables) & set(right.tables)):
        _diff_table(left.tables[key], right.tables[key], add)
    add("schema", "views", sorted(left.views), sorted(right.views))
    for key in sorted(set(left.views) & set(right.views)):
        a, b = left.views[key], right.views[key]
        obj = f"view {key}"
        add(obj, "materialized", a.materialized, b.materialized)
        add(obj, "columns", [c.name for c in a.columns], [c.name for c in b.columns])
        add(obj, "depends_on", sorted(a.depends_on), sorted(b.depends_on))
        add(
            obj,
            "indexes",
            {n: _index_shape(i) for n, i in a.indexes.items()},
            {n: _index_shape(i) for n, i in b.indexes.items()},
        )
        owner = a.owner or b.owner
        add(obj, "grants", sorted(_grants(a, owner)), sorted(_grants(b, owner)))
    add("schema", "functions", sorted(left.functions), sorted(right.functions))
    for key in sorted(set(left.functions) & set(right.functions)):
        a, b = left.functions[key], right.functions[key]
        obj = f"function {key}"
        add(obj, "language", a.language, b.language)
        add(obj, "security_definer", a.security_definer, b.security_definer)
        add(obj, "config", sorted(a.config), sorted(b.config))
        add(obj, "raises", a.raises, b.raises)
        add(
            obj,
            "grants",
            sorted(_grants(a, a.owner or b.owner)),
            sorted(_grants(b, a.owner or b.owner)),
        )
    for key in sorted(set(left.sequences) & set(right.sequences)):
        a, b = left.sequences[key], right.sequences[key]
        owner = a.owner or b.owner
        add(f"sequence {key}", "grants", sorted(_grants(a, owner)), sorted(_grants(b, owner)))
    for name in sorted(set(left.schema_grants) & set(right.schema_grants)):
        owner = left.schemas.get(name) or right.schemas.get(name)
        add(
            f"schema {name}",
            "grants",
            _acl(left.schema_grants[name], owner),
            _acl(right.schema_grants[name], owner),
        )
    add(
        "schema",
        "default_privileges",  # who creates is left out: a history rarely says
        sorted(
            {
                (d.schema or "", d.object_type, d.grantee, d.privilege)
                for d in left.default_privileges
            }
        ),
        sorted(
            {
                (d.schema or "", d.object_type, d.grantee, d.privilege)
                for d in right.default_privileges
            }
        ),
    )
    add(
        "schema",
        "enums",
        {k: v.labels for k, v in left.enums.items()},
        {k: v.labels for k, v in right.enums.items()},
    )
    return out


def _diff_table(a: Table, b: Table, add) -> None:  # type: ignore[no-untyped-def]
    obj = f"table {a.qualified_name}"
    add(obj, "columns", list(a.columns), list(b.columns))
    add(obj, "comment", a.comment, b.comment)
    for name in a.columns.keys() & b.columns.keys():
        ca, cb = a.columns[name], b.columns[name]
        cobj = f"column {a.qualified_name}.{name}"
        add(cobj, "type", _canon_type(ca.type), _canon_type(cb.type))
        add(cobj, "nullable", ca.nullable, cb.nullable)
        add(
            cobj,
            "default",
            sqlnorm.normalize_default(ca.default),
            sqlnorm.normalize_default(cb.default),
        )
        add(cobj, "identity", ca.identity, cb.identity)
        add(
            cobj,
            "generated",
            sqlnorm.normalize_default(ca.generated),
            sqlnorm.normalize_default(cb.generated),
        )
        add(cobj, "comment", ca.comment, cb.comment)

    def pk(t: Table) -> tuple | None:
        return (t.primary_key.name, t.primary_key.columns) if t.primary_key else None

    add(obj, "primary_key", pk(a), pk(b))
    add(
        obj,
        "uniques",
        {n: u.columns for n, u in a.uniques.items()},
        {n: u.columns for n, u in b.uniques.items()},
    )
    add(
        obj,
        "checks",
        {n: sqlnorm.canonical_expr(c.expression) for n, c in a.checks.items()},
        {n: sqlnorm.canonical_expr(c.expression) for n, c in b.checks.items()},
    )

    def fk(f):
        return (
            f.columns,
            f.ref_schema,
            f.ref_table,
            f.ref_columns,
            f.on_delete,
            f.on_update,
            f.deferrable,
        )

    add(
        obj,
        "foreign_keys",
        {n: fk(f) for n, f in a.foreign_keys.items()},
        {n: fk(f) for n, f in b.foreign_keys.items()},
    )
    add(obj, "indexes", sorted(a.indexes), sorted(b.indexes))
    for name in a.indexes.keys() & b.indexes.keys():
        add(
            f"index {a.schema}.{name}",
            "definition",
            _index_shape(a.indexes[name]),
            _index_shape(b.indexes[name]),
        )
    add(obj, "rls_enabled", a.rls_enabled, b.rls_enabled)
    add(obj, "rls_forced", a.rls_forced, b.rls_forced)

    def pol(p):
        return (
            p.command,
            p.permissive,
            sorted(p.roles),
            sqlnorm.canonical_expr(p.using or ""),
            sqlnorm.canonical_expr(p.with_check or ""),
        )

    add(
        obj,
        "policies",
        {n: pol(p) for n, p in a.policies.items()},
        {n: pol(p) for n, p in b.policies.items()},
    )

    def trg(t):
        return (
            t.timing,
            sorted(t.events),
            t.level,
            t.function,
            t.enabled,
            sqlnorm.canonical_expr(t.when or ""),
            t.update_columns,
        )

    add(
        obj,
        "triggers",
        {n: trg(t) for n, t in a.triggers.items()},
        {n: trg(t) for n, t in b.triggers.items()},
    )
    owner = a.owner or b.owner
    add(obj, "grants", sorted(_grants(a, owner)), sorted(_grants(b, owner)))
    add(
        obj,
        "column_grants",
        {c: _acl(g, owner) for c, g in a.column_grants.items() if _acl(g, owner)},
        {c: _acl(g, owner) for c, g in b.column_grants.items() if _acl(g, owner)},
    )
