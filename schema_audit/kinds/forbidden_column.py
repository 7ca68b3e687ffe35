"""Columns that must never exist anywhere in the tables it covers (personal data,
cross-session identifiers): by regular expression or exact names, with exceptions.

```yaml
forbidden_columns:
  no_raw_card_numbers: {pattern: "card_?number|pan$", except: [payments.pan_last4]}
```
"""

from __future__ import annotations

import fnmatch
import re

from schema_audit import model_ddl
from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Diff, Evidence, Finding, finding_for
from schema_audit.enums import PASS, Status
from schema_audit.kinds import requirement_kind
from schema_audit.model import SchemaModel
from schema_audit.spec.fragments import req_schema, string, strings
from schema_audit.spec.model import Requirement

SCHEMA = req_schema(
    {
        "pattern": string(
            "Regular expression (Python syntax, searched case-insensitively) over column names."
        ),
        "names": strings("Exact column names that must not exist."),
        "tables": strings("Table globs the rule covers (default: every table)."),
        "except": strings("'table.column' entries that are allowed."),
    },
    "Columns that must never exist anywhere (PII, cross-session identifiers).",
)


def recommend(f: Finding, req: Requirement | None, model: SchemaModel) -> str:
    return f"Drop or rename forbidden columns: {f.message.split(': ', 1)[-1]}"


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    return [Facet("column", "*", req.name or "*")]


@requirement_kind(
    id="forbidden_column",
    name="Forbidden column",
    title="Forbidden columns",
    group="privacy",
    hint="drop or rename the column",
    spec="forbidden_columns.<name>",
    schema=SCHEMA,
    recommend=recommend,
    facets=facets,
    facets_on_table=True,
)
def check_forbidden_column(req: Requirement, ctx: AuditContext) -> Finding:
    """No column anywhere (in the covered tables) may match the pattern or the names."""
    props = req.props
    pattern = re.compile(props["pattern"], re.IGNORECASE) if props.get("pattern") else None
    names = {n.lower() for n in props.get("names") or []}
    globs = props.get("tables") or ["*"]
    allowed = {e.lower() for e in props.get("except") or []}
    hits: list[tuple[str, str, str]] = []
    scanned = 0
    for table in ctx.model.tables.values():
        if not any(
            fnmatch.fnmatchcase(table.name, g) or fnmatch.fnmatchcase(table.qualified_name, g)
            for g in globs
        ):
            continue
        scanned += 1
        for column in table.columns.values():
            key = f"{table.name}.{column.name}".lower()
            if key in allowed:
                continue
            if column.name.lower() in names or (pattern and pattern.search(column.name)):
                hits.append((table.name, column.name, column.type))
    rule = " or ".join(
        filter(
            None,
            [
                f"/{props['pattern']}/" if props.get("pattern") else None,
                ", ".join(sorted(names)) if names else None,
            ],
        )
    )
    if hits:
        evidence = []
        for table_name, column_name, _ in hits:
            table = ctx.model.table(table_name, req.schema) or next(
                t for t in ctx.model.tables.values() if t.name == table_name
            )
            evidence += ctx.evidence(
                table.columns[column_name].provenance, model_ddl.column_line(table, column_name)
            )
        listing = ", ".join(f"{t}.{c} ({ty})" for t, c, ty in hits)
        return finding_for(
            req,
            Status.FAIL,
            f"forbidden column(s) present: {listing}",
            diffs=[Diff("columns", [], [f"{t}.{c}" for t, c, _ in hits])],
            evidence=evidence,
        )
    return finding_for(
        req,
        PASS,
        f"no column matches {rule} in {scanned} table(s)",
        evidence=[
            Evidence(source=ctx.evidence_kind(), note=f"{scanned} tables scanned for {rule}")
        ],
    )
