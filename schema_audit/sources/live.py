"""Read a live database's catalog into a SchemaModel, safely.

Safety first, because users point this at production: one ``REPEATABLE READ
READ ONLY`` transaction (a single consistent snapshot, and the server refuses
any write), ``statement_timeout`` and ``lock_timeout`` set for that
transaction, and the transaction rolled back at the end. Passwords never
appear in errors.

Speed second: one catalog query per object kind for the whole database, never
a round trip per table, so a 5,000-table schema costs the same ~15 round trips
as a 5-table one (``LAST_ROUND_TRIPS`` records the count for the benchmark).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from collections.abc import Sequence as Items
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Protocol

from schema_audit.enums import ReferentialAction
from schema_audit.errors import SchemaAuditError
from schema_audit.exprlist import split_expressions
from schema_audit.gcpause import collector_paused
from schema_audit.model import (
    CheckConstraint,
    Column,
    DefaultPrivilege,
    EnumType,
    Extension,
    ForeignKey,
    Function,
    Grant,
    Index,
    IndexKey,
    Policy,
    PrimaryKey,
    Provenance,
    Role,
    SchemaModel,
    Sequence,
    Table,
    Trigger,
    UniqueConstraint,
    View,
    ViewColumn,
    option_text,
    qualify,
)
from schema_audit.model_ddl import create_policy
from schema_audit.redact import scrub
from schema_audit.sources.live_acl import ACL, grants, relation_lacks
from schema_audit.sources.live_deparse import Quoter, constraint_definition, index_definition
from schema_audit.sources.live_notes import Q_OBJECT_NOTES, apply_object_notes
from schema_audit.sources.live_pool import Planned, SharedSnapshotPool
from schema_audit.sources.live_types import (
    Q_COMPOSITES,
    Q_DOMAINS,
    Q_RULES,
    collation_name,
    read_composites,
    read_domains,
    read_rules,
)

if TYPE_CHECKING:
    import psycopg

# psycopg is imported where a connection is made or used, not with this module: the rows of
# an early read come from a child process (``live_child``), and a process that only builds the
# model from them never pays psycopg's import (asyncio, ssl, logging: ≈ 0.1 CPU s)

LAST_ROUND_TRIPS = 0  # of the last introspect(), over all its connections
_ROUND_TRIPS_LOCK = threading.Lock()
DEFAULT_JOBS = 4  # connections reading the catalog at once, as pg_dump -j
SYSTEM_SCHEMAS = ["pg_catalog", "information_schema"]

MATCH_TYPES = {"s": "SIMPLE", "f": "FULL", "p": "PARTIAL"}
POLICY_COMMANDS = {"*": "ALL", "r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE"}
TRIGGER_ENABLED = {"O": "ORIGIN", "D": "DISABLED", "R": "REPLICA", "A": "ALWAYS"}
VOLATILITY = {"i": "IMMUTABLE", "s": "STABLE", "v": "VOLATILE"}
PARALLEL = {"s": "SAFE", "r": "RESTRICTED", "u": "UNSAFE"}


class LiveSourceError(SchemaAuditError):
    """The database could not be read; one line, password-free."""


class LiveTimeoutError(LiveSourceError):
    """A read waited past the lock or statement timeout (another session may hold a lock)."""


def redact_dsn(dsn: str) -> str:
    """The DSN with any password replaced by ``***`` (URL or key=value form); never raises."""
    try:
        return scrub(dsn)
    except Exception:  # pragma: no cover - scrub is regex-only; belt and braces
        return "(unprintable DSN)"


def _secrets(dsn: str) -> list[str]:
    """Passwords we know of, to scrub from any server or driver message."""
    found = [os.environ.get("PGPASSWORD")]
    with contextlib.suppress(Exception):  # an unparsable DSN has no password we could know
        import psycopg.conninfo

        found.append(psycopg.conninfo.conninfo_to_dict(dsn).get("password"))
    return [s for s in found if s]


def _one_line(text: str, dsn: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    message = lines[0] if lines else "unknown error"
    message = re.sub(r"^connection failed:\s*", "", message)
    return scrub(message, *_secrets(dsn))


def connect_readonly(
    dsn: str,
    *,
    statement_timeout_ms: int = 30000,
    lock_timeout_ms: int = 5000,
    connect_timeout_s: int = 10,
    application_name: str = "schema-audit",
    snapshot: str | None = None,
) -> psycopg.Connection:
    """Open a connection inside a REPEATABLE READ READ ONLY transaction with timeouts set;
    with ``snapshot`` (an id from ``pg_export_snapshot()``), on that exported snapshot."""
    import psycopg
    from psycopg import sql as pgsql

    try:
        conn = psycopg.connect(
            dsn,
            connect_timeout=connect_timeout_s,
            application_name=application_name,
            autocommit=True,
        )
    except psycopg.Error as exc:
        raise LiveSourceError(
            f"cannot connect to {redact_dsn(dsn)}: {_one_line(str(exc), dsn)}"
        ) from None
    except Exception as exc:  # malformed DSN and the like
        raise LiveSourceError(
            f"cannot connect to {redact_dsn(dsn)}: {_one_line(str(exc), dsn)}"
        ) from None
    try:
        begin = pgsql.SQL("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        if snapshot is not None:  # must come before the transaction's first query
            begin += pgsql.SQL("; SET TRANSACTION SNAPSHOT {}").format(pgsql.Literal(snapshot))
        conn.execute(begin)
        conn.execute(
            "SELECT pg_catalog.set_config('statement_timeout', %s, true),"
            " pg_catalog.set_config('lock_timeout', %s, true),"
            " pg_catalog.set_config('idle_in_transaction_session_timeout', %s, true),"
            # Like pg_dump: with no schema on the search_path every name the catalog prints
            # (nextval('public.t_id_seq'::regclass), public.gin_trgm_ops, casts to public types)
            # is qualified the same way whatever search_path the role or database sets.
            " pg_catalog.set_config('search_path', '', true),"
            # Constants (defaults, CHECKs, views) print in the session's DateStyle, IntervalStyle
            # and TimeZone: one spelling whatever the server's, the one sqltime reads back.
            " pg_catalog.set_config('DateStyle', 'ISO, MDY', true),"
            " pg_catalog.set_config('IntervalStyle', 'postgres', true),"
            " pg_catalog.set_config('TimeZone', 'UTC', true),"
            # Catalog queries look costly to the planner, so JIT compiles them: measured at
            # 5,000 tables, 0.3-2.7 s of compiling per query for nothing (pg_dump's own
            # queries are cheap enough not to trigger it).
            " pg_catalog.set_config('jit', 'off', true),"
            # No parallel workers: the read is already spread over its connections, and the
            # workers the column query's parts started (a process each, with its own catalog
            # caches) cost the server more than they saved: at 5,000 tables the cluster's CPU
            # for one read 1.70 -> 1.50 s (median of 6, alternating), nothing at 1,000 (no
            # parallel plan). Nor does an audit take the server's worker slots from its work.
            " pg_catalog.set_config('max_parallel_workers_per_gather', '0', true)",
            (
                f"{statement_timeout_ms}ms",
                f"{lock_timeout_ms}ms",
                # PostgreSQL's setting is an int of milliseconds: 4 x a long statement
                # timeout would overflow it and refuse the whole read
                f"{min(max(statement_timeout_ms * 4, 60000), 2**31 - 1)}ms",
            ),
        )
        _count_round_trips(2)
    except psycopg.Error as exc:
        conn.close()
        raise LiveSourceError(
            f"cannot start a read-only transaction on {redact_dsn(dsn)}: {_one_line(str(exc), dsn)}"
        ) from None
    return conn


# -- catalog queries (module constants so they can be read and reviewed) -----------------------


# With the version, what quote_identifier needs to print names as the server does
# (live_deparse.Quoter): every keyword but the unreserved ones, and quote_all_identifiers.
def _not_extension_member(catalog: str, oid: str, deptypes: str = "'e'") -> str:
    """The condition that the object ``oid`` of ``pg_catalog.<catalog>`` is not an extension's
    member (CREATE EXTENSION made it: the extension's script states it, not the history), nor,
    with ``deptypes`` ``'e', 'i'``, part of another object (a range type's constructor
    functions: CREATE TYPE … AS RANGE makes them, pg_dump does not list them)."""
    return (
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
        f" WHERE d.classid = 'pg_catalog.{catalog}'::regclass"
        f" AND d.objid = {oid} AND d.deptype IN ({deptypes}))"
    )


Q_VERSION = """
SELECT pg_catalog.current_setting('server_version_num')::int, pg_catalog.current_setting('server_version'),
       ARRAY(SELECT word FROM pg_catalog.pg_get_keywords() WHERE catcode <> 'U'),
       pg_catalog.current_setting('quote_all_identifiers')::bool"""

Q_SCHEMAS = (
    """
SELECT n.nspname, pg_catalog.pg_get_userbyid(n.nspowner),
       """
    + ACL.format(acl="n.nspacl", kind="n", owner="n.nspowner")
    + """
FROM pg_catalog.pg_namespace n
WHERE {ns}
ORDER BY n.nspname"""
)

# The comment joined (obj_description is a SQL function run once per relation: 5,000 tables,
# the query 0.3 -> 0.1-0.15 s), the parent looked up for partitions only; the tablespace and
# access method by name only where not the default (reltablespace 0; relam 2 is heap, fixed
# in pg_am.dat; 0 for a view or partitioned table).
Q_RELATIONS = """
SELECT c.oid, n.nspname, c.relname, c.relkind, pg_catalog.pg_get_userbyid(c.relowner),
       c.relrowsecurity, c.relforcerowsecurity, dsc.description,
       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,
       CASE WHEN c.relispartition THEN (
         SELECT pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(pc.relname)
           FROM pg_catalog.pg_inherits i
           JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
           JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
          WHERE i.inhrelid = c.oid) END,
       c.reloptions, c.relpersistence = 'u',
       CASE c.relreplident WHEN 'f' THEN 'full' WHEN 'n' THEN 'nothing' WHEN 'i' THEN
         COALESCE((SELECT 'index ' || ic.relname FROM pg_catalog.pg_index ri
                     JOIN pg_catalog.pg_class ic ON ic.oid = ri.indexrelid
                    WHERE ri.indrelid = c.oid AND ri.indisreplident), 'nothing')
         ELSE 'default' END,
       CASE WHEN c.reltablespace <> 0 THEN (
         SELECT s.spcname FROM pg_catalog.pg_tablespace s WHERE s.oid = c.reltablespace) END,
       CASE WHEN c.relam NOT IN (0, 2) THEN (
         SELECT am.amname FROM pg_catalog.pg_am am WHERE am.oid = c.relam) END
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_description dsc ON dsc.objoid = c.oid
     AND dsc.classoid = 'pg_catalog.pg_class'::regclass AND dsc.objsubid = 0
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {ns} AND {not_ext}
ORDER BY n.nspname, c.relname"""

# Separate from Q_RELATIONS because pg_get_viewdef share-locks the views' base tables:
# behind another session's ACCESS EXCLUSIVE lock only this query waits, and it may fail alone.
# A lock taken inside a query lasts until the query's subtransaction ends, so one query over
# every view would hold its first views' tables for as long as the whole query runs (at
# 5,000 tables, long enough to fail a migration's 200 ms lock_timeout): it runs in
# VIEWDEF_CHUNKS slices, each rolled back before the next (see _Reader.rows). A slice starts
# from the views' _RETURN rules (every view and materialized view has exactly one), not from
# pg_class: each slice then scans pg_rewrite's few hundred rows, not every relation and index
# (5,000 tables: 32 scans of 49,000 pg_class rows and their pg_depend anti-join were
# 0.6-1.2 s of the server's time, more than the definitions themselves).
Q_VIEWDEFS = """
SELECT c.oid, pg_catalog.pg_get_viewdef(c.oid, true)
FROM pg_catalog.pg_rewrite r
JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE r.rulename = '_RETURN' AND c.relkind IN ('v', 'm') AND {ns} AND {not_ext}{chunk}"""
VIEWDEF_CHUNKS = 32

# A column's collation as schema_audit.collation spells it: bare when an unqualified COLLATE
# reaches it (live_types.collation_name), quoted only around "." or '"'; else schema-qualified.
COLLATION_NAME = collation_name(
    "cn",
    """CASE WHEN co.collname ~ '[."]' THEN pg_catalog.quote_ident(co.collname) ELSE co.collname END""",
)

# A default that reads no column (no Var node: nextval, now(), constants) is deparsed without
# its table (relid 0): with the table, the server opens it to name its columns, which costs a
# relation cache entry per table (5,000 tables: 0.31 s of the server's CPU, 0.02 s without).
# The default and the collation's name are looked up only for the columns that have one
# (atthasdef, a collation not the type's): joined to every column, their wide rows (adbin)
# went through the sort by column and spilled it to disk (5,000 tables, 117,599 columns:
# the query 1.7-1.85 -> 1.15-1.2 s at load 17).
# The relations come as an array of oids ({part}): the ones Q_RELATIONS read, split between the
# connections (_column_parts); each part then walks pg_attribute's index for its share only.
# Filtered here by kind, schema and extension instead, each of the four parts scanned all of
# pg_class (every index and TOAST table too) and probed pg_depend per relation: at 5,000 tables
# 0.47-0.49 -> 0.22-0.29 s of the server's CPU for the four. Without a part (a caller reading
# on its own connection), the relations of Q_RELATIONS's filter, in one subquery.
# A column's SET STATISTICS / STORAGE / COMPRESSION / (options), when one is not the default
# ({settings_differ}: attstattarget -1, NULL from PostgreSQL 17, is the default; attstorage's
# is the type's typstorage), come as one text array: statistics, storage, compression, then
# the options. Read by a query of their own, they cost a second walk of every column and its
# type (5,000 tables: 0.1-0.2 s of the server's CPU) for a handful of rows, if any.
# A column's privileges (its ACL: GRANT SELECT (c) ...) likewise, as [grantee, privilege, 'g'
# when grantable] entries by grantee and privilege (and in the ACL's order for the same two from
# several grantors): their own query scanned all of pg_attribute for its rare non-NULL attacl
# (5,000 tables: 0.03-0.04 s of the server's CPU for no row).
# A column's COMMENT comes with live_notes.Q_OBJECT_NOTES (why: there).
Q_COLUMNS = """
SELECT a.attrelid, a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
       CASE WHEN a.atthasdef THEN (
         SELECT pg_catalog.pg_get_expr(ad.adbin, CASE WHEN ad.adbin::text LIKE '%%{{VAR %%' THEN ad.adrelid ELSE 0 END)
           FROM pg_catalog.pg_attrdef ad WHERE ad.adrelid = a.attrelid AND ad.adnum = a.attnum) END,
       a.attidentity, {generated},
       CASE WHEN a.attcollation <> t.typcollation THEN (
         SELECT {collation}
           FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
          WHERE co.oid = a.attcollation) END,
       CASE WHEN {settings_differ}
            THEN ARRAY[NULLIF(coalesce(a.attstattarget::int, -1), -1)::text,
                       CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END, {compression}]
                 || coalesce(a.attoptions, '{{}}') END,
       a.atttypid, a.attcollation,
       CASE WHEN a.attacl IS NOT NULL THEN ARRAY(
         SELECT ARRAY[CASE WHEN g.grantee = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(g.grantee) END,
                      g.privilege_type, CASE WHEN g.is_grantable THEN 'g' ELSE '' END]
           FROM pg_catalog.aclexplode(a.attacl) WITH ORDINALITY g(grantor, grantee, privilege_type, is_grantable, ord)
          ORDER BY CASE WHEN g.grantee = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(g.grantee) END,
                   g.privilege_type, g.ord) END
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = ANY({part}) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum""".replace("{collation}", COLLATION_NAME)
# The relations of Q_COLUMNS, Q_INDEXES, Q_CONSTRAINTS and Q_POLICIES when no part names them
# (a caller reading on its own connection): Q_RELATIONS's (kind, schema, extension).
ALL_RELATIONS = """ARRAY(SELECT c.oid FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {ns} AND {not_ext})"""

# The definition is pg_get_constraintdef's text; for checks, primary keys and uniques without
# INCLUDE, and foreign keys without SET NULL/DEFAULT column lists it is built on the client
# (live_deparse.constraint_definition) from the columns read here, the server deparses the rest.
# Column names come from the columns the read already has (conkey/confkey are attnums): a
# subquery per constraint and key was a quarter of this query's cost at 5,000 tables. The
# server names them only where the read has no such column: a system column (attnum < 1,
# e.g. CHECK (tableoid ...)) or a referenced table outside the schemas read.
# Left out, as pg_dump and psql's \d leave them out: the clones PostgreSQL adds on the same
# table for a foreign key into a partitioned table, one per referenced partition (`…_fkey1`,
# their parent constraint on the same relation): no statement makes them, a static reading never
# has them, and init's spec of the database required them (false FAIL, PostgREST's fixtures).
# A partition's own copy of its parent's foreign key (parent on another relation) stays.
# The relations are Q_RELATIONS's ({part}: an oid[]), looked up by the constraints' index on
# conrelid: filtered here by schema and extension, each part joined pg_class and probed
# pg_depend for every constraint's relation (5,000 tables: ≈ 0.06 of the four parts' 0.23 s of
# the servers' CPU).
Q_CONSTRAINTS = """
SELECT con.conrelid, con.conname, con.contype,
       CASE WHEN NOT ({client_deparse} AND (con.contype = 'c'
                      OR (con.contype IN ('p', 'u') AND i.indnatts = i.indnkeyatts)
                      OR (con.contype = 'f' AND {no_delsetcols} AND fn.nspname <> 'pg_catalog'
                          AND pg_catalog.left(fn.nspname, 7) <> 'pg_temp')))
            THEN pg_catalog.pg_get_constraintdef(con.oid) END,
       CASE WHEN NOT 0 < ALL(con.conkey)
            THEN ARRAY(SELECT (SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = con.conrelid AND a.attnum = k.attnum) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord) ORDER BY k.ord) END,
       fn.nspname, fc.relname,
       CASE WHEN con.contype = 'f' AND NOT (0 < ALL(con.confkey) AND fc.relkind IN ('r', 'p', 'v', 'm', 'f')
                                            AND {ref_ns} AND {ref_not_ext})
            THEN ARRAY(SELECT (SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = con.confrelid AND a.attnum = k.attnum) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord) ORDER BY k.ord) END,
       con.confdeltype, con.confupdtype, con.confmatchtype, con.condeferrable, con.condeferred,
       con.convalidated, con.connoinherit, pg_catalog.pg_get_expr(con.conbin, con.conrelid),
       {nnd} IS TRUE, con.conkey, con.confrelid, con.confkey,
       CASE WHEN con.contype = 'x'
            THEN ARRAY(SELECT o.oprname::text FROM unnest(con.conexclop) WITH ORDINALITY x(op, ord)
                       JOIN pg_catalog.pg_operator o ON o.oid = x.op ORDER BY x.ord) END,
       {delsetcols}
