"""A view: the columns it exposes, the tables it reads, and its options
(``security_invoker``, ``security_barrier``, ``check_option``).

```yaml
views:
  active_customers:
    columns: [id, name]
    depends_on: [customers]
    options: {security_invoker: true}
    definition: SELECT id, name FROM customers WHERE active
```
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from schema_audit import model_ddl
from schema_audit.audit import nearmiss
from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Diff, Finding, describe_diffs, finding_for, missing
from schema_audit.audit.options import option_diffs
from schema_audit.enums import PASS, Status
from schema_audit.ident import split_qualified
from schema_audit.kinds import _acl, _session, requirement_kind
from schema_audit.kinds.index import SCHEMA as INDEX_SCHEMA
from schema_audit.model import SchemaModel, View, qualify, setting_pairs
from schema_audit.spec.fragments import obj, req_schema, string, strings
from schema_audit.spec.model import Requirement
from schema_audit.viewtext import session_side, views_equal


def _relation_name(text: str) -> str:
    """A relation a view reads, by its name without schema and quotes: the model holds
    ``"a$b"`` (quoted as quote_ident() quotes it), a spec may write ``a$b`` (the stored name:
    ident's rule), an earlier init wrote it bare."""
    parts = split_qualified(text, fold=False)
    return parts[-1] if parts else text


def storage_diffs(props: dict[str, Any], view: View) -> list[Diff]:
    """A materialized view's stated ``tablespace`` / ``access_method`` it has not (unset:
    pg_default / heap)."""
    return [
        Diff(prop, props[prop], actual)
        for prop, actual in (
            ("tablespace", view.tablespace or "pg_default"),
            ("access_method", view.access_method or "heap"),
        )
        if prop in props and props[prop] != actual
    ]


def unstated_storage(view: View, props: dict[str, Any]) -> list[str]:
    """``TABLESPACE x`` / ``USING am`` of a materialized view whose entry does not state it
    (what strict.views holds)."""
    return [
        text
        for prop, value, text in (
            ("tablespace", view.tablespace, f"TABLESPACE {view.tablespace}"),
            ("access_method", view.access_method, f"USING {view.access_method}"),
        )
        if value and prop not in props
    ]


SCHEMA = req_schema(
    {
        "schema": string("Schema (default: defaults.schema)."),
        "columns": strings("Columns the view must expose."),
        "depends_on": strings("Base tables the view must read."),
        "options": {
            **obj(
                {
                    "security_invoker": {
                        "type": "boolean",
                        "description": "true = the view runs with the caller's rights (RLS of the "
                        "caller applies; PostgreSQL 15+).",
                    },
                    "security_barrier": {"type": "boolean"},
                    "check_option": {"enum": ["local", "cascaded", "none"]},
                },
                "View options (absent in the catalog = PostgreSQL's default: false / none); a "
                "materialized view's storage parameters (fillfactor …) as WITH (…) sets them.",
            ),
            "additionalProperties": {"type": ["string", "number", "boolean"]},
        },
        "comment": {
            "type": ["string", "null"],
            "description": "Its COMMENT (null = none); compared when stated.",
        },
        "tablespace": string(
            "A materialized view's tablespace (TABLESPACE, SET TABLESPACE; pg_default: the "
            "database's default); compared when stated, strict.views holds an unstated one."
        ),
        "access_method": string(
            "A materialized view's table access method (USING, SET ACCESS METHOD; heap: the "
            "default); compared when stated, strict.views holds an unstated one."
        ),
        "rules": {
            "type": "object",
            "description": "The view's rules (CREATE RULE … ON INSERT TO v DO INSTEAD …) by "
            "name: pg_get_ruledef's text, or {definition, enabled}; held by strict.rules.",
            "additionalProperties": {"type": ["string", "object"]},
        },
        "column_settings": {
            "type": "object",
            "description": "A materialized view's columns' SET STATISTICS / STORAGE / "
            "COMPRESSION / (n_distinct …) by column name, as a table column states them "
            "(`{total: {statistics: 300}}`); a column not named has none; compared when "
            "stated, and strict.views holds an unstated one.",
            "additionalProperties": {"type": "object"},
        },
        "column_comments": {
            "type": "object",
            "description": "Its columns' COMMENT ON COLUMN by column name (`{email: Login "
            "address}`); a column not named has none; compared when stated, and strict.views "
            "holds an unstated one.",
            "additionalProperties": {"type": "string"},
        },
        "definition": string(
            "Its query (compared when stated) as PostgreSQL stores it: pg_get_viewdef's text "
            "and the same query spelled otherwise (bare columns, ORDER BY 1, whitespace) are "
            "equal; a changed condition, column, join or relation is not."
        ),
        "indexes": {"type": "array", "items": INDEX_SCHEMA},
        "owner": _acl.OWNER_SCHEMA,
        "grants": _acl.GRANTS_SCHEMA,
    },
    "A view or materialized-view requirement.",
)


def column_settings(view: View) -> dict[str, dict[str, Any]]:
    """The columns' settings that are not the default, by column (what init writes)."""
    return {c.name: dict(setting_pairs(c.settings)) for c in view.columns if c.settings}


def column_comments(view: View) -> dict[str, str]:
    """COMMENT ON COLUMN of its columns, by column (what init writes): a view column's comment
    changed after init PASSed its spec before (a false PASS; PostgREST shows them)."""
    return {c.name: c.comment for c in view.columns if c.comment}


def _stated_settings(stated: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A ``column_settings:`` mapping without the defaults it may spell out (statistics -1,
    compression default, options '')."""
    defaults = {"statistics": -1, "compression": "default", "options": ""}
    out = {}
    for column, settings in stated.items():
        kept = {k: v for k, v in (settings or {}).items() if defaults.get(k, object()) != v}
        if kept:
            out[column] = kept
    return out


def recommend(f: Finding, req: Requirement | None, model: SchemaModel) -> str:
    kind = "materialized view" if f.kind == "materialized_view" else "view"
    if f.instead:
        return f"Create {kind} {f.name}, or document that {f.instead[0].name} replaces it"
    return f"Create {kind} {f.name}"


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    target = qualify(req.schema, req.table) if req.table else "*"
    return [Facet("view", target), Facet("privilege", target), Facet("owner", target)]


@requirement_kind(
    id="view",
    name="View",
    title="Views",
    group="objects",
    hint="create the view",
    spec="views.<view>",
    schema=SCHEMA,
    recommend=recommend,
    facets=facets,
    facets_on_table=True,
)
def check_view(req: Requirement, ctx: AuditContext) -> Finding:
    materialized = req.kind == "materialized_view"
    kind = "materialized view" if materialized else "view"
    label = f"{kind} {qualify(req.schema, req.table or '')}"
    view = ctx.view(req)
    if view is None or view.materialized != materialized:
        diffs = [missing()]
        message = f"{label} does not exist"
        if view is not None:
            other = "materialized view" if view.materialized else "view"
            message += f" (a {other} of that name exists)"
            diffs.append(Diff("materialized", materialized, view.materialized))
        return finding_for(
            req,
            Status.FAIL,
            message,
            diffs=diffs,
            evidence=ctx.absence_evidence(None, label),
            instead=nearmiss.view_candidates(req, ctx),
        )
    ddl = model_ddl.create_view(view)
    evidence = ctx.evidence(view.provenance, ddl)
    diffs = []
    have = [c.name for c in view.columns]
    lacking = [c for c in req.props.get("columns") or [] if c not in have]
    if lacking:
        diffs.append(Diff("columns", req.props["columns"], have))
    deps = {_relation_name(d) for d in view.depends_on}
    lacking_deps = [
        d for d in req.props.get("depends_on") or [] if _relation_name(str(d)) not in deps
    ]
    if lacking_deps:
        diffs.append(Diff("depends_on", req.props["depends_on"], sorted(deps)))
    option_problems = option_diffs(req.props.get("options") or {}, view.options, None)
    option_problems += storage_diffs(req.props, view)
    diffs += option_problems
    definition = None
    same_query = (
        views_equal(
            req.props["definition"],
            view.definition,
            printed=bool(view.provenance) and view.provenance[0].source == "catalog",
        )
        if "definition" in req.props
        else True
    )
    if same_query is False:
        definition = Diff("definition", req.props["definition"], view.definition)
        diffs.append(definition)
    comment = None
    if "comment" in req.props and (req.props["comment"] or None) != (view.comment or None):
        comment = Diff("comment", req.props["comment"], view.comment)
        diffs.append(comment)
    settings = None
    if "column_settings" in req.props:
        want = _stated_settings(req.props["column_settings"] or {})
        actual = column_settings(view)
        if want != actual:
            settings = Diff("column_settings", req.props["column_settings"], actual)
            diffs.append(settings)
    described = None
    if "column_comments" in req.props:
        want_comments = {k: v for k, v in (req.props["column_comments"] or {}).items() if v}
        if want_comments != (have_comments := column_comments(view)):
            described = Diff("column_comments", req.props["column_comments"], have_comments)
            diffs.append(described)
    owner, unknown_owner = _acl.owner_diff(req.props.get("owner"), view.owner)
    grants = (
        # (a catalog's view lists its owner's items: a stated owner grant is held by them)
        _acl.grants_diff(req.props["grants"], view.grants, view.owner, req.props.get("owner"))
        if "grants" in req.props
        else None
    )
    if diffs or owner or grants:
        detail = "; ".join([f"missing column(s) {', '.join(lacking)}"] if lacking else []) or ""
        if lacking_deps:
            detail += ("; " if detail else "") + f"does not read {', '.join(lacking_deps)}"
        if option_problems:
            detail += ("; " if detail else "") + describe_diffs(
                replace(d, actual=d.actual or "not set") for d in option_problems
            )
        if definition:
            detail += ("; " if detail else "") + "query differs"
        if comment:
            detail += ("; " if detail else "") + "comment differs"
        if settings:
            detail += ("; " if detail else "") + f"column settings are {settings.actual or 'none'}"
        if described:
            detail += ("; " if detail else "") + (
                f"column comments are {described.actual or 'none'}, expected {described.expected}"
            )
        if owner:
            detail += ("; " if detail else "") + f"owner is {view.owner}, expected {owner.expected}"
            diffs.append(owner)
        if grants:
            detail += ("; " if detail else "") + _acl.grants_detail(grants)
            diffs.append(grants)
        return finding_for(
            req, Status.FAIL, f"{label} differs: {detail}", diffs=diffs, evidence=evidence, ddl=ddl
        )
    if same_query is None:
        who = session_side(req.props["definition"], view.definition)
        because = (
            "its query " + _session.reason("the spec's" if who == "left" else "the migration's")
            if who
            else "its query differs from the stated one only in casts, which cannot be "
            "decided from the text (PostgreSQL spells out the casts it adds itself): "
            "compare them, or state the query as the catalog prints it"
        )
        return finding_for(
            req,
            Status.DEFERRED,
            f"{label} exists; {because}",
            diffs=[Diff("definition", req.props["definition"], view.definition)],
            evidence=evidence,
            ddl=ddl,
        )
    if unknown_owner:
        return finding_for(
            req,
            Status.DEFERRED,
            f"{label} exists; owner {req.props['owner']} cannot be decided: {_acl.UNKNOWN_OWNER}",
            evidence=evidence,
            ddl=ddl,
        )
    return finding_for(req, PASS, f"{label} exists", evidence=evidence, ddl=ddl)
