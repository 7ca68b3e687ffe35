"""An index on a table or materialized view: by name, by exact shape (``columns``,
``where``, ``include``, ``unique``, ``method``, ``nulls_not_distinct``), or by use
(``leading:`` its first keys, ``covers:`` it serves equality lookups by these columns).

```yaml
tables:
  events:
    indexes:
      - {name: events_tenant_time, columns: [tenant_id, occurred_at DESC]}
      - {covers: [tenant_id]}
```

Missing by name but present with the same shape under another name is PARTIAL and
names the index that exists. An EXCLUDE constraint's index is an entry here too (``init``
writes it with ``exclude:``, the operator of each key, and the constraint's DEFERRABLE,
INITIALLY DEFERRED and ``constraint_comment``, all compared; under ``exactly: [indexes]`` an
entry that matches an EXCLUDE constraint's index without stating ``exclude:`` FAILs, as any
other unstated fact does); a primary key's or UNIQUE constraint's index is held by
``primary_key:`` / ``unique:``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schema_audit import ident, model_ddl, sqlnorm
from schema_audit.audit import indexsem, nearmiss
from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import CONSTRAINT_INDEXES, Facet
from schema_audit.audit.findings import (
    Diff,
    Evidence,
    Finding,
    describe_diffs,
    finding_for,
    lazy_finding,
    matched_by_shape,
    show,
)
from schema_audit.audit.indexes import add_exclusion_sql, parse_key, shape_diffs
from schema_audit.enums import PASS, Status
from schema_audit.kinds import _session, requirement_kind
from schema_audit.kinds._common import COMMENT_PROP, after_adding, columns_label, exists
from schema_audit.model import Index, IndexKey, SchemaModel, Table, qualify
from schema_audit.spec.fragments import req_schema, string, strings
from schema_audit.spec.model import Requirement

_INDEX_PROPS = {
    "name": string(
        "Index name. Without a name the index is matched by shape (columns, predicate, …)."
    ),
    "columns": strings(
        "Key columns or expressions, each optionally followed by ASC/DESC and NULLS FIRST/LAST."
    ),
    "unique": {"type": "boolean"},
    "where": string("Partial-index predicate."),
    "include": strings("INCLUDE (covering) columns."),
    "method": string("Access method: btree, gin, gist, hash, brin, …"),
    "nulls_not_distinct": {
        "type": "boolean",
        "description": "A unique index whose NULLs conflict (PostgreSQL 15's NULLS NOT DISTINCT).",
    },
    "options": {
        "type": "object",
        "description": "Storage parameters as WITH (…) sets them (fillfactor, deduplicate_items, "
        "fastupdate …), compared by value; an unset one has PostgreSQL's default.",
    },
    "clustered": {
        "type": "boolean",
        "description": "true = the table's CLUSTER ON index (pg_index.indisclustered).",
    },
    "tablespace": {
        "type": "string",
        "description": "Its tablespace (TABLESPACE, ALTER INDEX … SET TABLESPACE; pg_default: "
        "the database's default); compared when stated.",
    },
    "comment": COMMENT_PROP,
    "exclude": strings(
        "An EXCLUDE constraint's index: the operator of each key, in order (`[=, '&&']` for "
        "EXCLUDE USING gist (room WITH =, during WITH &&)); compared when stated."
    ),
    "deferrable": {
        "type": "boolean",
        "description": "An EXCLUDE constraint's: true = DEFERRABLE; compared when stated.",
    },
    "initially_deferred": {
        "type": "boolean",
        "description": "An EXCLUDE constraint's: true = INITIALLY DEFERRED; compared when stated.",
    },
    "constraint_comment": {
        "type": ["string", "null"],
        "description": "An EXCLUDE constraint's COMMENT ON CONSTRAINT (null = none; `comment` "
        "is the index's own); compared when stated.",
    },
}

_INDEX_PROPS["leading"] = strings(
    "Instead of columns: an index whose first key columns are exactly these, in this order "
    "(more keys may follow); where/unique/method/include narrow it."
)
_INDEX_PROPS["covers"] = strings(
    "Instead of columns: an index that serves equality lookups by these columns (its leading "
    "columns in any order, valid, btree or hash, not partial unless `where` - the lookup's own "
    "predicate - implies its predicate): the test PERF001 and the recommendations use."
)
SCHEMA = {
    **req_schema(_INDEX_PROPS, "An index requirement: columns (exact keys), leading or covers."),
    "oneOf": [{"required": [k]} for k in ("columns", "leading", "covers")],
}


def recommend(f: Finding, req: Requirement | None, model: SchemaModel) -> str:
    props = req.props if req else {}
    if props.get("exclude"):  # an EXCLUDE constraint's index: the constraint makes it
        table = f.table or ""
        return _exclusion_advice(f, props, table if req is None else qualify(req.schema, table))
    if exists(f):
        return f"Recreate index {f.name}: {f.message}"
    table = f.table or ""
    cols = ", ".join(props.get("columns") or props.get("leading") or props.get("covers") or [])
    text = f"Create index {props.get('name') or ''} ON {table} ({cols})".replace(
        "index  ON", "index ON"
    )
    if props.get("include"):
        text += f" INCLUDE ({', '.join(props['include'])})"
    if props.get("where"):
        text += f" WHERE {props['where']}"
    text += after_adding(f)
    return _redundant_advice(model, req, text) if req is not None else text


def _exclusion_advice(f: Finding, props: Mapping[str, Any], target: str) -> str:
    """ALTER TABLE … ADD CONSTRAINT … EXCLUDE for a missing (or differing: drop it first) EXCLUDE
    constraint's entry; CREATE INDEX makes no constraint (it read so before)."""
    text = add_exclusion_sql(dict(props), target)
    if exists(f):
        return f"Drop constraint {f.name} and re-add it: {text} ({f.message})"
    return f"Add the constraint: {text}" + after_adding(f)