FROM pg_catalog.pg_constraint con
LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = con.conindid AND con.contype IN ('p', 'u')
WHERE con.contype IN ('p', 'u', 'c', 'f', 'x') AND con.conrelid = ANY({part})
  AND (con.conparentid = 0 OR NOT EXISTS (SELECT FROM pg_catalog.pg_constraint pc
                                          WHERE pc.oid = con.conparentid AND pc.conrelid = con.conrelid))
ORDER BY con.conrelid, con.conname"""

# An index's definition is pg_get_indexdef's text. For the plain shape (every key a column with
# the default operator class of exactly its type, or text_ops for varchar, no options, the
# column's collation; btree or hash; no reloptions) live_deparse.index_definition builds that
# text on the client. Q_INDEXES reads each index's raw keys, operator classes and collations
# (no per-key lookup: the column query's types and collations decide the plain shape on the
# client, against Q_PLAIN_OPCLASSES); every other index is read again by Q_INDEX_DEFINITIONS,
# restricted to those indexes, where the server names the keys, operator classes and
# collations and deparses the definition: at 5,000 tables the per-key pg_attribute lookups and
# the aggregation were two thirds of the index read (45,000 lookups for 33,000 indexes).
Q_PLAIN_OPCLASSES = """
SELECT opc.oid, t.t
FROM pg_catalog.pg_opclass opc
JOIN pg_catalog.pg_am am ON am.oid = opc.opcmethod
JOIN pg_catalog.pg_type ty ON ty.oid = opc.opcintype
CROSS JOIN LATERAL (VALUES (opc.opcintype),
  (CASE WHEN opc.opcintype = 'pg_catalog.text'::pg_catalog.regtype
         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_opclass o2 WHERE o2.opcmethod = opc.opcmethod
                           AND o2.opcdefault AND o2.opcintype = 'pg_catalog.varchar'::pg_catalog.regtype)
        THEN 'pg_catalog.varchar'::pg_catalog.regtype::oid END)) t(t)
