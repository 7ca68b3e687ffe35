"""A CHECK constraint, by name or by its expression (compared canonically, as
PostgreSQL stores it).

```yaml
tables:
  invoices:
    checks:
      - {name: invoices_amount_positive, expression: "amount >= 0"}
      - {name: invoices_due_check, expression: "due >= issued", validated: false}
```

``validated: false`` is a CHECK added NOT VALID and not validated since, ``no_inherit:
true`` one that does not reach child tables; under ``exactly: [checks]`` a CHECK whose
entry does not state them must have neither (``init`` writes each).
"""

from __future__ import annotations

from schema_audit import model_ddl, sqlnorm, sqltime
from schema_audit.audit import nearmiss
from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Diff, Finding, describe_diffs, finding_for
from schema_audit.audit.tables import sqlnorm_columns
from schema_audit.enums import PASS, Status
from schema_audit.kinds import _session, requirement_kind
from schema_audit.kinds._common import COMMENT_PROP, after_adding, comment_diffs
from schema_audit.model import CheckConstraint, SchemaModel, qualify
from schema_audit.spec.fragments import req_schema, string, strings
from schema_audit.spec.model import Requirement

SCHEMA = req_schema(
    {
        "name": string("Constraint name; without it matched by expression."),
        "expression": string("CHECK expression, compared canonically."),
        "columns": strings("Columns the CHECK must be about (for near-miss search)."),
        "validated": {
            "type": "boolean",
            "description": "false = added NOT VALID and not validated since (rows before it "
            "were not checked).",
        },
        "no_inherit": {
            "type": "boolean",
            "description": "true = NO INHERIT (the CHECK does not reach child tables).",
        },
        "comment": COMMENT_PROP,
    },
    "A CHECK constraint requirement.",
)


def recommend(f: Finding, req: Requirement | None, model: SchemaModel) -> str:
    props = req.props if req else {}
    return f"Add CHECK ({props.get('expression')}) on {f.table or ''}" + after_adding(f)


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    target = qualify(req.schema, req.table) if req.table else "*"
    return [Facet(req.kind, target)]


@requirement_kind(
    id="check",
    name="CHECK constraint",
    title="CHECK constraints",
    group="constraints",
    hint="ALTER TABLE … ADD CONSTRAINT … CHECK",
    spec="tables.<table>.checks[]",
    schema=SCHEMA,
    recommend=recommend,
    strict="checks",
    facets=facets,
    facets_on_table=True,
)
def check_check(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    assert table is not None
    expression = req.props.get("expression")
    if req.name and req.name in table.checks:
        ck = table.checks[req.name]
        ddl = f"CONSTRAINT {ck.name} {model_ddl.check_clause(ck)}"
        if expression and not sqlnorm.exprs_equal(ck.expression, expression):
            side = _session_side(expression, ck.expression)
            if side is not None:  # PostgreSQL stored the literal's value in an unknown session
                return finding_for(
                    req,
                    Status.DEFERRED,
                    f"CHECK {ck.name} on {table.name} is {ck.expression}, expected {expression}: "
                    f"cannot be decided: {side} date/time literal has no UTC offset (or is "
                    "'now'/'today', a day/month order, a named zone), so PostgreSQL stores the "
                    "value it has in the TimeZone/DateStyle of the session that runs it "
                    + (
                        "(write the spec's literal with an offset, e.g. '2024-01-01 00:00:00+00')"
                        if side == "the spec's"
                        else "(audit the live database or --replay)"
                    ),
                    diffs=[Diff("expression", expression, ck.expression)],
                    evidence=ctx.evidence(ck.provenance, ddl),
                    ddl=ddl,
                )
            return finding_for(
                req,
                Status.FAIL,
                f"CHECK {ck.name} on {table.name} is {ck.expression}, expected {expression}",
                diffs=[Diff("expression", expression, ck.expression)],
                evidence=ctx.evidence(ck.provenance, ddl),
                ddl=ddl,
            )
        props = _property_diffs(req, ck)
        if props:
            return finding_for(
                req,
                Status.FAIL,
                f"CHECK {ck.name} on {table.name}: {describe_diffs(props)}",
                diffs=props,
                evidence=ctx.evidence(ck.provenance, ddl),
                ddl=ddl,
            )
        return finding_for(
            req,
            PASS,
            f"CHECK {ck.name} on {table.name}: {ck.expression}",
            evidence=ctx.evidence(ck.provenance, ddl),
            ddl=ddl,
        )
    # looked for only now: the named check above is compared by itself (init's spec), and
    # comparing it with the table's other checks would parse each of them
    same_expr = None
    if expression:
        for ck in table.checks.values():
            if sqlnorm.exprs_equal(ck.expression, expression):
                same_expr = ck
                break
    if same_expr is not None:
        ddl = f"CONSTRAINT {same_expr.name} {model_ddl.check_clause(same_expr)}"
        status = Status.PARTIAL if req.name else PASS
        message = f"CHECK ({expression}) on {table.name} exists as {same_expr.name}"
        diffs = [Diff("name", req.name, same_expr.name)] if req.name else []
        if req.name:
            message += " (name differs)"
        props = _property_diffs(req, same_expr)
        if props:
            status = Status.FAIL
            diffs += props
            message += f"; {describe_diffs(props)}"
        return finding_for(
            req,
            status,
            message,
            diffs=diffs,
            evidence=ctx.evidence(same_expr.provenance, ddl),
            ddl=ddl,
            name=same_expr.name,
        )
    for ck in table.checks.values() if expression else ():
        who = _session.side(expression, ck.expression)
        if who is not None:  # the same CHECK but for a literal the session decided
            ddl = f"CONSTRAINT {ck.name} {model_ddl.check_clause(ck)}"
            return finding_for(
                req,
                Status.DEFERRED,
                f"CHECK ({expression}) on {table.name}: {ck.name} is {ck.expression}: "
                + _session.reason(who),
                diffs=[Diff("expression", expression, ck.expression)],
                evidence=ctx.evidence(ck.provenance, ddl),
                ddl=ddl,
                name=ck.name,
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


def _property_diffs(req: Requirement, ck: CheckConstraint) -> list[Diff]:
    """``validated`` / ``no_inherit`` where the requirement states them and the CHECK
    differs (a CHECK re-added NOT VALID passed a requirement naming only its expression)."""
    out = []
    for prop, actual in (("validated", ck.validated), ("no_inherit", ck.no_inherit)):
        expected = req.props.get(prop)
        if expected is not None and bool(expected) != actual:
            out.append(Diff(prop, bool(expected), actual))
    return out + comment_diffs(req.props, ck.comment)


def _session_side(expected: str, actual: str) -> str | None:
    """Whose date/time literal the session that ran it decided, when only such literals make
    the expressions differ (any other difference is a FAIL a file can tell)."""
    want, have = sqlnorm.canonical_expr(expected), sqlnorm.canonical_expr(actual)
    if not sqltime.undecidable(want, have):
        return None
    return "the spec's" if sqltime.depends_on_session(want) else "the migration's"
