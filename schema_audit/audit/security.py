"""Row-level security, policies, guard triggers and table privileges.

These are the requirements a multi-tenant schema lives or dies by, and the ones
other tools skip: RLS *forced*, the exact policy predicates, WITH CHECK present,
a BEFORE UPDATE OR DELETE trigger that really raises, and "nobody but the owner
may UPDATE or DELETE" judged on what roles can effectively do.
"""

from __future__ import annotations

from schema_audit import model_ddl
from schema_audit.audit import policysem, privileges
from schema_audit.audit.context import AuditContext
from schema_audit.audit.findings import Candidate, Diff, Finding, finding_for, matched_by_shape
from schema_audit.enums import Status
from schema_audit.model import TABLE_PRIVILEGES, Policy, SchemaModel, Table, Trigger, qualify
from schema_audit.spec.model import Requirement


def check_rls(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    assert table is not None
    diffs: list[Diff] = []
    if "enabled" in req.props and req.props["enabled"] != table.rls_enabled:
        diffs.append(Diff("enabled", req.props["enabled"], table.rls_enabled))
    if "forced" in req.props and req.props["forced"] != table.rls_forced:
        diffs.append(Diff("forced", req.props["forced"], table.rls_forced))
    problems = [
        f"{d.property} is {str(d.actual).lower()}, expected {str(d.expected).lower()}"
        for d in diffs
    ]
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
    if "isolation" in req.props:
        isolation_diffs, note = _isolation(req, table, ctx)
        diffs += isolation_diffs
        if isolation_diffs:
            problems.append(note)
        else:
            state = f"{state}; {note}"
        for policy in sorted(table.policies.values(), key=lambda p: p.name):
            evidence += ctx.evidence(policy.provenance, model_ddl.create_policy(policy, table))
    ddl = "\n".join(ddl_lines) or None
    if diffs:
        return finding_for(
            req,
            Status.FAIL,
            f"{table.name}: {'; '.join(problems)}",
            diffs=diffs,
            evidence=evidence,
            ddl=ddl,
            name="rls",
        )
    return finding_for(
        req, Status.PASS, f"{table.name}: {state}", evidence=evidence, ddl=ddl, name="rls"
    )


def _isolation(req: Requirement, table: Table, ctx: AuditContext) -> tuple[list[Diff], str]:
    """Diffs and a note for ``rls: {isolation: …}``: the predicate every command is held to.

    Judged on the effective predicate of each command (every permissive policy ORed, every
    restrictive one ANDed, for the roles named or any role), so a second permissive
    ``USING (true)`` policy voids the isolation and is named.
    """
    wanted = req.props["isolation"]
    if not table.rls_enabled:
        return [Diff("isolation", wanted, "RLS disabled")], (
            f"isolation {wanted!r} is not enforced: RLS is disabled, every row is visible"
        )
    roles = policysem.role_scope(ctx.model, req.props.get("roles"))
    breaches = policysem.isolation_breaches(table, wanted, ctx.model, roles)
    diffs = [
        Diff(
            f"isolation[{b.command} {b.which.upper().replace('_', ' ')}]",
            wanted,
            f"{b.effective} — weakened by "
            + ", ".join(
                f"{p.name} ({'all' if p.command == 'ALL' else p.command})" for p in b.culprits
            ),
        )
        for b in breaches
    ]
    if breaches:
        culprits = sorted({p.name for b in breaches for p in b.culprits})
        commands = ", ".join(f"{b.command} {b.which.replace('_', ' ').upper()}" for b in breaches)
        return diffs, (
            f"isolation {wanted!r} is not enforced ({commands}): permissive "
            f"polic{'y' if len(culprits) == 1 else 'ies'} {', '.join(culprits)} "
            f"admit{'s' if len(culprits) == 1 else ''} other rows"
        )
    forced = "" if table.rls_forced else " (not forced: the owner bypasses it)"
    return [], f"every command held to {wanted}{forced}"


def _policy_diffs(props: dict, policy: Policy, model: SchemaModel) -> list[Diff]:
    """What differs in behaviour: predicates compared as PostgreSQL evaluates them.

    ``with_check:`` is compared with the WITH CHECK PostgreSQL applies, which is the
    policy's USING when it has none (a FOR ALL policy with only USING refuses the same rows).
    ``with_check: null`` still asks that the policy declare none.
    """
    diffs: list[Diff] = []
    if "command" in props and props["command"] != policy.command:
        diffs.append(Diff("command", props["command"], policy.command))
    if "permissive" in props and props["permissive"] != policy.permissive:
        diffs.append(Diff("permissive", props["permissive"], policy.permissive))
    if "roles" in props and sorted(props["roles"]) != sorted(policy.roles):
        diffs.append(Diff("roles", sorted(props["roles"]), sorted(policy.roles)))
    if "using" in props and not policysem.equal(props["using"], policy.using, model):
        diffs.append(Diff("using", props["using"], policy.using))
    if "with_check" in props:
        actual = (
            policy.with_check
            if props["with_check"] is None
            else policysem.clause(policy, "with_check")
        )
        if not policysem.equal(props["with_check"], actual, model):
            diffs.append(Diff("with_check", props["with_check"], actual))
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
        ddl = model_ddl.create_policy(policy, table)
        diffs = _policy_diffs(props, policy, ctx.model)
        evidence = ctx.evidence(policy.provenance, ddl)
        if diffs:
            detail = "; ".join(f"{d.property} is {d.actual}, expected {d.expected}" for d in diffs)
            return finding_for(
                req,
                Status.FAIL,
                f"{label} differs: {detail}",
                diffs=diffs,
                evidence=evidence,
                ddl=ddl,
            )
        return finding_for(req, Status.PASS, f"{label} matches", evidence=evidence, ddl=ddl)
    same = [p for p in table.policies.values() if not _policy_diffs(props, p, ctx.model)]
    if same:
        policy = sorted(same, key=lambda p: p.name)[0]
        ddl = model_ddl.create_policy(policy, table)
        evidence = ctx.evidence(policy.provenance, ddl)
        return matched_by_shape(
            req,
            kind="policy",
            label=label,
            found=policy.name,
            same=f"; {policy.name} is equivalent",
            why="same command, roles and predicates",
            ddl=ddl,
            evidence=evidence,
            rename=True,
        )
    instead = [
        Candidate(
            "policy",
            p.name,
            f"{p.command} policy on the same table; differs in "
            + ", ".join(d.property for d in _policy_diffs(props, p, ctx.model)),
            model_ddl.create_policy(p, table),
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
    elif props.get("enabled", True) and trigger.enabled == "REPLICA":
        # fires only under session_replication_role = replica: no protection in normal sessions
        diffs.append(Diff("enabled", True, "replica only"))
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
                model_ddl.create_trigger(t, table),
            )
            for t in sorted(table.triggers.values(), key=lambda t: t.name)
        ]
        return ctx.absent(req, table, label, instead=instead)
    ddl = model_ddl.create_trigger(trigger, table)
    evidence = ctx.evidence(trigger.provenance, ddl)
    fn_name = trigger.function.rpartition(".")[2]
    for fn in ctx.model.functions_named(fn_name):
        evidence += ctx.evidence(fn.provenance, None)
    diffs = _trigger_diffs(props, trigger, ctx.model)
    if diffs:
        detail = "; ".join(f"{d.property} is {d.actual}, expected {d.expected}" for d in diffs)
        return finding_for(
            req,
            Status.FAIL,
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
        Status.PASS,
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


def _holds(role: str, held: list[str], access: dict[str, privileges.Access]) -> str:
    """``clerk holds UPDATE via app_rw, DELETE on column(s) note`` — each privilege with its path."""
    paths: dict[str, list[str]] = {}
    for p in held:
        paths.setdefault(access[p].describe(role), []).append(p)
    return f"{role} holds " + ", ".join(
        f"{'/'.join(ps)}{' ' + how if how else ''}" for how, ps in paths.items()
    )


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
    notes: list[str] = []
    diffs: list[Diff] = []
    model = ctx.model
    if roles == "all_except_owner":
        # every role the source knows plus every grantee, judged on what it can effectively do
        candidates = set(model.roles) | {g.grantee for g in table.grants}
        candidates |= {g.grantee for gs in table.column_grants.values() for g in gs}
        for role in sorted(candidates - {table.owner}):
            if model.roles.get(role) is not None and model.roles[role].superuser:
                continue  # a superuser can do anything; not a grant to revoke
            access = privileges.table_access(model, table, role)
            held = [p for p in deny if p in access]
            if held:
                violations.append(_holds(role, held, access))
                diffs.append(Diff(f"privileges[{role}]", f"no {', '.join(deny)}", held))
        future = privileges.future_table_grants(model, table, deny)
        who = "no role other than the owner"
    else:
        role_list = ["public"] if roles == "public" else list(roles)
        future = []
        for role in role_list:
            access = privileges.table_access(model, table, role)
            usage = privileges.schema_usage(model, table.schema, role)
            held = [p for p in deny if p in access]
            if held and usage is None:
                notes.append(
                    f"{_holds(role, held, access)} but lacks USAGE on schema {table.schema}: "
                    "blocked today, one GRANT away"
                )
            elif held:
                violations.append(_holds(role, held, access))
                diffs.append(Diff(f"privileges[{role}]", f"no {', '.join(held)}", held))
            lacking = [p for p in grant if p not in access or access[p].columns]
            if lacking:
                partial = [p for p in lacking if p in access]
                violations.append(
                    f"{role} lacks {', '.join(lacking)}"
                    + "".join(
                        f" ({p} only on column(s) {', '.join(access[p].columns)})" for p in partial
                    )
                )
                diffs.append(Diff(f"privileges[{role}]", grant, sorted(access)))
            if grant and usage is None:
                violations.append(f"{role} lacks USAGE on schema {table.schema}")
                diffs.append(Diff(f"schema_usage[{role}]", True, False))
            if "INSERT" in grant and "INSERT" in access:
                for sequence in privileges.serial_sequences(model, table):
                    if not {"USAGE", "UPDATE"} & set(
                        privileges.sequence_access(model, sequence, role)
                    ):
                        violations.append(
                            f"{role} lacks USAGE on sequence {qualify(sequence.schema, sequence.name)}: "
                            "INSERT fails on the nextval() default"
                        )
                        diffs.append(Diff(f"sequence_usage[{role}]", True, False))
            future += privileges.future_grants(model, table, role, deny)
        who = ", ".join(role_list)
    for entry in future:
        privilege = entry.privilege
        text = (
            f"ALTER DEFAULT PRIVILEGES{f' FOR ROLE {entry.owner}' if entry.owner else ''}"
            f"{f' IN SCHEMA {entry.schema}' if entry.schema else ''} grants {privilege} on new tables "
            f"to {entry.grantee}"
        )
        if table.kind == "partitioned":  # a new partition is a new table: it will be writable
            violations.append(f"{text}: new partitions of {table.name} will accept it")
            diffs.append(Diff(f"default_privileges[{entry.grantee}]", f"no {privilege}", privilege))
        else:
            notes.append(text)
    note = "".join(f" (note: {n})" for n in notes)
    if violations:
        return finding_for(
            req,
            Status.FAIL,
            f"{table.name}: " + "; ".join(violations) + note,
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
    message = f"{table.name}: " + ("; ".join(summary) or "privileges as required") + note
    return finding_for(
        req, Status.PASS, message, evidence=evidence, ddl=grants_text, name="privileges"
    )
