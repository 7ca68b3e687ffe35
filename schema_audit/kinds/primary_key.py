"""The table's primary key: on exactly these columns, or (``required``) any.

```yaml
tables:
  invoices:
    primary_key: [tenant_id, id]   # or: primary_key: required
  items:
    primary_key:                   # what `init` writes: the constraint's name and COMMENT too
      name: items_pk
      columns: [id]
      comment: the key
```

The mapping form holds the constraint's name (``RENAME CONSTRAINT`` after ``init`` passed
before) and its COMMENT (null = none); ``strict.tables`` holds a comment the entry does not
state to none, as it does the table's own.
"""

from __future__ import annotations

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import CONSTRAINT_INDEXES, Facet
from schema_audit.audit.findings import Diff, Finding, finding_for, missing
from schema_audit.enums import PASS, Status
from schema_audit.kinds import requirement_kind
from schema_audit.kinds._common import COMMENT_PROP, comment_diffs
from schema_audit.model import PrimaryKey, Table, qualify
from schema_audit.spec.fragments import obj, string, strings
from schema_audit.spec.model import Requirement

PRIMARY_KEY_MAPPING = obj(
    {
        "columns": strings("Primary-key columns, in key order."),
        "name": string("The constraint's name (`items_pkey`)."),
        "comment": COMMENT_PROP,
        "include": strings(
            "PRIMARY KEY (…) INCLUDE (these): its index's non-key columns, in order; compared "
            "when stated ([] = none)."
        ),
        "tablespace": string(
            "Its index's tablespace (USING INDEX TABLESPACE, ALTER INDEX … SET TABLESPACE; "
            "pg_default: the database's default); compared when stated."
        ),
        "clustered": {
            "type": "boolean",
            "description": "true = its index is the table's CLUSTER index (CLUSTER … USING, "
            "ALTER TABLE … CLUSTER ON); compared when stated.",
        },
    },
    "The primary key with its constraint name, COMMENT, index tablespace and CLUSTER ON "
    "(what `init` writes).",
    ["columns"],
)


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    target = qualify(req.schema, req.table) if req.table else "*"
    return [Facet(k, target) for k in CONSTRAINT_INDEXES]


@requirement_kind(
    id="primary_key",
    name="Primary key",
    title="Primary keys",
    group="constraints",
    hint="ALTER TABLE … ADD PRIMARY KEY",
    spec="tables.<table>.primary_key",
    facets=facets,
    facets_on_table=True,
)
def check_primary_key(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    assert table is not None
    expected = req.props["columns"]
    pk = table.primary_key
    if pk is None:
        return finding_for(
            req,
            Status.FAIL,
            f"table {table.name} has no primary key",
            diffs=[missing()],
            evidence=ctx.absence_evidence(table, "primary key"),
            name="primary key",
        )
    ddl = f"CONSTRAINT {pk.name} PRIMARY KEY ({', '.join(pk.columns)})"
    diffs = []
    if expected is not None and pk.columns != expected:  # None: `primary_key: required`
        diffs.append(Diff("columns", expected, pk.columns))
    if "name" in req.props and req.props["name"] != pk.name:
        diffs.append(Diff("name", req.props["name"], pk.name))
    diffs += comment_diffs(req.props, pk.comment)
    if "include" in req.props and list(req.props["include"] or []) != key_include(table, pk.name):
        diffs.append(Diff("include", req.props["include"], key_include(table, pk.name)))
    placed = key_tablespace(table, pk.name)
    if "tablespace" in req.props and req.props["tablespace"] != placed:
        diffs.append(Diff("tablespace", req.props["tablespace"], placed))
    diffs += key_clustered_diffs(req.props, table, pk.name)
    if diffs:
        return finding_for(
            req,
            Status.FAIL,
            f"primary key of {table.name} is {_described(pk, req, table)}, expected {_described_req(req)}",
            diffs=diffs,
            evidence=ctx.evidence(pk.provenance, ddl),
            ddl=ddl,
            name=pk.name,
        )
    return finding_for(
        req,
        PASS,
        f"primary key {pk.name} on {table.name} ({', '.join(pk.columns)})",
        evidence=ctx.evidence(pk.provenance, ddl),
        ddl=ddl,
        name=pk.name,
    )


def key_include(table: Table, name: str) -> list[str]:
    """The INCLUDE columns of the index backing constraint ``name`` (a PRIMARY KEY's or
    UNIQUE's INCLUDE dropped or changed after init PASSed its spec before: a false PASS)."""
    index = table.indexes.get(name)
    return list(index.include) if index is not None else []


def key_tablespace(table: Table, name: str) -> str:
    """The tablespace of the index backing constraint ``name`` (pg_default: the default)."""
    index = table.indexes.get(name)
    return (index.tablespace if index is not None else None) or "pg_default"


def key_clustered_diffs(props: dict, table: Table, name: str) -> list[Diff]:
    """CLUSTER ON of the index backing constraint ``name`` against a stated ``clustered``."""
    index = table.indexes.get(name)
    clustered = index is not None and index.clustered
    if "clustered" in props and bool(props["clustered"]) != clustered:
        return [Diff("clustered", props["clustered"], clustered)]
    return []


def _described(pk: PrimaryKey, req: Requirement, table: Table) -> str:
    """``(id)``, with the name and COMMENT before and after when the requirement states
    them: the actual side of the FAIL message, in the requirement's terms."""
    text = f"({', '.join(pk.columns)})"
    if "name" in req.props:
        text = f"{pk.name} {text}"
    if "comment" in req.props:
        text += f" COMMENT {pk.comment!r}" if pk.comment else " no COMMENT"
    if "include" in req.props:
        text += f" INCLUDE ({', '.join(key_include(table, pk.name))})"
    if "tablespace" in req.props:
        text += f" TABLESPACE {key_tablespace(table, pk.name)}"
    if "clustered" in req.props:
        index = table.indexes.get(pk.name)
        text += " CLUSTER ON" if index is not None and index.clustered else " not CLUSTER ON"
    return text


def _described_req(req: Requirement) -> str:
    """The requirement's side of the message: what it states, in the same order."""
    columns = req.props["columns"]
    text = f"({', '.join(columns)})" if columns is not None else "(any columns)"
    if "name" in req.props:
        text = f"{req.props['name']} {text}"
    if "comment" in req.props:
        text += f" COMMENT {req.props['comment']!r}" if req.props["comment"] else " no COMMENT"
    if "include" in req.props:
        text += f" INCLUDE ({', '.join(req.props['include'] or [])})"
    if "tablespace" in req.props:
        text += f" TABLESPACE {req.props['tablespace']}"
    if "clustered" in req.props:
        text += " CLUSTER ON" if req.props["clustered"] else " not CLUSTER ON"
    return text
