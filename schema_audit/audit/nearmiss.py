"""What exists instead: candidates for a missing object, each with the reason it was chosen.

This is the habit that makes the seed review useful: "idx_events_tenant_timestamp
does not exist, but idx_attribution_events_tenant_occurred_at has the same
columns". Candidates inform the reader; they never turn a FAIL into a PASS.
"""

from __future__ import annotations

import difflib
import re

from schema_audit import model_ddl, sqlnorm
from schema_audit.audit.findings import Candidate
from schema_audit.model import Table, View, qualify

MAX_CANDIDATES = 4


def _similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio()


def _tokens(name: str) -> set[str]:
    return {
        t for t in re.split(r"[_\W]+", name.lower()) if t and t not in {"id", "at", "idx", "mv"}
    }


def _base_type(type_text: str) -> str:
    return re.sub(r"\(.*\)", "", type_text).strip()


def relation_candidates(req, ctx) -> list[Candidate]:
    """Tables with a close name, then tables that exist but the spec does not require."""
    out: list[tuple[float, Candidate]] = []
    wanted = req.table or ""
    for table in ctx.model.tables.values():
        score = _similar(wanted, table.name)
        if score >= 0.75 or (
            _tokens(wanted) & _tokens(table.name)
            and table.qualified_name not in ctx.required_relations
        ):
            out.append(
                (
                    score,
                    Candidate(
                        "table",
                        table.name,
                        f"name close to {wanted} ({score:.0%} similar)"
                        if score >= 0.75
                        else f"shares '{', '.join(sorted(_tokens(wanted) & _tokens(table.name)))}' in its name and is not required by the spec",
                    ),
                )
            )
    out.sort(key=lambda pair: (-pair[0], pair[1].name))
    return [c for _, c in out[:MAX_CANDIDATES]]


def column_candidates(req, table: Table, ctx) -> list[Candidate]:
    """Declared aliases, close names, then unrequired columns of a compatible type."""
    props = req.props
    out: list[Candidate] = []
    seen: set[str] = set()
    required = set(ctx.required_columns.get(table.qualified_name, set()))
    for aliases in ctx.aliases.get(table.qualified_name, {}).values():
        required.update(aliases)  # an alias already stands in for another required column

    def add(name: str, why: str) -> None:
        if name not in seen and len(out) < MAX_CANDIDATES:
            seen.add(name)
            out.append(Candidate("column", name, why, model_ddl.column_line(table, name)))

    for alias in props.get("aliases") or []:
        if alias in table.columns:
            add(alias, "declared alias in the spec")
    wanted_type = None
    if props.get("type"):
        try:
            wanted_type = sqlnorm.canonical_type(str(props["type"]))
        except ValueError:
            wanted_type = None
    ranked = []
    for column in table.columns.values():
        if column.name in required:
            continue
        score = _similar(req.name, column.name)
        same_type = wanted_type is not None and column.type == wanted_type
        compatible = wanted_type is not None and _base_type(column.type) == _base_type(wanted_type)
        if score >= 0.6:
            ranked.append(
                (
                    0,
                    -score,
                    column.name,
                    f"name close to {req.name} ({score:.0%} similar), type {column.type}",
                )
            )
        elif same_type:
            ranked.append(
                (1, -score, column.name, f"same type {column.type}; not required by the spec")
            )
        elif compatible:
            ranked.append(
                (
                    2,
                    -score,
                    column.name,
                    f"compatible type {column.type} (expected {wanted_type}); not required by the spec",
                )
            )
    for _, _, name, why in sorted(ranked):
        add(name, why)
    if props.get("unique"):
        for cand in unique_candidates(table, [req.name]):
            if cand.name not in seen and len(out) < MAX_CANDIDATES + 2:
                seen.add(cand.name)
                out.append(cand)
    return out


def unique_candidates(table: Table, columns: list[str]) -> list[Candidate]:
    """Unique indexes or constraints that enforce uniqueness nearby: partial, composite or both."""
    out: list[Candidate] = []
    wanted = set(columns)
    for index in sorted(table.indexes.values(), key=lambda ix: ix.name):
        if not index.unique or index.primary:
            continue
        keys = set(index.column_names)
        traits = []
        if index.where:
            traits.append(f"partial (WHERE {index.where})")
        if len(keys) > 1:
            traits.append(f"composite ({', '.join(index.column_names)})")
        overlap = wanted & keys
        if overlap or not wanted & set(table.columns):
            why = "unique index " + (
                " and ".join(traits) if traits else f"on ({', '.join(index.column_names)})"
            )
            why += "; enforces uniqueness " + (
                "of " + ", ".join(sorted(overlap))
                if overlap
                else "by another key (alternative idempotency mechanism)"
            )
            out.append(
                Candidate(
                    "unique_index",
                    index.name,
                    why,
                    model_ddl.create_index(index, table.schema, table.name),
                )
            )
    return out[:MAX_CANDIDATES]


