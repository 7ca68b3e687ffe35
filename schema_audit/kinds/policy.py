"""A row-level-security policy: command, PERMISSIVE or RESTRICTIVE, roles, and its
USING / WITH CHECK predicates compared as PostgreSQL evaluates them (``a = b`` is
``b = a``; ``(SELECT f())`` is ``f()`` for a STABLE or IMMUTABLE ``f``).

```yaml
tables:
  invoices:
    policies:
      - {name: tenant_isolation, command: ALL, using: "tenant_id = current_setting('app.tenant')::uuid"}
```

Without a name it is matched by command, roles and predicates; an equivalent policy
under another name is PARTIAL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schema_audit import model_ddl
from schema_audit.audit import policysem
from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import (
    Candidate,
    Diff,
    Evidence,
    Finding,
    describe_diffs,
    finding_for,
    lazy_finding,
    matched_by_shape,
)
from schema_audit.enums import PASS, Status
from schema_audit.kinds import _session, requirement_kind
from schema_audit.kinds._common import COMMENT_PROP, comment_diffs, exists
from schema_audit.model import Policy, SchemaModel, Table, qualify
from schema_audit.spec.fragments import COMMANDS, req_schema, string, strings
from schema_audit.spec.model import Requirement

SCHEMA = req_schema(
    {
        "name": string("Policy name; without it matched by command and predicates."),
        "command": {"enum": COMMANDS},
        "permissive": {"type": "boolean", "description": "false = RESTRICTIVE."},
        "roles": strings("Roles the policy applies to; 'public' = PUBLIC."),
        "using": string(
            "USING expression, compared as PostgreSQL evaluates it (a = b is b = a; "
            "(SELECT f()) is f() for a STABLE/IMMUTABLE f)."
        ),
        "with_check": {
            "type": ["string", "null"],
            "description": "WITH CHECK expression PostgreSQL applies (a FOR ALL/UPDATE policy "
            "without one checks new rows with its USING); null = must declare none.",
        },
        "comment": COMMENT_PROP,
    },
    "A row-level-security policy requirement.",
)


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
    return diffs + comment_diffs(props, policy.comment)


def recommend(f: Finding, req: Requirement | None, model: SchemaModel) -> str:
    table = f.table or ""
    if not exists(f):
        return f"Create policy {f.name} on {table}"
    return f"Fix policy {f.name} on {table}: {f.message}"


def label(item: Mapping[str, Any], index: int) -> str:
    if item.get("command"):
        return f"{item['command'].lower()}_{index}"
    return f"policy_{index}"


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    target = qualify(req.schema, req.table) if req.table else "*"
    return [Facet(req.kind, target)]


def _ddl_evidence(ctx: AuditContext, policy: Policy, table: Table) -> tuple[str, list[Evidence]]:
    """The policy's CREATE POLICY, and where it was made."""
    ddl = model_ddl.create_policy(policy, table)
    return ddl, ctx.evidence(policy.provenance, ddl)


def _pass_text(
    ctx: AuditContext, policy: Policy, table: Table, label: str
) -> tuple[str, list[Evidence], str]:
    """A PASS's message, evidence and DDL (worked out when a report first reads them)."""
    ddl, evidence = _ddl_evidence(ctx, policy, table)
    return f"{label} matches", evidence, ddl


@requirement_kind(
    id="policy",
    name="RLS policy",
    title="RLS policies",
    group="security",
    hint="CREATE POLICY (or recreate it with the expected USING / WITH CHECK)",
    spec="tables.<table>.policies[]",
    schema=SCHEMA,
    recommend=recommend,
    label=label,
    strict="policies",
    facets=facets,
    facets_on_table=True,
)
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
        diffs = _policy_diffs(props, policy, ctx.model)
        if not diffs:
            return lazy_finding(req, PASS, _pass_text, ctx, policy, table, label)
        ddl, evidence = _ddl_evidence(ctx, policy, table)
        who = _session.undecided(diffs, ("using", "with_check"))
        if who is not None:
            return finding_for(
                req,
                Status.DEFERRED,
                f"{label}: {describe_diffs(diffs)}: {_session.reason(who)}",
                diffs=diffs,
                evidence=evidence,
                ddl=ddl,
            )
        return finding_for(
            req,
            Status.FAIL,
            f"{label} differs: {describe_diffs(diffs)}",
            diffs=diffs,
            evidence=evidence,
            ddl=ddl,
        )
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
    for p in sorted(table.policies.values(), key=lambda p: p.name):
        diffs = _policy_diffs(props, p, ctx.model)
        who = _session.undecided(diffs, ("using", "with_check"))
        if who is not None:  # the same policy but for a literal the session decided
            ddl = model_ddl.create_policy(p, table)
            return finding_for(
                req,
                Status.DEFERRED,
                f"{label}: {p.name} {describe_diffs(diffs)}: {_session.reason(who)}",
                diffs=diffs,
                evidence=ctx.evidence(p.provenance, ddl),
                ddl=ddl,
                name=p.name,
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
