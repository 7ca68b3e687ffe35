"""A function: language, SECURITY DEFINER, a pinned ``search_path``, return type,
volatility, strictness, parallel safety, its ``SET`` options, its body, its owner, and who
may EXECUTE it: ``execute:`` judged on effective privileges (PUBLIC, membership,
ownership), ``grants:`` the ACL exactly (what ``init`` writes).

```yaml
functions:
  app.current_tenant:
    language: sql
    security_definer: true
    search_path_set: true
    execute: {deny: [public]}
  app.touch:
    volatility: VOLATILE
    config: [search_path=pg_catalog, public]
    body: "BEGIN NEW.updated_at := now(); RETURN NEW; END"
    owner: app_owner
    grants: {app: [EXECUTE]}
```

``body`` is compared with the body PostgreSQL stores (``prosrc``: the text between the
dollar quotes, byte for byte, so re-creating the function from the same text keeps it
equal); only line endings are not compared (CRLF = LF), every other whitespace is. A
``BEGIN ATOMIC`` body is not in ``prosrc`` (PostgreSQL keeps it parsed): the live catalog
prints it (``pg_get_function_sqlbody``, PostgreSQL 14+) and it is compared as ``sqlbody``
says: equal as text or in canonical form, different when both are in the catalog's own
layout (a spec init wrote from a database), else not compared (said in the finding).
``config`` lists the settings as ``proconfig`` holds them (``name=value``), compared as a
set with names lower-cased and each value list's items unquoted.

A key with its argument types, ``app.touch(integer)``, is that overload (types compared as
PostgreSQL reads them, argument names and OUT arguments aside): ``init`` writes one entry
per overload when a name has several, so each one's body, grants and owner are held. A bare
name is the first overload by signature, as before.
"""

from __future__ import annotations

import functools

from schema_audit import model_ddl, sqlbody, sqlnorm
from schema_audit.audit import privileges
from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Diff, Finding, describe_diffs, finding_for, missing
from schema_audit.enums import PASS, Status
from schema_audit.ident import setting_key
from schema_audit.kinds import _acl, requirement_kind
from schema_audit.model import Function, SchemaModel, number, qualify
from schema_audit.spec.fragments import obj, req_schema, string, strings
from schema_audit.spec.model import Requirement
from schema_audit.sqlspace import folded


def same_defaults(wanted: list, actual: list[str]) -> bool:
    """Argument defaults equal one by one as expressions (``'x'`` = ``'x'::text``; a NULL
    whatever its cast: ``sqlnorm.argument_default``)."""
    return len(wanted) == len(actual) and all(
        str(w) == a or sqlnorm.argument_default(str(w)) == sqlnorm.argument_default(a)
        for w, a in zip(wanted, actual, strict=True)
    )


SCHEMA = req_schema(
    {
        "schema": string("Schema (default: defaults.schema)."),
        "language": string("plpgsql, sql, …"),
        "security_definer": {"type": "boolean"},
        "search_path_set": {
            "type": "boolean",
            "description": "true = the function pins search_path (SET search_path).",
        },
        "returns": string("Return type."),
        "volatility": {"enum": ["IMMUTABLE", "STABLE", "VOLATILE"]},
        "strict": {
            "type": "boolean",
            "description": "true = STRICT (RETURNS NULL ON NULL INPUT).",
        },
        "parallel": {"enum": ["SAFE", "RESTRICTED", "UNSAFE"]},
        "config": strings(
            "Exactly the SET options it carries, as proconfig holds them "
            "(search_path=pg_catalog, public); [] = none."
        ),
        "body": string(
            "The body as PostgreSQL stores it (prosrc): compared character for character, "
            "line endings aside."
        ),
        "owner": _acl.OWNER_SCHEMA,
        "grants": _acl.GRANTS_SCHEMA,
        "defaults": strings(
            "The DEFAULT of each argument that has one (the last ones), in order, as "
            "pg_get_function_arguments shows them (compared as expressions); [] = none."
        ),
        "comment": {
            "type": ["string", "null"],
            "description": "Its COMMENT (null = none); compared when stated.",
        },
        "leakproof": {
            "type": "boolean",
            "description": "true = LEAKPROOF (may run before row-level security quals); "
            "strict.functions holds an unstated one.",
        },
        "cost": {
            "type": "number",
            "description": "COST, the planner's estimate per call (default 100; 1 for C and "
            "internal functions); strict.functions holds an unstated one to the default.",
        },
        "rows": {
            "type": "number",
            "description": "ROWS, the planner's estimate of a set-returning function's rows "
            "(default 1000); strict.functions holds an unstated one to the default.",
        },
        "execute": obj(
            {
                "grant": strings("Roles that must be able to EXECUTE it (effective privileges)."),
                "deny": strings(
                    "Roles that must not be able to EXECUTE it; 'public' = every role."
                ),
            },
            "Who may call it, judged on effective privileges (PUBLIC, membership, ownership).",
        ),
    },
    "A function requirement.",
)


