"""Index requirements: by name, or by shape (keys, predicate, INCLUDE, uniqueness, method).

A required index that is missing by name but exists with the same shape under
another name is PARTIAL and names the index that exists (the seed's
``idx_events_tenant_timestamp`` → ``idx_attribution_events_tenant_occurred_at``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schema_audit import sqlnorm
from schema_audit.audit import nearmiss
from schema_audit.audit.context import AuditContext
from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.model import Index, IndexKey
from schema_audit.render import ddl as render_ddl
from schema_audit.spec.model import Requirement

_KEY = re.compile(
    r"^(?P<expr>.+?)(?:\s+(?P<dir>ASC|DESC))?(?:\s+NULLS\s+(?P<nulls>FIRST|LAST))?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class WantedKey:
    expression: str
    is_column: bool
    descending: bool
    nulls_first: bool | None


def parse_key(text: str) -> WantedKey:
    m = _KEY.match(text.strip())
    if not m:
        return WantedKey(text.strip(), True, False, None)
    expr = m.group("expr").strip()
    descending = (m.group("dir") or "").upper() == "DESC"
    nulls = m.group("nulls")
    nulls_first = None if nulls is None else nulls.upper() == "FIRST"
    if nulls_first == descending:
        nulls_first = None  # the default for the direction
    is_column = re.fullmatch(r'[A-Za-z_][A-Za-z0-9_$]*|"[^"]+"', expr) is not None
    if is_column:
        expr = expr.strip('"') if expr.startswith('"') else expr.lower()
    return WantedKey(expr, is_column, descending, nulls_first)


def key_matches(wanted: WantedKey, key: IndexKey) -> bool:
    if wanted.descending != key.descending:
        return False
    if (wanted.nulls_first if wanted.nulls_first is not None else wanted.descending) != (
        key.nulls_first if key.nulls_first is not None else key.descending
    ):
        return False
    if wanted.is_column and key.is_column:
        return wanted.expression == key.expression
    return sqlnorm.exprs_equal(wanted.expression, key.expression)


def shape_diffs(props: dict, index: Index, aliases: dict[str, str] | None = None) -> list[Diff]:
    """Every property of the required index the actual index does not have.

    ``aliases`` maps a missing spec column to the declared alias that exists,
    so an index the spec names by the guide's column matches the real one.
    """
    diffs: list[Diff] = []
    wanted = [parse_key(c) for c in props.get("columns") or []]
    if aliases:
        wanted = [
            WantedKey(aliases[w.expression], True, w.descending, w.nulls_first)
            if w.is_column and w.expression in aliases
            else w
            for w in wanted
        ]
    if len(wanted) != len(index.keys) or not all(
        key_matches(w, k) for w, k in zip(wanted, index.keys, strict=False)
    ):
        diffs.append(Diff("columns", props.get("columns"), [k.render() for k in index.keys]))
    if "unique" in props and bool(props["unique"]) != index.unique:
        diffs.append(Diff("unique", props["unique"], index.unique))
    if "where" in props and not sqlnorm.exprs_equal(props["where"], index.where):
        diffs.append(Diff("where", props["where"], index.where))
    if "include" in props and list(props["include"]) != index.include:
        diffs.append(Diff("include", props["include"], index.include))
    if "method" in props and props["method"].lower() != index.method:
        diffs.append(Diff("method", props["method"], index.method))
    return diffs


def check_index(req: Requirement, ctx: AuditContext) -> Finding:
    relation = ctx.table(req) if req.parent and req.parent.startswith("tables.") else ctx.view(req)
    assert relation is not None
    indexes: dict[str, Index] = relation.indexes
    schema, rel_name = relation.schema, relation.name
    props = req.props
    shape = f"({', '.join(props['columns'])})" + (
        f" WHERE {props['where']}" if props.get("where") else ""
    )
    if props.get("include"):
        shape += f" INCLUDE ({', '.join(props['include'])})"
    label = f"index {req.name} on {rel_name}" if req.name else f"index on {rel_name} {shape}"
    aliases = ctx.column_aliases(relation)

    if req.name and req.name in indexes:
        index = indexes[req.name]
        ddl = render_ddl.create_index(index, schema, rel_name)
        evidence = ctx.evidence(index.provenance, index.definition or ddl)
        diffs = shape_diffs(props, index, aliases)
        if diffs:
            detail = "; ".join(f"{d.property} is {d.actual}, expected {d.expected}" for d in diffs)
            return finding_for(
                req, "FAIL", f"{label} differs: {detail}", diffs=diffs, evidence=evidence, ddl=ddl
            )
        return finding_for(req, "PASS", f"{label} exists: {ddl}", evidence=evidence, ddl=ddl)

    same_shape = [ix for ix in indexes.values() if not shape_diffs(props, ix, aliases)]
    if same_shape:
        index = sorted(same_shape, key=lambda ix: ix.name)[0]
        ddl = render_ddl.create_index(index, schema, rel_name)
        evidence = ctx.evidence(index.provenance, index.definition or ddl)
        if req.name:
            return finding_for(
                req,
                "PARTIAL",
                f"{label} does not exist by that name; {index.name} has the same definition (name differs)",
                diffs=[Diff("name", req.name, index.name)],
                evidence=evidence,
                ddl=ddl,
                instead=[
                    nearmiss.Candidate(
                        "index",
                        index.name,
                        "same key columns, predicate and INCLUDE; name differs",
                        ddl,
                    )
                ],
            )
        return finding_for(
            req,
            "PASS",
            f"{label} exists as {index.name}",
            evidence=evidence,
            ddl=ddl,
            name=index.name,
        )

    wanted_columns = [parse_key(c) for c in props["columns"]]
    names = _column_names(relation)
    absent = [w.expression for w in wanted_columns if w.is_column and w.expression not in names]
    absent += [c for c in props.get("include") or [] if c not in names]
    return ctx.absent(
        req,
        relation,
        label,
        instead=nearmiss.index_candidates(props, relation, wanted_columns),
        absent_columns=absent,
    )


def _column_names(relation) -> set[str]:  # type: ignore[no-untyped-def]
    columns = relation.columns
    if isinstance(columns, dict):
        return set(columns)
    return {c.name for c in columns}
