"""Uniqueness over a set of columns: a UNIQUE constraint, or (unless
``allow_index: false``) a non-partial unique index on exactly those columns.

```yaml
tables:
  users:
    unique:
      - {columns: [tenant_id, email]}
```

Named, it must be that constraint or index; enforced under another name it is PARTIAL.
``deferrable``, ``initially_deferred``, ``nulls_not_distinct`` and ``include`` (what ``init``
writes when they are not PostgreSQL's default) are compared when stated; under ``exactly: [unique]`` a
matched constraint with one of them that its requirement does not state FAILs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schema_audit.audit import nearmiss
from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import CONSTRAINT_INDEXES, Facet
from schema_audit.audit.findings import Diff, Finding, describe_diffs, finding_for
from schema_audit.audit.tables import unique_on
from schema_audit.enums import PASS, Status
from schema_audit.kinds import requirement_kind
from schema_audit.kinds._common import COMMENT_PROP, columns_label, comment_diffs
from schema_audit.kinds.primary_key import key_clustered_diffs, key_include, key_tablespace
from schema_audit.model import SchemaModel, Table, qualify
from schema_audit.spec.fragments import req_schema, string, strings
from schema_audit.spec.model import Requirement

SCHEMA = req_schema(
    {
        "name": string("Constraint or index name; without it matched by columns."),
        "columns": strings("Columns that must be unique together."),
        "allow_index": {
            "type": "boolean",
            "description": "A unique index satisfies it (default true).",
        },
        "deferrable": {"type": "boolean", "description": "true = DEFERRABLE."},
        "initially_deferred": {
            "type": "boolean",
            "description": "true = INITIALLY DEFERRED (checked at commit by default).",
        },
        "nulls_not_distinct": {
            "type": "boolean",
            "description": "true = NULLS NOT DISTINCT (one NULL at most).",
        },
        "comment": COMMENT_PROP,
        "tablespace": string(
            "Its index's tablespace (USING INDEX TABLESPACE, ALTER INDEX … SET TABLESPACE; "
            "pg_default: the database's default); compared when stated."
        ),
        "clustered": {
            "type": "boolean",
            "description": "true = its index is the table's CLUSTER index (CLUSTER … USING); "
            "compared when stated.",
        },
        "include": strings(
            "UNIQUE (…) INCLUDE (these): its index's non-key columns, in order; compared when "
            "stated ([] = none)."
        ),
    },
    "A uniqueness requirement.",
    ["columns"],
)


def recommend(f: Finding, req: Requirement | None, model: SchemaModel) -> str:
    props = req.props if req else {}
    include = f" INCLUDE ({', '.join(props['include'])})" if props.get("include") else ""
    return f"Add UNIQUE ({', '.join(props.get('columns', []))}){include} on {f.table or ''}"


def label(item: Mapping[str, Any], index: int) -> str:
    return columns_label(item) or f"unique_{index}"


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    target = qualify(req.schema, req.table) if req.table else "*"
    return [Facet(k, target) for k in CONSTRAINT_INDEXES]


@requirement_kind(
    id="unique",
    name="Uniqueness",
    title="Unique constraints",
    group="constraints",
    hint="ALTER TABLE … ADD CONSTRAINT … UNIQUE",
    spec="tables.<table>.unique[]",
    schema=SCHEMA,
    recommend=recommend,
    label=label,
    strict="unique",
    facets=facets,
    facets_on_table=True,
)
def check_unique(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    assert table is not None
    columns = req.props["columns"]
    allow_index = req.props.get("allow_index", True)
    label = f"UNIQUE ({', '.join(columns)}) on {table.name}"
    absent = [c for c in columns if c not in table.columns]
    found = unique_on(table, columns, allow_index)
    if req.name:
        named = table.uniques.get(req.name)
        index = table.indexes.get(req.name)
        if named is not None or (index is not None and index.unique):
            actual = named.columns if named else index.column_names  # type: ignore[union-attr]
            enforcing = named or index
            if sorted(actual) != sorted(columns):
                return finding_for(
                    req,
                    Status.FAIL,
                    f"{req.name} is on ({', '.join(actual)}), expected ({', '.join(columns)})",
                    diffs=[Diff("columns", columns, actual)],
                    evidence=ctx.evidence(enforcing.provenance if enforcing else [], None),
                )
            if diffs := property_diffs(req.props, enforcing) + placement_diffs(
                req.props, table, req.name
            ):
                return _differs(req, ctx, req.name, diffs, enforcing)
            return finding_for(
                req,
                PASS,
                f"{label} enforced by {req.name}",
                evidence=ctx.evidence(enforcing.provenance if enforcing else [], None),
                name=req.name,
            )
        if found:
            return finding_for(
                req,
                Status.PARTIAL,
                f"{label} is enforced by {found}, not by a constraint named {req.name} (name differs)",
                diffs=[Diff("name", req.name, found)],
                evidence=_uq_evidence(ctx, table, found),
                name=found,
            )
    elif found:
        held = table.uniques.get(found) or table.indexes.get(found) or table.primary_key
        if diffs := property_diffs(req.props, held) + placement_diffs(req.props, table, found):
            return _differs(req, ctx, found, diffs, held)
        return finding_for(
            req,
            PASS,
            f"{label} enforced by {found}",
            evidence=_uq_evidence(ctx, table, found),
            name=found,
        )
    return ctx.absent(
        req, table, label, instead=nearmiss.unique_candidates(table, columns), absent_columns=absent
    )


PROPERTIES = ("deferrable", "initially_deferred", "nulls_not_distinct")


def property_diffs(props: Mapping[str, Any], enforcing: object) -> list[Diff]:
    """The stated properties the enforcing constraint or index does not have (an index and a
    primary key are never DEFERRABLE in the model; a primary key is never NULLS NOT DISTINCT)."""
    return [
        Diff(prop, props[prop], actual)
        for prop in PROPERTIES
        if prop in props and props[prop] != (actual := bool(getattr(enforcing, prop, False)))
    ] + comment_diffs(props, getattr(enforcing, "comment", None))


def placement_diffs(props: Mapping[str, Any], table: Table, name: str) -> list[Diff]:
    """The enforcing index's tablespace and CLUSTER ON against the stated ones (ALTER INDEX …
    SET TABLESPACE or CLUSTER … USING on a constraint's index PASSed init's spec before)."""
    diffs = key_clustered_diffs(dict(props), table, name)
    if "tablespace" in props and props["tablespace"] != (placed := key_tablespace(table, name)):
        diffs.insert(0, Diff("tablespace", props["tablespace"], placed))
    included = key_include(table, name)
    if "include" in props and list(props["include"] or []) != included:  # INCLUDE (cols)
        diffs.insert(0, Diff("include", props["include"], included))
    return diffs


def _differs(
    req: Requirement, ctx: AuditContext, name: str, diffs: list[Diff], enforcing: Any
) -> Finding:
    return finding_for(
        req,
        Status.FAIL,
        f"{name} differs: {describe_diffs(diffs)}",
        diffs=diffs,
        evidence=ctx.evidence(enforcing.provenance if enforcing else [], None),
        name=name,
    )


def _uq_evidence(ctx: AuditContext, table: Table, name: str):
    obj = table.uniques.get(name) or table.indexes.get(name) or table.primary_key
    return ctx.evidence(obj.provenance if obj else [], None)