@functools.lru_cache(maxsize=4096)
def argument_types(arguments: str) -> tuple[str, ...] | None:
    """The canonical types of a function's identity arguments (``n integer, VARIADIC t
    text[]`` -> ``("integer", "text[]")``: names, modes and OUT/TABLE arguments aside), None
    when PostgreSQL's grammar does not read them as arguments."""
    import pglast  # only for keys naming an overload: a live audit need not load the parser

    try:
        stmt = pglast.parse_sql(f"CREATE FUNCTION f({arguments}) RETURNS void LANGUAGE sql AS ''")[
            0
        ].stmt
        params = [p for p in getattr(stmt, "parameters", None) or () if p.mode not in ("o", "t")]
        return tuple(sqlnorm.canonical_type(sqlnorm.format_typename(p.argType)) for p in params)
    except Exception:  # noqa: BLE001 - any parse problem: not an argument list
        return None


def split_overload(name: str) -> tuple[str, tuple[str, ...] | None]:
    """(the function's name, its argument types when the key names them: ``f(integer)``)."""
    base, paren, rest = name.partition("(")
    if not paren or not rest.endswith(")"):
        return name, None
    types = argument_types(rest[:-1])
    return (base, types) if types is not None else (name, None)


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    target = qualify(req.schema, split_overload(req.name or "")[0])
    return [Facet("function", target), Facet("privilege"), Facet("owner", target)]


def candidates(req: Requirement, model: SchemaModel) -> tuple[str, list[Function]]:
    """(the requirement's label, the functions its key names: every overload of a bare
    name, the one of those argument types for ``f(integer)``); it judges the first."""
    name, types = split_overload(req.name or "")
    label = f"function {qualify(req.schema, name)}"
    functions = model.functions_named(name, req.schema)
    if types is not None:
        label += f"({', '.join(types)})"
        functions = [f for f in functions if argument_types(f.arguments) == types]
    return label, sorted(functions, key=lambda f: f.signature)


