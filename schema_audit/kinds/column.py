"""A column of a table: type, nullability, default, identity, collation, generated
expression, comment, and a UNIQUE or PRIMARY KEY on it alone.

```yaml
tables:
  users:
    columns:
      email: {type: text, nullable: false, unique: true}
      tenant_id: {type: uuid, references: tenants(id), on_delete: CASCADE}
```

Types compare canonically (``int4`` is ``integer``); a column missing by its own name
that exists under one of its declared ``aliases`` is PARTIAL. ``references:`` is a
shorthand for a foreign-key requirement on the column.
"""

from __future__ import annotations

import functools
import re

from schema_audit import collation, model_ddl, sqlnorm, sqltime
from schema_audit.audit import nearmiss
from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import CONSTRAINT_INDEXES, Facet
from schema_audit.audit.findings import (
    Diff,
    Evidence,
    Finding,
    describe_diffs,
    finding_for,
    lazy_finding,
    missing,
)
from schema_audit.audit.tables import show_scalar, unique_on
from schema_audit.domaincheck import value_type
from schema_audit.enums import PASS, Status
from schema_audit.kinds import requirement_kind
from schema_audit.kinds._common import diff_of
from schema_audit.model import UNKNOWN_TYPE, Column, SchemaModel, Table, option_text, qualify
from schema_audit.spec.fragments import REF_ACTIONS, req_schema, string, strings
from schema_audit.spec.model import Requirement

SCHEMA = req_schema(
    {
        "type": string(
            "Column type; compared canonically (int4 = integer, varchar(255) = character varying(255))."
        ),
        "nullable": {"type": "boolean", "description": "false = the column must be NOT NULL."},
        "default": {
            "type": ["string", "number", "boolean", "null"],
            "description": "Default expression; compared canonically. null = must have no default.",
        },
        "unique": {
            "type": "boolean",
            "description": "true = a UNIQUE constraint (or non-partial unique index) on exactly this column.",
        },
        "primary_key": {
            "type": "boolean",
            "description": "true = this column alone is the primary key.",
        },
        "identity": {
            "enum": ["always", "by default", "by_default", None],
            "description": "GENERATED ALWAYS / BY DEFAULT AS IDENTITY (by_default = by default); "
            "null = must not be an identity column (a serial column is not one).",
        },
        "collation": {
            "type": ["string", "null"],
            "description": 'Collation of the column ("C", und-x-icu, s.ci …): unqualified is '
            "pg_catalog's or public's, as COLLATE resolves it (ci is not s.ci); null = the "
            "type's default.",
        },
        "generated": string("Expression of a GENERATED ALWAYS AS (…) STORED column."),
        "references": string("Shorthand foreign key: 'table(column)' or 'schema.table(column)'."),
        "on_delete": {
            "enum": REF_ACTIONS,
            "description": "ON DELETE action of the `references` shorthand.",
        },
        "aliases": strings(
            "Names the column may legitimately exist under (shown as 'what exists instead')."
        ),
        "comment": string("Required column comment."),
        "statistics": {
            "type": "integer",
            "description": "SET STATISTICS target (-1 = the default, default_statistics_target).",
        },
        "storage": {
            "enum": ["plain", "external", "extended", "main"],
            "description": "SET STORAGE (without it: the type's own storage, under exactly).",
        },
        "compression": {
            "enum": ["pglz", "lz4", "default"],
            "description": "SET COMPRESSION (default = default_toast_compression).",
        },
        "options": string(
            "SET (n_distinct = …, n_distinct_inherited = …): the column's attoptions as "
            "'name=value, …' (ordered by name); '' = none."
        ),
    },
    "A column requirement. An empty mapping ({}) only requires existence.",
)


_MIXED_CASE_WORD = re.compile(r'(?<![\w"$.])((?=[\w$]*[A-Z])[A-Za-z_][\w$]*)(?![\w"$])')


def setting_diffs(props: dict, column: Column, enum: bool = False) -> list[Diff]:
    """SET STATISTICS / STORAGE / COMPRESSION where the requirement states them and the
    column differs (the model holds only settings that are not the default; a stated
    storage that is the type's own is the default)."""
    settings = column.settings or {}
    out = []
    if "statistics" in props and props["statistics"] != settings.get("statistics", -1):
        out.append(Diff("statistics", props["statistics"], settings.get("statistics", -1)))
    if "compression" in props and props["compression"] != settings.get("compression", "default"):
        out.append(Diff("compression", props["compression"], settings.get("compression")))
    if "options" in props and option_text(
        [o for o in str(props["options"] or "").replace(" ", "").split(",") if o]
    ) != settings.get("options", ""):
        out.append(Diff("options", props["options"], settings.get("options", "")))
    if "storage" in props:
        from schema_audit.sources.ddl.colsettings import type_storage

        have = settings.get("storage") or type_storage(column.type, enum)
        if props["storage"] != have:
            out.append(Diff("storage", props["storage"], have))
    return out


