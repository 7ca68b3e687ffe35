"""Strict mode for one table ("exactly these"): a column, index, policy, trigger,
CHECK, foreign key or grant that exists but no requirement accounts for FAILs
(pgTAP's ``*_are`` idea). Judged after every other requirement, because a
requirement matched by shape accounts for the object it matched.

```yaml
tables:
  invoices:
    exactly: [columns, policies, privileges]
    allow: [legacy_note]       # names strict mode accepts without a requirement
strict:
  exactly: [columns]           # every table entry, unless it says otherwise
```
"""

from __future__ import annotations

import functools

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Diff, Evidence, Finding, finding_for
from schema_audit.audit.indexes import parse_key
from schema_audit.enums import PASS, Status
from schema_audit.kinds import _acl, requirement_kind
from schema_audit.kinds._unstated import OBJECTS as _OBJECTS
from schema_audit.model import TABLE_PRIVILEGES, Index, Table, held, is_mark, qualify
from schema_audit.spec.fragments import STRICT_KINDS
from schema_audit.spec.model import Requirement


def _present(table: Table, what: str) -> set[str]:
    if what == "columns":
        return set(table.columns)
    if what == "indexes":
        return {name for name, ix in table.indexes.items() if table.lists_index(ix)}
    if what == "privileges":
        # each privilege a role holds, so a DELETE granted to a role already holding SELECT is
        # new; a column-level grant as ``role PRIVILEGE (column)``; a grant option as
        # ``… WITH GRANT OPTION`` (a new text: GRANT … WITH GRANT OPTION after init is new)
        table_level = {
            f"{g.grantee} {g.privilege}{_OPTION if g.grantable else ''}"
            for g in held(table.grants)
            if g.grantee != table.owner and not is_mark(g)
        }
        return table_level | _column_level(table)
    if what == "unique":
        return set(table.uniques)
    return set(getattr(table, what))


def _column_level(table: Table) -> set[str]:
    """``role PRIVILEGE (column)`` for each column-level grant but the owner's."""
    return {
        f"{g.grantee} {g.privilege} ({column}){_OPTION if g.grantable else ''}"
        for column, grants in table.column_grants.items()
        for g in grants
        if g.grantee != table.owner
    }


_OPTION = " WITH GRANT OPTION"


@functools.cache
def kind_of(word: str) -> str:
    """The requirement kind an ``exactly:`` word is about (``columns`` -> ``column``)."""
    from schema_audit.kinds import registry

    return next(k.id for k in registry().values() if k.strict == word)


def _matched(
    req: Requirement, ctx: AuditContext, table: Table
) -> tuple[set[str], list[str], set[str]]:
    """One walk over the table's findings of ``exactly:``'s kind: the names they account for,
    the ``name (PROPERTY …)`` of each matched object (PASS) with properties its requirement
    does not state, and the roles of ``deny:``-only privilege requirements.

    Each strict word was three walks over the same findings (accounted, unstated, denied):
    at 5,000 tables, 40,000 ``exactly:`` entries over ~140,000 findings each time."""
    what = req.props["what"]
    kind = kind_of(what)
    names: set[str] = set()
    unstated: list[str] = []
    denied: set[str] = set()
    prefix = f"{req.parent}."
    requirements = ctx.requirements
    if kind == "privilege":
        for f in ctx.judged.get((kind, req.table), ()):
            if f.id.startswith(prefix):
                other = requirements.get(f.id)
                names.update(_privileges_accounted(other))
                if other is not None and not other.props.get("grant"):
                    roles = other.props.get("roles")
                    if isinstance(roles, list):
                        denied.update(roles)
        return names, unstated, denied
    judged = ctx.judged.get((kind, req.table), ())
    entry = _OBJECTS.get(what)
    if entry is None and what != "indexes":  # policies: only the names count
        names.update(f.name for f in judged if f.name and f.id.startswith(prefix))
        return names, unstated, denied
    objects = entry[1](table) if entry is not None else None
    extras_of = entry[2] if entry is not None else None
    add = names.add
    for f in judged:
        if not f.id.startswith(prefix):
            continue
        name = f.name
        if name:
            add(name)
        if f.status != PASS:
            continue
        other = requirements.get(f.id)
        if other is None:
            continue
        if objects is not None:
            assert extras_of is not None
            obj = objects.get(name or "")
            if obj is not None and (extras := extras_of(obj, other.props)):
                unstated.append(f"{name} ({', '.join(extras)})")
        elif text := _unstated_index(table, name, other.props):
            unstated.append(text)
    unstated.sort()
    return names, unstated, denied