def check_candidates(table: Table, expression: str | None, columns: list[str]) -> list[Candidate]:
    """CHECKs with the same shape on another column: the same bounds, a different subject."""
    out: list[Candidate] = []
    if not expression:
        return out
    for ck in sorted(table.checks.values(), key=lambda c: c.name):
        for column in ck.columns or list(table.columns):
            for wanted in columns:
                if wanted == column:
                    continue
                rewritten = re.sub(rf"\b{re.escape(wanted)}\b", column, expression)
                if rewritten != expression and sqlnorm.exprs_equal(rewritten, ck.expression):
                    out.append(
                        Candidate(
                            "check",
                            ck.name,
                            f"same bounds on {column} instead of {wanted}",
                            f"CONSTRAINT {ck.name} {model_ddl.check_clause(ck)}",
                        )
                    )
                    break
            else:
                continue
            break
    return out[:MAX_CANDIDATES]


def fk_candidates(table: Table, columns: list[str], ref_table: str) -> list[Candidate]:
    out: list[Candidate] = []
    for fk in sorted(table.foreign_keys.values(), key=lambda f: f.name):
        if fk.ref_table == ref_table or set(fk.columns) & set(columns):
            out.append(
                Candidate(
                    "foreign_key",
                    fk.name,
                    f"references {fk.ref_table}({', '.join(fk.ref_columns)}) from ({', '.join(fk.columns)})",
                    model_ddl.fk_clause(fk),
                )
            )
    return out[:MAX_CANDIDATES]


def index_candidates(props: dict, relation: Table | View, wanted) -> list[Candidate]:
    """Indexes sharing key columns with the required one, best overlap first."""
    wanted_cols = [w.expression for w in wanted]
    ranked = []
    for index in relation.indexes.values():
        cols = index.column_names
        if cols == wanted_cols:
            why = "same key columns; differs in ordering, predicate, INCLUDE or uniqueness"
            rank = 0
        elif cols and cols == wanted_cols[: len(cols)]:
            why = f"covers the leading key column(s) {', '.join(cols)}"
            rank = 1
        elif set(cols) & set(wanted_cols):
            why = f"shares key column(s) {', '.join(c for c in cols if c in wanted_cols)}"
            rank = 2
        else:
            continue
        ranked.append((rank, -len(set(cols) & set(wanted_cols)), index.name, why, index))
    out = []
    for _, _, name, why, index in sorted(ranked)[:MAX_CANDIDATES]:
        out.append(
            Candidate(
                "index", name, why, model_ddl.create_index(index, relation.schema, relation.name)
            )
        )
    return out


def view_candidates(req, ctx) -> list[Candidate]:
    """Views of the same kind over the same base tables, then unrequired views of that kind."""
    materialized = req.kind == "materialized_view"
    wanted_deps = {d.rpartition(".")[2] for d in req.props.get("depends_on") or []}
    ranked = []
    for view in ctx.model.views.values():
        if qualify(view.schema, view.name) in ctx.required_relations:
            continue
        deps = {d.rpartition(".")[2] for d in view.depends_on}
        overlap = wanted_deps & deps
        kind = "materialized view" if view.materialized else "view"
        if overlap:
            ranked.append(
                (
                    0,
                    view.name,
                    f"{kind} over the same base table(s) {', '.join(sorted(overlap))}",
                    view,
                )
            )
        elif view.materialized == materialized:
            reads = f" over {', '.join(sorted(deps))}" if deps else ""
            ranked.append(
                (1, view.name, f"{kind}{reads}; exists but is not named in the spec", view)
            )
    return [
        Candidate(
            "materialized_view" if v.materialized else "view", name, why, model_ddl.create_view(v)
        )
        for _, name, why, v in sorted(ranked, key=lambda r: (r[0], r[1]))[:MAX_CANDIDATES]
    ]
