"""Domains: CREATE DOMAIN, ALTER DOMAIN, and the domain side of RENAME / SET SCHEMA / OWNER
TO / DROP / COMMENT, so a history's reading holds what ``pg_type`` and ``pg_constraint``
hold after it.

Before, a static audit left every ``domains:`` entry and ``strict.domains`` DEFERRED (the
reader did not model domains), and a column typed with an unqualified domain of a schema
other than public (PostgREST's ``devil_int`` under ``SET search_path = test``) printed bare
where the catalog prints ``test.devil_int``. Each property is kept the way the catalog
prints it: the base type as ``format_type``, a CHECK as ``pg_get_constraintdef`` (``VALUE``
of an integer domain meeting a numeric is cast as PostgreSQL stores it, citext's operators
qualified: ``implicit``), an unnamed CHECK named ``<domain>_check``, ``_check1`` … like
``ChooseConstraintName`` (free in the whole schema), the collation ``schema.name``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from pglast import ast
from pglast.enums import ConstrType, DropBehavior

from schema_audit.model import Column, DomainType, qualify, quote_ident
from schema_audit.sources.ddl import dependents
from schema_audit.sources.ddl.constraints import constraint_names
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.function_schemas import qualified_calls
from schema_audit.sources.ddl.implicit import promote_integer_columns
from schema_audit.sources.ddl.nodes import deparse, strings, type_text
from schema_audit.sources.ddl.operand_bases import operand_bases
from schema_audit.sources.ddl.owner_acl import change_owner
from schema_audit.sources.ddl.registry import handles
from schema_audit.sources.ddl.temp_shadows import shadowing
from schema_audit.sources.names import choose_name
from schema_audit.sqlnorm import normalize_default

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

# AlterDomainStmt.subtype: what the ALTER DOMAIN does
_DEFAULT, _DROP_NOT_NULL, _SET_NOT_NULL = "T", "N", "O"
_ADD_CONSTRAINT, _DROP_CONSTRAINT, _VALIDATE = "C", "X", "V"
# collations every database has in pg_catalog (an unqualified COLLATE finds them first)
_CATALOG_COLLATIONS = frozenset({"default", "C", "POSIX", "ucs_basic", "unicode"})


def domain_schema(interp: DdlInterpreter, names: list[str]) -> str:
    """The schema of domain ``[schema.]name``: the first on the search_path holding it (as
    type lookup finds it), else where CREATE would put it."""
    if len(names) > 1:
        return names[-2]
    for schema in interp.search_path:
        if qualify(schema, names[-1]) in interp.model.domains:
            return schema
    return interp.search_path[0] if interp.search_path else "public"


def find_domain(interp: DdlInterpreter, names: list[str], missing_ok: bool) -> DomainType | None:
    """The domain ``names`` name; an ApplyError when the model does not hold it (PostgreSQL
    refused the statement then, or the history assumes a domain made elsewhere)."""
    key = qualify(domain_schema(interp, names), names[-1])
    domain = interp.model.domains.get(key)
    if domain is None and not missing_ok:
        raise ApplyError(f'type "{names[-1]}" does not exist', "undefined_object")
    return domain


def _collation(interp: DdlInterpreter, names: list[str]) -> str | None:
    """``COLLATE names`` as the catalog reading spells a domain's (``schema.name``, each
    part quoted); None for ``default`` (the base type's own)."""
    name = names[-1]
    if name == "default" and len(names) == 1:
        return None
    schema = names[-2] if len(names) > 1 else None
    if schema is None and name not in _CATALOG_COLLATIONS:
        schema = next((s for s in interp.search_path if (s, name) in interp.collations), None)
    return f"{quote_ident(schema or 'pg_catalog')}.{quote_ident(name)}"


def _check_text(interp: DdlInterpreter, domain: DomainType, con: ast.Constraint) -> str:
    """The CHECK as ``pg_get_constraintdef`` prints it: ``VALUE`` has the base type (of a
    domain over a domain: ``(VALUE)::integer < 10``)."""
    value = {"value": Column("value", domain.type)}
    expr = promote_integer_columns(con.raw_expr, value, operand_bases(interp))
    expr = qualified_calls(interp, deparse(expr)) or ""
    return f"CHECK ({expr})" + (" NOT VALID" if con.skip_validation else "")


def _names_in_schema(interp: DdlInterpreter, schema: str) -> set[str]:
    """Constraint names of ``schema`` (ChooseConstraintName wants one free in the schema)."""
    taken: set[str] = set()
    for table in interp.model.tables.values():
        if table.schema == schema:
            taken |= constraint_names(table)
    for domain in interp.model.domains.values():
        if domain.schema == schema:
            taken |= set(domain.checks)
    return taken


def _add_check(interp: DdlInterpreter, domain: DomainType, con: ast.Constraint) -> None:
    if con.conname and con.conname in domain.checks:
        raise ApplyError(
            f'constraint "{con.conname}" for domain "{domain.name}" already exists',
            "duplicate_object",
        )
    taken = _names_in_schema(interp, domain.schema) | set(domain.checks)  # (one being made)
    name = con.conname or choose_name(domain.name, None, "check", taken.__contains__)
    domain.checks[name] = _check_text(interp, domain, con)


def _stored_default(text: str | None) -> str | None:
    """A domain's default as pg_type keeps it: none for a NULL constant (``DEFAULT NULL``,
    ``NULL::text``), which PostgreSQL treats as no default (hashicorp/boundary's
    ``rec_timestamp``), as it does a column's."""
    return None if text is None or normalize_default(text) is None else text


def _apply_constraint(interp: DdlInterpreter, domain: DomainType, con: ast.Constraint) -> None:
    kind = con.contype
    if kind in (ConstrType.CONSTR_NOTNULL, ConstrType.CONSTR_NULL):
        domain.not_null = kind == ConstrType.CONSTR_NOTNULL
    elif kind == ConstrType.CONSTR_DEFAULT:
        domain.default = _stored_default(deparse(con.raw_expr))
    elif kind == ConstrType.CONSTR_CHECK:
        _add_check(interp, domain, con)
    else:
        what = kind.name if kind is not None else "such"
        raise ApplyError(f"{what} constraints are not possible for domains", "syntax_error")


@handles(ast.CreateDomainStmt)
def create_domain(interp: DdlInterpreter, node: ast.CreateDomainStmt) -> None:
    """CREATE DOMAIN name AS type [COLLATE c] [DEFAULT …] [NOT NULL | NULL] [CHECK …] …"""
    from schema_audit.sources.ddl.tables import written_type

    names = strings(node.domainname)
    schema = names[-2] if len(names) > 1 else interp.search_path[0]
    key = qualify(schema, names[-1])
    if key in interp.model.domains or key in interp.model.enums:
        raise ApplyError(f'type "{names[-1]}" already exists', "duplicate_object")
    domain = DomainType(
        schema,
        names[-1],
        written_type(interp, cast("ast.TypeName", node.typeName)),
        provenance=[interp._prov()],
        grants=interp._defaults_for("types", schema),  # PUBLIC's USAGE unless revoked
    )
    if node.collClause is not None:
        domain.collation = _collation(interp, strings(node.collClause.collname))
    for con in node.constraints or ():
        _apply_constraint(interp, domain, con)
    interp.model.domains[key] = domain
    if schema == "pg_temp":
        shadowing(interp, names[-1])
        interp._temp_types.add(names[-1])  # gone when the session ends (end_session)


@handles(ast.AlterDomainStmt)
def alter_domain(interp: DdlInterpreter, node: ast.AlterDomainStmt) -> None:
    """ALTER DOMAIN … SET/DROP DEFAULT, SET/DROP NOT NULL, ADD/DROP/VALIDATE CONSTRAINT."""
    domain = find_domain(interp, strings(node.typeName), False)
    assert domain is not None
    kind = node.subtype
    con = node.def_ if isinstance(node.def_, ast.Constraint) else None
    if kind == _SET_NOT_NULL or (
        kind == _ADD_CONSTRAINT and con is not None and not con.skip_validation
    ):
        _refuse_if_in_arrays(interp, domain)
    if kind == _DEFAULT:
        domain.default = _stored_default(deparse(node.def_)) if node.def_ is not None else None
    elif kind in (_SET_NOT_NULL, _DROP_NOT_NULL):
        domain.not_null = kind == _SET_NOT_NULL
    elif kind == _ADD_CONSTRAINT and isinstance(node.def_, ast.Constraint):
        _apply_constraint(interp, domain, node.def_)
    elif kind == _DROP_CONSTRAINT:
        if node.name not in domain.checks and not node.missing_ok:
            raise ApplyError(
                f'constraint "{node.name}" of domain "{domain.name}" does not exist',
                "undefined_object",
            )
        domain.checks.pop(node.name or "", None)
    elif kind == _VALIDATE:
        check = domain.checks.get(node.name or "")
        if check is None:
            raise ApplyError(
                f'constraint "{node.name}" of domain "{domain.name}" does not exist',
                "undefined_object",
            )
        domain.checks[node.name or ""] = check.removesuffix(" NOT VALID")
    else:
        interp._unapplied("unsupported", f"ALTER DOMAIN ({kind}) is not interpreted")
        return
    domain.provenance.append(interp._prov("altered"))


def _refuse_if_in_arrays(interp: DdlInterpreter, domain: DomainType) -> None:
    """A constraint to validate cannot be checked inside an array column of the domain:
    PostgreSQL refuses the ALTER DOMAIN (``get_rels_with_domain``)."""
    typed = type_text(domain.schema, domain.name) + "[]"
    for table in interp.model.tables.values():
        for column in table.columns.values():
            if column.type == typed:
                raise ApplyError(
                    f'cannot alter type "{domain.name}" because column '
                    f'"{table.name}.{column.name}" uses it',
                    "feature_not_supported",
                )


def rename_domain(interp: DdlInterpreter, node: ast.RenameStmt) -> None:
    """ALTER DOMAIN … RENAME TO: the columns of that domain (and their arrays) follow."""
    from schema_audit.sources.ddl.renames import retype_columns

    domain = find_domain(interp, strings(node.object), bool(node.missing_ok))
    if domain is None:
        return
    new_name = node.newname or ""
    new_key = qualify(domain.schema, new_name)
    if new_key in interp.model.domains or new_key in interp.model.enums:
        raise ApplyError(f'type "{new_name}" already exists', "duplicate_object")
    old_type = type_text(domain.schema, domain.name)
    del interp.model.domains[qualify(domain.schema, domain.name)]
    domain.name = new_name
    interp.model.domains[new_key] = domain
    retype_columns(interp, old_type, type_text(domain.schema, domain.name))
    _retype_domains(interp, old_type, type_text(domain.schema, domain.name))


def rename_constraint(interp: DdlInterpreter, node: ast.RenameStmt) -> None:
    """ALTER DOMAIN … RENAME CONSTRAINT a TO b."""
    domain = find_domain(interp, strings(node.object), bool(node.missing_ok))
    if domain is None:
        return
    old, new = node.subname or "", node.newname or ""
    if old not in domain.checks:
        raise ApplyError(f'constraint "{old}" for domain "{domain.name}" does not exist')
    if new in domain.checks:
        raise ApplyError(f'constraint "{new}" already exists', "duplicate_object")
    domain.checks = {(new if name == old else name): text for name, text in domain.checks.items()}


def move_domain(
    interp: DdlInterpreter, names: list[str], new_schema: str, missing_ok: bool
) -> None:
    """ALTER DOMAIN … SET SCHEMA: its columns print the new schema (they hold its OID)."""
    from schema_audit.sources.ddl.renames import retype_columns

    domain = find_domain(interp, names, missing_ok)
    if domain is None:
        return
    new_key = qualify(new_schema, domain.name)
    if new_key in interp.model.domains or new_key in interp.model.enums:
        raise ApplyError(f'type "{domain.name}" already exists in schema "{new_schema}"')
    old_type = type_text(domain.schema, domain.name)
    del interp.model.domains[qualify(domain.schema, domain.name)]
    domain.schema = new_schema
    interp.model.domains[new_key] = domain
    retype_columns(interp, old_type, type_text(new_schema, domain.name))
    _retype_domains(interp, old_type, type_text(new_schema, domain.name))


def _retype_domains(interp: DdlInterpreter, old_type: str, new_type: str) -> None:
    """Domains over a renamed or moved type print its new name as their base type."""
    for domain in interp.model.domains.values():
        if domain.type == old_type:
            domain.type = new_type
        elif domain.type == old_type + "[]":
            domain.type = new_type + "[]"


def set_owner(interp: DdlInterpreter, obj: object, owner: str | None) -> None:
    """ALTER DOMAIN … OWNER TO (None: CURRENT_USER and the like, not named)."""
    names = strings(getattr(obj, "names", None) or obj)
    domain = find_domain(interp, names, False)
    assert domain is not None
    change_owner(interp, domain, owner)


def comment(interp: DdlInterpreter, obj: object, text: str | None) -> None:
    """COMMENT ON DOMAIN … IS …"""
    names = strings(getattr(obj, "names", None) or obj)
    domain = find_domain(interp, names, False)
    assert domain is not None
    domain.comment = text


def drop_domain(
    interp: DdlInterpreter, node: ast.DropStmt, type_name: ast.TypeName, missing_ok: bool
) -> str | None:
    """DROP DOMAIN / DROP TYPE of a domain; returns the dropped domain's type text (its
    columns go with a CASCADE: the caller drops them, it knows how a column is dropped), None
    when the model does not hold it. Without CASCADE PostgreSQL refuses while a column or
    another domain is of it; a CASCADE reaching another domain is listed, not applied."""
    domain = find_domain(interp, strings(type_name.names), missing_ok)
    if domain is None:
        return None
    typed = type_text(domain.schema, domain.name)
    over = [d for d in interp.model.domains.values() if d.type in (typed, typed + "[]")]
    if node.behavior != DropBehavior.DROP_CASCADE:
        if over or dependents.columns_of_types(interp, {typed}, set()):
            raise dependents.refused("type", typed)
    elif over:
        interp._unapplied(
            "unsupported", f"DROP … CASCADE of domain {typed}, which other domains are over"
        )
        return None
    del interp.model.domains[qualify(domain.schema, domain.name)]
    return typed
