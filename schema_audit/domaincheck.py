"""A domain's CHECK as PostgreSQL stores it: VALUE's coercion to the base type printed.

In a domain over another domain, VALUE has the inner domain's type, and PostgreSQL coerces
it to the base type wherever an operator or function takes it: ``CHECK (value <> '')`` on a
domain over a domain over tsvector is stored ``((VALUE)::tsvector <> ''::tsvector)``, one
over integer ``((VALUE)::integer > 0)`` (confirmed with psql on PostgreSQL 15; PostgREST's
``tsvector_not_empty``). A cast of VALUE to the base type, written or added, means VALUE
itself (PostgreSQL stores ``value::text <> 'q'`` and ``value <> 'q'`` alike on a text
domain), so it is left out before CHECKs are compared; a cast to another type stays.
Before, the history's CHECK and the catalog's differed: a false FAIL in both audit
directions and in ``diff``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from schema_audit.model import DomainType
from schema_audit.sqlnorm import canonical_type, without_casts

_TYPMOD = re.compile(r"\(\d+(?:,\s*\d+)?\)")


def base_type(domains: Mapping[str, DomainType], type_text: str) -> str:
    """The built-in (or other non-domain) type under ``type_text``, through domains over
    domains, canonical and without a type modifier."""
    seen: set[str] = set()
    while type_text not in seen:
        seen.add(type_text)
        inner = domains.get(_domain_key(type_text))
        if inner is None:
            break
        type_text = inner.type
    try:
        return _TYPMOD.sub("", canonical_type(type_text))
    except ValueError:
        return type_text


def without_value_casts(body: str, base: str) -> str:
    """``body`` (a CHECK's expression) with every cast of VALUE to ``base`` left out; as
    written when it does not parse or holds none."""
    if "::" not in body and "CAST" not in body.upper():
        return body
    # imported here: a live audit of a spec without such a CHECK never loads the parser
    # (tests/test_cli_startup.py)
    from schema_audit.pgparse import deparse, parse_sql

    try:
        stmt: Any = parse_sql(f"SELECT {body}")[0].stmt
    except Exception:  # (pglast's ParseError, or the depth guard's): compared as written
        return body
    dropped: list[Any] = []

    def value_cast(cast: Any) -> bool:
        if _is_value_cast_to(cast, base):
            dropped.append(cast)
            return True
        return False

    stmt = without_casts(stmt, value_cast)
    if not dropped:
        return body
    return deparse(stmt.targetList[0].val)


def _is_value_cast_to(cast: Any, base: str) -> bool:
    """Whether ``cast`` (a TypeCast) is ``VALUE::base``."""
    if type(cast.arg).__name__ != "ColumnRef" or cast.typeName.arrayBounds:
        return False
    fields = [getattr(f, "sval", None) for f in cast.arg.fields or ()]
    if [str(f).lower() for f in fields] != ["value"]:
        return False
    from schema_audit.pgparse import deparse

    try:
        cast_to = _TYPMOD.sub("", canonical_type(deparse(cast.typeName)))
    except ValueError:
        return False
    return cast_to == base


def value_type(domains: Mapping[str, DomainType], column_type: str) -> str:
    """The type a column's DEFAULT literal is read as: the base type under a domain of
    ``domains`` (PostgREST's ``tsvector_not_empty DEFAULT '.'`` is stored as a tsvector
    literal), else the column's type as it is."""
    return base_type(domains, column_type) if _domain_key(column_type) in domains else column_type


def _domain_key(type_text: str) -> str:
    """The key of ``model.domains`` a type written ``type_text`` would be (a bare name in
    public)."""
    return type_text if "." in type_text else f"public.{type_text}"
