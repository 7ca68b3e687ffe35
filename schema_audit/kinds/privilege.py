"""Table privileges, judged on what roles can effectively do (PUBLIC, role
membership, column grants, default privileges for future partitions): ``deny``
privileges the roles must not hold, ``grant`` ones they must.

```yaml
tables:
  audit_log:
    privileges:
      - {roles: all_except_owner, deny: [UPDATE, DELETE, TRUNCATE]}
      - {roles: [app], grant: [SELECT, INSERT]}
      - {roles: [clerk], grant: [UPDATE], columns: [note]}   # column privileges
```

With ``columns:`` the privileges are about those columns: ``grant`` ones the roles must
hold on each of them (a table-level grant covers every column), ``deny`` ones they must
hold on none. ``init`` writes a column-level grant this way, and ``exactly: [privileges]``
counts each column-level grant too (``clerk UPDATE (note)``).

``grant_option`` lists the privileges each role must hold WITH GRANT OPTION (it may pass
them on); under ``exactly: [privileges]`` a grant option that no entry states FAILs
(``init`` writes each, so GRANT … WITH GRANT OPTION after init no longer passes).

A ``grant`` is judged on what the roles can use: it FAILs without USAGE on the table's
schema, and an INSERT FAILs when a ``nextval()`` default's sequence gives the role no
USAGE. Where a database holds such blocked grants (a hardened schema, a forgotten sequence
grant), ``init`` writes ``schema_usage: false`` / ``sequence_usage: false`` on the entry:
the grants must be held and stay blocked (USAGE gained FAILs), so the audit of the very
database ``init`` read passes.

A history does not say which role runs it, and that role owns the schemas and sequences it
creates without naming an owner: a role the history does not create may be it, and then
has USAGE. Read statically, a verdict that depends on it (``schema_usage: false`` for
postgres on supabase/auth's schema ``auth``) is DEFERRED with the reason; ``init --sql``
writes ``schema_usage: any`` / ``sequence_usage: any`` there (USAGE is not judged).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from schema_audit.audit import privileges
from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Diff, Evidence, Finding, finding_for, lazy_finding
from schema_audit.enums import PASS, Status
from schema_audit.kinds import requirement_kind
from schema_audit.model import (
    OWNER_LACKS,
    TABLE_PRIVILEGES,
    SchemaModel,
    Table,
    held,
    qualify,
)
from schema_audit.spec.fragments import PRIVILEGES, req_schema
from schema_audit.spec.model import Requirement

SCHEMA = req_schema(
    {
        "roles": {
            "anyOf": [
                {"type": "array", "items": {"type": "string"}},
                {"enum": ["all_except_owner", "public"]},
            ],
            "description": "Roles concerned: a list, 'public', or 'all_except_owner'.",
        },
        "grant": {
            "type": "array",
            "items": {"enum": PRIVILEGES},
            "description": "Privileges the roles must hold.",
        },
        "deny": {
            "type": "array",
            "items": {"enum": PRIVILEGES},
            "description": "Privileges the roles must not hold.",
        },
        "grant_option": {
            "type": "array",
            "items": {"enum": PRIVILEGES},
            "description": "Privileges each role must hold WITH GRANT OPTION (granted to it "
            "directly); under exactly: [privileges] a grant option no entry states FAILs.",
        },
        "columns": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The privileges are about these columns (column-level grants; a "
            "table-level grant covers every column).",
        },
        "schema_usage": {
            "enum": [True, False, "any"],
            "description": "false: the roles hold the grants but lack USAGE on the table's "
            "schema (blocked; init writes it so); USAGE gained then FAILs. Default true: a "
            "grant the roles cannot use for lack of USAGE FAILs. any: not judged (init writes "
            "it when USAGE depends on the role that runs a history: it owns the schema).",
        },
        "sequence_usage": {
            "enum": [True, False, "any"],
            "description": "false: the roles may INSERT but lack USAGE on a nextval() "
            "default's sequence (their INSERT fails; init writes it so); USAGE on every such "
            "sequence then FAILs. Default true: such an INSERT grant FAILs. any: not judged "
            "(init writes it when USAGE depends on the role that runs a history).",
        },
    },
    "A table privilege requirement.",
    ["roles"],
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


_UNSET = object()


def _memo(ctx: AuditContext, key: tuple, compute: Callable[..., Any], *args: Any) -> Any:
    """``compute(*args)``, worked out once per audit for ``key``: what a role reaches, its
    USAGE on a schema and the default privileges for a schema and owner depend on neither
    the table nor the requirement, and init's spec asks them for every table (two
    requirements each: 10,000 at 5,000 tables). The model does not change while judging."""
    found = ctx.memo.get(key, _UNSET)
    if found is _UNSET:
        found = ctx.memo[key] = compute(*args)
    return found


def _reach(ctx: AuditContext, role: str) -> dict[str, bool]:
    """The roles whose privileges ``role`` can use (shared: never changed by a caller)."""
    reach: dict[str, bool] = _memo(
        ctx, ("reachable_roles", role), privileges.reachable_roles, ctx.model, role
    )
    return reach


def _on_columns(
    ctx: AuditContext, table: Table, role: str, columns: list[str], every: bool = False
) -> dict[str, privileges.Access]:
    """What ``role`` holds on the table, or, with ``columns``, on those columns: on any of
    them (``every`` False: what ``deny`` forbids), or on each of them (``every``: what
    ``grant`` asks). A table-level privilege covers every column."""
    reach = _reach(ctx, role)
    access = privileges.table_access(ctx.model, table, role, reach)
    if not columns:
        return access
    out: dict[str, privileges.Access] = {}
    for privilege, how in access.items():
        if not how.columns:
            out[privilege] = how
            continue
        holders = [
            {g.grantee for g in table.column_grants.get(c, []) if g.privilege == privilege}
            for c in columns
        ]
        if (all if every else any)(reach.keys() & h for h in holders):
            out[privilege] = privileges.Access(privilege, how.via, how.automatic, tuple(columns))
    return out


def _holds_every_grant_option(ctx: AuditContext, table: Table, role: str) -> bool:
    """Whether ``role`` holds every grant option on ``table`` without a grant: a superuser,
    or the owner and a role inheriting its privileges. PostgreSQL's aclmask gives the owner
    all of them, even for a right its own entry lacks (``{app=awdDxt/app}``: app may still
    GRANT SELECT; checked on PostgreSQL 15), so ``grant_option: [SELECT]`` for the owner
    FAILed where the catalog holds it."""
    found = ctx.model.roles.get(role)
    if found is not None and found.superuser:
        return True
    return table.owner is not None and _reach(ctx, role).get(table.owner) is True


def _lacking_grant_option(
    table: Table, role: str, props: Mapping[str, Any], columns: list[str]
) -> list[str]:
    """The ``grant_option`` privileges ``role`` is not granted WITH GRANT OPTION: on the
    table, or, with ``columns``, on the table or on each of those columns."""
    table_level = {g.privilege for g in held(table.grants) if g.grantee == role and g.grantable}
    wanted = _expand(props.get("grant_option") or [])
    if not columns:
        return [p for p in wanted if p not in table_level]
    return [
        p
        for p in wanted
        if p not in table_level
        and not all(
            any(
                g.grantee == role and g.privilege == p and g.grantable
                for g in table.column_grants.get(c, [])
            )
            for c in columns
        )
    ]


def runners(req: Requirement, ctx: AuditContext) -> dict[str, str]:
    """The roles of the requirement whose running the history may change its verdict -> why:
    each would own what it lacks USAGE on (audit/engine.py judges those worlds too)."""
    roles = req.props["roles"]
    table = ctx.table(req)
    if not isinstance(roles, list) or table is None:
        return {}
    out: dict[str, str] = {}
    for role in roles:
        owned = privileges.runner_owned(ctx.model, table, role)
        if owned:
            out[role] = f"that role owns {' and '.join(owned)}: the history names no owner"
    return out


def recommend(f: Finding, req: Requirement | None, model: SchemaModel) -> str:
    return f"Revoke or grant privileges on {f.table or ''}: {f.message.split(': ', 1)[-1]}"


def label(item: Mapping[str, Any], index: int) -> str:
    verb = "deny" if item.get("deny") else "grant"
    privs = "_".join(p.lower() for p in item.get(verb) or [])
    return f"{verb}_{privs}_{index}"


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    target = qualify(req.schema, req.table) if req.table else "*"
    return [Facet("privilege", target), Facet("role"), Facet("owner", target)]


@requirement_kind(
    id="privilege",
    name="Table privileges",
    title="Table privileges",
    group="security",
    hint="GRANT / REVOKE to match the spec",
    spec="tables.<table>.privileges[]",
    schema=SCHEMA,
    recommend=recommend,
    label=label,
    strict="privileges",
    facets=facets,
    facets_on_table=True,
    runners=runners,
)
def check_privilege(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    assert table is not None
    props = req.props
    roles = props["roles"]
    deny = _expand(props.get("deny") or [])
    grant = _expand(props.get("grant") or [])
    columns = list(props.get("columns") or [])
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
            access = _on_columns(ctx, table, role, columns)
            held = [p for p in deny if p in access]
            if held:
                violations.append(_holds(role, held, access))
                diffs.append(Diff(f"privileges[{role}]", f"no {', '.join(deny)}", held))
        future = list(
            _memo(
                ctx,
                ("future_table_grants", table.schema, table.owner, tuple(deny)),
                privileges.future_table_grants,
                model,
                table,
                deny,
            )
        )
        who = "no role other than the owner"
    else:
        role_list = ["public"] if roles == "public" else list(roles)
        future = []
        for role in role_list:
            access = _on_columns(ctx, table, role, columns)
            usage = _memo(
                ctx,
                ("schema_usage", table.schema, role),
                privileges.schema_usage,
                model,
                table.schema,
                role,
                _reach(ctx, role),
            )
            held = [p for p in deny if p in access]
            if held and usage is None:
                notes.append(
                    f"{_holds(role, held, access)} but lacks USAGE on schema {table.schema}: "
                    "blocked today, one GRANT away"
                )
            elif held:
                violations.append(_holds(role, held, access))
                diffs.append(Diff(f"privileges[{role}]", f"no {', '.join(held)}", held))
            have = _on_columns(ctx, table, role, columns, every=True) if columns else access
            lacking = [p for p in grant if p not in have or (have[p].columns and not columns)]
            if lacking:
                partial = [p for p in lacking if p in access]
                violations.append(
                    f"{role} lacks {', '.join(lacking)}"
                    + "".join(
                        f" ({p} only on column(s) {', '.join(access[p].columns)})" for p in partial
                    )
                )
                diffs.append(Diff(f"privileges[{role}]", grant, sorted(access)))
            schema_rule = props.get("schema_usage", True)
            if schema_rule is False:
                if usage is not None:
                    violations.append(
                        f"{role} has USAGE on schema {table.schema} (the spec has its grants "
                        "blocked without it)"
                    )
                    diffs.append(Diff(f"schema_usage[{role}]", False, True))
            elif schema_rule is True and grant and usage is None:
                violations.append(f"{role} lacks USAGE on schema {table.schema}")
                diffs.append(Diff(f"schema_usage[{role}]", True, False))
            sequence_rule = props.get("sequence_usage", True)
            if sequence_rule is False:
                if "INSERT" in access and not privileges.lacks_sequence_usage(
                    model, table, role, _reach(ctx, role)
                ):
                    violations.append(
                        f"{role} can INSERT with every nextval() default (the spec has its "
                        "INSERT blocked by a sequence it lacks USAGE on)"
                    )
                    diffs.append(Diff(f"sequence_usage[{role}]", False, True))
            elif sequence_rule is True and "INSERT" in grant and "INSERT" in access:
                reach = _reach(ctx, role)
                for sequence in privileges.unusable_sequences(model, table, role, reach):
                    violations.append(
                        f"{role} lacks USAGE on sequence {qualify(sequence.schema, sequence.name)}: "
                        "INSERT fails on the nextval() default"
                    )
                    diffs.append(Diff(f"sequence_usage[{role}]", True, False))
            if "grant_option" in props and not _holds_every_grant_option(ctx, table, role):
                lacking_option = _lacking_grant_option(table, role, props, columns)
                if lacking_option:
                    violations.append(
                        f"{role} lacks {', '.join(lacking_option)} WITH GRANT OPTION"
                        + (f" on column(s) {', '.join(columns)}" if columns else "")
                    )
                    diffs.append(
                        Diff(f"grant_option[{role}]", _expand(props["grant_option"]), "not held")
                    )
            # depends on the table's schema and owner only (future_table_grants)
            future += _memo(
                ctx,
                ("future_grants", table.schema, table.owner, tuple(deny), role),
                privileges.future_grants,
                model,
                table,
                role,
                deny,
                _reach(ctx, role),
            )
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
        grants_text, evidence = _grants(ctx, table)
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
    return lazy_finding(req, PASS, _pass_text, ctx, table, message, name="privileges")


def _grants(ctx: AuditContext, table: Table) -> tuple[str, list[Evidence]]:
    """The table's grants as GRANT statements, and the statements that granted or revoked."""
    grants_text = (
        "\n".join(
            f"GRANT {g.privilege} ON {table.name} TO {g.grantee};"
            for g in sorted(table.grants, key=lambda g: (g.grantee, g.privilege))
            if not g.privilege.startswith(OWNER_LACKS)  # (the live read's marks: no GRANT)
        )
        or f"-- no grants on {table.name}"
    )
    grant_provenance = [
        p
        for p in table.provenance
        if p.sql and any(w in p.sql.upper() for w in ("GRANT", "REVOKE"))
    ]
    return grants_text, ctx.evidence(grant_provenance, grants_text)


def _pass_text(ctx: AuditContext, table: Table, message: str) -> tuple[str, list[Evidence], str]:
    """A PASS's message, evidence and DDL (the evidence and DDL worked out when a report
    first reads them)."""
    grants_text, evidence = _grants(ctx, table)
    return message, evidence, grants_text
