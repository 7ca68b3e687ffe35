"""Index requirements: by name, or by shape (keys, predicate, INCLUDE, uniqueness, method).

A required index that is missing by name but exists with the same shape under
another name is PARTIAL and names the index that exists (the seed's
``idx_events_tenant_timestamp`` → ``idx_attribution_events_tenant_occurred_at``).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from schema_audit import ident, model_ddl, sqlnorm
from schema_audit.audit import indexsem, nearmiss
from schema_audit.audit.context import AuditContext
from schema_audit.audit.findings import Diff, Finding, finding_for, matched_by_shape, show
from schema_audit.enums import Status
from schema_audit.model import Index, IndexKey, Table
from schema_audit.spec.model import Requirement

_KEY = re.compile(
    r"^(?P<expr>.+?)(?:\s+(?P<opclass>[A-Za-z_][A-Za-z0-9_.]*_ops))?"
    r"(?:\s+(?P<dir>ASC|DESC))?(?:\s+NULLS\s+(?P<nulls>FIRST|LAST))?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class WantedKey:
    expression: str
    is_column: bool
    descending: bool
    nulls_first: bool | None
    opclass: str | None = None  # ``data jsonb_path_ops``: the key's operator class, when given


def parse_key(text: str) -> WantedKey:
    m = _KEY.match(text.strip())
    if not m:
        return WantedKey(text.strip(), True, False, None)
    expr = m.group("expr").strip()
    opclass = (m.group("opclass") or "").lower() or None
    descending = (m.group("dir") or "").upper() == "DESC"
    nulls = m.group("nulls")
    nulls_first = None if nulls is None else nulls.upper() == "FIRST"
    if nulls_first == descending:
        nulls_first = None  # the default for the direction
    is_column = re.fullmatch(r'[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+"', expr) is not None
    if is_column:
        expr, _quoted = ident.unquote(expr)
        if _quoted:
            expr = '"' + expr.replace('"', '""') + '"'  # kept quoted: matched exactly
    return WantedKey(expr, is_column, descending, nulls_first, opclass)


def _opclass_matches(wanted: str, actual: str | None) -> bool:
    """A named operator class; one that is its type's default is stored as none."""
    if actual is None:
        return any((method, wanted) in sqlnorm.DEFAULT_OPCLASSES for method in _METHODS)
    return wanted == actual.rpartition(".")[2].lower()


_METHODS = ("btree", "hash", "gin", "gist", "spgist", "brin")


def key_matches(wanted: WantedKey, key: IndexKey, columns: Collection[str] = ()) -> bool:
    """Same expression, direction and NULLS order; the operator class too when one is asked for."""
    if wanted.descending != key.descending:
        return False
    if wanted.opclass and not _opclass_matches(wanted.opclass, key.opclass):
        return False
    if (wanted.nulls_first if wanted.nulls_first is not None else wanted.descending) != (
        key.nulls_first if key.nulls_first is not None else key.descending
    ):
        return False
    if wanted.is_column and key.is_column:
        return ident.same(wanted.expression, key.expression, columns)
    return sqlnorm.exprs_equal(wanted.expression, key.expression)


def shape_diffs(
    props: dict,
    index: Index,
    aliases: dict[str, str] | None = None,
    columns: Collection[str] = (),
) -> list[Diff]:
    """Every property of the required index the actual index does not have.

    ``aliases`` maps a missing spec column to the declared alias that exists,
    so an index the spec names by the guide's column matches the real one.
    ``columns`` are the relation's column names, so a spec key written
    unquoted matches its lower-case folding only when that is unambiguous.
    """
    diffs: list[Diff] = []
    wanted = [parse_key(c) for c in props.get("columns") or []]
    if aliases:
        wanted = [
            WantedKey(aliases[w.expression], True, w.descending, w.nulls_first, w.opclass)
            if w.is_column and w.expression in aliases
            else w
            for w in wanted
        ]
    if len(wanted) != len(index.keys) or not all(
        key_matches(w, k, columns) for w, k in zip(wanted, index.keys, strict=False)
    ):
        diffs.append(Diff("columns", props.get("columns"), [k.render() for k in index.keys]))
    if "unique" in props and bool(props["unique"]) != index.unique:
        diffs.append(Diff("unique", props["unique"], index.unique))
    if "where" in props and not sqlnorm.exprs_equal(props["where"], index.where):
        diffs.append(Diff("where", props["where"], index.where))
    if "include" in props and not (
        len(props["include"]) == len(index.include)
        and all(
            ident.same(w, a, columns) for w, a in zip(props["include"], index.include, strict=True)
        )
    ):
        diffs.append(Diff("include", props["include"], index.include))
    if "method" in props and props["method"].lower() != index.method:
        diffs.append(Diff("method", props["method"], index.method))
    return diffs


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
    shape = f"({', '.join(props['columns'])})" + (
        f" WHERE {props['where']}" if props.get("where") else ""
    )
    if props.get("include"):
        shape += f" INCLUDE ({', '.join(props['include'])})"
    label = f"index {req.name} on {rel_name}" if req.name else f"index on {rel_name} {shape}"
    aliases = ctx.column_aliases(relation)
    columns = _column_names(relation)

    if req.name and req.name in indexes:
        index = indexes[req.name]
        ddl = model_ddl.create_index(index, schema, rel_name)
        evidence = ctx.evidence(index.provenance, index.definition or ddl)
        diffs = shape_diffs(props, index, aliases, columns)
        if diffs:
            detail = "; ".join(
                f"{d.property} is {show(d.actual)}, expected {show(d.expected)}" for d in diffs
            )
            return finding_for(
                req,
                Status.FAIL,
                f"{label} differs: {detail}",
                diffs=diffs,
                evidence=evidence,
                ddl=ddl,
            )
        return finding_for(req, Status.PASS, f"{label} exists: {ddl}", evidence=evidence, ddl=ddl)

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
    return diffs


def _why_not(props: dict, index: Index, relation) -> str | None:
    """None when ``index`` satisfies a ``leading:``/``covers:`` requirement, else why not."""
    if "leading" in props:
        columns = list(props["leading"])
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
        return "; ".join(
            f"{d.property} is {show(d.actual)}, expected {show(d.expected)}" for d in extra
        )
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
            Status.PASS,
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