WHERE opc.opcdefault AND am.amname IN ('btree', 'hash') AND ty.typtype <> 'd' AND t.t IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_amproc p WHERE p.amprocfamily = opc.opcfamily
                    AND p.amprocnum = CASE am.amname WHEN 'btree' THEN 5 ELSE 3 END)"""

# The relations first ({part}: an oid[] of Q_RELATIONS's, which are not an extension's; a fenced
# subquery: the relations looked up by oid, their indexes then), no ORDER BY (the client sorts: the server's sort of these wide rows spilled to disk), the
# backing constraint looked up only for unique and exclusion indexes. Column 8 says whether
# the index can have the plain shape at all (the client then checks its keys).
Q_INDEXES = """
SELECT i.indrelid, ic.relname, i.indisunique, i.indisprimary, i.indisvalid, am.amname, i.indnkeyatts,
       pg_catalog.pg_get_expr(i.indpred, i.indrelid),
       {client_deparse} AND i.indexprs IS NULL AND ic.reloptions IS NULL AND am.amname IN ('btree', 'hash'),
       i.indoption::int2[], i.indkey::int2[], i.indclass::oid[], i.indcollation::oid[],
       CASE WHEN i.indisunique OR i.indisexclusion
            THEN (SELECT con.conname FROM pg_catalog.pg_constraint con
                   WHERE con.conrelid = i.indrelid AND con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')) END,
       {nnd}, c.nspname, c.relname, ic.relkind = 'I', i.indexrelid
FROM (SELECT c.oid, c.relname, n.nspname
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE c.oid = ANY({part}) AND c.relkind IN ('r', 'p', 'm')
      OFFSET 0) c
JOIN pg_catalog.pg_index i ON i.indrelid = c.oid
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_am am ON am.oid = ic.relam"""

# The indexes Q_INDEXES left to the server ({part}: their oids), as the server reads them: per
# key (one set-wise join, not a subquery per index) its column name or expression, operator
# class and collation when not the default, and whether the index has the plain shape (the
# server's own check, the same as the client's: where the two disagreed the definition would
# still be the one index_definition builds from the server's names). Those default operator
# classes (po) are a hashed set looked up per key: as a joined subquery the planner, expecting
# one row, compared every key with all of them.
Q_INDEX_DEFINITIONS = """
SELECT i.indrelid, ic.relname, i.indisunique, i.indisprimary, i.indisvalid, am.amname, i.indnkeyatts,
       pg_catalog.pg_get_expr(i.indpred, i.indrelid),
       CASE WHEN NOT ({client_deparse} AND k.plain AND ic.reloptions IS NULL) THEN pg_catalog.pg_get_indexdef(i.indexrelid) END,
       i.indoption::int2[], k.names, k.is_column, k.opclasses, con.conname, {nnd}, k.collations,
       n.nspname, c.relname, ic.relkind = 'I', i.indexrelid
FROM pg_catalog.pg_index i
JOIN (
  SELECT k.indexrelid,
         pg_catalog.array_agg(CASE WHEN k.attnum = 0 THEN pg_catalog.pg_get_indexdef(k.indexrelid, k.ord::int, false)
                                   ELSE a.attname::text END ORDER BY k.ord) AS names,
         pg_catalog.array_agg(k.attnum <> 0 ORDER BY k.ord) AS is_column,
         pg_catalog.array_agg(CASE WHEN opc.opcdefault THEN NULL
                                   WHEN opn.nspname IN ('pg_catalog', 'public') THEN pg_catalog.quote_ident(opc.opcname)
                                   ELSE pg_catalog.quote_ident(opn.nspname) || '.' || pg_catalog.quote_ident(opc.opcname) END
                              ORDER BY k.ord) FILTER (WHERE k.ord <= k.nkey) AS opclasses,
         pg_catalog.array_agg(CASE WHEN k.coll = 0 OR k.coll = COALESCE(a.attcollation, 100) THEN NULL
                                   ELSE {collation} END
                              ORDER BY k.ord) FILTER (WHERE k.ord <= k.nkey) AS collations,
         pg_catalog.bool_and(COALESCE(k.attnum > 0 AND (k.ord > k.nkey OR (k.coll IN (0, a.attcollation)
                             AND (k.opc, a.atttypid) IN (  -- po: (oid, intype)
                                   {plain_opclasses}))),
                             false)) AS plain
  FROM (SELECT i.indexrelid, i.indrelid, i.indnkeyatts AS nkey, k.attnum, k.opc, k.coll, k.ord
          FROM pg_catalog.pg_index i,
               unnest(i.indkey::int2[], i.indclass::oid[], i.indcollation::oid[]) WITH ORDINALITY k(attnum, opc, coll, ord)
         WHERE true{part}) k
  LEFT JOIN LATERAL (SELECT a.attname, a.attcollation, a.atttypid FROM pg_catalog.pg_attribute a
                     WHERE a.attrelid = k.indrelid AND a.attnum = k.attnum AND k.attnum > 0 OFFSET 0) a ON true
  LEFT JOIN pg_catalog.pg_opclass opc ON opc.oid = k.opc
  LEFT JOIN pg_catalog.pg_namespace opn ON opn.oid = opc.opcnamespace
  LEFT JOIN pg_catalog.pg_collation co ON co.oid = k.coll
  LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
  GROUP BY k.indexrelid
) k ON k.indexrelid = i.indexrelid
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
LEFT JOIN pg_catalog.pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
     AND con.contype IN ('p', 'u', 'x')
WHERE c.relkind IN ('r', 'p', 'm') AND {ns} AND {not_ext}{part}
ORDER BY i.indrelid, ic.relname""".replace("{collation}", COLLATION_NAME).replace(
    "{plain_opclasses}", Q_PLAIN_OPCLASSES.strip()
)

# Q_RELATIONS's relations ({part}: an oid[]): their policies by polrelid.
Q_POLICIES = """
SELECT p.polrelid, p.polname, p.polcmd, p.polpermissive,
       ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(r) END
             FROM unnest(p.polroles) r ORDER BY 1),
       pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)
FROM pg_catalog.pg_policy p
WHERE p.polrelid = ANY({part})
ORDER BY p.polrelid, p.polname"""

Q_TRIGGERS = """
SELECT t.tgrelid, t.tgname, t.tgtype, t.tgenabled, pn.nspname, p.proname,
       pg_catalog.pg_get_triggerdef(t.oid), t.tgconstraint <> 0, t.tgargs,
       ARRAY(SELECT a.attname FROM unnest(t.tgattr::int2[]) WITH ORDINALITY k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k.attnum ORDER BY k.ord)
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
WHERE NOT t.tgisinternal AND {ns}
ORDER BY t.tgrelid, t.tgname"""

# A relation's privileges: its ACL, or the default one (the owner's) when it was never GRANTed
# nor REVOKEd, as rows of grantee, privilege, grantable, grantor, by grantee and privilege (and
# for the same two from several grantors, in the ACL's order). Most relations share their ACL
# with many others (the same GRANTs by one owner), so each distinct ACL is expanded once, with
# the relations that have it: exploded and sorted per relation, the rows were 60,250 at 5,000
# tables (≈ 0.08 s of the server's CPU, then ≈ 0.1 s of the client's to parse, hand over and
# walk them); grouped, a handful.
Q_GRANTS = """
SELECT pg_catalog.array_agg(g.oid),
       ARRAY(SELECT ARRAY[CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(a.grantee) END,
                          a.privilege_type, CASE WHEN a.is_grantable THEN 'g' ELSE '' END,
                          pg_catalog.pg_get_userbyid(a.grantor)]
             FROM pg_catalog.aclexplode(g.acl) WITH ORDINALITY a(grantor, grantee, privilege_type, is_grantable, ord)
             ORDER BY CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(a.grantee) END,
                      a.privilege_type, a.ord)
FROM (SELECT c.oid, COALESCE(c.relacl, pg_catalog.acldefault('r', c.relowner)) AS acl
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {ns} AND {not_ext}) g
GROUP BY g.acl"""

# Whether a column has a setting Q_COLUMNS reads (SET STATISTICS / STORAGE / COMPRESSION /
# options after init passed before); {compression}: the version's attcompression
SETTINGS_DIFFER = (
    "coalesce(a.attstattarget::int, -1) <> -1 OR a.attstorage <> t.typstorage"
    " OR {compression} IS NOT NULL OR a.attoptions IS NOT NULL"
)

STORAGE = {"p": "plain", "e": "external", "x": "extended", "m": "main"}

Q_VIEW_DEPENDENCIES = """
SELECT DISTINCT r.ev_class, rn.nspname, rc.relname
FROM pg_catalog.pg_rewrite r
JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
JOIN pg_catalog.pg_class rc ON rc.oid = d.refobjid
JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
WHERE c.relkind IN ('v', 'm') AND d.refobjid <> r.ev_class AND rc.relkind IN ('r', 'p', 'v', 'm', 'f') AND {ns}
ORDER BY 1, 2, 3"""

Q_FUNCTIONS = (
    """
SELECT n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid),
       pg_catalog.pg_get_function_result(p.oid), l.lanname, p.prosecdef, p.provolatile,
       p.proisstrict, p.proparallel, p.proconfig,
       {sql_body}, pg_catalog.pg_get_userbyid(p.proowner), pg_catalog.obj_description(p.oid, 'pg_proc'),
       """
    + ACL.format(acl="p.proacl", kind="f", owner="p.proowner")
    + """, p.proleakproof, p.procost, p.prorows,
       CASE WHEN p.pronargdefaults > 0 THEN pg_catalog.pg_get_expr(p.proargdefaults, 0) END
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
WHERE p.prokind IN ('f', 'p') AND {ns}
  AND """
    + _not_extension_member("pg_proc", "p.oid", "'e', 'i'")
    + """
ORDER BY 1, 2, 3"""
)

Q_ENUMS = (
    """
SELECT n.nspname, t.typname,
       ARRAY(SELECT e.enumlabel FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid
             ORDER BY e.enumsortorder),
       pg_catalog.pg_get_userbyid(t.typowner),
       """
    + ACL.format(acl="t.typacl", kind="T", owner="t.typowner")
    + """
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'e' AND {ns}
ORDER BY 1, 2"""
)

# Rules on views (CREATE RULE, not a view's _RETURN) are not modelled: no requirement compares
# them, so each one the database has is named as a blind spot (before, nothing was said: a DO
# INSTEAD NOTHING rule added after init was silence). A table's rules and domains are read by
# live_types (Q_RULES, Q_DOMAINS).
# Publications likewise (Supabase's supabase_realtime: a table dropped from it stops Realtime),
# and triggers on views (Marquez's INSTEAD OF trigger on jobs_view: dropped, nothing was said),
# extended statistics (CREATE STATISTICS), collations (CREATE COLLATION) and event triggers
# (CREATE EVENT TRIGGER on an existing function: nothing was said). Range types are read with
# the composite types (live_types.Q_COMPOSITES) since the twelfth session.
Q_UNMODELLED = (
    """
SELECT 'rule', n.nspname, c.relname, r.rulename
FROM pg_catalog.pg_rewrite r
JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE r.rulename <> '_RETURN' AND c.relkind NOT IN ('r', 'p', 'v') AND {ns} AND {not_ext}
UNION ALL
SELECT 'publication', NULL, p.pubname, NULL
FROM pg_catalog.pg_publication p
UNION ALL
SELECT 'view trigger', n.nspname, c.relname, t.tgname
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'v' AND NOT t.tgisinternal AND {ns} AND {not_ext}
UNION ALL
SELECT 'statistics', n.nspname, s.stxname, NULL
FROM pg_catalog.pg_statistic_ext s
JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
WHERE {ns}
  AND """
    + _not_extension_member("pg_statistic_ext", "s.oid")
    + """
UNION ALL
SELECT 'collation', n.nspname, co.collname, NULL
FROM pg_catalog.pg_collation co
JOIN pg_catalog.pg_namespace n ON n.oid = co.collnamespace
WHERE {ns}
  AND """
    + _not_extension_member("pg_collation", "co.oid")
    + """
UNION ALL
SELECT 'event trigger', NULL, e.evtname, e.evtevent
FROM pg_catalog.pg_event_trigger e
WHERE """
    + _not_extension_member("pg_event_trigger", "e.oid")
    + """
