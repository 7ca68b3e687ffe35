"""A foreign key: its columns, the table and columns it references, ON DELETE /
ON UPDATE actions, deferrability, MATCH type and whether it is validated.

```yaml
tables:
  invoices:
    foreign_keys:
      - {columns: [customer_id], references: customers(id), on_delete: RESTRICT}
```

Without a name it is matched by its columns; named, one with the same columns under
another name is PARTIAL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schema_audit import model_ddl
from schema_audit.audit import nearmiss
from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import (
    Diff,
    Evidence,
    Finding,
    describe_diffs,
    finding_for,
    lazy_finding,
)
from schema_audit.audit.tables import parse_reference, show_scalar
from schema_audit.enums import PASS, ReferentialAction, Status
from schema_audit.kinds import requirement_kind
from schema_audit.kinds._common import COMMENT_PROP, columns_label, comment_diffs, diff_of, exists
from schema_audit.model import ForeignKey, SchemaModel, Table, qualify
from schema_audit.spec.fragments import REF_ACTIONS, req_schema, string, strings
from schema_audit.spec.model import Requirement

SCHEMA = req_schema(
    {
        "name": string("Constraint name; without it the FK is matched by its columns."),
        "columns": strings("Referencing columns."),
        "references": string("'table(col, …)' or 'schema.table(col, …)'."),
        "on_delete": {"enum": REF_ACTIONS},
        "on_update": {"enum": REF_ACTIONS},
        "deferrable": {"type": "boolean"},
        "initially_deferred": {
            "type": "boolean",
            "description": "true = INITIALLY DEFERRED (checked at commit by default).",
        },
        "match": {"enum": ["SIMPLE", "FULL"], "description": "MATCH FULL or SIMPLE (default)."},
        "validated": {
            "type": "boolean",
            "description": "false = NOT VALID (existing rows were never checked).",
        },
        "comment": COMMENT_PROP,
        "on_delete_columns": strings(
            "ON DELETE SET NULL / SET DEFAULT (these columns) (PostgreSQL 15): the only columns "
            "the action sets ([] = every referencing column); compared when stated."
        ),
    },
    "A foreign-key requirement.",
    ["columns", "references"],
)


def recommend(f: Finding, req: Requirement | None, model: SchemaModel) -> str:
    props = req.props if req else {}
    if not exists(f):
        return f"Add foreign key {f.table or ''}({', '.join(props.get('columns', []))}) REFERENCES {props.get('references')}"
    if d := diff_of(f, "on_delete"):
        return f"Recreate {f.name} with ON DELETE {d.expected} (now {d.actual})"
    return f"Fix foreign key {f.name}: {f.message}"


def label(item: Mapping[str, Any], index: int) -> str:
    return columns_label(item) or f"foreign_key_{index}"


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    target = qualify(req.schema, req.table) if req.table else "*"
    return [Facet(req.kind, target)]


@requirement_kind(
    id="foreign_key",
    name="Foreign key",
    title="Foreign keys",
    group="constraints",
    hint="ALTER TABLE … ADD CONSTRAINT … FOREIGN KEY (or recreate it with the right action)",
    spec="tables.<table>.foreign_keys[]",
    schema=SCHEMA,
    recommend=recommend,
    label=label,
    strict="foreign_keys",
    facets=facets,
    facets_on_table=True,
)
def check_foreign_key(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    assert table is not None
    props = req.props
    columns = props["columns"]
    ref_schema, ref_table, ref_columns = parse_reference(
        props["references"], ctx.spec.default_schema
    )
    if not ref_columns:
        ref = ctx.model.tables.get(qualify(ref_schema, ref_table))
        ref_columns = ref.primary_key.columns if ref and ref.primary_key else ["id"]
    label = (
        f"FOREIGN KEY {table.name}({', '.join(columns)}) → {ref_table}({', '.join(ref_columns)})"
    )
    candidates = [fk for fk in table.foreign_keys.values() if fk.columns == columns]
    fk: ForeignKey | None = None
    name_differs = False
    if req.name:
        fk = table.foreign_keys.get(req.name)
        if fk is None and candidates:
            fk, name_differs = candidates[0], True
    elif candidates:
        same_target = [c for c in candidates if c.ref_table == ref_table]
        fk = (same_target or candidates)[0]
    if fk is None:
        absent = [c for c in columns if c not in table.columns]
        ref_missing = ctx.model.tables.get(qualify(ref_schema, ref_table)) is None
        return ctx.absent(
            req,
            table,
            label,
            instead=nearmiss.fk_candidates(table, columns, ref_table),
            absent_columns=absent,
            note=f" (table {ref_table} missing)" if ref_missing else "",
        )
    diffs: list[Diff] = []
    if (fk.ref_schema, fk.ref_table) != (ref_schema, ref_table):
        diffs.append(
            Diff("references", f"{ref_schema}.{ref_table}", f"{fk.ref_schema}.{fk.ref_table}")
        )
    # no referenced columns: a static reading of `REFERENCES t` where the history never creates t
    # (auth.users on Supabase), so its key is unknown (a blind spot says so): not a difference
    unknown_key = not fk.ref_columns
    if fk.ref_columns != ref_columns and not unknown_key:
        diffs.append(Diff("ref_columns", ref_columns, fk.ref_columns))
    if fk.columns != columns:
        diffs.append(Diff("columns", columns, fk.columns))
    for prop in ("on_delete", "on_update"):
        if prop in props and props[prop] != getattr(fk, prop):
            diffs.append(Diff(prop, props[prop], getattr(fk, prop)))
    for prop in ("deferrable", "initially_deferred", "match", "validated"):
        if prop in props and props[prop] != getattr(fk, prop):
            diffs.append(Diff(prop, props[prop], getattr(fk, prop)))
    # SET NULL (a) and SET NULL (every column) PASSed each other before (a false PASS)
    if "on_delete_columns" in props and list(props["on_delete_columns"] or []) != (
        fk.on_delete_columns
    ):
        diffs.append(Diff("on_delete_columns", props["on_delete_columns"], fk.on_delete_columns))
    diffs += comment_diffs(props, fk.comment)
    if not diffs and not unknown_key and not name_differs:
        on_delete = (
            f" ON DELETE {fk.on_delete}" if fk.on_delete != ReferentialAction.NO_ACTION else ""
        )
        message = f"{fk.name}: {label}{on_delete}"
        return lazy_finding(req, PASS, _pass_text, ctx, table, fk, message, name=fk.name)
    ddl, evidence = _ddl_evidence(ctx, table, fk)
    if diffs:
        detail = describe_diffs(diffs, show_scalar)
        return finding_for(
            req,
            Status.FAIL,
            f"{fk.name} differs: {detail}",
            diffs=diffs,
            evidence=evidence,
            ddl=ddl,
            name=fk.name,
        )
    if unknown_key:
        return finding_for(
            req,
            Status.DEFERRED,
            f"{fk.name}: {label}, but {fk.ref_table} is not created by this history, so the "
            "columns it references are not known (replay with --replay to settle it)",
            evidence=evidence,
            ddl=ddl,
            name=fk.name,
        )
    # name_differs: found by its columns under another name
    return finding_for(
        req,
        Status.PARTIAL,
        f"{label} exists as {fk.name} (name differs from {req.name})",
        diffs=[Diff("name", req.name, fk.name)],
        evidence=evidence,
        ddl=ddl,
        name=fk.name,
    )


def _ddl_evidence(ctx: AuditContext, table: Table, fk: ForeignKey) -> tuple[str, list[Evidence]]:
    """The foreign key as ALTER TABLE … ADD CONSTRAINT, and where it was made."""
    ddl = f"ALTER TABLE {table.name} ADD CONSTRAINT {fk.name} {model_ddl.fk_clause(fk)};"
    return ddl, ctx.evidence(fk.provenance, ddl)


def _pass_text(
    ctx: AuditContext, table: Table, fk: ForeignKey, message: str
) -> tuple[str, list[Evidence], str]:
    """A PASS's message, evidence and DDL (the last two worked out when a report reads them)."""
    ddl, evidence = _ddl_evidence(ctx, table, fk)
    return message, evidence, ddl