def _redundant_advice(model: SchemaModel, req: Requirement, text: str) -> str:
    """Never advise an index PERF002 would call redundant: say which index already does the job.

    A ``columns: [a]`` requirement fails while ``(a, b)`` exists; creating ``(a)`` would be
    reported as redundant with it, so the advice is to require ``leading:``/``covers:``.
    """
    table = model.tables.get(qualify(req.schema, req.table or ""))
    columns = req.props.get("columns")
    if table is None or not columns:
        return text
    proposed = Index(
        name="",
        keys=[_index_key(c) for c in columns],
        unique=bool(req.props.get("unique")),
        method=str(req.props.get("method") or "btree").lower(),
        where=req.props.get("where"),
        include=list(req.props.get("include") or []),
    )
    big = indexsem.redundant_for(table, proposed)
    if big is None:
        return text
    return (
        f"Index {big.name} on {table.name} already serves what ({', '.join(columns)}) would; "
        f"a new one would be redundant (PERF002): require `leading: [{', '.join(columns)}]` "
        "or `covers:` instead of exact `columns:`"
    )


def _index_key(text: str) -> IndexKey:
    wanted = parse_key(text)
    return IndexKey(wanted.expression, wanted.is_column, wanted.descending, wanted.nulls_first)


def label(item: Mapping[str, Any], index: int) -> str:
    found = columns_label(item)
    if found:
        return found
    for mode in ("leading", "covers"):
        if item.get(mode):
            return f"{mode}_" + "+".join(item[mode])
    return f"index_{index}"


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    target = qualify(req.schema, req.table) if req.table else "*"
    return [Facet(k, target) for k in CONSTRAINT_INDEXES]


def _ddl_evidence(
    ctx: AuditContext, index: Index, schema: str, rel_name: str
) -> tuple[str, list[Evidence]]:
    """The index's CREATE INDEX, and where it was made."""
    ddl = model_ddl.create_index(index, schema, rel_name)
    return ddl, ctx.evidence(index.provenance, index.definition or ddl)