ORDER BY 1, 2, 3, 4"""
)

# What the report says of each kind of Q_UNMODELLED's rows (rule: the row's fourth column)
UNMODELLED = {
    "rule": "rule {rule} on {qualified} is not modelled: no requirement checks what it rewrites "
    "(CREATE RULE … DO INSTEAD can replace a table's INSERT, UPDATE or DELETE)",
    "view trigger": "trigger {rule} on view {qualified} is not modelled: no requirement checks "
    "it (an INSTEAD OF trigger decides what an INSERT, UPDATE or DELETE on the view does)",
    "statistics": "statistics object {qualified} is not modelled: CREATE / DROP / ALTER "
    "STATISTICS are not compared",
    "collation": "collation {qualified} is not modelled: its provider, locale and determinism "
    "are not compared (a column's collation is, by name)",
    "event trigger": "event trigger {name} (ON {rule}) is not modelled: whether it exists, its "
    "function and its state are not compared",
    "publication": "publication {name} is not modelled: the tables it publishes (logical "
    "replication, Supabase Realtime) are not compared",
}

Q_EXTENSIONS = """
SELECT e.extname, n.nspname, e.extversion
FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
ORDER BY 1"""

Q_SEQUENCES = (
    """
SELECT n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner),
       """
    + ACL.format(acl="c.relacl", kind="s", owner="c.relowner")
    + """,
       (SELECT dc.relname || '.' || a.attname FROM pg_catalog.pg_depend d
          JOIN pg_catalog.pg_class dc ON dc.oid = d.refobjid
          JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
         WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
           AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0 LIMIT 1),
       pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
       s.seqcache, s.seqcycle, pg_catalog.obj_description(c.oid, 'pg_class')
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
WHERE c.relkind = 'S' AND {ns} AND {not_ext}
ORDER BY 1, 2"""
)

# Only what differs from the built-in defaults is stored; the creating role's own entry is skipped,
# and so is a built-in PUBLIC default (EXECUTE on functions, USAGE on types) a database-wide entry
# keeps: ALTER DEFAULT PRIVILEGES GRANT USAGE ON TYPES TO r copies it in beside r's.
Q_DEFAULT_PRIVILEGES = """
SELECT pg_catalog.pg_get_userbyid(d.defaclrole), n.nspname, d.defaclobjtype,
       CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(a.grantee) END, a.privilege_type,
       a.is_grantable
FROM pg_catalog.pg_default_acl d
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
CROSS JOIN LATERAL pg_catalog.aclexplode(d.defaclacl) a
WHERE a.grantee <> d.defaclrole
  AND NOT (d.defaclnamespace = 0 AND a.grantee = 0
           AND (d.defaclobjtype, a.privilege_type) IN (('f', 'EXECUTE'), ('T', 'USAGE')))
ORDER BY 1, 2 NULLS FIRST, 3, 4, 5"""

# {options}: the membership's INHERIT and SET options on 16+, the member's rolinherit before.
Q_ROLES = """
SELECT r.rolname, r.rolcanlogin, r.rolsuper, r.rolbypassrls, r.rolinherit,
       ARRAY(SELECT b.rolname FROM pg_catalog.pg_auth_members m
             JOIN pg_catalog.pg_roles b ON b.oid = m.roleid WHERE m.member = r.oid ORDER BY 1),
       ARRAY(SELECT {options} FROM pg_catalog.pg_auth_members m
             JOIN pg_catalog.pg_roles b ON b.oid = m.roleid WHERE m.member = r.oid ORDER BY b.rolname)
FROM pg_catalog.pg_roles r
WHERE r.rolname !~ '^pg_'
ORDER BY 1"""
MEMBERSHIP_OPTIONS_16 = "ARRAY[m.inherit_option, m.set_option]"
MEMBERSHIP_OPTIONS_OLD = "ARRAY[r.rolinherit, true]"
SQL_BODY = (
    "CASE WHEN p.prosqlbody IS NULL THEN p.prosrc "
    "ELSE pg_catalog.pg_get_function_sqlbody(p.oid) END"
)
MINIMUM_VERSION = 110000  # INCLUDE columns, prokind, indnkeyatts


def version_fragments(version_num: int) -> dict[str, str]:
    """Catalog columns that exist only on newer servers, or a stand-in for older ones."""
    compression = (
        "CASE a.attcompression WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4' END"
        if version_num >= 140000
        else "NULL::text"
    )
    return {
        "generated": "a.attgenerated" if version_num >= 120000 else "''::\"char\"",
        "nnd": "i.indnullsnotdistinct" if version_num >= 150000 else "false",
        "options": MEMBERSHIP_OPTIONS_16 if version_num >= 160000 else MEMBERSHIP_OPTIONS_OLD,
        "no_delsetcols": "con.confdelsetcols IS NULL" if version_num >= 150000 else "true",
        # a range type's multirange (14+)
        "multirange": "(SELECT mt.typname::text FROM pg_catalog.pg_type mt WHERE mt.oid = r.rngmultitypid)"
        if version_num >= 140000
        else "NULL::text",
        # ON DELETE SET NULL / SET DEFAULT (columns) (15+): attnums, named from the column read
        "delsetcols": "con.confdelsetcols::int2[]" if version_num >= 150000 else "NULL::int2[]",
        # a SQL-standard body (BEGIN ATOMIC … END, RETURN …) is not in prosrc (14+)
        "sql_body": SQL_BODY if version_num >= 140000 else "p.prosrc",
        # live_deparse follows ruleutils.c of PostgreSQL 11-16 (17 and 18 add constraint
        # clauses such as WITHOUT OVERLAPS/PERIOD/NOT ENFORCED): newer servers deparse alone
        "client_deparse": "true" if version_num < 170000 else "false",
        "compression": compression,
        "settings_differ": SETTINGS_DIFFER.format(compression=compression),
    }


_NOT_EXTENSION = _not_extension_member("pg_class", "c.oid")
# Whether a foreign key's referenced table is one the read has (Q_CONSTRAINTS names its key
# columns where not), probed per foreign key: "OFFSET 0" keeps the planner from turning the
# NOT EXISTS into a hashed subplan, a scan of all of pg_depend in each of the four parts
# (159,000 rows at 5,000 tables: a part's server CPU 0.050 -> 0.040 s with the per-row probes).
_REF_NOT_EXTENSION = (
    "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
    " WHERE d.classid = 'pg_catalog.pg_class'::regclass"
    " AND d.objid = fc.oid AND d.deptype = 'e' OFFSET 0)"
)


def _namespace_filter(schemas: list[str] | None) -> tuple[str, dict[str, Any]]:
    if schemas:
        return "n.nspname = ANY(%(schemas)s)", {"schemas": list(schemas)}
    return (
        "n.nspname <> ALL(%(system)s) AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%'",
        {"system": SYSTEM_SCHEMAS},
    )


# Rows of these queries are sent in binary: numbers, arrays and booleans are then copied, not
# parsed from text (5,000 tables: 0.16 -> 0.11 CPU s of the client's parsing for the two).
# Their columns are all text, name, bool, oid and int2 values or arrays, which load to the
# same Python values either way ("char" is not: its empty value arrives as '\x00' in binary).
_BINARY_RESULTS = frozenset({Q_CONSTRAINTS, Q_INDEXES, Q_INDEX_DEFINITIONS})

# Queries whose ``{part}`` is an oid[] of the relations to read (from Q_RELATIONS's rows:
# _relation_parts); without one, every relation Q_RELATIONS reads (ALL_RELATIONS)
_BY_RELATION = frozenset({Q_COLUMNS, Q_INDEXES, Q_CONSTRAINTS, Q_POLICIES})

# One round trip: a statement list without parameters goes as a simple query.
RELEASE_LOCKS = "ROLLBACK TO SAVEPOINT schema_audit_read; RELEASE SAVEPOINT schema_audit_read"
# Not in a savepoint: PostgreSQL exports no snapshot from a subtransaction.
Q_EXPORT_SNAPSHOT = "SELECT pg_catalog.pg_export_snapshot()"


def _lock_chunked(sql: str) -> str:
    """``sql`` (with a ``{chunk}`` slot) as VIEWDEF_CHUNKS statements over disjoint slices of
    the relations, each followed by a rollback to the read's savepoint: the share locks a
    slice took are given back before the next slice runs, so no table stays locked for
    longer than one slice's few milliseconds, whatever the number of views."""
    slices = [
        sql.replace(
            "{chunk}",
            f" AND pg_catalog.mod(pg_catalog.hashoid(r.ev_class) & 2147483647, {VIEWDEF_CHUNKS}) = {n}",
        )
        for n in range(VIEWDEF_CHUNKS)
    ]
    return ";\nROLLBACK TO SAVEPOINT schema_audit_read;\n".join(slices)


def _count_round_trips(n: int) -> None:
    global LAST_ROUND_TRIPS
    with _ROUND_TRIPS_LOCK:
        LAST_ROUND_TRIPS += n


class Rows(Protocol):
    """Where the build takes each catalog query's rows from: one connection (``_Reader``), a
    pool of them on one snapshot (``SharedSnapshotPool``), or a child process that runs either
    (``live_child.ChildRows``). ``plans_ahead``: the queries whose text depends on rows read
    (the columns' and the server-deparsed indexes' parts) are handed over by ``plan_next`` and
    run while the build goes on; else each runs, whole, when its rows are asked for."""

    blind_spots: list[str]
    plans_ahead: bool
    connections: int

    def rows(self, query: str, what: str, *, optional: bool = False, **fmt: str) -> list[tuple]: ...

    def plan_next(self, plan: Items[Planned]) -> None: ...


