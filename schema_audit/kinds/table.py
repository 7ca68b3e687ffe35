"""A table that must exist, with its comment and storage options.

```yaml
tables:
  invoices:
    comment: one row per issued invoice
    replica_identity: full       # default, full, nothing or 'index <name>'
    partition_of: invoices_all   # a partition of that table (DETACH FAILs)
    options: {fillfactor: 70}
    tablespace: fast_ssd         # TABLESPACE (default: pg_default)
    access_method: heap2         # USING (default: heap)
    owner: billing_owner   # DEFERRED when a migration history does not name the owner
```

A partitioned table's ``partition_key`` is compared as ``pg_get_partkeydef`` prints it
(``RANGE (occurred_at)``), spacing aside. Under ``strict: {tables: true}`` a listed table
with a comment, a replica identity other than DEFAULT or a partition key its entry does
not state FAILs ``strict.tables`` (``init`` writes each).

Its columns, constraints, indexes, RLS, policies, triggers and privileges are
requirements of their own kinds, each the child of this one: when the table is
missing they are NOT_APPLICABLE (one FAIL for the table, not a cascade).
"""

from __future__ import annotations

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
    missing,
)
from schema_audit.audit.options import option_diffs
from schema_audit.audit.tables import show_scalar
from schema_audit.boundtext import same_bound, same_partition_key
from schema_audit.enums import PASS, Status
from schema_audit.kinds import _acl, requirement_kind
from schema_audit.model import SchemaModel, Table, qualify
from schema_audit.spec.model import Requirement


def same_parent(expected: str, actual: str | None, default_schema: str) -> bool:
    """Whether the model's parent key (``schema.name``: quoted where PostgreSQL needs it when
    read from files, bare from the catalog) is the spec's ``partition_of`` (``parent`` in the
    default schema, or ``schema.parent``)."""
    if actual is None:
        return False
    schema, _, name = expected.partition(".") if "." in expected else ("", "", expected)
    schema = schema or default_schema
    return actual in (qualify(schema, name), f"{schema}.{name}")


def _same_parents(expected: list[str], actual: list[str], default_schema: str) -> bool:
    """An entry's ``inherits:`` against the table's INHERITS parents, one by one in order
    (NO INHERIT / INHERIT after init PASSed its spec before: a false PASS)."""
    return len(expected) == len(actual) and all(
        same_parent(str(e), a, default_schema) for e, a in zip(expected, actual, strict=True)
    )


def _listed(parents: list[str]) -> str:
    return f"({', '.join(parents)})" if parents else "nothing"


# what a relation without TABLESPACE / USING has (reltablespace 0, relam heap)
DEFAULT_TABLESPACE = "pg_default"
DEFAULT_ACCESS_METHOD = "heap"


def _same_identity(expected: str, actual: str | None) -> bool:
    """A replica identity: the keyword case-insensitively, an index name as written."""
    kind, _, index = expected.strip().partition(" ")
    have, _, have_index = (actual or "default").partition(" ")
    return kind.lower() == have and index.strip() == have_index


def unstated_properties(table: Table, props: dict) -> list[str]:
    """What ``strict.tables`` holds a listed table to when its entry does not state it: no
    comment, REPLICA IDENTITY DEFAULT, no partition key, no storage parameter, not UNLOGGED,
    no comment on its primary key, the default tablespace and access method (``init`` writes
    each it sees)."""
    out = [
        text
        for key, present, text in (
            ("comment", bool(table.comment), "COMMENT"),
            (
                "replica_identity",
                table.replica_identity != "default",
                f"REPLICA IDENTITY {table.replica_identity.upper().replace('INDEX ', 'USING INDEX ')}",
            ),
            ("partition_key", bool(table.partition_key), f"PARTITION BY {table.partition_key}"),
            ("partition_bound", bool(table.partition_bound), f"{table.partition_bound}"),
            ("tablespace", bool(table.tablespace), f"TABLESPACE {table.tablespace}"),
            ("access_method", bool(table.access_method), f"USING {table.access_method}"),
            ("inherits", bool(table.inherits), f"INHERITS ({', '.join(table.inherits)})"),
        )
        if present and key not in props
    ]
    if table.options or table.unlogged:
        out += unstated_options(table.options, props, table.unlogged)
    pk = table.primary_key
    stated = props.get("primary_key")
    stated = stated if isinstance(stated, dict) else {}
    if pk is not None and pk.comment and "comment" not in stated:
        out.append(f"COMMENT ON CONSTRAINT {pk.name}")  # as the table's own COMMENT
    key_index = table.indexes.get(pk.name) if pk is not None else None
    if key_index is not None and key_index.include and "include" not in stated:
        out.append(f"INCLUDE ({', '.join(key_index.include)}) of {key_index.name}")
    if key_index is not None and key_index.tablespace and "tablespace" not in stated:
        out.append(f"TABLESPACE {key_index.tablespace} of {key_index.name}")  # SET TABLESPACE
    if key_index is not None and key_index.clustered and "clustered" not in stated:
        out.append(f"CLUSTER ON {key_index.name}")  # CLUSTER … USING its primary key
    return out + _unstated_unique_placement(table, props.get("unique"))