def _pass_text(
    ctx: AuditContext, index: Index, schema: str, rel_name: str, label: str
) -> tuple[str, list[Evidence], str]:
    """A PASS's message, evidence and DDL (worked out when a report first reads them)."""
    ddl, evidence = _ddl_evidence(ctx, index, schema, rel_name)
    return f"{label} exists: {ddl}", evidence, ddl


@requirement_kind(
    id="index",
    name="Index",
    title="Indexes",
    group="indexes",
    hint="CREATE INDEX CONCURRENTLY in a new migration",
    spec="tables.<table>.indexes[]",
    schema=SCHEMA,
    recommend=recommend,
    label=label,
    strict="indexes",
    facets=facets,
    facets_on_table=True,
)
def check_index(req: Requirement, ctx: AuditContext) -> Finding:
    relation = (
        ctx.view(req)
        if req.parent and req.parent.startswith(("views.", "materialized_views."))
        else ctx.table(req)
    )
    assert relation is not None
    props = req.props
    if "leading" in props or "covers" in props:
        return _check_use(req, ctx, relation)
    indexes: dict[str, Index] = relation.indexes
    schema, rel_name = relation.schema, relation.name
    if req.name:
        label = f"index {req.name} on {rel_name}"
    else:
        shape = f"({', '.join(props['columns'])})" + (
            f" WHERE {props['where']}" if props.get("where") else ""
        )
        if props.get("include"):
            shape += f" INCLUDE ({', '.join(props['include'])})"
        label = f"index on {rel_name} {shape}"
    aliases = ctx.column_aliases(relation)
    columns = ctx.column_names(relation)

    if req.name and req.name in indexes:
        index = indexes[req.name]
        diffs = shape_diffs(props, index, aliases, columns)
        if not diffs:
            return lazy_finding(req, PASS, _pass_text, ctx, index, schema, rel_name, label)
        ddl, evidence = _ddl_evidence(ctx, index, schema, rel_name)
        who = _session.undecided(diffs, ("where",))
        if who is not None:
            return finding_for(
                req,
                Status.DEFERRED,
                f"{label}: {describe_diffs(diffs, show)}: {_session.reason(who)}",
                diffs=diffs,
                evidence=evidence,
                ddl=ddl,
            )
        return finding_for(
            req,
            Status.FAIL,
            f"{label} differs: {describe_diffs(diffs, show)}",
            diffs=diffs,
            evidence=evidence,
            ddl=ddl,
        )

    same_shape = [ix for ix in indexes.values() if not shape_diffs(props, ix, aliases, columns)]
    if same_shape:
        index = sorted(same_shape, key=lambda ix: ix.name)[0]
        ddl = model_ddl.create_index(index, schema, rel_name)
        evidence = ctx.evidence(index.provenance, index.definition or ddl)
        return matched_by_shape(
            req,
            kind="index",
            label=label,
            found=index.name,
            same=f" by that name; {index.name} has the same definition",
            why="same key columns, predicate and INCLUDE; name differs",
            ddl=ddl,
            evidence=evidence,
            rename=False,
        )

    for ix in sorted(indexes.values(), key=lambda ix: ix.name):
        diffs = shape_diffs(props, ix, aliases, columns)
        who = _session.undecided(diffs, ("where",))
        if who is not None:  # the same index but for a literal the session decided
            ddl = model_ddl.create_index(ix, schema, rel_name)
            return finding_for(
                req,
                Status.DEFERRED,
                f"{label}: {ix.name} {describe_diffs(diffs, show)}: {_session.reason(who)}",
                diffs=diffs,
                evidence=ctx.evidence(ix.provenance, ix.definition or ddl),
                ddl=ddl,
                name=ix.name,
            )
    wanted_columns = [parse_key(c) for c in props["columns"]]
    absent = [
        w.expression
        for w in wanted_columns
        if w.is_column and ident.resolve(w.expression, columns) not in columns
    ]
    absent += [c for c in props.get("include") or [] if ident.resolve(c, columns) not in columns]
    return ctx.absent(
        req,
        relation,
        label,
        instead=nearmiss.index_candidates(props, relation, wanted_columns),
        absent_columns=absent,
    )