class _Reader:
    """Runs catalog queries on one connection; what it could not read goes to ``blind_spots``."""

    plans_ahead = False  # each query runs when its rows are asked for
    connections = 1

    def __init__(self, conn: psycopg.Connection, dsn: str, schemas: list[str] | None) -> None:
        self.conn = conn
        self.dsn = dsn
        self.ns, self.params = _namespace_filter(schemas)
        self.blind_spots: list[str] = []
        self.fragments: dict[str, str] = {}  # version-dependent catalog columns

    def rows(self, query: str, what: str, *, optional: bool = False, **fmt: str) -> list[tuple]:
        """Run one catalog query; ``optional`` ones degrade to a blind spot on a lock timeout."""
        import psycopg
        from psycopg import errors as pg_errors

        chunked = query == Q_VIEWDEFS
        fmt = {"part": "", "chunk": "{chunk}" if chunked else "", **self.fragments, **fmt}
        if query in _BY_RELATION and not fmt["part"]:
            fmt["part"] = ALL_RELATIONS.format(ns=self.ns, not_ext=_NOT_EXTENSION)
        sql = query.format(
            ns=self.ns,
            not_ext=_NOT_EXTENSION,
            ref_ns=self.ns.replace("n.nspname", "fn.nspname"),
            ref_not_ext=_REF_NOT_EXTENSION,
            **fmt,
        )
        if chunked:
            sql = _lock_chunked(sql)
        _count_round_trips(1)
        try:
            # A list of statements (the chunked view definitions) goes in one round trip, as
            # a simple query: parameters bound on the client for it.
            cursor = psycopg.ClientCursor(self.conn) if chunked else self.conn.cursor()
            with cursor as cur:
                cur.execute("SAVEPOINT schema_audit_read")
                params = self.params if "%(" in sql else None
                if query in _BINARY_RESULTS:
                    cur.execute(sql, params, binary=True)
                else:
                    cur.execute(sql, params)
                out = cur.fetchall()
                while cur.nextset():
                    if cur.description is not None:
                        out += cur.fetchall()
                # Roll the subtransaction back, not release it: that gives back the relation
                # locks the query took (pg_get_viewdef share-locks a view's base tables) while
                # the REPEATABLE READ snapshot stays. Released, they would be held until the
                # audit ends and queue a migration's ALTER TABLE (and all behind it).
                cur.execute(RELEASE_LOCKS)
                return out
        except pg_errors.InsufficientPrivilege as exc:
            self.conn.execute("ROLLBACK TO SAVEPOINT schema_audit_read")
            self.blind_spots.append(f"{what}: {_one_line(str(exc), self.dsn)}")
            return []
        except (pg_errors.QueryCanceled, pg_errors.LockNotAvailable) as exc:
            if optional:
                self.conn.execute("ROLLBACK TO SAVEPOINT schema_audit_read")
                self.blind_spots.append(
                    f"{what}: not read ({_one_line(str(exc), self.dsn)}; another session holds a lock)"
                )
                return []
            raise LiveTimeoutError(
                f"reading {what} from {redact_dsn(self.dsn)} timed out ({_one_line(str(exc), self.dsn)}); "
                "another session may hold a lock: retry later or raise the lock and statement timeouts"
            ) from None
        except psycopg.Error as exc:
            raise LiveSourceError(
                f"reading {what} from {redact_dsn(self.dsn)} failed: {_one_line(str(exc), self.dsn)}"
            ) from None

    def plan_next(self, plan: Items[Planned]) -> None:
        """Nothing to plan: one connection runs each query when its rows are asked for."""

    def cancel(self) -> None:
        """Ask the server to stop the query in flight (the read failed elsewhere)."""
        getattr(self.conn, "cancel_safe", self.conn.cancel)()

    def close(self) -> None:
        """End the read-only transaction and the connection."""
        try:
            self.conn.execute("ROLLBACK")
        finally:
            self.conn.close()


def stderr_notice(line: str) -> None:
    """A notice of the read (fewer connections than asked) as one ``schema-audit:`` line."""
    print(f"schema-audit: {line}", file=sys.stderr)


def introspect(
    dsn_or_conn: str | psycopg.Connection,
    *,
    schemas: list[str] | None = None,
    statement_timeout_ms: int = 30000,
    lock_timeout_ms: int = 5000,
    jobs: int = DEFAULT_JOBS,
    notice: Callable[[str], None] = stderr_notice,
) -> SchemaModel:
    """Read every schema object the model knows from a live database.

    Given a DSN, on ``jobs`` connections sharing one exported snapshot (1: one connection,
    for servers that cap them); when the server refuses the extra connections or the export,
    on fewer, with one line to ``notice``. Given a connection, in its transaction, alone.
    """
    global LAST_ROUND_TRIPS
    LAST_ROUND_TRIPS = 0
    if not isinstance(dsn_or_conn, str):
        return _introspect_in(dsn_or_conn, schemas)
    with opened(
        dsn_or_conn,
        schemas=schemas,
        statement_timeout_ms=statement_timeout_ms,
        lock_timeout_ms=lock_timeout_ms,
        jobs=jobs,
        notice=notice,
    ) as (rows, version):
        return _read_all(rows, *version)


@contextlib.contextmanager
def opened(
    dsn: str,
    *,
    schemas: list[str] | None,
    statement_timeout_ms: int,
    lock_timeout_ms: int,
    jobs: int,
    notice: Callable[[str], None],
    read_over: Callable[[], None] | None = None,
) -> Iterator[tuple[_Reader | SharedSnapshotPool, tuple[int, str, Quoter]]]:
    """The read's source of rows (one reader, or a pool of ``jobs`` connections on one
    exported snapshot, its plan running) and the server's version; on leaving, the pool's
    threads and connections end (its queries cancelled if the body failed) and the main
    connection's transaction is rolled back. The body consumes the rows (``_read_all``),
    here or in a child process that hands them on (``live_child``).

    ``read_over`` is called when the body is done and every notice of the read is told (the
    pool's threads have ended), before any connection is closed: the rows were all read on
    the snapshot by then, so a child can hand the read over without making its parent wait
    for the closing (a rollback round trip and a connection's end per connection: 10-40 ms
    of an ``audit --dsn`` at 1,000 tables, all on the parent's path, issue 19)."""
    import psycopg

    def connect(snapshot: str | None = None) -> psycopg.Connection:
        return connect_readonly(
            dsn,
            statement_timeout_ms=statement_timeout_ms,
            lock_timeout_ms=lock_timeout_ms,
            snapshot=snapshot,
        )

    reader = _Reader(connect(), dsn, schemas)
    snapshot = None
    if jobs > 1:
        try:
            snapshot = reader.conn.execute(Q_EXPORT_SNAPSHOT).fetchone()[0]
            _count_round_trips(1)
        except psycopg.Error as exc:
            # the failed export aborted the transaction: read in a fresh one, on one connection
            notice(
                f"reading the catalog on one connection: the server exports no snapshot "
                f"({_one_line(str(exc), dsn)})"
            )
            reader.conn.close()
            reader = _Reader(connect(), dsn, schemas)
    failed = True
    try:
        version = _server_version(reader)
        if snapshot is None:
            yield reader, version
            if read_over is not None:
                read_over()
        else:

            def open_reader() -> _Reader:
                worker = _Reader(connect(snapshot), dsn, schemas)
                worker.fragments = reader.fragments
                return worker

            def refused(opened: int, wanted: int, reason: str) -> None:
                notice(
                    f"reading the catalog on {opened} of {wanted} connections: {reason}"
                    " (--jobs 1 reads on one)"
                )

            plan = _plan(jobs)
            # the rest waits for the relations: the queries planned from them go first
            first = next(n for n, p in enumerate(plan) if p.query == Q_RELATIONS) + 1
            pool = SharedSnapshotPool(
                reader, open_reader, jobs, plan[:first], refused, held=plan[first:]
            )
            try:
                yield pool, version
            except BaseException:
                pool.close(failed=True)
                raise
            try:
                pool.stop(failed=False)
                if read_over is not None:
                    read_over()
            finally:
                pool.close(failed=False)
        failed = False
    finally:
        with contextlib.suppress(Exception) if failed else contextlib.nullcontext():
            reader.close()


def _introspect_in(conn: psycopg.Connection, schemas: list[str] | None) -> SchemaModel:
    """Read in the caller's connection and transaction, with the same empty search_path,
    restored afterwards (for the transaction when one is open, for the session in autocommit)."""
    import psycopg

    local = conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    names = list(_READ_SETTINGS)
    previous = conn.execute(
        _SWAP_SETTINGS, [x for n in names for x in (n, n, _READ_SETTINGS[n], local)]
    )
    previous = previous.fetchone()[::2]
    try:
        reader = _Reader(conn, conn.info.dsn, schemas)
        return _read_all(reader, *_server_version(reader))
    finally:
        args = [x for n, v in zip(names, previous, strict=True) for x in (n, n, v, local)]
        conn.execute(_SWAP_SETTINGS, args)


# What connect_readonly sets for its transaction (the output settings of catalog constants too).
_READ_SETTINGS = {
    "search_path": "",
    "DateStyle": "ISO, MDY",
    "IntervalStyle": "postgres",
    "TimeZone": "UTC",
}
_SWAP_SETTINGS = "SELECT " + ", ".join(
    ["pg_catalog.current_setting(%s), pg_catalog.set_config(%s, %s, %s)"] * len(_READ_SETTINGS)
)


def _plan(parts: int) -> list[Planned]:
    """Every catalog query of a read that does not depend on rows read, in the order the model
    is built from them (the order the connections take them in; the view definitions, taken
    last, come after the relations' queries): the build then works on the first results while
    the servers still answer the later queries, instead of waiting for the last one. The
    queries of the relations Q_RELATIONS read (columns, indexes, constraints, policies) are
    planned by the build once it has those (_relation_parts), ahead of what is left of this
    plan. (``parts``: the connections, for the signature's sake: nothing here is split.)"""
    del parts
    return [
        Planned(Q_SCHEMAS, "schemas"),
        Planned(Q_RELATIONS, "relations"),
        # here the relations' queries, split by the relations just read (_relation_parts)
        # consumed last (_view_definitions), but the heaviest of the queries left
        Planned(Q_VIEWDEFS, "view definitions", optional=True),
        *(Planned(q, what) for q, what in _REST),
    ]


_REST = [  # in the order _build reads them
    (Q_TRIGGERS, "triggers"),
    (Q_GRANTS, "table privileges"),
    (Q_VIEW_DEPENDENCIES, "view dependencies"),
    (Q_FUNCTIONS, "functions"),
    (Q_ENUMS, "enum types"),
    (Q_OBJECT_NOTES, "comments, index options and CLUSTER ON"),
    (Q_DOMAINS, "domains"),
    (Q_RULES, "rules"),
    (Q_COMPOSITES, "composite types"),
    (Q_EXTENSIONS, "extensions"),
    (Q_SEQUENCES, "sequences"),
    (Q_DEFAULT_PRIVILEGES, "default privileges"),
    (Q_ROLES, "roles"),
    (Q_UNMODELLED, "rules, domains and publications"),
]

# The relations' queries after the columns, in the order _build reads them; each split in one
# part per connection, part n planned for connection n with the same relations (a relation's
# indexes, constraints and policies meet in one server process: pg_get_expr opens the table,
# and builds its relation cache entry, once per process that deparses one of its expressions).
_BY_RELATION_SPLIT = [
    (Q_INDEXES, "indexes"),
    (Q_CONSTRAINTS, "constraints"),
    (Q_POLICIES, "policies"),
]


def _relation_parts(r: Rows, relids: list[int]) -> str:
    """The queries of these relations (Q_RELATIONS's: columns, indexes, constraints, policies)
    as oid arrays. On a pool, planned in one part per connection (every n-th relation in oid
    order) ahead of the rest of the plan: the columns first, each part for the first connection
    free (the column query opens no relation), then the plain operator classes and the split
    queries, part n for connection n. Given the relations, no part scans pg_class for them
    again nor probes pg_depend for an extension's (at 5,000 tables, each part of the indexes,
    constraints and policies did both: twelve scans of 49,000 pg_class rows and 17,000 probes,
    ≈ 0.15 s of the servers' CPU). The part a single reader runs each with (all of them) is
    returned."""
    relids = sorted(relids)
    if not r.plans_ahead:
        return _oid_array(relids)
    parts = r.connections
    shares = [_oid_array(relids[n::parts]) for n in range(parts)]
    r.plan_next(
        [Planned(Q_COLUMNS, "columns", part=share) for share in shares]
        + [Planned(Q_PLAIN_OPCLASSES, "plain operator classes")]
        + [
            Planned(query, what, part=share, slot=n)
            for query, what in _BY_RELATION_SPLIT
            for n, share in enumerate(shares)
        ]
    )
    return ""


def _oid_array(oids: list[int]) -> str:
    """An oid[] constant (the oids are the server's own integers: nothing to quote)."""
    return "'{" + ",".join(map(str, oids)) + "}'::pg_catalog.oid[]"


