"""Domains as the catalog has them: base type, NOT NULL, DEFAULT, CHECK constraints, COMMENT.

Before, a domain was only named as a blind spot: a domain's CHECK dropped or its NOT NULL
removed after ``init`` passed the audit (false PASS). One query, one row per domain (few in
any schema); the static reader models them the same way (``sources/ddl/domains.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from schema_audit.model import (
    CompositeType,
    DomainType,
    Provenance,
    RangeType,
    SchemaModel,
    Table,
    View,
    qualify,
)
from schema_audit.sources.live_acl import ACL, grants

# {ns}: live's schema filter; a domain an extension owns is the extension's
Q_DOMAINS = (
    """
SELECT n.nspname, t.typname, pg_catalog.format_type(t.typbasetype, t.typtypmod), t.typnotnull,
       t.typdefault,
       ARRAY(SELECT con.conname FROM pg_catalog.pg_constraint con
              WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname),
       ARRAY(SELECT pg_catalog.pg_get_constraintdef(con.oid) FROM pg_catalog.pg_constraint con
              WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname),
       pg_catalog.obj_description(t.oid, 'pg_type'), pg_catalog.pg_get_userbyid(t.typowner),
       CASE WHEN t.typcollation <> b.typcollation
            THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END,
       """
    + ACL.format(acl="t.typacl", kind="T", owner="t.typowner")
    + """
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
JOIN pg_catalog.pg_type b ON b.oid = t.typbasetype
LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
WHERE t.typtype = 'd' AND {ns}
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_type'::regclass
                  AND d.objid = t.oid AND d.deptype = 'e')
