"""Views, materialized views, functions, forbidden columns and (deferred) probes."""

from __future__ import annotations

import fnmatch
import re

from schema_audit import model_ddl
from schema_audit.audit import nearmiss, privileges
from schema_audit.audit.context import AuditContext
from schema_audit.audit.findings import Diff, Evidence, Finding, finding_for, missing
from schema_audit.audit.options import option_diffs
from schema_audit.enums import Status
from schema_audit.model import qualify
from schema_audit.spec.model import Requirement


def check_view(req: Requirement, ctx: AuditContext) -> Finding:
    materialized = req.kind == "materialized_view"
    kind = "materialized view" if materialized else "view"
    label = f"{kind} {qualify(req.schema, req.table or '')}"
    view = ctx.view(req)
    if view is None or view.materialized != materialized:
        diffs = [missing()]
        message = f"{label} does not exist"
        if view is not None:
            other = "materialized view" if view.materialized else "view"
            message += f" (a {other} of that name exists)"
            diffs.append(Diff("materialized", materialized, view.materialized))
        return finding_for(
            req,
            Status.FAIL,
            message,
            diffs=diffs,
            evidence=ctx.absence_evidence(None, label),
            instead=nearmiss.view_candidates(req, ctx),
        )
    ddl = model_ddl.create_view(view)
    evidence = ctx.evidence(view.provenance, ddl)
    diffs = []
    have = [c.name for c in view.columns]
    lacking = [c for c in req.props.get("columns") or [] if c not in have]
    if lacking:
        diffs.append(Diff("columns", req.props["columns"], have))
    deps = {d.rpartition(".")[2] for d in view.depends_on}
    lacking_deps = [
        d for d in req.props.get("depends_on") or [] if d.rpartition(".")[2] not in deps
    ]
    if lacking_deps:
        diffs.append(Diff("depends_on", req.props["depends_on"], sorted(deps)))
    option_problems = option_diffs(req.props.get("options") or {}, view.options, None)
    diffs += option_problems
    if diffs:
        detail = "; ".join([f"missing column(s) {', '.join(lacking)}"] if lacking else []) or ""
        if lacking_deps:
            detail += ("; " if detail else "") + f"does not read {', '.join(lacking_deps)}"
        for d in option_problems:
            detail += (
                "; " if detail else ""
            ) + f"{d.property} is {d.actual or 'not set'}, expected {d.expected}"
        return finding_for(
            req, Status.FAIL, f"{label} differs: {detail}", diffs=diffs, evidence=evidence, ddl=ddl
        )
    return finding_for(req, Status.PASS, f"{label} exists", evidence=evidence, ddl=ddl)


def check_function(req: Requirement, ctx: AuditContext) -> Finding:
    label = f"function {qualify(req.schema, req.name or '')}"
    functions = ctx.model.functions_named(req.name or "", req.schema)
    if not functions:
        return finding_for(
            req,
            Status.FAIL,
            f"{label} does not exist",
            diffs=[missing()],
            evidence=ctx.absence_evidence(None, label),
        )
    fn = sorted(functions, key=lambda f: f.signature)[0]
    ddl = model_ddl.create_function(fn)
    diffs: list[Diff] = []
    props = req.props
    if "language" in props and props["language"].lower() != fn.language.lower():
        diffs.append(Diff("language", props["language"], fn.language))
    if "security_definer" in props and props["security_definer"] != fn.security_definer:
        diffs.append(Diff("security_definer", props["security_definer"], fn.security_definer))
    if "search_path_set" in props:
        pinned = any(c.lower().startswith("search_path=") for c in fn.config)
        if pinned != props["search_path_set"]:
            diffs.append(Diff("search_path_set", props["search_path_set"], pinned))
    if "returns" in props and props["returns"].lower() != fn.returns.lower():
        diffs.append(Diff("returns", props["returns"], fn.returns))
    execute = props.get("execute") or {}
    for role in execute.get("grant") or []:
        if privileges.routine_execute(ctx.model, fn, role) is None:
            diffs.append(Diff(f"execute[{role}]", "EXECUTE", "no EXECUTE"))
    for role in execute.get("deny") or []:
        access = privileges.routine_execute(ctx.model, fn, role)
        if access is not None:
            how = access.describe(role)
            diffs.append(Diff(f"execute[{role}]", "no EXECUTE", f"EXECUTE {how}".strip()))
    evidence = ctx.evidence(fn.provenance, ddl)
    if diffs:
        detail = "; ".join(f"{d.property} is {d.actual}, expected {d.expected}" for d in diffs)
        return finding_for(
            req, Status.FAIL, f"{label} differs: {detail}", diffs=diffs, evidence=evidence, ddl=ddl
        )
    return finding_for(
        req, Status.PASS, f"{label} exists: {fn.signature}", evidence=evidence, ddl=ddl
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
        Status.PASS,
        f"no column matches {rule} in {scanned} table(s)",
        evidence=[
            Evidence(source=ctx.evidence_kind(), note=f"{scanned} tables scanned for {rule}")
        ],
    )


def check_probe(req: Requirement, ctx: AuditContext) -> Finding:
    """Behavioural probes need a scratch database; without one they are DEFERRED."""
    kind = req.props["kind"].replace("_", " ")
    return finding_for(
        req,
        Status.DEFERRED,
        f"{kind} probe on {req.table or 'the schema'} requires a live scratch database (run with --replay)",
        evidence=[Evidence(source="spec", note="behavioural probe: settled only by --replay")],
    )