def _types_equal(expected: str, actual: str, model=None) -> bool:
    """Same type; a spec may write a mixed-case type name unquoted (``ApiTokenAlgorithm``).

    The name as written is what PostgreSQL stores (exact first); PostgreSQL's lower-case
    folding of it is accepted only when no type of the model carries the name as written.
    """
    if expected == actual and _as_written(expected) == expected:
        return True  # what the code below concludes, without parsing (init's spec: every column)
    try:
        want, have = sqlnorm.canonical_type(expected), sqlnorm.canonical_type(actual)
    except ValueError:
        return " ".join(expected.lower().split()) == " ".join(actual.lower().split())
    exact = _as_written(expected)
    if exact != expected:
        try:
            exact_type = sqlnorm.canonical_type(exact)
        except ValueError:
            exact_type = want
        if exact_type == have:
            return True
        if model is not None and exact_type.removesuffix("[]") in _type_names(model):
            return False  # the name as written exists: it is the one meant
    return want == have


def _same_type(expected: str, actual: str, ctx: AuditContext) -> bool:
    """:func:`_types_equal` against the audit's model, once per pair of spellings."""
    key = ("type", expected, actual)
    same = ctx.memo.get(key)
    if same is None:
        same = ctx.memo[key] = _types_equal(expected, actual, ctx.model)
    return same  # type: ignore[return-value]


@functools.lru_cache(maxsize=4096)
def _as_written(expected: str) -> str:
    """The type with each mixed-case word quoted, as PostgreSQL would keep its case (a spec
    repeats a handful of types on every column: each is rewritten once)."""
    return _MIXED_CASE_WORD.sub(lambda m: f'"{m.group(1)}"', expected)


def _type_names(model) -> frozenset[str]:
    """Canonical spellings of the model's own types (enums), for the ambiguity rule above."""
    out = set()
    for enum in model.enums.values():
        try:
            out.add(sqlnorm.canonical_type(qualify(enum.schema, enum.name)))
        except ValueError:
            continue
    return frozenset(out)


def _default_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def recommend(f: Finding, req: Requirement | None, model: SchemaModel) -> str:
    table = f.table or ""
    parts = []
    if (d := diff_of(f, "nullable")) and d.expected is False:
        parts.append(f"backfill and SET NOT NULL on {table}.{f.name}")
    if d := diff_of(f, "type"):
        parts.append(f"ALTER COLUMN {table}.{f.name} TYPE {d.expected} (now {d.actual})")
    if d := diff_of(f, "default"):
        parts.append(f"SET DEFAULT {d.expected} on {table}.{f.name}")
    if diff_of(f, "unique"):
        parts.append(f"add UNIQUE ({f.name}) on {table}")
    return "; ".join(parts).capitalize() if parts else f.message


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    target = qualify(req.schema, req.table) if req.table else "*"
    out = [Facet("column", target, req.name or "*")]
    if req.props.get("unique") or req.props.get("primary_key"):
        out += [Facet(k, target) for k in CONSTRAINT_INDEXES]
    return out


