"""Strict mode for the set of tables: a table in the covered schemas that no
``tables:`` entry requires FAILs (a selector's match does not count as requiring it).

```yaml
strict:
  tables: true
  schemas: [public, billing]
  allow: [alembic_version]
```
"""

from __future__ import annotations

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet, in_schemas
from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.enums import PASS, Status
from schema_audit.kinds import requirement_kind
from schema_audit.kinds._unrequired import unrequired
from schema_audit.kinds.table import unstated_properties
from schema_audit.model import qualify
from schema_audit.spec.model import Requirement


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads: which tables exist, and each listed one's unstated
    properties (a partition bound computed by an expression, or toast.* options of a table
    that may have no TOAST table, are not known statically), in the schemas it covers only."""
    schemas = in_schemas(req)
    return [
        Facet("exists", schemas=schemas),
        Facet("partition_bound", schemas=schemas),
        Facet("options", schemas=schemas),
    ]


@requirement_kind(
    id="strict_tables",
    name="Exactly these tables",
    title="Unexpected tables",
    group="strict",
    hint="drop the table, or require it (or allow: it) in the spec",
    spec="strict.tables",
    last=True,
    facets=facets,
    facets_on_table=True,
)
def check_strict_tables(req: Requirement, ctx: AuditContext) -> Finding:
    model = ctx.model
    extra, schemas = unrequired(req, ctx, ("table",), model.tables)
    if extra:
        return finding_for(
            req,
            Status.FAIL,
            f"tables the spec does not require: {', '.join(extra)}",
            diffs=[Diff("tables", "only the required ones", extra)],
            name="tables",
        )
    # a listed table that became a partition (ATTACH PARTITION) where its entry does not say so
    attached = sorted(
        f"{k} (partition of {t.partition_of})"
        for r in ctx.of_kind("table")
        if not r.id.startswith("match.") and "partition_of" not in r.props
        for k in [qualify(r.schema, r.table or "")]
        if (t := model.tables.get(k)) is not None and t.schema in schemas and t.partition_of
    )
    if attached:
        return finding_for(
            req,
            Status.FAIL,
            f"tables that are partitions where the spec does not say so: {', '.join(attached)}",
            diffs=[Diff("partition_of", "as the spec states", attached)],
            name="tables",
        )
    # a listed table given a comment, a replica identity or a partition key its entry does
    # not state
    unstated = sorted(
        f"{k} ({', '.join(extras)})"
        for r in ctx.of_kind("table")
        if not r.id.startswith("match.")
        for k in [qualify(r.schema, r.table or "")]
        if (t := model.tables.get(k)) is not None
        and t.schema in schemas
        and (extras := unstated_properties(t, r.props))
    )
    if unstated:
        return finding_for(
            req,
            Status.FAIL,
            f"tables with properties the spec does not state: {', '.join(unstated)}",
            diffs=[Diff("table definitions", "only what the entries state", unstated)],
            name="tables",
        )
    return finding_for(
        req,
        PASS,
        f"exactly the required tables in {', '.join(sorted(schemas))}",
        name="tables",
    )
