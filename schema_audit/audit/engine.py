"""Judge every requirement of a spec against a model: one finding per requirement.

A requirement whose parent table or view is missing is NOT_APPLICABLE (one FAIL
for the table, not a cascade of FAILs for every column). Roll-ups (questions,
exit gates, categories, verdict) are not made here: :class:`AuditResult`
derives them from the final findings.
"""

from __future__ import annotations

from collections.abc import Sequence

from schema_audit.audit.context import AuditContext
from schema_audit.audit.findings import Finding, finding_for
from schema_audit.audit.result import AuditResult, Rollup, aggregate
from schema_audit.enums import Status
from schema_audit.kinds import Check, registry
from schema_audit.model import RUNNER, SchemaModel, runner_roles
from schema_audit.spec.model import Requirement, Spec

__all__ = ["AuditResult", "Rollup", "aggregate", "checks", "evaluate"]


def checks() -> dict[str, Check]:
    """Requirement kind -> its check, from the registry (``schema_audit/kinds/``)."""
    return {k.id: k.check for k in registry().values() if k.check is not None}


def _is_absent(finding: Finding) -> bool:
    """Whether the finding says its object does not exist (FAIL) or may not (DEFERRED): the
    requirements under it then cannot apply."""
    return finding.status in (Status.FAIL, Status.DEFERRED) and any(
        d.property == "exists" for d in finding.diffs
    )


def _orphan(req: Requirement, parent: Finding) -> Finding:
    """A requirement whose table is missing: NOT_APPLICABLE, or DEFERRED with it when the
    table's absence is itself undecided (an unapplied statement may create it)."""
    what = f"{parent.kind.replace('_', ' ')} {req.table}"
    if parent.status == Status.DEFERRED:
        return finding_for(
            req,
            Status.DEFERRED,
            f"{what} is not in the static model and its existence is DEFERRED, so this is too",
            evidence=parent.evidence,
        )
    return finding_for(req, Status.NOT_APPLICABLE, f"{what} does not exist, so this cannot apply")


def _judged_for_runners(
    finding: Finding, req: Requirement, check: Check, ctx: AuditContext, runners: dict[str, str]
) -> Finding:
    """``finding`` (judged as if none of ``runners`` runs the history), or DEFERRED when
    it would differ were one of them the runner: a history does not say which role runs it,
    and ALTER DEFAULT PRIVILEGES FOR ROLE x grants what x creates (tambo-ai/tambo-cloud's
    `FOR ROLE postgres` grants FAILed, while the owners, unknown for the same reason, were
    DEFERRED); the runner owns the schemas it creates (supabase/auth's USAGE of postgres).
    ``runners``: role -> why its running matters. A verdict that holds in every world stands."""
    memo = ctx.memo
    for runner, why in runners.items():
        token = RUNNER.set(runner)
        ctx.memo = {}  # (memoised answers read grants of the world they were worked out in)
        try:
            other = check(req, ctx)
        finally:
            RUNNER.reset(token)
            ctx.memo = memo
        if other.status != finding.status:
            return finding_for(
                req,
                Status.DEFERRED,
                f"{finding.message} — cannot be decided: it depends on the role that runs the "
                f"history ({why}): {other.status} if "
                f"{runner} runs it, {finding.status} otherwise",
                evidence=finding.evidence,
            )
    return finding


def evaluate(
    spec: Spec,
    model: SchemaModel,
    source_kind: str,
    *,
    probe_findings: dict[str, Finding] | None = None,
    share: Sequence[Requirement] | None = None,
    ctx: AuditContext | None = None,
) -> list[Finding]:
    """One finding per requirement of ``spec``, in spec order (strict ones last).

    ``share``: judge only these of the spec's requirements (in their order): every
    requirement of each table they name, as ``audit/split`` cuts the spec between two
    processes; ``ctx``: the whole spec's context, built before that fork (both sides read
    it), else built here.

    Only the spec's own requirements: the source's findings, the rule pack, waivers,
    suppressions and the baseline are added by the one audit pipeline,
    :func:`schema_audit.api.audit_model`, which is what callers use.

    One pass over the requirements, dispatched by kind through the registry; every
    lookup a check makes (tables by name, findings by id and by kind and table,
    requirements by id) is a dictionary built once, so the cost is linear in the spec
    and the schema. Kinds registered ``last`` (strict mode) read the other findings,
    so they are judged after them.
    """
    kinds = registry()
    if ctx is None:
        ctx = AuditContext.build(spec, model, source_kind)
    findings: list[Finding] = []
    # findings by id whose object is absent (the last finding of each id decides, as a
    # parent's lookup did): most audits have none, so a child's check is one empty test
    absent: dict[str, Finding] = {}
    judged = ctx.judged
    # a live or replayed catalog, or a history with every statement applied, defers nothing
    deferrals = ctx.deferrals() if ctx.is_static() and model.unapplied else None
    # grants that hold only if a named role runs the history (model.Grant.runner)
    runners = runner_roles(model) if ctx.is_static() else []
    # (or an OWNER TO moving what r would own: its grants pass to the new owner, owner_acl)
    by_grants = {r: f"ALTER DEFAULT PRIVILEGES FOR ROLE {r}, or OWNER TO from {r}" for r in runners}
    # kinds whose verdict may depend on a role of the requirement running it (its schema's USAGE)
    more = {k: kind.runners for k, kind in kinds.items() if kind.runners} if ctx.is_static() else {}
    checks = {k: kind.check for k, kind in kinds.items()}
    last = {k for k, kind in kinds.items() if kind.last}

    # strict kinds last: they read the findings of every other requirement; the rest in
    # spec order (one loop, no call per requirement: 220,000 at 5,000 tables)
    requirements = spec.requirements if share is None else share
    ordered = [req for req in requirements if req.kind not in last]
    if len(ordered) < len(requirements):
        ordered += [req for req in requirements if req.kind in last]
    for req in ordered:
        parent = absent.get(req.parent) if absent and req.parent else None
        if parent is not None:
            finding = _orphan(req, parent)
        elif req.kind == "probe" and probe_findings and req.id in probe_findings:
            finding = probe_findings[req.id]
        else:
            check = checks[req.kind]
            assert check is not None
            finding = check(req, ctx)
            worlds = by_grants
            if more and req.kind in more:
                worlds = {**more[req.kind](req, ctx), **by_grants}
            if worlds:
                finding = _judged_for_runners(finding, req, check, ctx, worlds)
            if deferrals is not None:
                finding = deferrals.requirement(finding, req)
        findings.append(finding)
        if finding.diffs and _is_absent(finding):
            absent[finding.id] = finding
        elif absent and finding.id in absent:
            del absent[finding.id]  # a later finding of the same id: it decides
        key = (finding.kind, finding.table)
        same = judged.get(key)
        if same is None:
            judged[key] = [finding]
        else:
            same.append(finding)
    return findings
