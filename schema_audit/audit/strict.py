"""Strict mode ("exactly these"): what exists but no requirement accounts for.

pgTAP's ``*_are`` idea: a second permissive policy, an unexpected grant, an
index nobody asked for. Runs after every other check, because a requirement
matched by shape accounts for the object it matched (the finding names it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from schema_audit.audit.findings import Diff, Evidence, Finding, finding_for
from schema_audit.enums import Status
from schema_audit.model import SchemaModel, Table, qualify
from schema_audit.spec.model import Requirement, Spec

KIND_OF = {
    "columns": "column",
    "indexes": "index",
    "policies": "policy",
    "triggers": "trigger",
    "checks": "check",
    "foreign_keys": "foreign_key",
    "privileges": "privilege",
}


def _present(table: Table, what: str) -> set[str]:
    if what == "columns":
        return set(table.columns)
    if what == "indexes":
        return {name for name, ix in table.indexes.items() if not ix.constraint}
    if what == "privileges":
        return {g.grantee for g in table.grants if g.grantee != table.owner}
    return set(getattr(table, what))


# what a strict requirement reads of the findings judged before it: those of one kind on one
# table (``(kind, table) -> findings``), built once per audit by the engine
Judged = Mapping[tuple[str, str | None], Sequence[Finding]]


def _accounted(
    req: Requirement, judged: Judged, requirements: Mapping[str, Requirement]
) -> set[str]:
    kind = KIND_OF[req.props["what"]]
    names: set[str] = set()
    for f in judged.get((kind, req.table), ()):
        if f.id.startswith(f"{req.parent}."):
            if kind == "privilege":
                other = requirements.get(f.id)
                roles = other.props.get("roles") if other else None
                names.update(roles if isinstance(roles, list) else [])
            elif f.name:
                names.add(f.name)
    return names


def check_strict(
    req: Requirement,
    model: SchemaModel,
    judged: Judged,
    requirements: Mapping[str, Requirement],
) -> Finding:
    """``judged`` indexes the findings so far by (kind, table); ``requirements`` the spec's by id."""
    table = model.tables.get(qualify(req.schema, req.table or ""))
    what = req.props["what"]
    if table is None:
        return finding_for(
            req, Status.NOT_APPLICABLE, f"table {req.table} does not exist, so this cannot apply"
        )
    extra = sorted(
        _present(table, what)
        - _accounted(req, judged, requirements)
        - set(req.props.get("allow") or [])
    )
    if extra:
        return finding_for(
            req,
            Status.FAIL,
            f"{table.name} has {what} the spec does not require: {', '.join(extra)}",
            diffs=[Diff(what, "only the required ones", extra)],
            evidence=[Evidence(source="spec", note="strict mode (exactly)")],
            name=f"exactly {what}",
        )
    return finding_for(
        req, Status.PASS, f"{table.name} has exactly the required {what}", name=f"exactly {what}"
    )


def check_strict_tables(req: Requirement, model: SchemaModel, spec: Spec) -> Finding:
    # a table a match: selector picks is not thereby required: selectors say what a table of
    # that pattern must have, not that a new one may appear
    required = {
        qualify(r.schema, r.table or "")
        for r in spec.requirements
        if r.kind == "table" and not r.id.startswith("match.")
    }
    allowed = {
        qualify(spec.default_schema, a) if "." not in a else a for a in req.props.get("allow") or []
    }
    schemas = set(req.props["schemas"])
    extra = sorted(
        k for k, t in model.tables.items() if t.schema in schemas and k not in required | allowed
    )
    if extra:
        return finding_for(
            req,
            Status.FAIL,
            f"tables the spec does not require: {', '.join(extra)}",
            diffs=[Diff("tables", "only the required ones", extra)],
            name="tables",
        )
    return finding_for(
        req,
        Status.PASS,
        f"exactly the required tables in {', '.join(sorted(schemas))}",
        name="tables",
    )