def _unstated_unique_placement(table: Table, entries: object) -> list[str]:
    """A UNIQUE constraint's index moved to a tablespace, made the CLUSTER index or given
    INCLUDE columns where its entry (matched by name) does not say so: init writes each, so
    strict.tables holds them."""
    stated = (
        {e.get("name"): e for e in entries if isinstance(e, dict)}
        if isinstance(entries, list)
        else {}
    )
    out: list[str] = []
    for name in table.uniques:
        index = table.indexes.get(name)
        entry = stated.get(name)
        if index is None or entry is None:
            continue
        if index.tablespace and "tablespace" not in entry:
            out.append(f"TABLESPACE {index.tablespace} of {name}")
        if index.include and "include" not in entry:  # UNIQUE (…) INCLUDE (…)
            out.append(f"INCLUDE ({', '.join(index.include)}) of {name}")
        if index.clustered and "clustered" not in entry:
            out.append(f"CLUSTER ON {name}")
    return out


def unstated_options(options: dict[str, str], props: dict, unlogged: bool = False) -> list[str]:
    """``WITH (name=value)`` for each storage parameter (or view option) the entry's
    ``options:`` does not state, and ``UNLOGGED`` for an unlogged table whose entry does not
    say ``unlogged``."""
    stated = props.get("options")
    stated = stated if isinstance(stated, dict) else {}
    out = [f"WITH ({name}={value})" for name, value in options.items() if name not in stated]
    if unlogged and "unlogged" not in stated:
        out.append("UNLOGGED")
    return out


def recommend(f: Finding, req: Requirement | None, model: SchemaModel) -> str:
    """Create a missing table; an existing one only needs ALTER (owner, comment, options)."""
    name = f.table or ""
    if any(d.property == "exists" for d in f.diffs) or not f.diffs:
        return f"Create table {name} (or update the guide if the design deliberately dropped it)"
    what = ", ".join(sorted({d.property for d in f.diffs}))
    return (
        f"ALTER TABLE {name} to match the spec ({what}), or update the spec if the design changed"
    )


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    target = qualify(req.schema, req.table) if req.table else "*"
    return [
        Facet("exists", target),
        Facet("owner", target),
        Facet("partition_bound", target),
        Facet("options", target),
    ]


@requirement_kind(
    id="table",
    name="Required table",
    title="Tables",
    group="tables",
    hint="create the table, or ALTER it (owner, comment, storage options), in a new migration "
    "(or update the spec if the design changed)",
    spec="tables.<table>",
    recommend=recommend,
    facets=facets,
    facets_on_table=True,
)
def check_table(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    label = qualify(req.schema, req.table or "")
    if table is None:
        return finding_for(
            req,
            Status.FAIL,
            f"table {label} does not exist",
            diffs=[missing()],
            evidence=ctx.absence_evidence(None, f"table {label}"),
            instead=nearmiss.relation_candidates(req, ctx),
        )
    details: list[str] = []  # each difference, worded; any makes the finding FAIL
    diffs: list[Diff] = []
    comment = req.props.get("comment")
    if comment is not None and (table.comment or "") != comment:
        details.append("comment differs")
        diffs.append(Diff("comment", comment, table.comment))
    optional = option_diffs(req.props.get("options") or {}, table.options, table.unlogged)
    if optional:
        details.append(describe_diffs(optional, show_scalar))
        diffs += optional
    for prop, actual, same in (
        ("replica_identity", table.replica_identity, _same_identity),
        ("partition_key", table.partition_key, same_partition_key),
        ("partition_bound", table.partition_bound, same_bound),
        ("tablespace", table.tablespace or DEFAULT_TABLESPACE, str.__eq__),
        ("access_method", table.access_method or DEFAULT_ACCESS_METHOD, str.__eq__),
    ):
        expected = req.props.get(prop)
        if expected is not None and not same(str(expected), actual):
            details.append(f"{prop} is {actual or 'none'}, expected {expected}")
            diffs.append(Diff(prop, expected, actual))
    parents = req.props.get("inherits")
    if parents is not None and not _same_parents(parents, table.inherits, ctx.spec.default_schema):
        details.append(f"inherits {_listed(table.inherits)}, expected {_listed(parents)}")
        diffs.append(Diff("inherits", parents, table.inherits))
    parent = req.props.get("partition_of")
    if parent is not None and not same_parent(parent, table.partition_of, ctx.spec.default_schema):
        details.append(f"partition of {table.partition_of or 'nothing'}, expected {parent}")
        diffs.append(Diff("partition_of", parent, table.partition_of))
    owner, unknown_owner = _acl.owner_diff(req.props.get("owner"), table.owner)
    if owner is not None:
        details.append(f"owner is {table.owner}, expected {owner.expected}")
        diffs.append(owner)
    if details:
        status, message = Status.FAIL, f"table {label}: {'; '.join(details)}"
    elif unknown_owner:
        status = Status.DEFERRED
        message = f"table {label} exists; owner {req.props['owner']} cannot be decided: {_acl.UNKNOWN_OWNER}"
    else:
        status, message = PASS, f"table {label} exists"
    if status != Status.FAIL:  # (no diff: a PASS, or DEFERRED on its owner alone)
        return lazy_finding(req, status, _text, ctx, table, message)
    message, evidence, ddl = _text(ctx, table, message)
    return finding_for(req, status, message, diffs=diffs, evidence=evidence, ddl=ddl)


def _text(ctx: AuditContext, table: Table, message: str) -> tuple[str, list[Evidence], str]:
    """The finding's message, evidence and DDL (a PASS's, or one DEFERRED on its owner,
    when a report first reads them)."""
    ddl = ctx.table_ddl(table)
    return message, ctx.evidence(table.provenance, ddl), ddl