ORDER BY 1, 2"""
)


def read_domains(rows: Iterable[Any], model: SchemaModel) -> None:
    """One DomainType per row of Q_DOMAINS."""
    for (
        schema,
        name,
        base,
        not_null,
        default,
        names,
        checks,
        comment,
        owner,
        collation,
        acl,
    ) in rows:
        model.domains[qualify(schema, name)] = DomainType(
            schema,
            name,
            base,
            bool(not_null),
            default,
            dict(zip(names or (), checks or (), strict=True)),
            comment,
            owner,
            collation,
            [Provenance(source="catalog", action="catalog")],
            grants(acl, owner, "types"),
        )


# a table's or a view's rules (CREATE RULE … DO INSTEAD …); a view's own _RETURN rule is its
# query
Q_RULES = """
SELECT r.ev_class, r.rulename, pg_catalog.pg_get_ruledef(r.oid, true), r.ev_enabled
FROM pg_catalog.pg_rewrite r
JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE r.rulename <> '_RETURN' AND c.relkind IN ('r', 'p', 'v') AND {ns} AND {not_ext}
ORDER BY 1, 2"""

RULE_STATES = {"O": "origin", "D": "disabled", "R": "replica", "A": "always"}


def read_rules(rows: Iterable[Any], relations: dict[int, Table | View]) -> None:
    """Each table's and view's rules by name: (pg_get_ruledef's text, state)."""
    for relid, name, definition, enabled in rows:
        relation = relations.get(relid)
        if relation is not None:
            relation.rules[name] = (definition or "", RULE_STATES.get(enabled, "origin"))


def collation_name(namespace: str, bare: str) -> str:
    """SQL naming the collation ``co`` (its schema: the pg_namespace alias ``namespace``) as a
    definition does: ``bare`` (an SQL text of the bare name) when an unqualified COLLATE
    reaches it (pg_catalog, or public unless pg_catalog has the name), else schema-qualified:
    bare, a collation moved to a same-named one of another schema read the same. One condition
    for columns and index keys (``live.COLLATION_NAME``) and composite attributes (below),
    which differ only in how a bare name is spelt."""
    return f"""CASE WHEN {namespace}.nspname = 'pg_catalog' OR ({namespace}.nspname = 'public' AND NOT EXISTS (
           SELECT FROM pg_catalog.pg_collation bc JOIN pg_catalog.pg_namespace bn ON bn.oid = bc.collnamespace
            WHERE bn.nspname = 'pg_catalog' AND bc.collname = co.collname))
         THEN {bare}
         ELSE pg_catalog.quote_ident({namespace}.nspname) || '.' || pg_catalog.quote_ident(co.collname) END"""


# An attribute's collation as a column definition names it, the bare name quoted as needed
# (``COLLATE "C"``: the spelling specs init wrote before keep)
ATTRIBUTE_COLLATION = collation_name("acn", "pg_catalog.quote_ident(co.collname)")


# composite types (CREATE TYPE … AS (…)); a table's row type is the table's. Range types (CREATE
# TYPE … AS RANGE) come in the same query (no round trip of their own), typtype 'r', their
# options in the attributes' place: subtype, its operator class and collation when not the
# default, canonical and subtype_diff functions as regproc prints them, the multirange's name
Q_COMPOSITES = (
    """
SELECT t.typtype, n.nspname, t.typname,
       ARRAY(SELECT pg_catalog.quote_ident(a.attname) || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod)
                    || CASE WHEN a.attcollation <> at.typcollation
                            THEN ' COLLATE ' || """
    + ATTRIBUTE_COLLATION
    + """ ELSE '' END
               FROM pg_catalog.pg_attribute a
               JOIN pg_catalog.pg_type at ON at.oid = a.atttypid
               LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
               LEFT JOIN pg_catalog.pg_namespace acn ON acn.oid = co.collnamespace
              WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attnum),
       pg_catalog.obj_description(t.oid, 'pg_type'), pg_catalog.pg_get_userbyid(t.typowner),
       """
    + ACL.format(acl="t.typacl", kind="T", owner="t.typowner")
    + """
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_class c ON c.oid = t.typrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'c' AND c.relkind = 'c' AND {ns}
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_type'::regclass
                  AND d.objid = t.oid AND d.deptype = 'e')
UNION ALL
SELECT t.typtype, n.nspname, t.typname,
       ARRAY[pg_catalog.format_type(r.rngsubtype, NULL),
             CASE WHEN NOT opc.opcdefault THEN
               CASE WHEN opn.nspname IN ('pg_catalog', 'public') THEN pg_catalog.quote_ident(opc.opcname)
                    ELSE pg_catalog.quote_ident(opn.nspname) || '.' || pg_catalog.quote_ident(opc.opcname) END END,
             CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation
                  THEN pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) END,
             CASE WHEN r.rngcanonical <> 0 THEN r.rngcanonical::pg_catalog.regproc::text END,
             CASE WHEN r.rngsubdiff <> 0 THEN r.rngsubdiff::pg_catalog.regproc::text END,
             {multirange}],
       pg_catalog.obj_description(t.oid, 'pg_type'), pg_catalog.pg_get_userbyid(t.typowner),
       """
    + ACL.format(acl="t.typacl", kind="T", owner="t.typowner")
    + """
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid
JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
JOIN pg_catalog.pg_opclass opc ON opc.oid = r.rngsubopc
JOIN pg_catalog.pg_namespace opn ON opn.oid = opc.opcnamespace
LEFT JOIN pg_catalog.pg_collation co ON co.oid = r.rngcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
WHERE t.typtype = 'r' AND {ns}
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog.pg_type'::regclass
                  AND d.objid = t.oid AND d.deptype = 'e')
ORDER BY 1, 2, 3"""
)


def read_composites(rows: Iterable[Any], model: SchemaModel) -> None:
    """One CompositeType per composite row of Q_COMPOSITES, one RangeType per range row."""
    for kind, schema, name, attributes, comment, owner, acl in rows:
        if kind == "r":
            subtype, opclass, collation, canonical, subtype_diff, multirange = attributes
            model.ranges[qualify(schema, name)] = RangeType(
                schema,
                name,
                subtype,
                opclass,
                collation,
                canonical,
                subtype_diff,
                multirange,
                comment,
                owner,
                [Provenance(source="catalog", action="catalog")],
                grants(acl, owner, "types"),
            )
            continue
        model.composites[qualify(schema, name)] = CompositeType(
            schema,
            name,
            list(attributes or ()),
            comment,
            owner,
            [Provenance(source="catalog", action="catalog")],
            grants(acl, owner, "types"),
        )