def _privileges_accounted(other: Requirement | None) -> set[str]:
    """``role PRIVILEGE`` for each privilege a ``grant:`` requirement names; a requirement
    with only ``deny:`` accounts for its roles' privileges whatever they are (as before)."""
    roles = other.props.get("roles") if other else None
    if other is None or not isinstance(roles, list):
        return set()
    grant = other.props.get("grant")
    if not grant:
        return {
            f"{role} {p}{option}"
            for role in roles
            for p in TABLE_PRIVILEGES
            for option in ("", _OPTION)
        }
    privileges = [q for p in grant for q in (TABLE_PRIVILEGES if p == "ALL" else [p])]
    # a privilege the entry also states in grant_option accounts for its grant option too
    options = {
        q
        for p in other.props.get("grant_option") or ()
        for q in (TABLE_PRIVILEGES if p == "ALL" else [p])
    }
    columns = other.props.get("columns")
    targets = [f" ({c})" for c in columns] if columns else [""]
    out = {f"{role} {p}{t}" for role in roles for p in privileges for t in targets}
    out |= {
        f"{role} {p}{t}{_OPTION}"
        for role in roles
        for p in privileges
        if p in options
        for t in targets
    }
    return out


def _unstated_index(table: Table, name: str | None, props: dict) -> str | None:
    """``exactly: [indexes]`` is about each index's definition too: an index an exact
    ``columns:`` requirement matched that is UNIQUE, partial, covering, of another method,
    NULLS NOT DISTINCT or an EXCLUDE constraint's (its operators: a spec listing it by
    columns PASSed it re-created ``WITH =`` for ``WITH &&``) where the requirement does not
    say so is not exactly what the spec requires (``init`` writes every property that
    differs from CREATE INDEX's default, so such a change to an index it saw FAILed nowhere
    before). ``leading:``/``covers:`` ask for a use, not a definition, and stay as they are."""
    index = table.indexes.get(name or "")
    if "columns" not in props or index is None or not table.lists_index(index):
        return None
    extras = unstated_index_extras(index, props)
    extras += _unstated_key_options(props["columns"], index)
    return f"{index.name} ({' '.join(extras)})" if extras else None


def unstated_index_extras(index: Index, props: dict) -> list[str]:
    """The index's set properties the requirement does not state (each text made only then:
    this runs for every index an exact requirement matched)."""
    out: list[str] = []
    if index.unique and "unique" not in props:
        out.append("UNIQUE")
    if index.method != "btree" and "method" not in props:
        out.append(f"USING {index.method}")
    if index.include and "include" not in props:
        out.append(f"INCLUDE ({', '.join(index.include)})")
    if index.nulls_not_distinct and "nulls_not_distinct" not in props:
        out.append("NULLS NOT DISTINCT")
    if index.where and "where" not in props:
        out.append(f"WHERE {index.where}")
    if index.options and "options" not in props:  # ALTER INDEX … SET (fillfactor …)
        out.append("WITH (" + ", ".join(f"{k}={v}" for k, v in sorted(index.options.items())) + ")")
    if index.clustered and "clustered" not in props:
        out.append("CLUSTER ON")
    if index.comment and "comment" not in props:
        out.append("COMMENT")
    if index.tablespace and "tablespace" not in props:  # ALTER INDEX … SET TABLESPACE
        out.append(f"TABLESPACE {index.tablespace}")
    if index.exclude:  # an EXCLUDE constraint's, where not the default (init writes each)
        if "exclude" not in props:  # its operators are its meaning (`WITH =` is not `WITH &&`)
            pairs = zip(index.column_names, index.exclude, strict=False)
            out.append(f"EXCLUDE ({', '.join(f'{key} WITH {op}' for key, op in pairs)})")
        if index.deferrable and "deferrable" not in props:
            out.append("DEFERRABLE")
        if index.initially_deferred and "initially_deferred" not in props:
            out.append("INITIALLY DEFERRED")
        if index.constraint_comment and "constraint_comment" not in props:
            out.append("COMMENT ON CONSTRAINT")
    return out