@requirement_kind(
    id="function",
    name="Function",
    title="Functions",
    group="objects",
    hint="create or fix the function",
    spec="functions.<function>",
    schema=SCHEMA,
    facets=facets,
)
def check_function(req: Requirement, ctx: AuditContext) -> Finding:
    label, functions = candidates(req, ctx.model)
    if not functions:
        return finding_for(
            req,
            Status.FAIL,
            f"{label} does not exist",
            diffs=[missing()],
            evidence=ctx.absence_evidence(None, label),
        )
    fn = functions[0]
    ddl = model_ddl.create_function(fn)
    diffs: list[Diff] = []
    props = req.props
    if "language" in props and props["language"].lower() != fn.language.lower():
        diffs.append(Diff("language", props["language"], fn.language))
    if "security_definer" in props and props["security_definer"] != fn.security_definer:
        diffs.append(Diff("security_definer", props["security_definer"], fn.security_definer))
    if "search_path_set" in props:
        pinned = any(c.lower().startswith("search_path=") for c in fn.config)
        if pinned != props["search_path_set"]:
            diffs.append(Diff("search_path_set", props["search_path_set"], pinned))
    if "returns" in props and not _same_type(props["returns"], fn.returns):
        diffs.append(Diff("returns", props["returns"], fn.returns))
    if "volatility" in props and props["volatility"].upper() != fn.volatility:
        diffs.append(Diff("volatility", props["volatility"], fn.volatility))
    if "strict" in props and props["strict"] != fn.strict:
        diffs.append(Diff("strict", props["strict"], fn.strict))
    if "parallel" in props and props["parallel"].upper() != fn.parallel:
        diffs.append(Diff("parallel", props["parallel"], fn.parallel))
    if "config" in props and _settings(props["config"] or []) != _settings(fn.config):
        diffs.append(Diff("config", list(props["config"] or []), list(fn.config)))
    if "comment" in props and (props["comment"] or None) != (fn.comment or None):
        diffs.append(Diff("comment", props["comment"], fn.comment))
    if "leakproof" in props and bool(props["leakproof"]) != fn.leakproof:
        diffs.append(Diff("leakproof", props["leakproof"], fn.leakproof))
    if "defaults" in props and not same_defaults(props["defaults"] or [], fn.defaults):
        diffs.append(Diff("defaults", list(props["defaults"] or []), list(fn.defaults)))
    for prop, actual in (("cost", fn.cost), ("rows", fn.rows)):  # None: the default
        value = getattr(fn, f"default_{prop}") if actual is None else float(actual)
        if prop in props and float(props[prop]) != value:
            diffs.append(Diff(prop, props[prop], number(value)))
    notes: list[str] = []
    if "body" in props:
        want = props["body"] or ""
        if not fn.body and fn.language.lower() == "sql":
            notes.append("body not compared: a BEGIN ATOMIC body is not in prosrc")
        elif fn.language.lower() == "sql" and (
            sqlbody.is_standard(fn.body) or sqlbody.is_standard(want)
        ):
            printed = bool(fn.provenance) and fn.provenance[0].source == "catalog"
            same = sqlbody.same_body(want, fn.body, printed=printed)
            if same is None:
                notes.append(
                    "body not compared: PostgreSQL prints a BEGIN ATOMIC body in its own form"
                )
            elif not same:
                diffs.append(Diff("body", _abridge(want), _abridge(fn.body)))
        elif _acl.normalize_body(want) != _acl.normalize_body(fn.body):
            diffs.append(Diff("body", _abridge(want), _abridge(fn.body)))
    grants = (
        _acl.grants_diff(
            props["grants"],
            fn.grants,
            fn.owner,
            props.get("owner"),
            _acl.catalog_kind(ctx, "functions"),
        )
        if "grants" in props
        else None
    )
    owner, unknown_owner = _acl.owner_diff(props.get("owner"), fn.owner)
    if owner is not None:
        diffs.append(owner)
    execute = props.get("execute") or {}
    for role in execute.get("grant") or []:
        if privileges.routine_execute(ctx.model, fn, role) is None:
            diffs.append(Diff(f"execute[{role}]", "EXECUTE", "no EXECUTE"))
    for role in execute.get("deny") or []:
        access = privileges.routine_execute(ctx.model, fn, role)
        if access is not None:
            how = access.describe(role)
            diffs.append(Diff(f"execute[{role}]", "no EXECUTE", f"EXECUTE {how}".strip()))
    evidence = ctx.evidence(fn.provenance, ddl)
    if diffs or grants is not None:
        detail = "; ".join(
            ([describe_diffs(diffs)] if diffs else [])
            + ([_acl.grants_detail(grants)] if grants else [])
        )
        return finding_for(
            req,
            Status.FAIL,
            f"{label} differs: {detail}",
            diffs=diffs + ([grants] if grants else []),
            evidence=evidence,
            ddl=ddl,
        )
    note = "".join(f" (note: {n})" for n in notes)
    if unknown_owner:
        return finding_for(
            req,
            Status.DEFERRED,
            f"{label}: owner {props['owner']} cannot be decided: {_acl.UNKNOWN_OWNER}{note}",
            evidence=evidence,
            ddl=ddl,
        )
    return finding_for(
        req, PASS, f"{label} exists: {fn.signature}{note}", evidence=evidence, ddl=ddl
    )


def _same_type(expected: str, actual: str) -> bool:
    """Return types as PostgreSQL reads them (``int`` = ``integer``; SETOF/TABLE by text)."""
    return expected == actual or _canon(expected) == _canon(actual)  # equal text: no parse


def _canon(text: str) -> str:
    if text.upper().startswith(("SETOF ", "TABLE(", "TABLE (")):
        return folded(text)
    try:
        return sqlnorm.canonical_type(text)
    except ValueError:
        return text.lower()


def _settings(config: list[str]) -> list[str]:
    """proconfig entries compared (``ident.setting_key``: ``search_path="$user", public`` =
    ``search_path=$user, public``, as PostgreSQL reads it; ``"other, public"`` is one schema)."""
    return sorted(setting_key(entry) for entry in config)


def _abridge(body: str) -> str:
    text = " ".join(body.split())
    return text if len(text) <= 120 else text[:117] + "..."