def _column_names(relation) -> set[str]:
    columns = relation.columns
    if isinstance(columns, dict):
        return set(columns)
    return {c.name for c in columns}


def _extra_diffs(props: dict, index: Index) -> list[Diff]:
    """``unique``, ``method`` and ``include`` of a ``leading:``/``covers:`` requirement."""
    diffs: list[Diff] = []
    if "unique" in props and bool(props["unique"]) != index.unique:
        diffs.append(Diff("unique", props["unique"], index.unique))
    if "include" in props and not set(props["include"]) <= set(index.include):
        diffs.append(Diff("include", props["include"], index.include))
    if "method" in props and props["method"].lower() != index.method:
        diffs.append(Diff("method", props["method"], index.method))
    if "nulls_not_distinct" in props and props["nulls_not_distinct"] != index.nulls_not_distinct:
        diffs.append(
            Diff("nulls_not_distinct", props["nulls_not_distinct"], index.nulls_not_distinct)
        )
    return diffs


def _why_not(props: dict, index: Index, relation) -> str | None:
    """None when ``index`` satisfies a ``leading:``/``covers:`` requirement, else why not."""
    if "leading" in props:
        columns = list(props["leading"])
        if not index.valid:  # covers: serves_lookup says so itself
            return "it is INVALID (a failed CREATE INDEX CONCURRENTLY: REINDEX it)"
        if not indexsem.leads_with(index, columns):
            return f"it does not lead with ({', '.join(columns)})"
        if "where" in props and not sqlnorm.exprs_equal(props["where"], index.where):
            return f"its predicate is {index.where or 'none'}, expected {props['where']}"
    else:
        table = relation if isinstance(relation, Table) else None
        verdict = indexsem.serves_lookup(index, list(props["covers"]), table, props.get("where"))
        if not verdict.serves:
            return verdict.why_not
    extra = _extra_diffs(props, index)
    if extra:
        return describe_diffs(extra, show)
    return None


def _check_use(req: Requirement, ctx: AuditContext, relation) -> Finding:
    """``leading:`` (an index whose first keys are these) or ``covers:`` (one that serves lookups)."""
    props = req.props
    mode = "leading" if "leading" in props else "covers"
    columns = list(props[mode])
    what = (
        f"leading with ({', '.join(columns)})"
        if mode == "leading"
        else f"serving lookups by ({', '.join(columns)})"
    ) + (f" WHERE {props['where']}" if props.get("where") else "")
    label = (
        f"index {req.name} on {relation.name}" if req.name else f"index on {relation.name} {what}"
    )
    ordered = sorted(relation.indexes.values(), key=lambda ix: ix.name)
    if req.name and req.name in relation.indexes:
        ordered.sort(key=lambda ix: ix.name != req.name)
    good = [ix for ix in ordered if _why_not(props, ix, relation) is None]
    if good:
        index = good[0]
        ddl = model_ddl.create_index(index, relation.schema, relation.name)
        evidence = ctx.evidence(index.provenance, index.definition or ddl)
        if req.name and index.name != req.name:
            return finding_for(
                req,
                Status.PARTIAL,
                f"{label} does not exist by that name; {index.name} is {what} (name differs)",
                diffs=[Diff("name", req.name, index.name)],
                evidence=evidence,
                ddl=ddl,
                name=index.name,
            )
        return finding_for(
            req,
            PASS,
            f"{label}: {index.name} is {what}",
            evidence=evidence,
            ddl=ddl,
            name=index.name,
        )
    instead = [
        nearmiss.Candidate(
            "index",
            ix.name,
            _why_not(props, ix, relation) or "",
            model_ddl.create_index(ix, relation.schema, relation.name),
        )
        for ix in ordered
        if set(ix.column_names) & set(columns)
    ][: nearmiss.MAX_CANDIDATES]
    names = _column_names(relation)
    return ctx.absent(
        req,
        relation,
        label,
        instead=instead,
        absent_columns=[c for c in columns if c not in names],
        note="".join(f"; {c.name} does not count: {c.why}" for c in instead),
    )
