"""A domain: its base type, NOT NULL, DEFAULT and CHECK constraints (``init --dsn`` writes
each). A CHECK dropped or changed, NOT NULL removed, a DEFAULT set or the base type changed
after ``init`` FAILs; before, domains were only named as a blind spot and each such change
passed. Each key is compared when stated; ``checks`` is the domain's whole set of CHECK
constraints by name (expressions compared as PostgreSQL reads them).

```yaml
domains:
  posint: {type: integer, not_null: true, default: '1', checks: {posint_pos: CHECK (VALUE > 0)}}
```

A migration history's reading models domains too (CREATE / ALTER / DROP DOMAIN, COMMENT,
OWNER TO: ``sources/ddl/domains.py``); a statement it could not apply that may have changed
the type DEFERs the entry.
"""

from __future__ import annotations

from typing import Any

from schema_audit import sqlnorm
from schema_audit.audit.context import AuditContext
from schema_audit.audit.findings import Diff, Finding, describe_diffs, finding_for, missing
from schema_audit.domaincheck import base_type, without_value_casts
from schema_audit.enums import PASS, Status
from schema_audit.kinds import _acl, requirement_kind
from schema_audit.kinds._acl import catalog_kind, type_grants_diff
from schema_audit.kinds._common import COMMENT_PROP, comment_diffs, type_facets
from schema_audit.model import DomainType, qualify
from schema_audit.spec.fragments import req_schema, string
from schema_audit.spec.model import Requirement

SCHEMA = req_schema(
    {
        "schema": string("Its schema, when the key is not schema.name."),
        "type": string("The base type as format_type prints it (character varying(20))."),
        "not_null": {"type": "boolean", "description": "true = NOT NULL."},
        "default": {"type": ["string", "null"], "description": "Its DEFAULT (null = none)."},
        "collation": {"type": ["string", "null"], "description": "COLLATE, when not the type's."},
        "checks": {
            "type": "object",
            "description": "Every CHECK constraint by name: its definition as "
            "pg_get_constraintdef prints it (CHECK ((VALUE > 0))); one added or dropped FAILs.",
            "additionalProperties": {"type": "string"},
        },
        "comment": COMMENT_PROP,
        "owner": _acl.OWNER_SCHEMA,
        "grants": _acl.GRANTS_SCHEMA,
    },
    "A domain requirement; {} only requires existence.",
)


def _type(text: str) -> str:
    """A type as compared: ``public.citext`` (the catalog's, read with an empty search_path)
    is the history's ``citext``."""
    try:
        return sqlnorm.canonical_type(text)
    except ValueError:
        return text


def _check_body(text: str) -> str:
    """``CHECK ((VALUE > 0))`` -> ``(VALUE > 0)`` (NOT VALID kept apart by the caller)."""
    body = text.strip()
    if body.upper().startswith("CHECK"):
        body = body[5:].strip()
    return body.removesuffix(" NOT VALID")


def _same_check(expected: str, actual: str, base: str) -> bool:
    """The same CHECK, VALUE's casts to the domain's base type aside (``domaincheck``)."""
    return expected.strip().endswith("NOT VALID") == actual.strip().endswith(
        "NOT VALID"
    ) and sqlnorm.exprs_equal(
        without_value_casts(_check_body(expected), base),
        without_value_casts(_check_body(actual), base),
    )


def domain_diffs(props: dict[str, Any], domain: DomainType, base: str) -> list[Diff]:
    """Every stated property the domain does not have; ``base``: the type under it
    (``domaincheck.base_type``)."""
    diffs: list[Diff] = []
    if "type" in props and _type(str(props["type"])) != _type(domain.type):
        diffs.append(Diff("type", props["type"], domain.type))
    if "not_null" in props and bool(props["not_null"]) != domain.not_null:
        diffs.append(Diff("not_null", props["not_null"], domain.not_null))
    if "default" in props and not sqlnorm.exprs_equal(props["default"], domain.default):
        diffs.append(Diff("default", props["default"], domain.default))
    if "collation" in props and (props["collation"] or None) != domain.collation:
        diffs.append(Diff("collation", props["collation"], domain.collation))
    if "checks" in props:
        wanted: dict[str, str] = dict(props["checks"] or {})
        if set(wanted) != set(domain.checks) or not all(
            _same_check(str(wanted[name]), domain.checks[name], base) for name in wanted
        ):
            diffs.append(Diff("checks", wanted, dict(domain.checks)))
    return diffs + comment_diffs(props, domain.comment)


@requirement_kind(
    id="domain",
    name="Domain",
    title="Domains",
    group="objects",
    hint="ALTER DOMAIN (ADD/DROP CONSTRAINT, SET/DROP NOT NULL, SET/DROP DEFAULT) in a new migration",
    spec="domains.<domain>",
    schema=SCHEMA,
    facets=type_facets,
)
def check_domain(req: Requirement, ctx: AuditContext) -> Finding:
    key = qualify(req.schema, req.name or "")
    domain = ctx.model.domains.get(key)
    if domain is None:
        return finding_for(
            req,
            Status.FAIL,
            f"domain {key} does not exist",
            diffs=[missing()],
            evidence=ctx.absence_evidence(None, f"domain {key}"),
        )
    diffs = domain_diffs(req.props, domain, base_type(ctx.model.domains, domain.type))
    owner, unknown_owner = _acl.owner_diff(req.props.get("owner"), domain.owner)
    if owner is not None:
        diffs.append(owner)
    diffs += type_grants_diff(req.props, domain, catalog_kind(ctx, "types"))
    if diffs:
        return finding_for(req, Status.FAIL, f"domain {key}: {describe_diffs(diffs)}", diffs=diffs)
    return finding_for(req, PASS, f"domain {key} over {domain.type}")
