"""Strict mode for the set of views: a view or materialized view in the covered schemas
that no ``views:`` / ``materialized_views:`` entry requires FAILs (``strict.tables`` covers
tables only, so a view added after ``init`` passed its "exactly" spec).

```yaml
strict:
  tables: true
  views: true
  schemas: [public, billing]
```
"""

from __future__ import annotations

from typing import Any

from schema_audit.audit.context import AuditContext
from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.enums import PASS, Status
from schema_audit.kinds import requirement_kind
from schema_audit.kinds._unrequired import facets, unrequired
from schema_audit.kinds.strict import unstated_index_extras
from schema_audit.kinds.table import unstated_options
from schema_audit.kinds.view import unstated_storage
from schema_audit.model import View, qualify, setting_pairs
from schema_audit.spec.model import Requirement

VIEW_KINDS = ("view", "materialized_view")


def _unstated_settings(view: View, props: dict[str, Any]) -> list[str]:
    """``ALTER COLUMN c SET STATISTICS 300`` (STORAGE, COMPRESSION, (n_distinct …)) for each
    materialized view column with a setting where the entry states no ``column_settings``."""
    if "column_settings" in props or not view.materialized:
        return []
    return [
        f"ALTER COLUMN {c.name} SET {k.upper()} {v}"
        for c in view.columns
        if c.settings
        for k, v in setting_pairs(c.settings)
    ]


def _unstated_column_comments(view: View, props: dict[str, Any]) -> list[str]:
    """``COMMENT ON COLUMN c`` for each column with a comment where the entry states no
    ``column_comments`` (init writes them)."""
    if "column_comments" in props:
        return []
    return [f"COMMENT ON COLUMN {c.name}" for c in view.columns if c.comment]


def _unstated_indexes(view: View, props: dict[str, Any]) -> list[str]:
    """A materialized view's indexes its entry's ``indexes:`` does not name (``INDEX name``),
    and the unstated properties of those it names by exact ``columns:``."""
    if not view.indexes:
        return []
    items = {
        str(item.get("name")): item
        for item in props.get("indexes") or []
        if isinstance(item, dict) and item.get("name")
    }
    out: list[str] = []
    for name, index in view.indexes.items():
        item = items.get(name)
        if item is None:
            out.append(f"INDEX {name}")
        elif "columns" in item and (extras := unstated_index_extras(index, item)):
            out.append(f"INDEX {name} {' '.join(extras)}")
    return out


@requirement_kind(
    id="strict_views",
    name="Exactly these views",
    title="Unexpected views",
    group="strict",
    hint="drop the view, or require it (or allow: it) in the spec",
    spec="strict.views",
    last=True,
    facets=facets,
    facets_on_table=True,
)
def check_strict_views(req: Requirement, ctx: AuditContext) -> Finding:
    extra, schemas = unrequired(req, ctx, VIEW_KINDS, ctx.model.views)
    if extra:
        return finding_for(
            req,
            Status.FAIL,
            f"views the spec does not require: {', '.join(extra)}",
            diffs=[Diff("views", "only the required ones", extra)],
            name="views",
        )
    # a listed view given an option (security_invoker, security_barrier, check_option, a
    # materialized view's storage parameter) or a comment its entry does not state; a listed
    # materialized view's index its entry does not name, or one with a property it does not
    # state (CREATE INDEX / CLUSTER ON / ALTER INDEX SET (…) on it after init passed)
    unstated = sorted(
        f"{k} ({', '.join(extras)})"
        for kind in VIEW_KINDS
        for r in ctx.of_kind(kind)
        if not r.id.startswith("match.")
        for k in [qualify(r.schema, r.table or "")]
        if (v := ctx.model.views.get(k)) is not None
        and (
            v.options
            or v.comment
            or v.indexes
            or v.materialized
            or ("column_comments" not in r.props and any(c.comment for c in v.columns))
        )
        and v.schema in schemas
        and (
            extras := unstated_options(v.options, r.props)
            + (["COMMENT"] if v.comment and "comment" not in r.props else [])
            + _unstated_column_comments(v, r.props)
            + _unstated_settings(v, r.props)
            + unstated_storage(v, r.props)
            + _unstated_indexes(v, r.props)
        )
    )
    if unstated:
        return finding_for(
            req,
            Status.FAIL,
            f"views with options or comments the spec does not state: {', '.join(unstated)}",
            diffs=[Diff("view definitions", "only what the entries state", unstated)],
            name="views",
        )
    return finding_for(
        req,
        PASS,
        f"exactly the required views in {', '.join(sorted(schemas))}",
        name="views",
    )