def _unstated_key_options(columns: object, index: Index) -> list[str]:
    """Keys with an operator class or a collation the requirement's key does not name:
    ``init`` writes every non-default one, and ``last_name text_pattern_ops`` or
    ``restrictions COLLATE "C"`` serves other queries than ``last_name`` (an index rebuilt
    with another operator class or collation PASSed ``columns: [last_name]``)."""
    if not any(key.opclass or key.collation for key in index.keys):
        return []  # nothing to state (most indexes): the requirement's keys need no parsing
    wanted = [parse_key(str(c)) for c in (columns if isinstance(columns, list) else [columns])]
    out = []
    for key, want in zip(index.keys, wanted, strict=False):
        if key.opclass and not want.opclass:
            out.append(f"{key.expression} {key.opclass}")
        if key.collation and not want.collation:
            out.append(f"{key.expression} COLLATE {key.collation}")
    return out


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    target = qualify(req.schema, req.table) if req.table else "*"
    return [Facet("*", target)]


@requirement_kind(
    id="strict",
    name="Exactly these objects",
    title="Unexpected objects",
    group="strict",
    hint="drop what no requirement accounts for, or require it (or allow: it) in the spec",
    spec="tables.<table>.exactly[]",
    last=True,
    facets=facets,
    facets_on_table=True,
)
def check_strict(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    what = req.props["what"]
    if table is None:
        return finding_for(
            req, Status.NOT_APPLICABLE, f"table {req.table} does not exist, so this cannot apply"
        )
    accounted, unstated, denied = _matched(req, ctx, table)
    # what no requirement accounts for; `allow:` is read only when something is left (a
    # table that has exactly what its requirements state, nearly every one of init's
    # 40,000 `exactly:` entries at 5,000 tables, needs neither the set nor the sort)
    left = _present(table, what) - accounted
    extra: list[str] = []
    if left:
        allowed = set(req.props.get("allow") or [])
        extra = sorted(
            item
            for item in left - allowed
            # `allow: [role]` accounts for every privilege of that role, and a requirement
            # with only `deny:` for its roles' privileges whatever they are (column ones too)
            if not (what == "privileges" and item.split(" ", 1)[0] in allowed | denied)
        )
    if extra and what == "privileges" and table.owner is None:
        extra, owners = _split_owner_grants(req, ctx, extra)
        if owners and not extra:
            return finding_for(
                req,
                Status.DEFERRED,
                f"{table.name} has {what} the spec does not require unless their grantee "
                f"owns it: {', '.join(owners)}: {_acl.UNKNOWN_OWNER}",
                name=_NAMES["privileges"],
            )
    if extra:
        return _unexpected(
            req,
            f"{table.name} has {what} the spec does not require: {', '.join(extra)}",
            Diff(what, "only the required ones", extra),
        )
    if unstated:
        noun = "index" if what == "indexes" else what.removesuffix("s").replace("_", " ")
        return _unexpected(
            req,
            f"{table.name} has {what} defined beyond their requirements: {', '.join(unstated)}",
            Diff(f"{noun} definitions", "only what the requirements state", unstated),
        )
    return finding_for(
        req,
        PASS,
        f"{table.name} has exactly the required {what}",
        name=_NAMES.get(what) or f"exactly {what}",
    )


def _split_owner_grants(
    req: Requirement, ctx: AuditContext, extra: list[str]
) -> tuple[list[str], list[str]]:
    """(grants that are extra, grants to the owner the spec names, which a static reading
    cannot tell from extra ones).

    A table a static reading saw created without OWNER TO is owned by the role that runs the
    history, which the reading does not know (its owner finding is DEFERRED). PostgreSQL folds
    an owner's GRANT to itself into the owner's own ACL entry, which no spec lists: Supabase
    Auth's ``GRANT SELECT … TO postgres WITH GRANT OPTION``, run by postgres, leaves nothing to
    list. So a grant to the owner the spec names is extra only if someone else runs it."""
    table_req = ctx.requirements.get(req.parent or "")
    owner = table_req.props.get("owner") if table_req is not None else None
    if not isinstance(owner, str):
        return extra, []
    owners = [i for i in extra if i.split(" ", 1)[0] == owner]
    return [i for i in extra if i not in owners], owners


# a strict finding's name per word (made once, not per table)
_NAMES = {word: f"exactly {word}" for word in STRICT_KINDS}


def _unexpected(req: Requirement, message: str, diff: Diff) -> Finding:
    """The FAIL of strict mode: something on the table no requirement accounts for."""
    return finding_for(
        req,
        Status.FAIL,
        message,
        diffs=[diff],
        evidence=[Evidence(source="spec", note="strict mode (exactly)")],
        name=f"exactly {req.props['what']}",
    )


__all__ = ["STRICT_KINDS", "check_strict", "kind_of"]
