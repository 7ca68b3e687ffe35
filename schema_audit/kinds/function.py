"""A function: language, SECURITY DEFINER, a pinned ``search_path``, return type,
and who may EXECUTE it (judged on effective privileges: PUBLIC, membership, ownership).

```yaml
functions:
  app.current_tenant:
    language: sql
    security_definer: true
    search_path_set: true
    execute: {deny: [public]}
```
"""

from __future__ import annotations

from schema_audit import model_ddl
from schema_audit.audit import privileges
from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Diff, Finding, describe_diffs, finding_for, missing
from schema_audit.enums import Status
from schema_audit.kinds import requirement_kind
from schema_audit.model import qualify
from schema_audit.spec.fragments import obj, req_schema, string, strings
from schema_audit.spec.model import Requirement

SCHEMA = req_schema(
    {
        "schema": string("Schema (default: defaults.schema)."),
        "language": string("plpgsql, sql, …"),
        "security_definer": {"type": "boolean"},
        "search_path_set": {
            "type": "boolean",
            "description": "true = the function pins search_path (SET search_path).",
        },
        "returns": string("Return type."),
        "execute": obj(
            {
                "grant": strings("Roles that must be able to EXECUTE it (effective privileges)."),
                "deny": strings(
                    "Roles that must not be able to EXECUTE it; 'public' = every role."
                ),
            },
            "Who may call it, judged on effective privileges (PUBLIC, membership, ownership).",
        ),
    },
    "A function requirement.",
)


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    return [Facet("function", qualify(req.schema, req.name or "")), Facet("privilege")]


@requirement_kind(
    id="function",
    name="Function",
    title="Functions",
    group="objects",
    hint="create or fix the function",
    spec="functions.<function>",
    schema=SCHEMA,
    facets=facets,
)
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
        detail = describe_diffs(diffs)
        return finding_for(
            req, Status.FAIL, f"{label} differs: {detail}", diffs=diffs, evidence=evidence, ddl=ddl
        )
    return finding_for(
        req, Status.PASS, f"{label} exists: {fn.signature}", evidence=evidence, ddl=ddl
    )