def _server_version(r: _Reader) -> tuple[int, str, Quoter]:
    """The server's version (refused below the oldest one the queries know) and its way of
    quoting names; sets the reader's version-dependent catalog columns."""
    row = r.rows(Q_VERSION, "server version")[0]
    version_num, version = row[0], row[1]
    if version_num < MINIMUM_VERSION:
        raise LiveSourceError(
            f"{redact_dsn(r.dsn)} runs PostgreSQL {version}; schema-audit reads PostgreSQL 11 or newer"
        )
    keywords, quote_all = row[2], row[3]
    r.fragments = version_fragments(version_num)
    return version_num, version, Quoter(keywords, quote_all)


def _read_all(r: Rows, version_num: int, version: str, quote: Quoter) -> SchemaModel:
    """The model, from the planned queries' rows consumed in one fixed order (so it is the same
    whichever connection answered what).

    The build makes a few hundred thousand container objects and no garbage cycles: the
    collector, triggered again and again by the allocations, walked them all each time
    (5,000 tables: 5.5 s of build, 2.2 s without it). The pause is the process's one counted
    pause (``gcpause``): ``audit --dsn`` builds in a thread while the main thread loads the
    spec under that pause, and a counter of the build's own turned the collector back on in
    the middle of the spec load (two full collections of spec and model, 1.2 CPU s at 5,000
    tables) or left the build running with it on."""
    with collector_paused():
        return _build(r, version_num, version, quote)


def _build(r: Rows, version_num: int, version: str, quote: Quoter) -> SchemaModel:
    model = SchemaModel()
    model.server_version = version
    for name, owner, acl in r.rows(Q_SCHEMAS, "schemas"):
        model.schemas[name] = owner
        model.schema_grants[name] = grants(acl, owner, "schemas")

    relations: dict[int, Table | View] = {}
    relation_rows = r.rows(Q_RELATIONS, "relations")
    # the servers start on the columns, indexes, constraints and policies of these relations
    # while they are built
    part = _relation_parts(r, [row[0] for row in relation_rows])
    for (
        oid,
        schema,
        name,
        kind,
        owner,
        rls,
        forced,
        comment,
        partkey,
        parent,
        reloptions,
        unlogged,
        replica_identity,
        tablespace,
        access_method,
    ) in relation_rows:
        prov = [Provenance(source="catalog", action="catalog")]
        options = dict(o.partition("=")[::2] for o in reloptions) if reloptions else {}
        if kind in ("v", "m"):
            view = View(
                schema,
                name,
                materialized=kind == "m",
                definition="",
                owner=owner,
                comment=comment,
                provenance=prov,
                options=options,
                tablespace=tablespace,
                access_method=access_method,
            )
            model.views[qualify(schema, name)] = view
            relations[oid] = view
        else:
            table = Table(
                schema,
                name,
                kind=TABLE_KINDS[kind],
                owner=owner,
                rls_enabled=rls,
                rls_forced=forced,
                comment=comment,
                partition_key=partkey,
                partition_of=parent,
                replica_identity=replica_identity,
                provenance=prov,
                options=options,
                unlogged=bool(unlogged),
                tablespace=tablespace,
                access_method=access_method,
            )
            model.tables[qualify(schema, name)] = table
            relations[oid] = table
    del relation_rows

    attnames: dict[int, dict[int, str]] = {}  # relid -> attnum -> name, for constraints
    names: dict[int, str] = {}
    # relid -> [attnum] -> (type oid, collation oid), None for a dropped column: whether an
    # index has the plain shape. A list per relation and one tuple per distinct pair (a few
    # dozen): a dict and a tuple per column were 13 MiB at 5,000 tables.
    atttypes: dict[int, list[tuple[int, int] | None]] = {}
    typed: list[tuple[int, int] | None] = []
    pairs: dict[tuple[int, int], tuple[int, int]] = {}
    # One str per distinct column name and type (psycopg makes a new one per row: at 5,000
    # tables ~13 MiB of copies of "id", "bigint", "text" ...); types printed in the model's
    # spelling once per distinct text.
    words = _Words()
    types: dict[str, str] = {}
    last = None
    # the relation's column dict or list and name, looked up once per relation, not per row
    into_table: dict[str, Column] | None = None
    into_view: list[ViewColumn] | None = None
    column_grants: dict[str, list[Grant]] = {}
    rel: Table | View | None = None
    # (relation, column, Q_COLUMNS's settings array) of the columns that have settings
    with_settings: list[tuple[Table | View, str, list[str | None]]] = []
    qualified = ""
    for (
        relid,
        attnum,
        name,
        type_,
        notnull,
        default,
        identity,
        generated,
        collation,
        settings,
        typid,
        collid,
        acl,
    ) in r.rows(Q_COLUMNS, "columns", part=part):
        if relid != last:  # the rows come grouped by relation
            names = attnames[relid] = {}
            typed = atttypes[relid] = [None]  # attnums start at 1
            last = relid
            rel = relations.get(relid)
            into_table = rel.columns if isinstance(rel, Table) else None
            column_grants = rel.column_grants if isinstance(rel, Table) else {}
            into_view = rel.columns if isinstance(rel, View) else None
            qualified = rel.qualified_name if rel is not None else ""
        name = words[name]
        names[attnum] = name
        if attnum > len(typed):  # after a dropped column
            typed += [None] * (attnum - len(typed))
        pair = (typid, collid)
        typed.append(pairs.setdefault(pair, pair))
        home = types.get(type_)
        if home is None:
            home = types[type_] = words[_home_type(type_)]
        if settings is not None and rel is not None:  # rare: set once the columns are made
            with_settings.append((rel, name, settings))
        if into_table is not None:
            if acl:  # privileges GRANTed on the column (rare)
                column_grants[name] = [Grant(g, p, grantable == "g") for g, p, grantable in acl]
            if not generated:  # a plain column (column_from_row's first case, inline)
                into_table[name] = Column(
                    name,
                    home,
                    not notnull,
                    default,
                    IDENTITY.get(identity),
                    None,
                    collation,
                )
                continue
            into_table[name] = column_from_row(
                qualified,
                name,
                home,
                notnull,
                default,
                identity,
                generated,
                collation,
                r.blind_spots,
            )
        elif into_view is not None:
            into_view.append(ViewColumn(name, home))
    _column_settings(with_settings)

    # The view definitions are taken last (_view_definitions), their blind spots put here.
    view_spots_at = len(r.blind_spots)
    # The indexes before the constraints (the plan's order too): the connections answer the
    # constraint query while the client builds the indexes (the larger build: 33,000 indexes
    # at 5,000 tables), so less of the build is left once the last heavy answer is in. Each
    # fills its own part of a table; what each leaves in the blind spots is put back in the
    # order a read of the constraints first always said it.
    # The indexes the server deparses are filled in after the constraints: their query, asked
    # for once the index rows are in, is answered while the plain ones and the constraints are
    # built (taken at once, the build waited for it: 0.03 s of a 0.35 s read at 1,000 tables).
    spots = r.blind_spots
    before_indexes = len(spots)
    server_indexes = _read_indexes(r, relations, attnames, atttypes, quote, words, part)
    before_constraints = len(spots)
    exclusions = _read_constraints(r, relations, attnames, quote, part)
    after_constraints = len(spots)
    server_indexes()
    _put_exclusions(exclusions)
    spots[before_indexes:] = (
        spots[before_constraints:after_constraints]
        + spots[before_indexes:before_constraints]
        + spots[after_constraints:]
    )
    _read_policies(r, relations, part)
    _read_triggers(r, relations)
    _read_grants(r, relations, words)
    for view_oid, schema, name in r.rows(Q_VIEW_DEPENDENCIES, "view dependencies"):
        view = relations.get(view_oid)
        if isinstance(view, View):
            view.depends_on.append(qualify(schema, name))
    for (
        schema,
        name,
        args,
        result,
        lang,
        secdef,
        volatility,
        strict,
        parallel,
        config,
        body,
        owner,
        comment,
        acl,
        leakproof,
        cost,
        rows,
        defaults,
    ) in r.rows(Q_FUNCTIONS, "functions"):
        fn = Function(
            schema,
            name,
            arguments=_home_type(args),
            returns=_home_type(result),
            language=lang,
            security_definer=secdef,
            volatility=VOLATILITY.get(volatility, "VOLATILE"),
            strict=bool(strict),
            parallel=PARALLEL.get(parallel, "UNSAFE"),
            config=list(config or []),
            body=body or "",
            owner=owner,
            comment=comment,
            grants=grants(acl, owner, "functions"),
            provenance=[Provenance(source="catalog", action="catalog")],
            leakproof=bool(leakproof),
            cost=None if cost is None else str(cost),
            rows=None if rows is None else str(rows),
            defaults=split_expressions(defaults) if defaults else [],
        )
        model.functions[fn.signature] = fn
    for schema, name, labels, owner, acl in r.rows(Q_ENUMS, "enum types"):
        model.enums[qualify(schema, name)] = EnumType(
            schema, name, list(labels), [], owner, grants(acl, owner, "types")
        )
    apply_object_notes(
        r.rows(Q_OBJECT_NOTES, "comments, index options and CLUSTER ON"), relations, model
    )
    read_domains(r.rows(Q_DOMAINS, "domains"), model)
    read_rules(r.rows(Q_RULES, "rules"), relations)
    read_composites(r.rows(Q_COMPOSITES, "composite types"), model)
    for name, schema, version_ in r.rows(Q_EXTENSIONS, "extensions"):
        model.extensions[name] = Extension(name, schema, version_)
    for schema, name, owner, acl, owned_by, *options in r.rows(Q_SEQUENCES, "sequences"):
        model.sequences[qualify(schema, name)] = Sequence(
            schema, name, owned_by, owner, grants(acl, owner, "sequences"), [], *options
        )
    for owner, schema, kind, grantee, privilege, grantable in r.rows(
        Q_DEFAULT_PRIVILEGES, "default privileges"
    ):
        model.default_privileges.append(
            DefaultPrivilege(
                owner, schema, DEFAULT_ACL_TYPES.get(kind, "tables"), grantee, privilege, grantable
            )
        )
    for name, login, superuser, bypass, inherit, member_of, options in r.rows(Q_ROLES, "roles"):
        role = Role(name, login, superuser, bypass, list(member_of), inherit)
        for parent, (inherits, can_set) in zip(member_of, options, strict=True):
            if (inherits, can_set) != (inherit, True):
                role.membership_options[parent] = (inherits, can_set)
        model.roles[name] = role
    for kind, schema, name, rule in r.rows(Q_UNMODELLED, "rules, domains and publications"):
        text = UNMODELLED.get(kind)
        if text is not None:
            qualified = qualify(schema, name) if schema is not None else name  # (publications)
            r.blind_spots.append(text.format(rule=rule, name=name, qualified=qualified))
    _view_definitions(r, relations, view_spots_at)
    model.blind_spots.extend(r.blind_spots)
    return model


