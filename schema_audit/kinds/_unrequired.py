"""What strict mode's set checks share: the objects of the covered schemas no entry requires.

``strict.tables`` and ``strict.views`` ask the same question of different sets (tables,
views and materialized views): required means named by an entry of those kinds (a
``match:`` selector's pick does not count: selectors say what a matching object must
have, not that a new one may appear), or listed under ``allow:``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet, in_schemas
from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.enums import PASS, Status
from schema_audit.model import qualify
from schema_audit.spec.model import Requirement


class _InSchema(Protocol):
    @property
    def schema(self) -> str: ...


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    return [Facet("exists", schemas=in_schemas(req))]


def unrequired(
    req: Requirement, ctx: AuditContext, kinds: tuple[str, ...], objects: Mapping[str, _InSchema]
) -> tuple[list[str], set[str]]:
    """(the objects of the covered schemas no entry of ``kinds`` requires, sorted; those schemas)."""
    spec = ctx.spec
    required = {
        qualify(r.schema, r.table or "")
        for kind in kinds
        for r in ctx.of_kind(kind)
        if not r.id.startswith("match.")
    }
    allowed = {
        qualify(spec.default_schema, a) if "." not in a else a for a in req.props.get("allow") or []
    }
    schemas = set(req.props["schemas"])
    accepted = required | allowed  # once: made per object, it was quadratic in the tables
    extra = sorted(k for k, o in objects.items() if o.schema in schemas and k not in accepted)
    return extra, schemas


def judge_catalog_only_set(
    req: Requirement,
    ctx: AuditContext,
    kind: str,
    objects: Mapping[str, _InSchema],
    noun: str,
    unknown: str | None,
) -> Finding:
    """``strict.domains`` / ``strict.composite_types``: FAIL for each object of the covered
    schemas no entry of ``kind`` requires. ``unknown``: why a static reading cannot judge
    the set (the reader does not model it: composite types), None where it does (domains);
    against a history whose spec states entries of ``kind`` such a set is DEFERRED with it.
    ``noun`` words the finding ("composite types"), its name the spec key."""
    name = noun.replace(" ", "_")
    if unknown is not None and ctx.is_static() and ctx.of_kind(kind):
        # with no entry, a history that made such a type has an unapplied statement, and the
        # facet DEFERs this finding
        return finding_for(req, Status.DEFERRED, unknown, name=name)
    extra, schemas = unrequired(req, ctx, (kind,), objects)
    if extra:
        return finding_for(
            req,
            Status.FAIL,
            f"{noun} the spec does not require: {', '.join(extra)}",
            diffs=[Diff(name, "only the required ones", extra)],
            name=name,
        )
    return finding_for(
        req,
        PASS,
        f"exactly the required {noun} in {', '.join(sorted(schemas))}",
        name=name,
    )
