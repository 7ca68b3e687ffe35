"""Checks of tables, columns and table constraints (PK, UNIQUE, CHECK, FOREIGN KEY)."""

from __future__ import annotations

import re

from schema_audit import model_ddl, sqlnorm
from schema_audit.audit import nearmiss
from schema_audit.audit.context import AuditContext
from schema_audit.audit.findings import Diff, Finding, finding_for, missing
from schema_audit.audit.options import option_diffs
from schema_audit.enums import ReferentialAction, Status
from schema_audit.model import ForeignKey, Table, qualify
from schema_audit.spec.model import Requirement


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
    ddl = model_ddl.create_table(table)
    status, message = Status.PASS, f"table {label} exists"
    diffs: list[Diff] = []
    comment = req.props.get("comment")
    if comment is not None and (table.comment or "") != comment:
        status, message = Status.FAIL, f"table {label}: comment differs"
        diffs.append(Diff("comment", comment, table.comment))
    optional = option_diffs(req.props.get("options") or {}, table.options, table.unlogged)
    if optional:
        detail = "; ".join(
            f"{d.property} is {_show(d.actual)}, expected {_show(d.expected)}" for d in optional
        )
        message = f"{message}; {detail}" if status == Status.FAIL else f"table {label}: {detail}"
        status = Status.FAIL
        diffs += optional
    return finding_for(
        req,
        status,
        message,
        diffs=diffs,
        evidence=ctx.evidence(table.provenance, ddl),
        ddl=ddl,
    )