def _view_definitions(r: Rows, relations: dict[int, Table | View], spots_at: int) -> None:
    """The views' definitions, taken last: nothing else built reads them, and on the first
    connection free after the columns (where the plan had them) their 32 slices (0.25-0.4 s at
    5,000 tables) held back that connection's share of the indexes, which the build waits for
    (the last index part came in 0.3-0.4 s after the others). What they leave in the blind
    spots goes at ``spots_at``: where a read taking them after the columns said it."""
    mark = len(r.blind_spots)
    for oid, definition in r.rows(Q_VIEWDEFS, "view definitions", optional=True):
        view = relations.get(oid)
        if isinstance(view, View):
            view.definition = definition or ""
    spots = r.blind_spots[mark:]
    del r.blind_spots[mark:]
    r.blind_spots[spots_at:spots_at] = spots


TABLE_KINDS = {"r": "table", "p": "partitioned", "f": "foreign"}
IDENTITY = {"a": "always", "d": "by default"}

DEFAULT_ACL_TYPES = {
    "r": "tables",
    "S": "sequences",
    "f": "functions",
    "T": "types",
    "n": "schemas",
}


_PUBLIC_PREFIX = re.compile(r'(?<![\w"$.])public\.(?=[\w"])')


class _Words(dict[str, str]):
    """``words[s]`` is the first str equal to ``s`` seen: names, types, roles and privileges
    repeat thousands of times in a catalog and each row brings its own copy."""

    def __missing__(self, word: str) -> str:
        self[word] = word
        return word


def _home_type(text: str | None) -> str:
    """A type printed with the empty search_path, in the model's spelling (``public.`` dropped).

    The model names a type of the public schema bare (``"ApiTokenAlgorithm"``, ``citext``), as a
    migration writes it; other schemas stay qualified, as format_type prints them.
    """
    if not text:
        return ""
    return _PUBLIC_PREFIX.sub("", text) if "public." in text else text


def _catalog(sql: str | None) -> list[Provenance]:
    return [Provenance("catalog", None, None, None, "catalog", sql)]  # its fields, in order


def column_from_row(
    table: str,
    name: str,
    home: str,
    notnull: bool,
    default: str | None,
    identity: str,
    generated: str,
    collation: str | None,
    unread: list[str],
) -> Column:
    """A table column from its catalog row. ``default`` is pg_get_expr(adbin): the DEFAULT,
    or the expression of a generated column. attgenerated 's' (STORED) is the only kind
    PostgreSQL 12-17 has; another kind (PostgreSQL 18's VIRTUAL 'v') is still a generated
    column, never a DEFAULT (reading it as one is a false reading), and is named in
    ``unread``: whether it is stored is not modelled."""
    if not generated:  # '' (attgenerated '\0'): a plain column
        return Column(name, home, not notnull, default, IDENTITY.get(identity), None, collation)
    if generated != "s":
        unread.append(
            f"column {table}.{name}: generated column of kind attgenerated = {generated!r} "
            "(not STORED; PostgreSQL 18's VIRTUAL is 'v'): read as generated from its "
            "expression, whether its values are stored is not modelled"
        )
    return Column(name, home, not notnull, None, IDENTITY.get(identity), default, collation)


def _read_constraints(
    r: Rows,
    relations: dict[int, Table | View],
    attnames: dict[int, dict[int, str]],
    quote: Quoter,
    part: str,
) -> list[tuple[Table, str, list[str], bool, bool]]:
    """Each relation's constraints; the EXCLUDE constraints are returned (table, name, their
    operators, DEFERRABLE, INITIALLY DEFERRED), to be put on their indexes once those are all
    built (the server-deparsed ones are filled in after this). ``part``: the relations' part
    for a single reader (_relation_parts)."""
    unnamed: list[str] = []
    exclusions: list[tuple[Table, str, list[str], bool, bool]] = []
    for (
        relid,
        name,
        kind,
        definition,
        columns,
        ref_schema,
        ref_table,
        ref_columns,
        on_delete,
        on_update,
        match,
        deferrable,
        deferred,
        validated,
        no_inherit,
        check_expr,
        nulls_not_distinct,
        conkey,
        ref_relid,
        confkey,
        operators,
        delsetcols,
    ) in r.rows(Q_CONSTRAINTS, "constraints", part=part):
        table = relations.get(relid)
        if not isinstance(table, Table):
            continue
        try:  # the names the server left to us (Q_CONSTRAINTS): columns the read has
            if columns is None:
                columns = [attnames[relid][n] for n in conkey or ()]
            if ref_columns is None and kind == "f":
                ref_columns = [attnames[ref_relid][n] for n in confkey or ()]
            set_columns = [attnames[relid][n] for n in delsetcols] if delsetcols else []
        except KeyError:  # the columns query was refused (a blind spot already says so)
            unnamed.append(table.qualified_name)
            continue
        if definition is None:  # a shape built here: the server's text
            definition = constraint_definition(
                quote,
                kind,
                columns,
                ref_schema,
                ref_table,
                ref_columns,
                on_delete,
                on_update,
                match,
                deferrable,
                deferred,
                validated,
                no_inherit,
                check_expr,
                nulls_not_distinct,
            )
        prov = _catalog(f"CONSTRAINT {name} {definition}")
        columns = list(columns or [])
        if kind == "p":
            table.primary_key = PrimaryKey(name, columns, provenance=prov)
        elif kind == "u":
            table.uniques[name] = UniqueConstraint(
                name,
                columns,
                nulls_not_distinct="NULLS NOT DISTINCT" in definition,
                deferrable=deferrable,
                initially_deferred=deferred,
                provenance=prov,
            )
        elif kind == "c":
            table.checks[name] = CheckConstraint(
                name,
                check_expr or definition,
                columns=columns,
                validated=validated,
                no_inherit=no_inherit,
                provenance=prov,
            )
        elif kind == "f":
            table.foreign_keys[name] = ForeignKey(
                name,
                columns,
                ref_schema,
                ref_table,
                list(ref_columns or []),
                on_delete=ReferentialAction.from_code(on_delete).value,
                on_update=ReferentialAction.from_code(on_update).value,
                match=MATCH_TYPES.get(match, "SIMPLE"),
                deferrable=deferrable,
                initially_deferred=deferred,
                validated=validated,
                provenance=prov,
                on_delete_columns=set_columns,
            )
        elif kind == "x":
            exclusions.append((table, name, list(operators or []), deferrable, deferred))
    if unnamed:
        r.blind_spots.append(
            f"constraints of {len(unnamed)} relations ({unnamed[0]}, ...): their columns were not read"
        )
    return exclusions


def _put_exclusions(exclusions: list[tuple[Table, str, list[str], bool, bool]]) -> None:
    """An EXCLUDE constraint's operators, DEFERRABLE and INITIALLY DEFERRED on its index
    (its ``indexes:`` entry holds them: a constraint re-created ``WITH =`` for ``WITH &&``
    PASSed init's spec before, a false PASS)."""
    for table, name, operators, deferrable, deferred in exclusions:
        index = table.indexes.get(name)
        if index is not None:
            index.exclude = operators
            index.deferrable, index.initially_deferred = deferrable, deferred


def _read_indexes(
    r: Rows,
    relations: dict[int, Table | View],
    attnames: dict[int, dict[int, str]],
    atttypes: dict[int, list[tuple[int, int] | None]],
    quote: Quoter,
    words: _Words,
    relations_part: str,
) -> Callable[[], None]:
    """Indexes of the plain shape from Q_INDEXES and the column query; the others as the
    server reads them (Q_INDEX_DEFINITIONS, only for those), each relation's in name order.
    The plain ones are built here, the others' places kept; the call returned fills those in
    (it takes Q_INDEX_DEFINITIONS's rows: call it as late as the build allows).
    ``relations_part``: the relations' part for a single reader (_relation_parts)."""
    plain_opclasses = set(r.rows(Q_PLAIN_OPCLASSES, "plain operator classes"))
    rows = r.rows(Q_INDEXES, "indexes", part=relations_part)
    # the server no longer sorts these rows (its sort spilled to disk); names compare as the
    # server's "C" order does, by code point
    rows.sort(key=_RELID_AND_NAME)
    # Which indexes the server deparses is known before the plain ones are built: their query
    # is asked for first, so the connections answer it while this thread builds the others
    # (asked for after the build, it waited behind the light queries the connections had
    # started meanwhile: 0.5-0.6 s of the 5,000-table read's wall time under load)
    plain = [  # Q_INDEXES's columns: 8 candidate, 10-12 keys, operator classes, collations
        row[8]
        and row[0] in attnames
        and _plain_keys(row[10], row[11], row[12], row[6], atttypes[row[0]], plain_opclasses)
        for row in rows
    ]
    server_oids = [
        row[-1]
        for row, is_plain in zip(rows, plain, strict=True)
        if not is_plain and row[0] in relations
    ]
    if len(server_oids) == len(rows):  # every one (a server the client deparses for none): all
        part = ""
    elif server_oids:
        part = f" AND i.indexrelid IN ({', '.join(map(str, server_oids))})"
    else:
        # every index read is built here: no query (it answered no row, yet its planning alone
        # was 8.5-12 ms of a server's CPU at 1,000 tables, a round trip, and in a reading child
        # a request and an answer more; issue 19)
        part = None
    if r.plans_ahead and part is not None:
        r.plan_next([Planned(Q_INDEX_DEFINITIONS, "index definitions", part=part)])
    server: list[tuple[Table | View, str, int]] = []  # (relation, index, oid) left to the server
    for is_plain, (
        relid,
        name,
        unique,
        primary,
        valid,
        method,
        nkey,
        predicate,
        _candidate,
        options,
        indkey,
        _indclass,
        _indcollation,
        constraint,
        nulls_not_distinct,
        schema,
        table,
        partitioned,
        oid,
    ) in zip(plain, rows, strict=True):
        rel = relations.get(relid)
        if rel is None:
            continue
        if not is_plain:
            server.append((rel, name, oid))
            rel.indexes[name] = None  # its place in name order
            continue
        columns = attnames[relid]
        rel.indexes[name] = _plain_index(
            quote,
            words,
            name,
            unique,
            primary,
            valid,
            method,
            nkey,
            predicate,
            options or (),
            [columns[attnum] for attnum in indkey],
            constraint,
            nulls_not_distinct,
            schema,
            table,
            partitioned,
        )
    if part is None:
        return lambda: None
    return lambda: _server_indexes(r, part, server, quote, words)


def _server_indexes(
    r: Rows,
    part: str,
    server: list[tuple[Table | View, str, int]],
    quote: Quoter,
    words: _Words,
) -> None:
    """The indexes _read_indexes left to the server, from Q_INDEX_DEFINITIONS's rows (``part``:
    those indexes), each in the place kept for it."""
    read = {row[-1]: row for row in r.rows(Q_INDEX_DEFINITIONS, "index definitions", part=part)}
    for rel, name, oid in server:
        row = read.get(oid)
        if row is None:  # not in the snapshot's catalog as the server reads it: never expected
            del rel.indexes[name]
            continue
        (
            _relid,
            _name,
            unique,
            primary,
            valid,
            method,
            nkey,
            predicate,
            definition,
            options,
            keys,
            is_column,
            opclasses,
            constraint,
            nulls_not_distinct,
            collations,
            schema,
            table,
            partitioned,
            _oid,
        ) = row
        rel.indexes[name] = _index(
            quote,
            words,
            name,
            unique,
            primary,
            valid,
            method,
            nkey,
            predicate,
            definition,
            options or (),
            [words[k] for k in keys] if keys else [],
            is_column,
            opclasses,
            constraint,
            nulls_not_distinct,
            collations,
            schema,
            table,
            partitioned,
        )


