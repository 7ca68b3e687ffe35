"""Strict mode for the set of sequences: a sequence in the covered schemas that no
``sequences:`` entry requires FAILs (``CREATE SEQUENCE`` after ``init`` passed its "exactly"
spec: the other strict sets cover relations and functions only).

A sequence behind an identity column is not counted: a history creates it implicitly and
the column's ``identity`` is required instead (``init`` writes no entry for it); nor is the
serial sequence of a table ``allow:`` names (a migration runner's bookkeeping table).

```yaml
strict:
  sequences: true
  schemas: [public, billing]
  allow: [legacy_counter]
```
"""

from __future__ import annotations

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet, in_schemas
from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.enums import PASS, Status
from schema_audit.kinds import requirement_kind
from schema_audit.model import SchemaModel, Sequence, qualify, quote_ident
from schema_audit.spec.model import Requirement


def behind_identity(model: SchemaModel, sequence: Sequence) -> bool:
    """A sequence behind an identity column: a history creates it implicitly (the static
    reader does not model it) and the column's identity is required instead."""
    table_name, _, column = (sequence.owned_by or "").partition(".")
    table = model.tables.get(f"{quote_ident(sequence.schema)}.{quote_ident(table_name)}")
    col = table.columns.get(column) if table is not None else None
    return col is not None and bool(col.identity)


def _of_allowed_table(sequence: Sequence, allowed: set[str]) -> bool:
    """A serial sequence of a table ``allow:`` accepts (goose's ``goose_db_version.id``: a
    migration runner's bookkeeping table a history never creates)."""
    table = (sequence.owned_by or "").partition(".")[0]
    return bool(table) and qualify(sequence.schema, table) in allowed


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    return [Facet("sequence", schemas=in_schemas(req))]


@requirement_kind(
    id="strict_sequences",
    name="Exactly these sequences",
    title="Unexpected sequences",
    group="strict",
    hint="drop the sequence, or require it (or allow: it) in the spec",
    spec="strict.sequences",
    last=True,
    facets=facets,
)
def check_strict_sequences(req: Requirement, ctx: AuditContext) -> Finding:
    spec, model = ctx.spec, ctx.model
    entries = [r for r in ctx.of_kind("sequence") if not r.id.startswith("match.")]
    required = {qualify(r.schema, r.name or "") for r in entries}
    allowed = {
        qualify(spec.default_schema, a) if "." not in a else a
        for a in (str(item) for item in req.props.get("allow") or [])
    }
    schemas = set(req.props["schemas"])
    extra = sorted(
        key
        for key, sequence in model.sequences.items()
        if sequence.schema in schemas
        and key not in required
        and key not in allowed
        and qualify(sequence.schema, sequence.name) not in allowed
        and not behind_identity(model, sequence)
        and not _of_allowed_table(sequence, allowed)
    )
    # a listed sequence's COMMENT its entry does not state (COMMENT ON SEQUENCE after init)
    commented = sorted(
        key
        for r in entries
        if "comment" not in r.props
        and (sequence := model.sequences.get(key := qualify(r.schema, r.name or ""))) is not None
        and sequence.schema in schemas
        and sequence.comment
    )
    if extra or commented:
        parts = [f"sequences the spec does not require: {', '.join(extra)}"] if extra else []
        if commented:
            parts.append(f"a COMMENT no entry states on {', '.join(commented)}")
        diffs = [Diff("sequences", "only the required ones", extra)] if extra else []
        if commented:
            diffs.append(Diff("sequence comments", "only the stated ones", commented))
        return finding_for(req, Status.FAIL, "; ".join(parts), diffs=diffs, name="sequences")
    return finding_for(
        req,
        PASS,
        f"exactly the required sequences in {', '.join(sorted(schemas))}",
        name="sequences",
    )