def check_absent_table(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    label = qualify(req.schema, req.table or "")
    if table is None:
        return finding_for(req, Status.PASS, f"table {label} does not exist, as required")
    return finding_for(
        req,
        Status.FAIL,
        f"table {label} exists but must not",
        diffs=[Diff("exists", False, True)],
        evidence=ctx.evidence(table.provenance, model_ddl.create_table(table)),
        ddl=model_ddl.create_table(table),
    )


_MIXED_CASE_WORD = re.compile(r'(?<![\w"$.])((?=[\w$]*[A-Z])[A-Za-z_][\w$]*)(?![\w"$])')


def _types_equal(expected: str, actual: str, model=None) -> bool:
    """Same type; a spec may write a mixed-case type name unquoted (``ApiTokenAlgorithm``).

    The name as written is what PostgreSQL stores (exact first); PostgreSQL's lower-case
    folding of it is accepted only when no type of the model carries the name as written.
    """
    try:
        want, have = sqlnorm.canonical_type(expected), sqlnorm.canonical_type(actual)
    except ValueError:
        return " ".join(expected.lower().split()) == " ".join(actual.lower().split())
    exact = _MIXED_CASE_WORD.sub(lambda m: f'"{m.group(1)}"', expected)
    if exact != expected:
        try:
            exact_type = sqlnorm.canonical_type(exact)
        except ValueError:
            exact_type = want
        if exact_type == have:
            return True
        if model is not None and exact_type.removesuffix("[]") in _type_names(model):
            return False  # the name as written exists: it is the one meant
    return want == have


def _type_names(model) -> frozenset[str]:
    """Canonical spellings of the model's own types (enums), for the ambiguity rule above."""
    out = set()
    for enum in model.enums.values():
        try:
            out.add(sqlnorm.canonical_type(qualify(enum.schema, enum.name)))
        except ValueError:
            continue
    return frozenset(out)


def _default_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_column(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    assert table is not None  # the engine marks children of a missing table NOT_APPLICABLE
    label = f"{table.name}.{req.name}"
    column = table.columns.get(req.name or "")
    alias = next((a for a in req.props.get("aliases") or [] if a in table.columns), None)
    if column is None and alias is not None:
        line = model_ddl.column_line(table, alias)
        return finding_for(
            req,
            Status.PARTIAL,
            f"column {label} does not exist; the spec accepts its alias {table.name}.{alias} ({line})",
            diffs=[Diff("name", req.name, alias)],
            evidence=ctx.evidence(table.columns[alias].provenance or table.provenance[:1], line),
            instead=[nearmiss.Candidate("column", alias, "declared alias in the spec", line)],
            ddl=line,
        )
    if column is None:
        return finding_for(
            req,
            Status.FAIL,
            f"column {label} does not exist",
            diffs=[missing()],
            evidence=ctx.absence_evidence(table, f"column {label}"),
            instead=nearmiss.column_candidates(req, table, ctx),
            ddl=model_ddl.create_table(table, with_indexes=False),
        )
    props = req.props
    diffs: list[Diff] = []
    if "type" in props and not _types_equal(str(props["type"]), column.type, ctx.model):
        diffs.append(Diff("type", props["type"], column.type))
    if "nullable" in props and props["nullable"] != column.nullable:
        diffs.append(Diff("nullable", props["nullable"], column.nullable))
    if "default" in props:
        expected = _default_text(props["default"])
        if sqlnorm.normalize_default(expected, column.type) != sqlnorm.normalize_default(
            column.default, column.type
        ):
            diffs.append(Diff("default", expected, column.default))
    if "identity" in props:
        wanted = props["identity"].replace("_", " ") if props["identity"] else None
        if wanted != column.identity:
            diffs.append(Diff("identity", props["identity"], column.identity))
    if "collation" in props and _collation(props["collation"]) != _collation(column.collation):
        diffs.append(Diff("collation", props["collation"], column.collation))
    if "generated" in props and not sqlnorm.exprs_equal(props["generated"], column.generated):
        diffs.append(Diff("generated", props["generated"], column.generated))
    if "comment" in props and props["comment"] != column.comment:
        diffs.append(Diff("comment", props["comment"], column.comment))
    if props.get("unique") and not _unique_on(table, [column.name], allow_index=True):
        diffs.append(Diff("unique", True, False))
    if props.get("primary_key") and (
        table.primary_key is None or table.primary_key.columns != [column.name]
    ):
        diffs.append(Diff("primary_key", True, False))
    line = model_ddl.column_line(table, column.name)
    evidence = ctx.evidence(column.provenance or table.provenance[:1], line)
    if diffs:
        detail = "; ".join(
            f"{d.property} is {_show(d.actual)}, expected {_show(d.expected)}" for d in diffs
        )
        instead = (
            nearmiss.unique_candidates(table, [column.name])
            if any(d.property == "unique" for d in diffs)
            else []
        )
        return finding_for(
            req,
            Status.FAIL,
            f"column {label} differs: {detail}",
            diffs=diffs,
            evidence=evidence,
            ddl=line,
            instead=instead,
        )
    return finding_for(req, Status.PASS, f"column {label} is {line}", evidence=evidence, ddl=line)


def _collation(name: str | None) -> str | None:
    """``pg_catalog."C"``, ``"C"`` and ``C`` are one collation; ``default`` is none."""
    if not name:
        return None
    bare = name.rpartition(".")[2].strip('"')
    return None if bare == "default" else bare


def _show(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
    if expected is not None and pk.columns != expected:  # None: `primary_key: required`
        return finding_for(
            req,
            Status.FAIL,
            f"primary key of {table.name} is ({', '.join(pk.columns)}), expected ({', '.join(expected)})",
            diffs=[Diff("columns", expected, pk.columns)],
            evidence=ctx.evidence(pk.provenance, ddl),
            ddl=ddl,
            name=pk.name,
        )
    return finding_for(
        req,
        Status.PASS,
        f"primary key {pk.name} on {table.name} ({', '.join(pk.columns)})",
        evidence=ctx.evidence(pk.provenance, ddl),
        ddl=ddl,
        name=pk.name,
    )


def _unique_on(table: Table, columns: list[str], allow_index: bool) -> str | None:
    """Name of a constraint or full (non-partial) unique index on exactly these columns."""
    wanted = sorted(columns)
    if table.primary_key and sorted(table.primary_key.columns) == wanted:
        return table.primary_key.name
    for uq in table.uniques.values():
        if sorted(uq.columns) == wanted:
            return uq.name
    if allow_index:
        for index in table.indexes.values():
            if (
                index.unique
                and not index.where
                and all(k.is_column for k in index.keys)
                and sorted(index.column_names) == wanted
            ):
                return index.name
    return None


def check_unique(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    assert table is not None
    columns = req.props["columns"]
    allow_index = req.props.get("allow_index", True)
    label = f"UNIQUE ({', '.join(columns)}) on {table.name}"
    absent = [c for c in columns if c not in table.columns]
    found = _unique_on(table, columns, allow_index)
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
            return finding_for(
                req,
                Status.PASS,
                f"{label} enforced by {req.name}",
                evidence=ctx.evidence(enforcing.provenance if enforcing else [], None),
            )
        if found:
            return finding_for(
                req,
                Status.PARTIAL,
                f"{label} is enforced by {found}, not by a constraint named {req.name} (name differs)",
                diffs=[Diff("name", req.name, found)],
                evidence=_uq_evidence(ctx, table, found),
            )
    elif found:
        return finding_for(
            req,
            Status.PASS,
            f"{label} enforced by {found}",
            evidence=_uq_evidence(ctx, table, found),
            name=found,
        )
    return ctx.absent(
        req, table, label, instead=nearmiss.unique_candidates(table, columns), absent_columns=absent
    )


def _uq_evidence(ctx: AuditContext, table: Table, name: str):
    obj = table.uniques.get(name) or table.indexes.get(name) or table.primary_key
    return ctx.evidence(obj.provenance if obj else [], None)


def check_check(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    assert table is not None
    expression = req.props.get("expression")
    same_expr = None
    if expression:
        for ck in table.checks.values():
            if sqlnorm.exprs_equal(ck.expression, expression):
                same_expr = ck
                break
    if req.name and req.name in table.checks:
        ck = table.checks[req.name]
        ddl = f"CONSTRAINT {ck.name} {model_ddl.check_clause(ck)}"
        if expression and not sqlnorm.exprs_equal(ck.expression, expression):
            return finding_for(
                req,
                Status.FAIL,
                f"CHECK {ck.name} on {table.name} is {ck.expression}, expected {expression}",
                diffs=[Diff("expression", expression, ck.expression)],
                evidence=ctx.evidence(ck.provenance, ddl),
                ddl=ddl,
            )
        return finding_for(
            req,
            Status.PASS,
            f"CHECK {ck.name} on {table.name}: {ck.expression}",
            evidence=ctx.evidence(ck.provenance, ddl),
            ddl=ddl,
        )
    if same_expr is not None:
        ddl = f"CONSTRAINT {same_expr.name} {model_ddl.check_clause(same_expr)}"
        status = Status.PARTIAL if req.name else Status.PASS
        message = f"CHECK ({expression}) on {table.name} exists as {same_expr.name}"
        diffs = [Diff("name", req.name, same_expr.name)] if req.name else []
        if req.name:
            message += " (name differs)"
        return finding_for(
            req,
            status,
            message,
            diffs=diffs,
            evidence=ctx.evidence(same_expr.provenance, ddl),
            ddl=ddl,
            name=same_expr.name,
        )
    what = f"CHECK {req.name or ''} ({expression or '…'}) on {table.name}".replace("  ", " ")
    columns = req.props.get("columns") or sqlnorm_columns(expression or "")
    absent = [c for c in columns if c not in table.columns]
    return ctx.absent(
        req,
        table,
        what,
        instead=nearmiss.check_candidates(table, expression, columns),
        absent_columns=absent,
    )


def sqlnorm_columns(expression: str) -> list[str]:
    """Identifiers an expression mentions (a rough guess, for messages and near-misses)."""
    words = re.findall(r"\b([a-z_][a-z0-9_]*)\b(?!\s*\()", expression.lower())
    keywords = {
        "and",
        "or",
        "not",
        "null",
        "is",
        "in",
        "true",
        "false",
        "between",
        "like",
        "ilike",
        "any",
        "all",
        "array",
        "text",
        "numeric",
        "integer",
    }
    out: list[str] = []
    for w in words:
        if w not in keywords and w not in out:
            out.append(w)
    return out


def parse_reference(text: str, default_schema: str) -> tuple[str, str, list[str]]:
    """'schema.table(col, …)' → (schema, table, columns); columns may be empty (= its PK)."""
    m = re.fullmatch(r"\s*([^()\s]+)\s*(?:\(([^)]*)\))?\s*", text)
    if not m:
        raise ValueError(f"cannot read reference {text!r}; expected 'table(column)'")
    target, cols = m.group(1), m.group(2)
    schema, _, table = target.rpartition(".")
    columns = [c.strip().strip('"') for c in cols.split(",")] if cols else []
    return (schema or default_schema, table.strip('"'), columns)


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
    if fk.ref_columns != ref_columns:
        diffs.append(Diff("ref_columns", ref_columns, fk.ref_columns))
    if fk.columns != columns:
        diffs.append(Diff("columns", columns, fk.columns))
    for prop in ("on_delete", "on_update"):
        if prop in props and props[prop] != getattr(fk, prop):
            diffs.append(Diff(prop, props[prop], getattr(fk, prop)))
    if "deferrable" in props and props["deferrable"] != fk.deferrable:
        diffs.append(Diff("deferrable", props["deferrable"], fk.deferrable))
    ddl = f"ALTER TABLE {table.name} ADD CONSTRAINT {fk.name} {model_ddl.fk_clause(fk)};"
    evidence = ctx.evidence(fk.provenance, ddl)
    if diffs:
        detail = "; ".join(
            f"{d.property} is {_show(d.actual)}, expected {_show(d.expected)}" for d in diffs
        )
        return finding_for(
            req,
            Status.FAIL,
            f"{fk.name} differs: {detail}",
            diffs=diffs,
            evidence=evidence,
            ddl=ddl,
            name=fk.name,
        )
    if name_differs:
        return finding_for(
            req,
            Status.PARTIAL,
            f"{label} exists as {fk.name} (name differs from {req.name})",
            diffs=[Diff("name", req.name, fk.name)],
            evidence=evidence,
            ddl=ddl,
            name=fk.name,
        )
    on_delete = f" ON DELETE {fk.on_delete}" if fk.on_delete != ReferentialAction.NO_ACTION else ""
    return finding_for(
        req, Status.PASS, f"{fk.name}: {label}{on_delete}", evidence=evidence, ddl=ddl, name=fk.name
    )