_RELID_AND_NAME = itemgetter(0, 1)  # an index row's relation and name


def _plain_index(
    quote: Quoter,
    words: _Words,
    name: str,
    unique: bool,
    primary: bool,
    valid: bool,
    method: str,
    nkey: int,
    predicate: str | None,
    options: Items[int],
    keys: list[str],
    constraint: str | None,
    nulls_not_distinct: bool | None,
    schema: str,
    table: str,
    partitioned: bool,
) -> Index:
    """:func:`_index` of an index of the plain shape (every key a column with no operator
    class or collation of its own): the same Index, without the general case's per-key
    checks (at 5,000 tables nearly all of the 32,834 indexes). A key with DESC or NULLS
    FIRST/LAST goes through :func:`_index` itself, which orders keys in one place."""
    if any(options):
        return _index(
            quote,
            words,
            name,
            unique,
            primary,
            valid,
            method,
            nkey,
            predicate,
            None,
            options,
            keys,
            [True] * len(keys),
            None,
            constraint,
            nulls_not_distinct,
            None,
            schema,
            table,
            partitioned,
        )
    method = words[method]
    definition = index_definition(
        quote,
        name,
        unique,
        partitioned,
        schema,
        table,
        method,
        keys,
        nkey,
        options,
        bool(nulls_not_distinct),
        predicate,
    )
    count = min(nkey, len(keys))
    return Index(
        name,
        [IndexKey(key, True, False, None, None, None) for key in keys[:count]],
        unique,
        method,
        predicate,
        keys[nkey:],  # the INCLUDE columns
        bool(nulls_not_distinct),
        constraint,
        primary,
        valid,
        definition,
        _catalog(definition),
    )


def _plain_keys(
    indkey: list[int],
    indclass: list[int],
    indcollation: list[int],
    nkey: int,
    types: list[tuple[int, int] | None],
    plain_opclasses: set[tuple[int, int]],
) -> bool:
    """Whether every key is a column (INCLUDE ones too) and every key column has the column's
    collation (or none) and a default operator class plain for exactly the column's type:
    Q_INDEX_DEFINITIONS's ``plain``, decided with the column query's types and collations."""
    for position, attnum in enumerate(indkey):
        typed = types[attnum] if 0 < attnum < len(types) else None
        if typed is None:
            return False
        if position < nkey:
            typid, collation = typed
            if indcollation[position] not in (0, collation):
                return False
            if (indclass[position], typid) not in plain_opclasses:
                return False
    return True


def _index(
    quote: Quoter,
    words: _Words,
    name: str,
    unique: bool,
    primary: bool,
    valid: bool,
    method: str,
    nkey: int,
    predicate: str | None,
    definition: str | None,
    options: Items[int],
    keys: list[str],
    is_column: Items[bool],
    opclasses: Items[str | None] | None,
    constraint: str | None,
    nulls_not_distinct: bool | None,
    collations: Items[str | None] | None,
    schema: str,
    table: str,
    partitioned: bool,
) -> Index:
    """One index from its catalog values (``definition`` None: the plain shape, built here)."""
    method = words[method]
    if definition is None:  # the plain shape: the server's text, built here
        definition = index_definition(
            quote,
            name,
            unique,
            partitioned,
            schema,
            table,
            method,
            keys,
            nkey,
            options,
            bool(nulls_not_distinct),
            predicate,
        )
    count = min(nkey, len(keys))
    # IndexKey's fields in order, positionally; most keys are plain ascending columns
    # with no operator class or collation of their own (the query's arrays of NULLs)
    if not any(options) and not any(opclasses or ()) and not any(collations or ()):
        index_keys = [
            IndexKey(keys[position], bool(is_column[position]), False, None, None, None)
            for position in range(count)
        ]
    else:
        opclasses = opclasses or ()
        collations = collations or ()
        index_keys = []
        for position in range(count):
            option = options[position] if position < len(options) else 0
            descending = option & 1 == 1
            nulls_first = option & 2 == 2
            key_collation = collations[position] if position < len(collations) else None
            # an expression's own collation (lower(c) of a COLLATE "C" column) is no COLLATE
            # of the key: the server's definition prints only one that differs
            if (
                key_collation
                and not is_column[position]
                and f"{keys[position]} COLLATE " not in definition
            ):
                key_collation = None
            index_keys.append(
                IndexKey(
                    keys[position],
                    bool(is_column[position]),
                    descending,
                    None if nulls_first == descending else nulls_first,
                    opclasses[position] if position < len(opclasses) else None,
                    key_collation,
                )
            )
    return Index(
        name,
        index_keys,
        unique,
        method,
        predicate,
        keys[nkey:],  # the INCLUDE columns
        bool(nulls_not_distinct),
        constraint,
        primary,
        valid,
        definition,
        _catalog(definition),
    )


def _read_policies(r: Rows, relations: dict[int, Table | View], part: str) -> None:
    for relid, name, command, permissive, roles, using, with_check in r.rows(
        Q_POLICIES, "policies", part=part
    ):
        table = relations.get(relid)
        if isinstance(table, Table):
            policy = Policy(
                name, POLICY_COMMANDS[command], permissive, list(roles), using, with_check
            )
            policy.provenance = _catalog(create_policy(policy, table))
            table.policies[name] = policy


def _decode_args(raw: bytes | None) -> list[str]:
    if not raw:
        return []
    parts = bytes(raw).split(b"\x00")
    return (
        [p.decode("utf-8", "replace") for p in parts[:-1]]
        if parts[-1] == b""
        else [p.decode("utf-8", "replace") for p in parts]
    )


def _read_triggers(r: Rows, relations: dict[int, Table | View]) -> None:
    for (
        relid,
        name,
        tgtype,
        enabled,
        fn_schema,
        fn_name,
        definition,
        constraint,
        args,
        columns,
    ) in r.rows(Q_TRIGGERS, "triggers"):
        table = relations.get(relid)
        if not isinstance(table, Table):
            continue
        timing = "INSTEAD OF" if tgtype & 64 else ("BEFORE" if tgtype & 2 else "AFTER")
        events = [
            event
            for bit, event in ((4, "INSERT"), (16, "UPDATE"), (8, "DELETE"), (32, "TRUNCATE"))
            if tgtype & bit
        ]
        when = None
        match = re.search(r"\bWHEN \((.*)\) EXECUTE (?:FUNCTION|PROCEDURE)", definition or "")
        if match:
            when = match.group(1)
        function = fn_name if fn_schema == "public" else f"{fn_schema}.{fn_name}"
        table.triggers[name] = Trigger(
            name,
            timing,
            events,
            level="ROW" if tgtype & 1 else "STATEMENT",
            function=function,
            arguments=_decode_args(args),
            when=when,
            update_columns=list(columns or []),
            enabled=TRIGGER_ENABLED.get(enabled, "ORIGIN"),
            constraint=constraint,
            provenance=_catalog(definition),
        )
        if constraint or " REFERENCING " in definition:  # both rare: the text tells them
            read_trigger_extras(table.triggers[name], definition)


# what pg_get_triggerdef prints before FOR EACH: a constraint trigger's deferral, then the
# transition tables (quote_identifier'd)
_IDENT = r'("(?:[^"]|"")*"|[^ ]+)'
_DEFERRAL = re.compile(
    rf" (?:FROM {_IDENT}\.{_IDENT} )?(NOT )?DEFERRABLE INITIALLY (DEFERRED|IMMEDIATE) "
)
_TRANSITION = re.compile(
    rf" REFERENCING (?:OLD TABLE AS {_IDENT} )?(?:NEW TABLE AS {_IDENT} )?FOR EACH (?:ROW|STATEMENT) "
)


def _unquote(name: str | None) -> str | None:
    if name and name.startswith('"'):
        return name[1:-1].replace('""', '"')
    return name


def read_trigger_extras(trigger: Trigger, definition: str) -> None:
    """DEFERRABLE / INITIALLY DEFERRED and REFERENCING OLD / NEW TABLE from the trigger's
    pg_get_triggerdef text (already read: no catalog column more for facts nearly every
    trigger lacks)."""
    # the leftmost match: both clauses come before WHEN and EXECUTE FUNCTION's arguments
    head = definition
    if trigger.constraint and (deferral := _DEFERRAL.search(head)):
        schema, name, negated, initially = deferral.groups()
        if schema is not None:  # FROM schema.table: the search_path is empty, so qualified
            trigger.from_table = qualify(_unquote(schema) or "", _unquote(name) or "")
        trigger.deferrable = not negated
        trigger.initially_deferred = initially == "DEFERRED"
    if transition := _TRANSITION.search(head):
        trigger.old_table = _unquote(transition.group(1))
        trigger.new_table = _unquote(transition.group(2))


def _column_settings(found: list[tuple[Table | View, str, list[str | None]]]) -> None:
    """Each column's settings (SET STATISTICS / STORAGE / COMPRESSION / options) on the column
    of a table or materialized view; a plain view's columns have none to set (ALTER … SET
    STATISTICS / STORAGE / (options) refuse a view): its catalog rows are not read, as before."""
    for relation, name, values in found:
        column: Column | ViewColumn | None = None
        if isinstance(relation, Table):
            column = relation.columns.get(name)
        elif relation.materialized:
            column = next((c for c in relation.columns if c.name == name), None)
        if column is not None:
            column.settings = _settings(values)


def _settings(values: list[str | None]) -> dict[str, int | str]:
    """A column's settings from Q_COLUMNS's array: statistics target, storage, compression,
    then the options (``n_distinct=5`` …); only those that are not the default."""
    statistics, storage, compression, *options = values
    settings: dict[str, int | str] = {}
    if statistics is not None:
        settings["statistics"] = int(statistics)
    if storage is not None:
        settings["storage"] = STORAGE.get(storage, storage)
    if compression is not None:
        settings["compression"] = compression
    if options:  # SET (n_distinct = …): pg_attribute.attoptions, one string
        settings["options"] = option_text(options)
    return settings


def _read_grants(r: Rows, relations: dict[int, Table | View], words: _Words) -> None:
    for relids, acl in r.rows(Q_GRANTS, "table privileges"):  # one row per distinct ACL
        entries = [
            (words[grantee], words[privilege], grantable == "g", words[grantor])
            for grantee, privilege, grantable, grantor in acl
        ]
        lacks: dict[str, list[str]] = {}  # owner -> what its own entry lacks, per ACL
        for relid in relids:
            rel = relations.get(relid)
            if rel is not None:  # a Grant of its own each (a model's objects are not shared)
                rel.grants.extend([Grant(*entry) for entry in entries])
                owner = rel.owner
                if owner is not None:  # (marks where the owner REVOKEd a right from itself)
                    marks = lacks.get(owner)
                    if marks is None:
                        marks = lacks[owner] = relation_lacks(entries, owner)
                    rel.grants.extend([Grant(owner, mark) for mark in marks])
