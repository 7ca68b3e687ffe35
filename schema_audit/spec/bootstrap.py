"""``schema-audit init``: write a spec that requires exactly what a source has today.

Adoption starts from the schema a team already has, not from an empty file:
the generated spec lists every table (with its columns, keys, CHECKs, indexes,
RLS, policies, triggers and grants), view and function, each table introduced
by a comment saying where it was created, ready to be edited down to what
really matters. Auditing the same source against it gives no FAIL.
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import yaml

from schema_audit.kinds import strict_extensions
from schema_audit.kinds._acl import acl
from schema_audit.kinds.function import argument_types
from schema_audit.kinds.strict_sequences import behind_identity
from schema_audit.model import (
    UNKNOWN_TYPE,
    Function,
    Index,
    SchemaModel,
    Table,
    View,
    number,
    pg_bool,
    quote_ident,
)
from schema_audit.sources.runner_tables import RUNNER_TABLES, runner_of
from schema_audit.spec import entrywrite
from schema_audit.spec.fragments import STRICT_KINDS
from schema_audit.spec.tenancy import TenantPattern
from schema_audit.spec.yamlwrite import Unsupported, dump
from schema_audit.viewtext import unframed_query


def _name(schema: str, name: str) -> str:
    return name if schema == "public" else f"{schema}.{name}"


def _key(index: Index) -> list[str]:
    out = []
    for key in index.keys:
        # a spec's index column is read as SQL: a mixed-case name keeps its quotes ("authorId")
        text = quote_ident(key.expression) if key.is_column else key.expression
        if key.collation:  # not its column's: an index that serves other comparisons
            name = key.collation
            text += " COLLATE " + (name if "." in name or '"' in name else quote_ident(name))
        if key.opclass:  # gin_trgm_ops, jsonb_path_ops …: a different index without it
            text += f" {key.opclass.rpartition('.')[2]}"
        if key.descending:
            text += " DESC"
        if key.nulls_first is not None:
            text += " NULLS FIRST" if key.nulls_first else " NULLS LAST"
        out.append(text)
    return out


def _index(index: Index) -> dict[str, Any]:
    return dict(entrywrite.index_pairs(index, _key(index)))


TABLE_KINDS = (
    "columns",
    "primary_key",
    "unique",
    "checks",
    "foreign_keys",
    "indexes",
    "rls",
    "policies",
    "triggers",
    "privileges",
)


# the table's own keys, written whatever --only says
TABLE_PROPERTIES = (
    "schema",
    "partition_of",
    "partition_bound",
    "inherits",
    "rules",
    "comment",
    "replica_identity",
    "partition_key",
    "tablespace",
    "access_method",
    "options",
)


def _table(
    table: Table,
    only: tuple[str, ...] = TABLE_KINDS,
    blocked: entrywrite.BlockedUsage | None = None,
) -> dict[str, Any]:
    full = _full_table(table, blocked)
    return {
        k: v
        for k, v in full.items()
        if k in TABLE_PROPERTIES or k in only or (k == "owner" and "privileges" in only)
    }


def _full_table(table: Table, blocked: entrywrite.BlockedUsage | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if "." in table.name:
        spec["schema"] = table.schema
    if table.owner is not None:  # with privileges: the owner holds every privilege
        spec["owner"] = table.owner
    if table.partition_of:
        spec["partition_of"] = entrywrite.partition_parent(table.partition_of)
        # null: computed by an expression, its value not known (a static reading)
        spec["partition_bound"] = table.partition_bound
    if table.inherits:  # INHERITS (parents), as partition_of names its parent
        spec["inherits"] = [entrywrite.partition_parent(p) for p in table.inherits]
    spec.update(entrywrite.table_properties(table))
    if table.rules:  # CREATE RULE, read from a catalog (strict.rules holds them)
        spec["rules"] = entrywrite.rule_entries(table)
    options = entrywrite.table_options(table)
    if options:
        spec["options"] = options
    columns: dict[str, Any] = {}
    for column in table.columns.values():
        item: dict[str, Any] = {"type": column.type, "nullable": column.nullable}
        if column.type == UNKNOWN_TYPE:  # CREATE TABLE AS, read statically: no type known
            del item["type"]
        if column.default is not None:
            item["default"] = column.default
        if column.identity:
            item["identity"] = column.identity
        if column.generated:
            item["generated"] = column.generated
        if column.collation:  # only when not the type's own (the readers say None then)
            item["collation"] = column.collation
        if column.comment:
            item["comment"] = column.comment
        item.update(entrywrite.column_settings(column))
        columns[column.name] = item
    spec["columns"] = columns
    if table.primary_key:
        key_index = table.indexes.get(table.primary_key.name)
        spec["primary_key"] = dict(entrywrite.pk_pairs(table.primary_key, key_index))
    if table.uniques:
        spec["unique"] = [
            dict(entrywrite.unique_pairs(u, table.indexes.get(u.name)))
            for u in table.uniques.values()
        ]
    if table.checks:
        spec["checks"] = [dict(entrywrite.check_pairs(c)) for c in table.checks.values()]
    if table.foreign_keys:
        spec["foreign_keys"] = [
            dict(entrywrite.fk_pairs(fk, _name)) for fk in table.foreign_keys.values()
        ]
    indexes = [_index(ix) for ix in table.indexes.values() if table.lists_index(ix)]
    if indexes:
        spec["indexes"] = indexes
    if table.rls_enabled or table.rls_forced:
        spec["rls"] = {"enabled": table.rls_enabled, "forced": table.rls_forced}
    if table.policies:
        spec["policies"] = [dict(entrywrite.policy_pairs(p)) for p in table.policies.values()]
    if table.triggers:
        spec["triggers"] = [dict(entrywrite.trigger_pairs(t)) for t in table.triggers.values()]
    privileges = [dict(pairs) for pairs in entrywrite.table_grants(table, blocked)]
    if privileges:
        spec["privileges"] = privileges
    return spec


def _view(view: View) -> dict[str, Any]:
    spec: dict[str, Any] = {"columns": [c.name for c in view.columns]}
    if view.depends_on:
        spec["depends_on"] = [
            d.split(".", 1)[1] if d.startswith("public.") else d for d in view.depends_on
        ]
    if view.indexes:
        spec["indexes"] = [_index(ix) for ix in view.indexes.values()]
    if view.options:  # security_barrier, security_invoker, check_option as WITH (…) sets them
        spec["options"] = view_options(view.options)
    if view.comment:
        spec["comment"] = view.comment
    if view.tablespace:
        spec["tablespace"] = view.tablespace
    if view.access_method:
        spec["access_method"] = view.access_method
    settings = {c.name: dict(entrywrite.column_settings(c)) for c in view.columns if c.settings}
    if settings:  # a materialized view's ALTER COLUMN … SET STATISTICS / STORAGE / …
        spec["column_settings"] = settings
    comments = {c.name: c.comment for c in view.columns if c.comment}
    if comments:  # COMMENT ON COLUMN of its columns
        spec["column_comments"] = comments
    if view.rules:  # CREATE RULE on the view, read from a catalog (strict.rules holds them)
        spec["rules"] = entrywrite.rule_entries(view)
    if view.definition:  # the query as the catalog prints it (pg_get_viewdef), unframed
        spec["definition"] = unframed_query(view.definition)
    if view.owner is not None:
        spec["owner"] = view.owner
    spec["grants"] = acl(view.grants, view.owner)
    return spec


def view_options(options: dict[str, str]) -> dict[str, Any]:
    """A view's reloptions as the ``options:`` key states them: ``security_barrier`` and
    ``security_invoker`` as booleans (the key's schema), the others (``check_option``, a
    materialized view's storage parameters) as the catalog has them."""
    return {
        name: bool(pg_bool(value)) if name in _VIEW_BOOLEANS else value
        for name, value in sorted(options.items())
    }


_VIEW_BOOLEANS = ("security_barrier", "security_invoker")


# Languages whose prosrc is not the body a migration writes (C: the link symbol).
_NO_BODY = ("c", "internal")


def _function(function: Function) -> dict[str, Any]:
    """Every property a function has, so that a change after init FAILs (before, init wrote
    only language and SECURITY DEFINER: a replaced body or a new grant passed)."""
    entry: dict[str, Any] = {
        "language": function.language,
        "security_definer": function.security_definer,
        "returns": function.returns,
        "volatility": function.volatility,
        "strict": function.strict,
        "parallel": function.parallel,
        "config": list(function.config),
    }
    if function.body and function.language.lower() not in _NO_BODY:
        entry["body"] = function.body
    if function.owner is not None:
        entry["owner"] = function.owner
    entry["grants"] = acl(function.grants, function.owner)
    if function.comment:  # strict.functions holds an unstated one to none
        entry["comment"] = function.comment
    if function.leakproof:  # likewise
        entry["leakproof"] = True
    for name, value in function.planner_estimates():  # COST / ROWS when not the default
        entry[name] = number(value)
    if function.defaults:  # its arguments' DEFAULTs (strict.functions holds unstated ones)
        entry["defaults"] = list(function.defaults)
    return entry


def _function_keys(model: SchemaModel) -> list[tuple[str, Function]]:
    """(key, function) in signature order: the bare name when it is the only function of
    that name, ``name(types)`` for each overload when there are several (before, only the
    first overload was written: another one's body, grants or owner changed unseen)."""
    functions = sorted(model.functions.values(), key=lambda f: f.signature)
    names = Counter((f.schema, f.name) for f in functions)
    out: list[tuple[str, Function]] = []
    for function in functions:
        key = _name(function.schema, function.name)
        types = (
            argument_types(function.arguments)
            if names[function.schema, function.name] > 1
            else None
        )
        if types is not None:
            if "." in ", ".join(types) and "." not in key:  # a dot in a bare key splits the schema
                key = f"{function.schema}.{key}"
            key += f"({', '.join(types)})"
        elif names[function.schema, function.name] > 1 and key in {k for k, _ in out}:
            continue  # arguments PostgreSQL's grammar does not read: the first overload only
        out.append((key, function))
    return out


def _schemas(model: SchemaModel) -> list[str]:
    """``schemas:`` with each schema's owner and exact grants (a GRANT CREATE ON SCHEMA after
    init FAILs)."""
    names = sorted(set(model.schemas) | set(model.schema_grants))
    if not names:
        return []
    out = ["", "schemas:"]
    for name in names:
        owner = model.schemas.get(name)
        entry: dict[str, Any] = {} if owner is None else {"owner": owner}
        entry["grants"] = acl(model.schema_grants.get(name, []), owner)
        # always stated (null = none): a COMMENT ON SCHEMA added after init FAILs too
        entry["comment"] = model.schema_comments.get(name)
        out.append(_block(name, entry, 2).rstrip("\n"))
    return out


def _sequences(model: SchemaModel) -> list[str]:
    """``sequences:`` with each sequence's owner, exact grants, options and owning column
    (``owned_by: null`` = none), so an ALTER SEQUENCE after init FAILs."""
    keys = [k for k in sorted(model.sequences) if not behind_identity(model, model.sequences[k])]
    if not keys:
        return []
    out = ["", "sequences:"]
    for key in keys:
        sequence = model.sequences[key]
        entry: dict[str, Any] = {}
        if sequence.owner is not None:
            entry["owner"] = sequence.owner
        entry["grants"] = acl(sequence.grants, sequence.owner)
        entry.update(
            type=sequence.data_type,
            start=sequence.start,
            increment=sequence.increment,
            minvalue=sequence.minvalue,
            maxvalue=sequence.maxvalue,
            cache=sequence.cache,
            cycle=sequence.cycle,
            owned_by=sequence.owned_by,
        )
        if sequence.comment:  # strict.sequences holds an unstated one to none
            entry["comment"] = sequence.comment
        out.append(_schema_object_block(sequence.schema, sequence.name, entry))
    return out


def _where(provenance) -> str:
    first = provenance[0] if provenance else None
    if first is None or first.source == "catalog":
        return "read from the live catalog"
    return f"created at {first.file}:{first.line}" + (
        f" (revision {first.revision})" if first.revision else ""
    )


def _block(key: str, value: Any, indent: int = 0) -> str:
    """``key: value`` as YAML, collections of scalars in flow style, lines indented."""
    return dump({key: value}, width=120, flow_style=None, indent=indent)


def _schema_object_block(schema: str, name: str, entry: dict[str, Any]) -> str:
    """One item of a list of schema objects (sequences, enums, domains, composite types),
    keyed ``schema.name`` (bare in public). A name holding a dot would read as schema.name:
    it is then keyed by itself, its schema stated first in the entry."""
    if "." in name:
        return _block(name, {"schema": schema, **entry}, 2).rstrip("\n")
    return _block(_name(schema, name), entry, 2).rstrip("\n")


OWNER_PLACEHOLDER = "TODO: owner"


def _tenant_waivers(
    tenant: TenantPattern | None, expires: str | None, explicit: set[str], kinds: tuple[str, ...]
) -> list[dict[str, Any]]:
    """What the tenancy selector finds at init, accepted until expiry.

    Only requirements that will apply: a table written below with its own ``rls``/``columns``
    overrides the selector's (a waiver for it would be stale).
    """
    if tenant is None:
        return []
    out = []
    for t in tenant.tables:
        own = t.qualified_name in explicit
        base = f"match.tenant_tables.{t.schema}.{t.name}"
        problem = None
        if not t.rls_enabled:
            problem = "has no row level security"
        elif not t.rls_forced and not (own and "rls" in kinds):
            problem = "has row level security that is not forced"
        if problem:
            out.append((f"{base}.rls", f"{t.name} carries {tenant.column} but {problem}"))
        column = t.columns[tenant.column]
        if column.nullable and not (own and "columns" in kinds):
            out.append((f"{base}.columns.{tenant.column}", f"{t.name}.{tenant.column} is nullable"))
    return [
        {
            "requirement": rid,
            "reason": f"present at init: {why}",
            "owner": OWNER_PLACEHOLDER,
            **({"expires": expires} if expires else {}),
        }
        for rid, why in out
    ]


def _accepted_rules(
    findings: list[Any],
    expires: str | None = None,
    extra: list[dict[str, Any]] | None = None,
) -> list[str]:
    """A waiver per finding present at init, so the first audit is green and each one is named.

    Each expires (``--expires-in``, default 90 days) and has an owner placeholder to fill in:
    an accepted deviation nobody owns and nobody revisits is a silent one.
    """
    if not findings and not extra:
        return []
    out = [
        "",
        "# The built-in rule pack (docs/rules.md) and the migration-history checks found these when",
        "# this spec was generated. They are accepted so the first audit passes; review each before",
        "# it expires: fix it, or replace the reason with a real one.",
        "waivers:",
    ]
    entries = [
        {
            "requirement": finding.id,
            "reason": f"present at init: {finding.message}",
            "owner": OWNER_PLACEHOLDER if expires else "schema-audit init",
            **({"expires": expires} if expires else {}),
        }
        for finding in sorted({f.id: f for f in findings}.values(), key=lambda f: f.id)
    ] + list(extra or [])
    for entry in entries:
        try:
            out.append(entrywrite.waiver(entry))
        except Unsupported:
            out.append(dump([entry], width=100, flow_style=False, indent=2).rstrip("\n"))
    return out


def _table_entry(
    writer: entrywrite.TableWriter, key: str, table: Table, kinds: tuple[str, ...]
) -> str:
    """``key:`` and the table's entry: straight from the model, else through its dict."""
    try:
        return writer.entry(key, table, kinds)
    except Unsupported:
        return _block(key, _table(table, kinds, writer.blocked), 2).rstrip("\n")


def runner_tables(layout: str) -> tuple[str, ...]:
    """The bookkeeping table of the runner a source's layout (``goose layout, 181 files``)
    names, if it is one of them (a history never creates it; a database that runner
    migrated has it)."""
    runner = runner_of(layout)
    return (RUNNER_TABLES[runner],) if runner else ()


def _strict_block(
    model: SchemaModel,
    only: tuple[str, ...],
    all_tables: bool,
    runner: tuple[str, ...] = (),
    catalog: bool = False,
) -> list[str]:
    """``strict:``: a new table, view, column, index, policy, trigger or grant FAILs against the
    spec."""
    kinds = [k for k in STRICT_KINDS if k in only]
    schemas = sorted(
        {t.schema for t in model.tables.values()} | {v.schema for v in model.views.values()}
    ) or ["public"]
    block: dict[str, Any] = {}
    if all_tables:
        allow = ["alembic_version", *(t for t in runner if f"public.{t}" not in model.tables)]
        block.update({"tables": True, "views": True, "schemas": schemas, "allow": allow})
        if model.functions:  # a function or overload created later FAILs strict.functions
            block["functions"] = True
        if model.sequences:  # so does a sequence created later, strict.sequences
            block["sequences"] = True
        # the database's extensions (schema, version): one added, dropped, updated or moved.
        # From a catalog only: a history does not say what the platform installs before it
        # (Supabase's pg_graphql, pgsodium …; citext provided by the host)
        if catalog:
            block["extensions"] = strict_extensions.stated(model)
            block["domains"] = True  # a domain created later FAILs (written from a catalog)
            block["rules"] = True  # so does a rule added, changed, disabled or dropped
            block["composite_types"] = True  # and a composite type created later
            block["range_types"] = True  # and a range type
        # every schema the source has (live: each one read; a history: each it creates): a
        # table, view or function created later in a schema that had none at init is new too.
        # Not one a history only grants on or puts a function in (auth, storage …): the
        # database has objects there the history never made
        block["schemas"] = sorted(set(schemas) | set(model.schemas))
        if "privileges" in only:  # a new ALTER DEFAULT PRIVILEGES … GRANT reaches every new table
            block["default_privileges"] = True
    if kinds:
        block["exactly"] = kinds
    if not block:
        return []
    return [
        "",
        "# Strict: anything the schema gains that this spec does not list FAILs (new tables,",
        "# and new objects of these kinds on listed tables). Turn a kind off by removing it.",
        _block("strict", block).rstrip("\n"),
    ]


def _literal_glob(name: str) -> str:
    """A glob matching exactly ``name`` (``[``, ``*`` and ``?`` are glob characters)."""
    return re.sub(r"([\[*?])", r"[\1]", name)


def _tenant_block(tenant: TenantPattern) -> list[str]:
    """The ``match:`` selector of the tenant tables, picking exactly the tables init found.

    The selector's schema defaults to ``defaults.schema`` (public): when tenant tables live
    in other schemas too, they are named, else init's waivers for them would match no
    requirement and the first audit would FAIL; the referenced table is then excluded by its
    qualified name, so a same-named table in another schema stays picked.
    """
    referenced = tenant.referenced or ""
    schema, _, bare = referenced.partition(".")
    schemas = sorted({t.schema for t in tenant.tables})
    select: dict[str, Any] = {}
    if schemas and schemas != ["public"]:
        select["schema"] = [_literal_glob(s) for s in schemas]
    select["has_column"] = tenant.column
    if referenced:
        unqualified = schema == "public" and "schema" not in select
        select["exclude"] = [_literal_glob(bare if unqualified else referenced)]
    selector = {
        "tenant_tables": {
            "select": select,
            "require": {
                "rls": {"enabled": True, "forced": True},
                "columns": {tenant.column: {"nullable": False}},
            },
        }
    }
    return [
        "",
        f"# Tenancy: {tenant.summary()}.",
        "# Every table carrying the tenant column, today's and tomorrow's, needs forced RLS and a",
        "# NOT NULL tenant column; a table's own entry below overrides (docs/spec-format.md).",
        _block("settings", {"tenant_column": tenant.column}).rstrip("\n"),
        _block("match", selector).rstrip("\n"),
    ]


def _enums(model: SchemaModel) -> list[str]:
    """``enums:`` with every label in catalog order: a label added, removed or reordered FAILs
    (before, init wrote no enum, so ``ALTER TYPE … ADD VALUE`` passed its "exactly" spec)."""
    if not model.enums:
        return []
    out = ["", "enums:"]
    for key in sorted(model.enums):
        enum = model.enums[key]
        entry: dict[str, Any] = {"values": list(enum.labels)}
        if enum.owner is not None:
            entry["owner"] = enum.owner
        entry["grants"] = acl(enum.grants, enum.owner)
        entry["comment"] = enum.comment  # always stated (null = none), as a schema's
        out.append(_schema_object_block(enum.schema, enum.name, entry))
    return out


def _domains(model: SchemaModel) -> list[str]:
    """``domains:`` with each domain's base type, NOT NULL, DEFAULT, CHECK constraints and
    comment, every key stated (null / {} = none): a CHECK dropped or NOT NULL removed after
    init FAILs (before, a domain was only named as a blind spot)."""
    if not model.domains:
        return []
    out = ["", "domains:"]
    for key in sorted(model.domains):
        domain = model.domains[key]
        entry: dict[str, Any] = {
            "type": domain.type,
            "not_null": domain.not_null,
            "default": domain.default,
            "checks": dict(sorted(domain.checks.items())),
            "comment": domain.comment,
        }
        if domain.collation:
            entry["collation"] = domain.collation
        if domain.owner is not None:
            entry["owner"] = domain.owner
        entry["grants"] = acl(domain.grants, domain.owner)  # USAGE (PUBLIC's unless revoked)
        out.append(_schema_object_block(domain.schema, domain.name, entry))
    return out


def _ranges(model: SchemaModel) -> list[str]:
    """``range_types:`` with each type's subtype, its options that are set, its comment (null =
    none) and, with privileges, owner and USAGE grants (a catalog's reading only)."""
    if not model.ranges:
        return []
    out = ["", "range_types:"]
    for key in sorted(model.ranges):
        found = model.ranges[key]
        entry: dict[str, Any] = {"subtype": found.subtype, **dict(found.options())}
        entry["comment"] = found.comment
        if found.owner is not None:
            entry["owner"] = found.owner
        entry["grants"] = acl(found.grants, found.owner)
        out.append(_schema_object_block(found.schema, found.name, entry))
    return out


def _composites(model: SchemaModel) -> list[str]:
    """``composite_types:`` with each type's attributes in order and its comment (null =
    none): an attribute added, dropped, retyped or reordered after init FAILs."""
    if not model.composites:
        return []
    out = ["", "composite_types:"]
    for key in sorted(model.composites):
        composite = model.composites[key]
        entry: dict[str, Any] = {
            "attributes": list(composite.attributes),
            "comment": composite.comment,
        }
        if composite.owner is not None:
            entry["owner"] = composite.owner
        entry["grants"] = acl(composite.grants, composite.owner)  # likewise
        out.append(_schema_object_block(composite.schema, composite.name, entry))
    return out


def _default_privileges(model: SchemaModel) -> list[str]:
    """``default_privileges:`` with every entry, one per role, schema, kind and grantee:
    with ``strict: {default_privileges: true}`` a new ``ALTER DEFAULT PRIVILEGES … GRANT``
    FAILs (before, a grant ON TABLES TO PUBLIC passed init's spec)."""
    grouped: dict[tuple[str, str, str, str], list[str]] = {}
    options: dict[tuple[str, str, str, str], set[str]] = {}
    for e in model.default_privileges:
        key: tuple[str, str, str, str] = (e.owner or "", e.schema or "", e.object_type, e.grantee)
        if e.privilege not in grouped.setdefault(key, []):
            grouped[key].append(e.privilege)
        if e.grantable:  # WITH GRANT OPTION: strict.default_privileges holds an unstated one
            options.setdefault(key, set()).add(e.privilege)
    if not grouped:
        return []
    out = ["", "default_privileges:"]
    for (owner, schema, object_type, grantee), privileges in sorted(grouped.items()):
        entry: dict[str, Any] = {}
        if owner:
            entry["for_role"] = owner
        if schema:
            entry["schema"] = schema
        entry.update({"objects": object_type, "to": grantee, "grant": sorted(privileges)})
        if (owner, schema, object_type, grantee) in options:
            entry["grant_option"] = sorted(options[owner, schema, object_type, grantee])
        out.append(dump([entry], width=120, flow_style=None, indent=2).rstrip("\n"))
    return out


def written_tables(model: SchemaModel, tables: list[str] | None) -> list[Table]:
    """The tables a spec has an entry for, in name order (``tables``: globs)."""
    chosen = []
    for key in sorted(model.tables):
        table = model.tables[key]
        if table.name == "alembic_version" and table.schema == "public":
            continue
        if tables and not any(
            fnmatch.fnmatchcase(table.name, g) or fnmatch.fnmatchcase(key, g) for g in tables
        ):
            continue
        chosen.append(table)
    return chosen


def table_entries(model: SchemaModel, chosen: list[Table], kinds: tuple[str, ...]) -> list[str]:
    """The lines of ``tables:``: each table's comment and entry. Each entry depends on its
    table alone (the writer's cache only saves work), so any run of them may be written
    apart and the lines joined in order."""
    out = []
    writer = entrywrite.TableWriter(_key, _name, entrywrite.BlockedUsage(model))
    for table in chosen:
        out.append(
            f"  # {table.qualified_name}: {len(table.columns)} columns, {_where(table.provenance)}"
        )
        out.append(_table_entry(writer, _name(table.schema, table.name), table, kinds))
    return out


# Fewer tables than this are written in process: a fork and the hand-over cost a few
# milliseconds, which a small spec's entries (≈ 0.05 ms a table) would not win back.
AHEAD_MIN_TABLES = 200


def entries_ahead(
    model: SchemaModel, tables: list[str] | None, only: list[str] | None
) -> tuple[Callable[[], list[str]], Callable[[], None]]:
    """The tables' lines of :func:`spec_from_model`, written by a forked child from now on
    (``forkjob``) while this process finds the rules' findings and writes the rest:
    (a callable giving the lines, a callable ending the child). Where no child may be forked,
    or it gives no lines, the lines are written here when asked for: the same lines."""
    from schema_audit import forkjob

    kinds = tuple(only or TABLE_KINDS)
    chosen = written_tables(model, tables)
    job = None
    if len(chosen) >= AHEAD_MIN_TABLES:
        job = forkjob.start(lambda: table_entries(model, chosen, kinds))

    def lines() -> list[str]:
        got = job.result() if job is not None else None
        return got if got is not None else table_entries(model, chosen, kinds)

    return lines, (job.end if job is not None else lambda: None)


def spec_from_model(
    model: SchemaModel,
    *,
    name: str,
    source: str,
    rule_findings: list[Any] | None = None,
    tables: list[str] | None = None,
    only: list[str] | None = None,
    tenant: TenantPattern | None = None,
    expires: str | None = None,
    strict: bool = True,
    runner: tuple[str, ...] = (),
    entries: Callable[[], list[str]] | None = None,
) -> str:
    """The spec text: header, then tables, views, enums and functions in name order, tables and
    views with a comment.

    ``tables`` (globs) and ``only`` (kinds of TABLE_KINDS) narrow what is written; ``strict``
    (default) makes additions FAIL; ``tenant`` adds the tenancy selector and waivers;
    ``runner``: the migration runner's bookkeeping tables strict mode accepts (a history read
    statically never creates them; the database the runner migrated has them); ``entries``:
    the tables' lines (:func:`entries_ahead`), else they are written here.
    """
    kinds = tuple(only or TABLE_KINDS)
    out = [
        "# yaml-language-server: $schema=https://schema-audit.dev/spec.schema.json",
        f"# Generated by `schema-audit init` from {source}.",
        "# It requires exactly what the schema has today: delete what does not matter, add severities,",
        "# impacts, questions and exit gates, then run `schema-audit audit` in CI.",
        "spec_version: 1",
        yaml.safe_dump({"name": name}, allow_unicode=True).strip(),
        "defaults:",
        "  schema: public",
        "  severity: high",
    ]
    if strict:
        out += _strict_block(
            model,
            kinds,
            all_tables=not tables,
            runner=runner,
            catalog=source.partition(" ")[0] in ("live", "replay"),
        )
    if tenant is not None:
        out += _tenant_block(tenant)
    out += ["", "tables:"]
    chosen = written_tables(model, tables)
    explicit = {table.qualified_name for table in chosen}
    rest: list[str] = []  # after the tables, written before their entries are asked for
    for section, materialized in (("views", False), ("materialized_views", True)):
        views = [v for k, v in sorted(model.views.items()) if v.materialized == materialized]
        if views:
            rest += ["", f"{section}:"]
            for view in views:
                rest.append(f"  # {view.qualified_name}: {_where(view.provenance)}")
                rest.append(_block(_name(view.schema, view.name), _view(view), 2).rstrip("\n"))
    rest += _enums(model)
    rest += _domains(model)
    rest += _composites(model)
    rest += _ranges(model)
    if not tables and "privileges" in kinds:
        rest += _default_privileges(model)
    if model.functions:
        rest += ["", "functions:"]
        for key, function in _function_keys(model):
            rest.append(_block(key, _function(function), 2).rstrip("\n"))
    rest += _schemas(model) + _sequences(model)
    tenancy = _tenant_waivers(tenant, expires, explicit, kinds)
    rest += _accepted_rules(rule_findings or [], expires, tenancy)
    # last: a child writing them (``entries``) has had all of the above's time
    out += table_entries(model, chosen, kinds) if entries is None else entries()
    if out[-1] == "tables:":
        out[-1] = "tables: {}  # the source has no table (yet)"  # `tables:` alone reads as null
    return "\n".join(out + rest) + "\n"
