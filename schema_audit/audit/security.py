"""Row-level security, policies, guard triggers and table privileges.

These are the requirements a multi-tenant schema lives or dies by, and the ones
other tools skip: RLS *forced*, the exact policy predicates, WITH CHECK present,
a BEFORE UPDATE OR DELETE trigger that really raises, and "nobody but the owner
may UPDATE or DELETE" judged on what roles can effectively do.
"""

from __future__ import annotations

from schema_audit import sqlnorm
from schema_audit.audit.context import AuditContext
from schema_audit.audit.findings import Candidate, Diff, Finding, finding_for
from schema_audit.model import TABLE_PRIVILEGES, Policy, SchemaModel, Table, Trigger
from schema_audit.render import ddl as render_ddl
from schema_audit.spec.model import Requirement


def check_rls(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    assert table is not None
    diffs: list[Diff] = []
    if "enabled" in req.props and req.props["enabled"] != table.rls_enabled:
        diffs.append(Diff("enabled", req.props["enabled"], table.rls_enabled))
    if "forced" in req.props and req.props["forced"] != table.rls_forced:
        diffs.append(Diff("forced", req.props["forced"], table.rls_forced))
    state = f"RLS {'enabled' if table.rls_enabled else 'disabled'}, {'forced' if table.rls_forced else 'not forced'}"
    ddl_lines = []
    if table.rls_enabled:
        ddl_lines.append(f"ALTER TABLE {table.name} ENABLE ROW LEVEL SECURITY;")
    if table.rls_forced:
        ddl_lines.append(f"ALTER TABLE {table.name} FORCE ROW LEVEL SECURITY;")
    rls_provenance = [
        p for p in table.provenance if p.sql and "row level security" in p.sql.lower()
    ]
    evidence = ctx.evidence(rls_provenance, "\n".join(ddl_lines) or f"-- {table.name}: {state}")
    ddl = "\n".join(ddl_lines) or None
    if diffs:
        detail = "; ".join(
            f"{d.property} is {str(d.actual).lower()}, expected {str(d.expected).lower()}"
            for d in diffs
        )
        return finding_for(
            req,
            "FAIL",
            f"{table.name}: {detail}",
            diffs=diffs,
            evidence=evidence,
            ddl=ddl,
            name="rls",
        )
    return finding_for(
        req, "PASS", f"{table.name}: {state}", evidence=evidence, ddl=ddl, name="rls"
    )


def _policy_diffs(props: dict, policy: Policy) -> list[Diff]:
    diffs: list[Diff] = []
    if "command" in props and props["command"] != policy.command:
        diffs.append(Diff("command", props["command"], policy.command))
    if "permissive" in props and props["permissive"] != policy.permissive:
        diffs.append(Diff("permissive", props["permissive"], policy.permissive))
    if "roles" in props and sorted(props["roles"]) != sorted(policy.roles):
        diffs.append(Diff("roles", sorted(props["roles"]), sorted(policy.roles)))
    if "using" in props and not sqlnorm.exprs_equal(props["using"], policy.using):
        diffs.append(Diff("using", props["using"], policy.using))
    if "with_check" in props and not sqlnorm.exprs_equal(props["with_check"], policy.with_check):
        diffs.append(Diff("with_check", props["with_check"], policy.with_check))
    return diffs


def check_policy(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    assert table is not None
    props = req.props
    label = (
        f"policy {req.name} on {table.name}"
        if req.name
        else f"{props.get('command', 'ALL')} policy on {table.name}"
    )
    policy = table.policies.get(req.name) if req.name else None
    if policy is not None:
        ddl = render_ddl.create_policy(policy, table)
        diffs = _policy_diffs(props, policy)
        evidence = ctx.evidence(policy.provenance, ddl)
        if diffs:
            detail = "; ".join(f"{d.property} is {d.actual}, expected {d.expected}" for d in diffs)
            return finding_for(
                req, "FAIL", f"{label} differs: {detail}", diffs=diffs, evidence=evidence, ddl=ddl
            )
        return finding_for(req, "PASS", f"{label} matches", evidence=evidence, ddl=ddl)
    same = [p for p in table.policies.values() if not _policy_diffs(props, p)]
    if same:
        policy = sorted(same, key=lambda p: p.name)[0]
        ddl = render_ddl.create_policy(policy, table)
        evidence = ctx.evidence(policy.provenance, ddl)
        if req.name:
            return finding_for(
                req,
                "PARTIAL",
                f"{label} does not exist; {policy.name} is equivalent (name differs)",
                diffs=[Diff("name", req.name, policy.name)],
                evidence=evidence,
                ddl=ddl,
                name=policy.name,
                instead=[
                    Candidate("policy", policy.name, "same command, roles and predicates", ddl)
                ],
            )
        return finding_for(
            req,
            "PASS",
            f"{label} exists as {policy.name}",
            evidence=evidence,
            ddl=ddl,
            name=policy.name,
        )
    instead = [
        Candidate(
            "policy",
            p.name,
            f"{p.command} policy on the same table; differs in "
            + ", ".join(d.property for d in _policy_diffs(props, p)),
            render_ddl.create_policy(p, table),
        )
        for p in sorted(table.policies.values(), key=lambda p: p.name)
    ]
    return ctx.absent(req, table, label, instead=instead)


def _function_raises(model: SchemaModel, name: str) -> bool | None:
    """Whether the trigger function raises; None when the function is not in the model."""
    schema, _, bare = name.rpartition(".")
    functions = model.functions_named(bare.strip('"'), schema.strip('"') or None)
    if not functions:
        return None
    return any(f.raises for f in functions)


def _trigger_diffs(props: dict, trigger: Trigger, model: SchemaModel) -> list[Diff]:
    diffs: list[Diff] = []
    if "timing" in props and props["timing"] != trigger.timing:
        diffs.append(Diff("timing", props["timing"], trigger.timing))
    if "events" in props and not set(props["events"]) <= set(trigger.events):
        diffs.append(Diff("events", props["events"], trigger.events))
    if "level" in props and props["level"] != trigger.level:
        diffs.append(Diff("level", props["level"], trigger.level))
    if (
        "function" in props
        and props["function"].rpartition(".")[2] != trigger.function.rpartition(".")[2]
    ):
        diffs.append(Diff("function", props["function"], trigger.function))
    if props.get("enabled", True) and trigger.enabled == "DISABLED":
        diffs.append(Diff("enabled", True, False))
    if props.get("raises"):
        raises = _function_raises(model, trigger.function)
        if raises is False:
            diffs.append(Diff("raises", True, False))
    return diffs


def check_trigger(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    assert table is not None
    props = req.props
    shape = " ".join(
        filter(
            None,
            [
                props.get("timing"),
                " OR ".join(props.get("events") or []),
                f"FOR EACH {props['level']}" if props.get("level") else None,
            ],
        )
    )
    label = (
        f"trigger {req.name} on {table.name}" if req.name else f"{shape} trigger on {table.name}"
    )
    trigger = table.triggers.get(req.name) if req.name else None
    if trigger is None and not req.name:
        # Fully matching first; else the structural match (timing, events, level) that is
        # disabled or does not raise, so the finding says what is wrong with it.
        ranked = sorted(
            (len(_trigger_diffs(props, t, ctx.model)), t.name, t)
            for t in table.triggers.values()
            if not {d.property for d in _trigger_diffs(props, t, ctx.model)}
            & {"timing", "events", "level", "function"}
        )
        trigger = ranked[0][2] if ranked else None
    if trigger is None:
        instead = [
            Candidate(
                "trigger",
                t.name,
                "differs in " + ", ".join(d.property for d in _trigger_diffs(props, t, ctx.model)),
                render_ddl.create_trigger(t, table),
            )
            for t in sorted(table.triggers.values(), key=lambda t: t.name)
        ]
        return ctx.absent(req, table, label, instead=instead)
    ddl = render_ddl.create_trigger(trigger, table)
    evidence = ctx.evidence(trigger.provenance, ddl)
    fn_name = trigger.function.rpartition(".")[2]
    for fn in ctx.model.functions_named(fn_name):
        evidence += ctx.evidence(fn.provenance, None)
    diffs = _trigger_diffs(props, trigger, ctx.model)
    if diffs:
        detail = "; ".join(f"{d.property} is {d.actual}, expected {d.expected}" for d in diffs)
        return finding_for(
            req,
            "FAIL",
            f"trigger {trigger.name} on {table.name} differs: {detail}",
            diffs=diffs,
            evidence=evidence,
            ddl=ddl,
            name=trigger.name,
        )
    note = ""
    if props.get("raises") and _function_raises(ctx.model, trigger.function) is None:
        note = f" (function {trigger.function} not found: whether it raises is unverified)"
    return finding_for(
        req,
        "PASS",
        f"trigger {trigger.name} on {table.name}: {trigger.timing} "
        f"{' OR '.join(trigger.events)} FOR EACH {trigger.level}{note}",
        evidence=evidence,
        ddl=ddl,
        name=trigger.name,
    )


def _expand(privileges: list[str]) -> list[str]:
    out: list[str] = []
    for p in privileges:
        for q in TABLE_PRIVILEGES if p == "ALL" else [p]:
            if q not in out:
                out.append(q)
    return out


def memberships(model: SchemaModel, role: str) -> set[str]:
    """The role, every role it is (transitively) a member of, and PUBLIC."""
    seen = {role, "public"}
    stack = [role]
    while stack:
        current = model.roles.get(stack.pop())
        for parent in current.member_of if current else []:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def effective_privileges(model: SchemaModel, table: Table, role: str) -> dict[str, str]:
    """privilege -> the grantee it comes through, for what ``role`` can do on ``table``."""
    out: dict[str, str] = {}
    if table.owner and role == table.owner:
        return dict.fromkeys(TABLE_PRIVILEGES, f"{role} (owner)")
    via = memberships(model, role)
    for grant in table.grants:
        if grant.grantee in via and grant.privilege not in out:
            out[grant.privilege] = grant.grantee
    return out


def check_privilege(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    assert table is not None
    props = req.props
    roles = props["roles"]
    deny = _expand(props.get("deny") or [])
    grant = _expand(props.get("grant") or [])
    grants_text = (
        "\n".join(
            f"GRANT {g.privilege} ON {table.name} TO {g.grantee};"
            for g in sorted(table.grants, key=lambda g: (g.grantee, g.privilege))
        )
        or f"-- no grants on {table.name}"
    )
    grant_provenance = [
        p
        for p in table.provenance
        if p.sql and any(w in p.sql.upper() for w in ("GRANT", "REVOKE"))
    ]
    evidence = ctx.evidence(grant_provenance, grants_text)
    violations: list[str] = []
    diffs: list[Diff] = []
    if roles == "all_except_owner":
        holders: dict[str, list[str]] = {}
        for g in table.grants:
            if g.grantee != table.owner and g.privilege in deny:
                holders.setdefault(g.grantee, []).append(g.privilege)
        for grantee, privs in sorted(holders.items()):
            violations.append(f"{grantee} holds {', '.join(sorted(privs))}")
            diffs.append(Diff(f"privileges[{grantee}]", f"no {', '.join(deny)}", sorted(privs)))
        who = "no role other than the owner"
    else:
        role_list = ["public"] if roles == "public" else list(roles)
        for role in role_list:
            effective = effective_privileges(ctx.model, table, role)
            held = [p for p in deny if p in effective]
            if held:
                via = sorted({effective[p] for p in held})
                violations.append(
                    f"{role} holds {', '.join(held)}"
                    + (f" via {', '.join(via)}" if via != [role] else "")
                )
                diffs.append(Diff(f"privileges[{role}]", f"no {', '.join(held)}", held))
            lacking = [p for p in grant if p not in effective]
            if lacking:
                violations.append(f"{role} lacks {', '.join(lacking)}")
                diffs.append(Diff(f"privileges[{role}]", grant, sorted(effective)))
        who = ", ".join(role_list)
    if violations:
        return finding_for(
            req,
            "FAIL",
            f"{table.name}: " + "; ".join(violations),
            diffs=diffs,
            evidence=evidence,
            ddl=grants_text,
            name="privileges",
        )
    if roles == "all_except_owner":
        summary = [f"no role other than the owner holds {'/'.join(deny)}"] if deny else []
    else:
        summary = [f"{who} cannot {'/'.join(deny)}"] if deny else []
    if grant:
        summary.append(f"{who} holds {'/'.join(grant)}")
    message = f"{table.name}: " + ("; ".join(summary) or "privileges as required")
    return finding_for(req, "PASS", message, evidence=evidence, ddl=grants_text, name="privileges")