@requirement_kind(
    id="column",
    name="Required column",
    title="Columns",
    group="tables",
    hint="add or alter the column in a new migration (ALTER TABLE … ADD / ALTER COLUMN)",
    spec="tables.<table>.columns.<column>",
    schema=SCHEMA,
    recommend=recommend,
    strict="columns",
    facets=facets,
    facets_on_table=True,
)
def check_column(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    assert table is not None  # the engine marks children of a missing table NOT_APPLICABLE
    column = table.columns.get(req.name or "")
    # the finding's words, for a FAIL or PARTIAL (a PASS's are made when a report reads them)
    label = f"{table.name}.{req.name}" if column is None else ""
    aliases = req.props.get("aliases") if column is None else None
    alias = next((a for a in aliases if a in table.columns), None) if aliases else None
    if column is None and alias is not None:
        line = model_ddl.column_line(table, alias)
        return finding_for(
            req,
            Status.PARTIAL,
            f"column {label} does not exist; the spec accepts its alias {table.name}.{alias} ({line})",
            diffs=[Diff("name", req.name, alias)],
            evidence=ctx.evidence(table.columns[alias].provenance or table.provenance[:1], line),
            instead=[nearmiss.Candidate("column", alias, "declared alias in the spec", line)],
            ddl=line,
        )
    if column is None:
        return finding_for(
            req,
            Status.FAIL,
            f"column {label} does not exist",
            diffs=[missing()],
            evidence=ctx.absence_evidence(table, f"column {label}"),
            instead=nearmiss.column_candidates(req, table, ctx),
            ddl=ctx.table_ddl(table, with_indexes=False),
        )
    props = req.props
    diffs: list[Diff] = []
    # CREATE TABLE AS declares no types and a static reading does not work out the query's:
    # such a column's type is neither the spec's nor another (DEFERRED below, never a FAIL)
    untyped = False
    if "type" in props and not _same_type(str(props["type"]), column.type, ctx):
        if column.type == UNKNOWN_TYPE:
            untyped = True
        else:
            diffs.append(Diff("type", props["type"], column.type))
    if "nullable" in props and props["nullable"] != column.nullable:
        diffs.append(Diff("nullable", props["nullable"], column.nullable))
    undecided: tuple[Diff, str] | None = None
    if "default" in props:
        expected = _default_text(props["default"])
        same_text = expected == column.default  # the same default: no parse (init's spec)
        typed = column.type if same_text else value_type(ctx.model.domains, column.type)
        want = expected if same_text else sqlnorm.normalize_default(expected, typed)
        have = want if same_text else sqlnorm.normalize_default(column.default, typed)
        if want != have:
            diff = Diff("default", expected, column.default)
            if sqltime.depends_on_session(want) or sqltime.depends_on_session(have):
                # PostgreSQL stores such a literal as its value in the session that ran it
                undecided = (
                    diff,
                    "the spec's" if sqltime.depends_on_session(want) else "the migration's",
                )
            else:
                diffs.append(diff)
    if "identity" in props:
        wanted = props["identity"].replace("_", " ") if props["identity"] else None
        if wanted != column.identity:
            diffs.append(Diff("identity", props["identity"], column.identity))
    if "collation" in props and not collation.same(props["collation"], column.collation):
        diffs.append(Diff("collation", props["collation"], column.collation))
    if "generated" in props and not sqlnorm.exprs_equal(props["generated"], column.generated):
        diffs.append(Diff("generated", props["generated"], column.generated))
    if "comment" in props and props["comment"] != column.comment:
        diffs.append(Diff("comment", props["comment"], column.comment))
    if column.settings or not _SETTING_KEYS.isdisjoint(props):
        enum = any(
            column.type in (key, e.name, f"{e.schema}.{e.name}")
            for key, e in ctx.model.enums.items()
        )
        diffs += setting_diffs(props, column, enum)
    if props.get("unique") and not unique_on(table, [column.name], allow_index=True):
        diffs.append(Diff("unique", True, False))
    if props.get("primary_key") and (
        table.primary_key is None or table.primary_key.columns != [column.name]
    ):
        diffs.append(Diff("primary_key", True, False))
    if diffs or undecided is not None or untyped:
        label = f"{table.name}.{req.name}"
    if diffs:
        line, evidence = _line_evidence(ctx, table, column)
        detail = describe_diffs(diffs, show_scalar)
        instead = (
            nearmiss.unique_candidates(table, [column.name])
            if any(d.property == "unique" for d in diffs)
            else []
        )
        return finding_for(
            req,
            Status.FAIL,
            f"column {label} differs: {detail}",
            diffs=diffs,
            evidence=evidence,
            ddl=line,
            instead=instead,
        )
    if undecided is not None:
        line, evidence = _line_evidence(ctx, table, column)
        diff, side = undecided
        return finding_for(
            req,
            Status.DEFERRED,
            f"column {label}: default {show_scalar(diff.actual)} vs the spec's "
            f"{show_scalar(diff.expected)} cannot be decided: {side} date/time literal has no "
            "UTC offset (or is 'now'/'today', a day/month order, a named zone), so PostgreSQL "
            "stores the value it has in the TimeZone/DateStyle of the session that runs it "
            + (
                "(write the spec's default with an offset, e.g. '2024-01-01 00:00:00+00')"
                if side == "the spec's"
                else "(audit the live database or --replay)"
            ),
            diffs=[diff],
            evidence=evidence,
            ddl=line,
        )
    if untyped:
        line, evidence = _line_evidence(ctx, table, column)
        return finding_for(
            req,
            Status.DEFERRED,
            f"column {label}: type {show_scalar(props['type'])} cannot be decided: the table "
            "was made by CREATE TABLE AS, which declares no column types, and a static reading "
            "does not work out its query's (audit the live database or --replay)",
            diffs=[Diff("type", props["type"], column.type)],
            evidence=evidence,
            ddl=line,
        )
    return lazy_finding(req, PASS, _pass_text, ctx, table, column)


# the keys of a column's settings (one set test per column: a generator over them was a
# fifth of a PASS column's check)
_SETTING_KEYS = frozenset({"statistics", "storage", "compression", "options"})


def _line_evidence(ctx: AuditContext, table: Table, column: Column) -> tuple[str, list[Evidence]]:
    """The column's line of its CREATE TABLE, and where it was made."""
    line = model_ddl.column_line(table, column.name)
    return line, ctx.evidence(column.provenance or table.provenance[:1], line)


def _pass_text(ctx: AuditContext, table: Table, column: Column) -> tuple[str, list[Evidence], str]:
    """A PASS's message, evidence and DDL (worked out when a report first reads them)."""
    line, evidence = _line_evidence(ctx, table, column)
    return f"column {table.name}.{column.name} is {line}", evidence, line
