"""The judgement a type read from a catalog only shares (composite and range types): DEFERRED
against a migration history (the static reader does not model it), FAIL when missing, else
its own differences with its comment, owner and USAGE grants."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schema_audit.audit.context import AuditContext
from schema_audit.audit.findings import Diff, Finding, describe_diffs, finding_for, missing
from schema_audit.enums import PASS, Status
from schema_audit.kinds import _acl
from schema_audit.kinds._common import comment_diffs
from schema_audit.model import qualify
from schema_audit.spec.model import Requirement


def judge_catalog_type(
    req: Requirement,
    ctx: AuditContext,
    noun: str,
    found: Any,
    unknown: str,
    own_diffs: Callable[[Any], list[Diff]],
    shown: Callable[[Any], str],
) -> Finding:
    """``noun`` words the finding ("composite type"); ``found`` the model's type or None;
    ``unknown`` why a history's reading cannot judge it; ``own_diffs`` its kind's own
    differences; ``shown`` what a PASS says of it."""
    key = qualify(req.schema, req.name or "")
    if found is None and ctx.is_static():
        return finding_for(req, Status.DEFERRED, f"{noun} {key}: {unknown}")
    if found is None:
        return finding_for(
            req,
            Status.FAIL,
            f"{noun} {key} does not exist",
            diffs=[missing()],
            evidence=ctx.absence_evidence(None, f"{noun} {key}"),
        )
    diffs = own_diffs(found) + comment_diffs(req.props, found.comment)
    owner, _ = _acl.owner_diff(req.props.get("owner"), found.owner)
    if owner is not None:
        diffs.append(owner)
    diffs += _acl.type_grants_diff(req.props, found, _acl.catalog_kind(ctx, "types"))
    if diffs:
        return finding_for(req, Status.FAIL, f"{noun} {key}: {describe_diffs(diffs)}", diffs=diffs)
    return finding_for(req, PASS, f"{noun} {key} {shown(found)}")
